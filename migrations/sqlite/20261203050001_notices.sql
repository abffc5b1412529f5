-- Notices by email: reminders before the due day, overdue notices, hold-ready notices.

-- The library's notice settings: one row.
CREATE TABLE notice_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    sender        TEXT,              -- From: address; NULL until the admin sets one
    library_name  TEXT NOT NULL DEFAULT 'Perpustakaan', -- signs the notices
    language      TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    due_soon_days INTEGER NOT NULL DEFAULT 2, -- reminder this many days before the due day (0: off)
    overdue_days  TEXT NOT NULL DEFAULT '[1,7,14]', -- JSON array: notices this many days late
    updated_at    TEXT NOT NULL
);
INSERT INTO notice_settings (id, updated_at) VALUES (1, '2026-12-03T00:00:00+00:00');

-- A category's own due-soon reminder days, overriding notice_settings.due_soon_days.
CREATE TABLE notice_category_days (
    category      TEXT PRIMARY KEY REFERENCES categories (code) ON DELETE CASCADE,
    due_soon_days INTEGER NOT NULL CHECK (due_soon_days >= 0)
);

-- The admin's own wording; a kind and language with no row uses the built-in text.
CREATE TABLE notice_templates (
    kind       TEXT NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'hold_ready')),
    language   TEXT NOT NULL CHECK (language IN ('id', 'en')),
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, language)
);

-- Every notice, recorded before it is sent: (kind, ref_id, stage) is unique, so each is made once.
-- ref_id is the loan (due_soon, overdue) or the hold (hold_ready); stage is the due day as
-- YYYYMMDD (due_soon: a renewal's new due day gets its own reminder), the days late (overdue), 0.
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('due_soon', 'overdue', 'hold_ready')),
    ref_id          INTEGER NOT NULL,
    stage           INTEGER NOT NULL,
    member_id       INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    email           TEXT,
    language        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE UNIQUE INDEX notices_once ON notices (kind, ref_id, stage);
CREATE INDEX notices_due ON notices (status, next_attempt_at);
CREATE INDEX notices_member ON notices (member_id, id);

-- Who may send: one row per job; taken when free or expired, renewed by its holder. `generation`
-- changes on every take and renewal, so the update always changes the row.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT,
    expires_at TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO leases (name, holder, expires_at) VALUES ('notices', NULL, '1970-01-01T00:00:00+00:00');
