-- Pustaka schema, SQLite. Times are UTC instants (RFC 3339 text); dates are library calendar days.

CREATE TABLE categories (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    max_loans         INTEGER NOT NULL,
    loan_days         INTEGER NOT NULL,
    max_renewals      INTEGER NOT NULL,
    fine_per_day      INTEGER NOT NULL,
    max_fine_per_loan INTEGER NOT NULL,
    fine_limit        INTEGER NOT NULL,
    hold_pickup_days  INTEGER NOT NULL
);

INSERT INTO categories VALUES
    ('student', 'Siswa / Mahasiswa', 3, 7, 1, 500, 0, 10000, 3),
    ('staff', 'Guru / Staf', 10, 14, 2, 500, 0, 25000, 5),
    ('public', 'Umum', 2, 7, 1, 1000, 0, 10000, 3);

CREATE TABLE books (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    isbn       TEXT UNIQUE,
    title      TEXT NOT NULL,
    authors    TEXT NOT NULL,  -- JSON array of names
    subjects   TEXT NOT NULL,  -- JSON array of subjects
    publisher  TEXT,
    year       INTEGER,
    language   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX books_created ON books (created_at, id);

CREATE VIRTUAL TABLE books_fts USING fts5(
    title, authors, subjects,
    content = 'books', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER books_fts_insert AFTER INSERT ON books BEGIN
    INSERT INTO books_fts (rowid, title, authors, subjects) VALUES (new.id, new.title, new.authors, new.subjects);
END;
CREATE TRIGGER books_fts_delete AFTER DELETE ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, subjects) VALUES ('delete', old.id, old.title, old.authors, old.subjects);
END;
CREATE TRIGGER books_fts_update AFTER UPDATE OF title, authors, subjects ON books BEGIN
    INSERT INTO books_fts (books_fts, rowid, title, authors, subjects) VALUES ('delete', old.id, old.title, old.authors, old.subjects);
    INSERT INTO books_fts (rowid, title, authors, subjects) VALUES (new.id, new.title, new.authors, new.subjects);
END;

CREATE TABLE copies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id    INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    barcode    TEXT NOT NULL UNIQUE,
    location   TEXT,
    status     TEXT NOT NULL DEFAULT 'available'
               CHECK (status IN ('available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX copies_book ON copies (book_id);

CREATE TABLE members (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    card_number    TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    category       TEXT NOT NULL REFERENCES categories (code),
    expires_on     TEXT,
    blocked        INTEGER NOT NULL DEFAULT 0,
    blocked_reason TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX members_name ON members (name);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'librarian', 'member')),
    member_id     INTEGER UNIQUE REFERENCES members (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE loans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    copy_id     INTEGER NOT NULL REFERENCES copies (id),
    member_id   INTEGER NOT NULL REFERENCES members (id),
    loaned_at   TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    returned_at TEXT,
    renewals    INTEGER NOT NULL DEFAULT 0
);
-- At most one open loan per copy, whatever the application does.
CREATE UNIQUE INDEX loans_one_open_per_copy ON loans (copy_id) WHERE returned_at IS NULL;
CREATE INDEX loans_member ON loans (member_id, returned_at);
CREATE INDEX loans_due ON loans (returned_at, due_at);

CREATE TABLE holds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id     INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired')),
    copy_id     INTEGER REFERENCES copies (id) ON DELETE SET NULL,
    pickup_by   TEXT,
    created_at  TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX holds_book ON holds (book_id, status, id);
CREATE INDEX holds_member ON holds (member_id, status);

CREATE TABLE fines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id   INTEGER NOT NULL REFERENCES members (id),
    loan_id     INTEGER REFERENCES loans (id),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'waived')),
    note        TEXT,
    created_at  TEXT NOT NULL,
    resolved_at TEXT
);
-- One fine of each reason per loan: two returns racing cannot charge twice.
CREATE UNIQUE INDEX fines_once_per_loan ON fines (loan_id, reason);
CREATE INDEX fines_member ON fines (member_id, status);

CREATE TABLE closed_days (
    day    TEXT PRIMARY KEY,
    reason TEXT NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    detail    TEXT NOT NULL
);
