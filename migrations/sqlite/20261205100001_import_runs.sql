-- Each import run that writes (not a dry run) gets a row here, and the copies it adds carry its
-- id, so that the labels of "a whole import" can be printed (issue #14).
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor      TEXT NOT NULL,
    started_at TEXT NOT NULL
);
ALTER TABLE copies ADD COLUMN import_id INTEGER NULL REFERENCES imports (id);
CREATE INDEX copies_import ON copies (import_id);
