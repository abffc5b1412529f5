-- Notices by email: reminders before the due day, overdue notices, hold-ready notices.

-- The library's notice settings: one row.
CREATE TABLE notice_settings (
    id            BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    sender        VARCHAR(254) NULL,
    library_name  VARCHAR(200) NOT NULL DEFAULT 'Perpustakaan',
    language      VARCHAR(2) NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    due_soon_days BIGINT NOT NULL DEFAULT 2,
    overdue_days  VARCHAR(200) NOT NULL DEFAULT '[1,7,14]',
    updated_at    DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO notice_settings (id, updated_at) VALUES (1, '2026-12-03 00:00:00');

-- A category's own due-soon reminder days, overriding notice_settings.due_soon_days.
CREATE TABLE notice_category_days (
    category      VARCHAR(32) NOT NULL PRIMARY KEY,
    due_soon_days BIGINT NOT NULL CHECK (due_soon_days >= 0),
    CONSTRAINT notice_category_days_fk FOREIGN KEY (category) REFERENCES categories (code) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The admin's own wording; a kind and language with no row uses the built-in text.
CREATE TABLE notice_templates (
    kind       VARCHAR(16) NOT NULL,
    language   VARCHAR(2) NOT NULL,
    subject    VARCHAR(500) NOT NULL,
    body       TEXT NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (kind, language)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every notice, recorded before it is sent: (kind, ref_id, stage) is unique, so each is made once.
-- ref_id is the loan (due_soon, overdue) or the hold (hold_ready); stage is the due day as
-- YYYYMMDD (due_soon), the days late (overdue), 0 (hold_ready).
CREATE TABLE notices (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind            VARCHAR(16) NOT NULL,
    ref_id          BIGINT NOT NULL,
    stage           BIGINT NOT NULL,
    member_id       BIGINT NOT NULL,
    email           VARCHAR(254) NULL,
    language        VARCHAR(2) NOT NULL,
    subject         VARCHAR(500) NOT NULL,
    body            TEXT NOT NULL,
    status          VARCHAR(16) NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    claimed_by      VARCHAR(200) NULL,
    last_error      TEXT NULL,
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME NULL,
    UNIQUE KEY notices_once (kind, ref_id, stage),
    KEY notices_due (status, next_attempt_at),
    KEY notices_member (member_id, id),
    CONSTRAINT notices_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Who may send: one row per job; taken when free or expired, renewed by its holder. `generation`
-- changes on every take and renewal, so the update always changes the row.
CREATE TABLE leases (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    holder     VARCHAR(200) NULL,
    expires_at DATETIME NOT NULL,
    generation BIGINT NOT NULL DEFAULT 0
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO leases (name, holder, expires_at) VALUES ('notices', NULL, '1970-01-01 00:00:00');
