-- Copy cataloguing (issue #31): the other catalogues a new book is looked up in, what they
-- answered (so the same ISBN is instant and works offline afterwards), and covers stored here.

-- The sources, in the order the page shows them. `kind`: `sru` (an SRU server's base URL),
-- `slims` (a SLiMS OPAC's address), `openlibrary` (Open Library's address).
CREATE TABLE catalogue_sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('sru', 'slims', 'openlibrary')),
    url        TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    position   INTEGER NOT NULL DEFAULT 0,
    timeout_ms INTEGER NOT NULL DEFAULT 3000 CHECK (timeout_ms BETWEEN 200 AND 20000),
    created_at TEXT NOT NULL
);

-- What a source answered for an ISBN-13: its records as JSON (an empty list: "not found").
CREATE TABLE copycat_answers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id  INTEGER NOT NULL REFERENCES catalogue_sources (id) ON DELETE CASCADE,
    isbn       TEXT NOT NULL,
    records    TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    UNIQUE (source_id, isbn)
);

-- A cover found for an ISBN-13 (a plain PNG, hex-encoded, like the logo), shown for every book
-- with that ISBN that has no cover of its own.
CREATE TABLE isbn_covers (
    isbn         TEXT NOT NULL PRIMARY KEY,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png')),
    image        TEXT NOT NULL,
    source_url   TEXT NOT NULL,
    fetched_at   TEXT NOT NULL
);

-- A book's own cover, uploaded.
CREATE TABLE book_covers (
    book_id      INTEGER NOT NULL PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png')),
    image        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
