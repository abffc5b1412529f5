-- Reports at scale (issue 15): each loan keeps, from the moment it is made, what the reports
-- group it by: the book, the borrower's category then, and the book's DDC main class then
-- (its first digit, 0 for 000 … 9 for 900; NULL when the classification does not start with a digit). One covering
-- index on (loaned_at, …) then answers every loans report of a date range from the index alone.
ALTER TABLE loans ADD COLUMN book_id INTEGER NULL;
ALTER TABLE loans ADD COLUMN member_category TEXT NULL;
ALTER TABLE loans ADD COLUMN ddc_class INTEGER NULL;

-- The same class on each copy (kept when the book's classification changes) for the collection
-- report, counted from one small index instead of a join of every copy with its book.
ALTER TABLE copies ADD COLUMN ddc_class INTEGER NULL;

UPDATE copies SET ddc_class = (
    SELECT CASE WHEN unicode(b.classification) BETWEEN 48 AND 57 THEN unicode(b.classification) - 48 END
      FROM books b WHERE b.id = copies.book_id);

UPDATE loans SET
    book_id = (SELECT c.book_id FROM copies c WHERE c.id = loans.copy_id),
    member_category = (SELECT m.category FROM members m WHERE m.id = loans.member_id),
    ddc_class = (SELECT c.ddc_class FROM copies c WHERE c.id = loans.copy_id);

CREATE INDEX loans_report ON loans (loaned_at, member_category, ddc_class, book_id, member_id);
DROP INDEX loans_loaned;
CREATE INDEX copies_class_status ON copies (ddc_class, status);
