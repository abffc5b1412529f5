-- First start in the page (issue #32): where the admin's guided first start stands. A library
-- that exists already is `done`; the first admin created with a generated password starts it
-- at `password` (store: ensure_admin). Steps: password, identity, rules, move_in, done.
CREATE TABLE first_start (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    step       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO first_start (id, step, updated_at) VALUES (1, 'done', '2026-12-15T00:00:00+00:00');
