-- Pustaka schema, MariaDB. Times are UTC instants (the pool sets time_zone '+00:00'); dates are
-- library calendar days. utf8mb4 throughout so any name or title fits.

CREATE TABLE categories (
    code              VARCHAR(32) NOT NULL PRIMARY KEY,
    name              VARCHAR(200) NOT NULL,
    max_loans         BIGINT NOT NULL,
    loan_days         BIGINT NOT NULL,
    max_renewals      BIGINT NOT NULL,
    fine_per_day      BIGINT NOT NULL,
    max_fine_per_loan BIGINT NOT NULL,
    fine_limit        BIGINT NOT NULL,
    hold_pickup_days  BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO categories VALUES
    ('student', 'Siswa / Mahasiswa', 3, 7, 1, 500, 0, 10000, 3),
    ('staff', 'Guru / Staf', 10, 14, 2, 500, 0, 25000, 5),
    ('public', 'Umum', 2, 7, 1, 1000, 0, 10000, 3);

CREATE TABLE books (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    isbn       CHAR(13) NULL UNIQUE,
    title      VARCHAR(500) NOT NULL,
    authors    TEXT NOT NULL,
    subjects   TEXT NOT NULL,
    publisher  VARCHAR(200) NULL,
    year       BIGINT NULL,
    language   VARCHAR(3) NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    KEY books_created (created_at, id),
    FULLTEXT KEY books_search (title, authors, subjects)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE copies (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    book_id    BIGINT NOT NULL,
    barcode    VARCHAR(64) NOT NULL UNIQUE,
    location   VARCHAR(200) NULL,
    status     VARCHAR(16) NOT NULL DEFAULT 'available',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    KEY copies_book (book_id),
    CONSTRAINT copies_book_fk FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE,
    CONSTRAINT copies_status CHECK (status IN ('available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE members (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    card_number    VARCHAR(16) NOT NULL UNIQUE,
    name           VARCHAR(200) NOT NULL,
    email          VARCHAR(254) NULL,
    phone          VARCHAR(20) NULL,
    category       VARCHAR(32) NOT NULL,
    expires_on     DATE NULL,
    blocked        BOOLEAN NOT NULL DEFAULT FALSE,
    blocked_reason VARCHAR(200) NULL,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL,
    KEY members_name (name),
    CONSTRAINT members_category_fk FOREIGN KEY (category) REFERENCES categories (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE users (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(32) NOT NULL UNIQUE,
    password_hash VARCHAR(255) NOT NULL,
    role          VARCHAR(16) NOT NULL,
    member_id     BIGINT NULL UNIQUE,
    created_at    DATETIME NOT NULL,
    CONSTRAINT users_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE,
    CONSTRAINT users_role CHECK (role IN ('admin', 'librarian', 'member'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token_hash CHAR(64) NOT NULL UNIQUE,
    user_id    BIGINT NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    revoked_at DATETIME NULL,
    KEY sessions_user (user_id),
    CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE loans (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    copy_id     BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    loaned_at   DATETIME NOT NULL,
    due_at      DATETIME NOT NULL,
    returned_at DATETIME NULL,
    renewals    BIGINT NOT NULL DEFAULT 0,
    -- At most one open loan per copy, whatever the application does (MariaDB has no partial
    -- indexes; a generated column that is NULL for returned loans does the same).
    open_copy_id BIGINT AS (IF(returned_at IS NULL, copy_id, NULL)) PERSISTENT,
    UNIQUE KEY loans_one_open_per_copy (open_copy_id),
    KEY loans_copy (copy_id),
    KEY loans_member (member_id, returned_at),
    KEY loans_due (returned_at, due_at),
    CONSTRAINT loans_copy_fk FOREIGN KEY (copy_id) REFERENCES copies (id),
    CONSTRAINT loans_member_fk FOREIGN KEY (member_id) REFERENCES members (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE holds (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    book_id     BIGINT NOT NULL,
    member_id   BIGINT NOT NULL,
    status      VARCHAR(16) NOT NULL,
    copy_id     BIGINT NULL,
    pickup_by   DATE NULL,
    created_at  DATETIME NOT NULL,
    resolved_at DATETIME NULL,
    KEY holds_book (book_id, status, id),
    KEY holds_member (member_id, status),
    CONSTRAINT holds_book_fk FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE,
    CONSTRAINT holds_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE,
    CONSTRAINT holds_copy_fk FOREIGN KEY (copy_id) REFERENCES copies (id) ON DELETE SET NULL,
    CONSTRAINT holds_status CHECK (status IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE fines (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    member_id   BIGINT NOT NULL,
    loan_id     BIGINT NULL,
    amount      BIGINT NOT NULL,
    reason      VARCHAR(16) NOT NULL,
    status      VARCHAR(16) NOT NULL,
    note        VARCHAR(200) NULL,
    created_at  DATETIME NOT NULL,
    resolved_at DATETIME NULL,
    UNIQUE KEY fines_once_per_loan (loan_id, reason),
    KEY fines_member (member_id, status),
    CONSTRAINT fines_member_fk FOREIGN KEY (member_id) REFERENCES members (id),
    CONSTRAINT fines_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id),
    CONSTRAINT fines_amount CHECK (amount >= 0),
    CONSTRAINT fines_status CHECK (status IN ('unpaid', 'paid', 'waived'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE closed_days (
    day    DATE NOT NULL PRIMARY KEY,
    reason VARCHAR(200) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE audit_log (
    id        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at        DATETIME NOT NULL,
    actor     VARCHAR(32) NOT NULL,
    action    VARCHAR(64) NOT NULL,
    entity    VARCHAR(32) NOT NULL,
    entity_id BIGINT NULL,
    detail    TEXT NOT NULL,
    KEY audit_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
