-- Printing (issue #14): the library's identity, automatic barcodes, member photos.

-- The library as it names itself on the page, in the notices and on everything printed: one row.
-- Its name was the notices' `library_name`; it moves here so that there is one name.
CREATE TABLE library_identity (
    id         BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    name       VARCHAR(200) NOT NULL,
    address    VARCHAR(1000) NOT NULL DEFAULT '',
    logo_type  VARCHAR(40) NULL CHECK (logo_type IN ('image/png', 'image/svg+xml')),
    logo       MEDIUMTEXT NULL,  -- the file, hex-encoded (at most 256 KiB)
    updated_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO library_identity (id, name, updated_at)
    SELECT 1, library_name, updated_at FROM notice_settings WHERE id = 1;
INSERT INTO library_identity (id, name, updated_at)
    SELECT 1, 'Perpustakaan', '2026-12-04 00:00:00' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM library_identity);
ALTER TABLE notice_settings DROP COLUMN library_name;

-- Automatic barcodes: prefix + next_number zero-padded to `digits`. The row is the counter: a copy
-- added without a barcode increments it in its own transaction, whose row lock serialises them.
CREATE TABLE barcode_pattern (
    id          BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    prefix      VARCHAR(16) NOT NULL DEFAULT 'B',
    digits      BIGINT NOT NULL DEFAULT 6 CHECK (digits BETWEEN 1 AND 12),
    next_number BIGINT NOT NULL DEFAULT 1 CHECK (next_number >= 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO barcode_pattern (id) VALUES (1);

-- A member's photo for their card.
CREATE TABLE member_photos (
    member_id    BIGINT NOT NULL PRIMARY KEY,
    content_type VARCHAR(40) NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    photo        MEDIUMTEXT NOT NULL,  -- the file, hex-encoded (at most 256 KiB)
    updated_at   DATETIME NOT NULL,
    CONSTRAINT member_photos_member FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- "Everything added today" for labels.
CREATE INDEX copies_created ON copies (created_at);
