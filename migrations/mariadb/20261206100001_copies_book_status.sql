-- A book's copy counts (copies_total, copies_available: two subqueries per book read, forty on the
-- catalogue's front page) are counted from this index alone: (book_id, status) instead of
-- (book_id), whose entries sent each count to the copy's row for its status. It serves the
-- foreign key and every lookup by book as the old index did.
CREATE INDEX copies_book_status ON copies (book_id, status);
DROP INDEX copies_book ON copies;
