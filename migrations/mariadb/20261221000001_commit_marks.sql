-- Which write transactions committed, for the one case where the service cannot otherwise know:
-- its connection was lost while the COMMIT was under way (a Galera writer or a database proxy
-- killed at that moment). Each write transaction adds its own random id here just before its
-- COMMIT (crates/store/src/db.rs, `Tx::commit_marked`); after such a loss the id is looked for on a
-- new connection: there, the transaction committed and its answer is given; absent, it did not,
-- and it runs again. Marks older than ten minutes are deleted by the minute's chores. Not backed up.
CREATE TABLE commit_marks (
    id BIGINT NOT NULL PRIMARY KEY,
    at DATETIME NOT NULL
) ENGINE = InnoDB;
CREATE INDEX commit_marks_at ON commit_marks (at);
