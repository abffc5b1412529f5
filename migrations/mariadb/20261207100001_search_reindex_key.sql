-- A primary key on the search index's one-row progress mark, the last table without one. Galera
-- (deploy/galera) replicates row changes by primary key: a table without one is replicated by
-- whole rows, DELETE on it is unsupported, and nodes may disagree about it. The key also keeps
-- the mark at one row.
ALTER TABLE search_reindex
    ADD COLUMN id TINYINT UNSIGNED NOT NULL DEFAULT 1 FIRST,
    ADD PRIMARY KEY (id);
