-- A book's copy counts are counted from this index alone (see MariaDB's migration of the same name).
CREATE INDEX copies_book_status ON copies (book_id, status);
DROP INDEX copies_book;
