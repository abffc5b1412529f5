-- Catalogue search on MariaDB: Pustaka's own word index (src/domain/search.rs) instead of
-- InnoDB's FULLTEXT index, which computes every match of every word before it returns the
-- first: a word found in a third of a million books took about a second to search. Here a
-- word's books are one range of the primary key, read newest first or counted up to a limit.
CREATE TABLE book_words (
    word    VARCHAR(64) NOT NULL,  -- lower-case letters and digits
    book_id BIGINT NOT NULL,
    weight  BIGINT NOT NULL,       -- relevance: 4 per use in the title, 2 in authors, 1 in subjects
    PRIMARY KEY (word, book_id),
    KEY book_words_book (book_id),
    CONSTRAINT book_words_book_fk FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every word ever indexed, once: a word being typed is looked up here (a range of a small
-- table) rather than as the distinct words of book_words, whose plan for that (a loose index
-- scan) the optimizer may trade for reading every row of a common word.
CREATE TABLE search_words (
    word VARCHAR(64) NOT NULL PRIMARY KEY
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Books not yet in book_words: those with an id above after_book_id. The service indexes
-- them when it starts and then deletes the row; `pustaka reindex` puts it back (after books
-- were loaded with SQL).
CREATE TABLE search_reindex (
    after_book_id BIGINT NOT NULL
) ENGINE = InnoDB;
INSERT INTO search_reindex VALUES (0);

ALTER TABLE books DROP INDEX books_search;
