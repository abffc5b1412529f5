-- Nothing on MariaDB: its search already looks words being typed up in `search_words`. SQLite's
-- migration of this version adds the word list of its FTS5 index (`books_fts_words`).
DO 0;
