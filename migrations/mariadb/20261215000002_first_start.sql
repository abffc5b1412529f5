-- First start in the page (issue #32): where the admin's guided first start stands. A library
-- that exists already is `done`; the first admin created with a generated password starts it
-- at `password` (store: ensure_admin). Steps: password, identity, rules, move_in, done.
CREATE TABLE first_start (
    id         BIGINT NOT NULL PRIMARY KEY,
    step       VARCHAR(16) NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT first_start_one CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO first_start (id, step, updated_at) VALUES (1, 'done', '2026-12-15 00:00:00');
