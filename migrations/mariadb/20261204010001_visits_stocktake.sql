-- Visitor log (buku tamu) and stock take (inventarisasi), issue #16.

-- A `kiosk` account may only record visits.
ALTER TABLE users DROP CONSTRAINT users_role;
ALTER TABLE users ADD CONSTRAINT users_role CHECK (role IN ('admin', 'librarian', 'member', 'kiosk'));

-- One visit: a member's card scanned at the kiosk, or a guest who wrote their name.
-- client_id is made by the kiosk for each visit, so a visit sent twice (the network dropped
-- before the answer came) is stored once.
CREATE TABLE visits (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    client_id   VARCHAR(64) NOT NULL,
    visited_at  DATETIME NOT NULL,
    member_id   BIGINT NULL,
    category    VARCHAR(32) NOT NULL,
    guest_name  VARCHAR(200) NULL,
    institution VARCHAR(200) NULL,
    purpose     VARCHAR(200) NULL,
    recorded_by VARCHAR(32) NOT NULL,
    created_at  DATETIME NOT NULL,
    UNIQUE KEY visits_client (client_id),
    KEY visits_at (visited_at),
    KEY visits_member (member_id),
    CONSTRAINT visits_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A stock take: the copies expected on the shelves (whole collection, or some locations or
-- classes) are listed when it starts; each scan marks one seen.
CREATE TABLE stocktakes (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    locations   TEXT NOT NULL,
    classes     TEXT NOT NULL,
    status      VARCHAR(16) NOT NULL,
    started_by  VARCHAR(32) NOT NULL,
    started_at  DATETIME NOT NULL,
    finished_by VARCHAR(32) NULL,
    finished_at DATETIME NULL,
    CONSTRAINT stocktakes_status CHECK (status IN ('open', 'finished'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The copies of a stock take: expected = 1 for those listed at the start, 0 for a copy scanned
-- that was not expected (outside the scope, or added since). seen_at is set by the first scan only.
CREATE TABLE stocktake_copies (
    stocktake_id  BIGINT NOT NULL,
    copy_id       BIGINT NOT NULL,
    expected      BOOLEAN NOT NULL,
    seen_at       DATETIME NULL,
    seen_by       VARCHAR(32) NULL,
    seen_location VARCHAR(200) NULL,
    lost_at       DATETIME NULL,
    PRIMARY KEY (stocktake_id, copy_id),
    KEY stocktake_copies_seen (stocktake_id, seen_at),
    KEY stocktake_copies_copy (copy_id),
    CONSTRAINT stocktake_copies_st_fk FOREIGN KEY (stocktake_id) REFERENCES stocktakes (id) ON DELETE CASCADE,
    CONSTRAINT stocktake_copies_copy_fk FOREIGN KEY (copy_id) REFERENCES copies (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Barcodes scanned that no copy has.
CREATE TABLE stocktake_unknown (
    stocktake_id  BIGINT NOT NULL,
    barcode       VARCHAR(64) NOT NULL,
    scans         BIGINT NOT NULL,
    seen_at       DATETIME NOT NULL,
    seen_by       VARCHAR(32) NOT NULL,
    seen_location VARCHAR(200) NULL,
    PRIMARY KEY (stocktake_id, barcode),
    CONSTRAINT stocktake_unknown_st_fk FOREIGN KEY (stocktake_id) REFERENCES stocktakes (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
