-- Reports at scale (issue 15): each loan keeps, from the moment it is made, what the reports
-- group it by: the book, the borrower's category then, and the book's DDC main class then
-- (its first digit, 0 for 000 … 9 for 900; NULL when the classification does not start with a
-- digit: a TINYINT, so that the collection's index is small enough to count 1M copies quickly). One covering
-- index on (loaned_at, …) then answers every loans report of a date range from the index alone,
-- with no lookup of copies, books or members per loan.
ALTER TABLE loans
    ADD COLUMN book_id BIGINT NULL,
    ADD COLUMN member_category VARCHAR(32) NULL,
    ADD COLUMN ddc_class TINYINT NULL;

-- The same class on each copy (kept when the book's classification changes) for the collection
-- report, counted from one small index instead of a join of every copy with its book.
ALTER TABLE copies ADD COLUMN ddc_class TINYINT NULL;

UPDATE copies c JOIN books b ON b.id = c.book_id
   SET c.ddc_class = IF(ASCII(b.classification) BETWEEN 48 AND 57, ASCII(b.classification) - 48, NULL);

UPDATE loans l JOIN copies c ON c.id = l.copy_id JOIN members m ON m.id = l.member_id
   SET l.book_id = c.book_id, l.member_category = m.category, l.ddc_class = c.ddc_class;

CREATE INDEX loans_report ON loans (loaned_at, member_category, ddc_class, book_id, member_id);
DROP INDEX loans_loaned ON loans;
CREATE INDEX copies_class_status ON copies (ddc_class, status);
