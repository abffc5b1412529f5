-- Copy cataloguing (issue #31): the other catalogues a new book is looked up in, what they
-- answered (so the same ISBN is instant and works offline afterwards), and covers stored here.

-- The sources, in the order the page shows them. `kind`: `sru` (an SRU server's base URL),
-- `slims` (a SLiMS OPAC's address), `openlibrary` (Open Library's address).
CREATE TABLE catalogue_sources (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(80) NOT NULL,
    kind       VARCHAR(16) NOT NULL,
    url        VARCHAR(500) NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    position   INT NOT NULL DEFAULT 0,
    timeout_ms INT NOT NULL DEFAULT 3000,
    created_at DATETIME NOT NULL,
    UNIQUE KEY catalogue_sources_name (name),
    CONSTRAINT catalogue_sources_kind CHECK (kind IN ('sru', 'slims', 'openlibrary')),
    CONSTRAINT catalogue_sources_timeout CHECK (timeout_ms BETWEEN 200 AND 20000)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What a source answered for an ISBN-13: its records as JSON (an empty list: "not found").
CREATE TABLE copycat_answers (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source_id  BIGINT NOT NULL,
    isbn       VARCHAR(13) NOT NULL,
    records    MEDIUMTEXT NOT NULL,
    fetched_at DATETIME NOT NULL,
    UNIQUE KEY copycat_answers_source_isbn (source_id, isbn),
    CONSTRAINT copycat_answers_source FOREIGN KEY (source_id) REFERENCES catalogue_sources (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A cover found for an ISBN-13 (a plain PNG, hex-encoded, like the logo), shown for every book
-- with that ISBN that has no cover of its own.
CREATE TABLE isbn_covers (
    isbn         VARCHAR(13) NOT NULL PRIMARY KEY,
    content_type VARCHAR(40) NOT NULL CHECK (content_type IN ('image/png')),
    image        MEDIUMTEXT NOT NULL,
    source_url   VARCHAR(1000) NOT NULL,
    fetched_at   DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A book's own cover, uploaded.
CREATE TABLE book_covers (
    book_id      BIGINT NOT NULL PRIMARY KEY,
    content_type VARCHAR(40) NOT NULL CHECK (content_type IN ('image/png')),
    image        MEDIUMTEXT NOT NULL,
    updated_at   DATETIME NOT NULL,
    CONSTRAINT book_covers_book FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
