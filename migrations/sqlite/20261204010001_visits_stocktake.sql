-- Visitor log (buku tamu) and stock take (inventarisasi), issue #16.

-- A `kiosk` account may only record visits. SQLite cannot change a CHECK constraint in place and
-- sqlx runs each migration in a transaction (where `PRAGMA foreign_keys` cannot be switched off),
-- so `users` is rebuilt with foreign keys on: dropping the old table deletes the sessions that
-- point at it (ON DELETE CASCADE), so they are kept aside and put back.
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'librarian', 'member', 'kiosk')),
    member_id     INTEGER UNIQUE REFERENCES members (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL
);
INSERT INTO users_new (id, username, password_hash, role, member_id, created_at)
    SELECT id, username, password_hash, role, member_id, created_at FROM users;
-- Ids of deleted accounts stay used.
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0))
    WHERE name = 'users_new';
CREATE TABLE sessions_kept AS SELECT id, token_hash, user_id, created_at, expires_at, revoked_at FROM sessions;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, revoked_at)
    SELECT id, token_hash, user_id, created_at, expires_at, revoked_at FROM sessions_kept;
DROP TABLE sessions_kept;

-- One visit: a member's card scanned at the kiosk, or a guest who wrote their name.
-- client_id is made by the kiosk for each visit, so a visit sent twice (the network dropped
-- before the answer came) is stored once.
CREATE TABLE visits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT NOT NULL UNIQUE,
    visited_at  TEXT NOT NULL,
    member_id   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    category    TEXT NOT NULL,   -- the member's category then, or 'guest'
    guest_name  TEXT,
    institution TEXT,
    purpose     TEXT,
    recorded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX visits_at ON visits (visited_at);
CREATE INDEX visits_member ON visits (member_id);

-- A stock take: the copies expected on the shelves (whole collection, or some locations or
-- classes) are listed when it starts; each scan marks one seen.
CREATE TABLE stocktakes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    locations   TEXT NOT NULL DEFAULT '[]',  -- JSON array: only copies at these locations (empty: all)
    classes     TEXT NOT NULL DEFAULT '[]',  -- JSON array: only books whose class starts so (empty: all)
    status      TEXT NOT NULL CHECK (status IN ('open', 'finished')),
    started_by  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_by TEXT,
    finished_at TEXT
);

-- The copies of a stock take: expected = 1 for those listed at the start, 0 for a copy scanned
-- that was not expected (outside the scope, or added since). seen_at is set by the first scan only.
CREATE TABLE stocktake_copies (
    stocktake_id  INTEGER NOT NULL REFERENCES stocktakes (id) ON DELETE CASCADE,
    copy_id       INTEGER NOT NULL REFERENCES copies (id) ON DELETE CASCADE,
    expected      INTEGER NOT NULL,
    seen_at       TEXT,
    seen_by       TEXT,
    seen_location TEXT,
    lost_at       TEXT,  -- marked lost by this stock take
    PRIMARY KEY (stocktake_id, copy_id)
);
CREATE INDEX stocktake_copies_seen ON stocktake_copies (stocktake_id, seen_at);

-- Barcodes scanned that no copy has.
CREATE TABLE stocktake_unknown (
    stocktake_id INTEGER NOT NULL REFERENCES stocktakes (id) ON DELETE CASCADE,
    barcode      TEXT NOT NULL COLLATE NOCASE,
    scans        INTEGER NOT NULL,
    seen_at      TEXT NOT NULL,
    seen_by      TEXT NOT NULL,
    seen_location TEXT,
    PRIMARY KEY (stocktake_id, barcode)
);
