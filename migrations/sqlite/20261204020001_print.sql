-- Printing (issue #14): the library's identity, automatic barcodes, member photos.

-- The library as it names itself on the page, in the notices and on everything printed: one row.
-- Its name was the notices' `library_name`; it moves here so that there is one name.
CREATE TABLE library_identity (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    logo_type  TEXT CHECK (logo_type IN ('image/png', 'image/svg+xml')),
    logo       TEXT,            -- the file, hex-encoded (at most 256 KiB)
    updated_at TEXT NOT NULL
);
INSERT INTO library_identity (id, name, updated_at)
    SELECT 1, library_name, updated_at FROM notice_settings WHERE id = 1;
INSERT INTO library_identity (id, name, updated_at)
    SELECT 1, 'Perpustakaan', '2026-12-04T00:00:00+00:00' WHERE NOT EXISTS (SELECT 1 FROM library_identity);
ALTER TABLE notice_settings DROP COLUMN library_name;

-- Automatic barcodes: prefix + next_number zero-padded to `digits`. The row is the counter: a copy
-- added without a barcode increments it in its own transaction, which serialises them.
CREATE TABLE barcode_pattern (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    prefix      TEXT NOT NULL DEFAULT 'B',
    digits      INTEGER NOT NULL DEFAULT 6 CHECK (digits BETWEEN 1 AND 12),
    next_number INTEGER NOT NULL DEFAULT 1 CHECK (next_number >= 1)
);
INSERT INTO barcode_pattern (id) VALUES (1);

-- A member's photo for their card.
CREATE TABLE member_photos (
    member_id    INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    photo        TEXT NOT NULL,  -- the file, hex-encoded (at most 256 KiB)
    updated_at   TEXT NOT NULL
);

-- "Everything added today" for labels.
CREATE INDEX copies_created ON copies (created_at);
