-- The words of SQLite's search index, one row per use (fts5vocab's `instance` kind: it stores
-- nothing, it reads books_fts's own index). A word being typed is looked up here (`term >= ?`
-- seeks to the first word at or after it) and searched as those whole words, each read lazily,
-- instead of FTS5's prefix query, which merges every list of every word it begins before it
-- returns a row (all 333,333 books of `sejarah` in a 1M-book catalogue, for `sejar`).
CREATE VIRTUAL TABLE books_fts_words USING fts5vocab(books_fts, instance);
