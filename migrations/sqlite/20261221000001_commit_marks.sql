-- The table of MariaDB's migration of the same name, for the same schema on both backends. SQLite
-- runs in the service's own process and never loses a connection during a COMMIT: nothing is
-- written here.
CREATE TABLE commit_marks (
    id INTEGER NOT NULL PRIMARY KEY,
    at TEXT NOT NULL
);
CREATE INDEX commit_marks_at ON commit_marks (at);
