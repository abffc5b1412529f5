-- The page's imports run as background jobs (issue #13): the job's state lives here, in the
-- database, so that any replica can answer a poll about a job another replica runs. Rows the
-- command line writes (`pustaka import`) have no `what` and stay `done`: they are import runs
-- for label printing, not jobs. A dry run is a job too (a row with dry_run = 1 and never any
-- copies, so `GET /print/imports`, which lists runs with copies, never shows it).
ALTER TABLE imports ADD COLUMN what TEXT NULL;
ALTER TABLE imports ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
-- running | done | failed | interrupted (a running job whose heartbeat stopped reads as
-- interrupted before anything writes it so).
ALTER TABLE imports ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
ALTER TABLE imports ADD COLUMN stage TEXT NULL;
ALTER TABLE imports ADD COLUMN rows_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN rows_total INTEGER NOT NULL DEFAULT 0;
-- The finished job's report (JSON), or why it failed.
ALTER TABLE imports ADD COLUMN report TEXT NULL;
ALTER TABLE imports ADD COLUMN error TEXT NULL;
-- The heartbeat: written about every second while the job runs.
ALTER TABLE imports ADD COLUMN updated_at TEXT NULL;
ALTER TABLE imports ADD COLUMN finished_at TEXT NULL;
-- 1 while an import that writes runs, else NULL: the unique index lets one run at a time.
ALTER TABLE imports ADD COLUMN writing INTEGER NULL;
CREATE UNIQUE INDEX imports_one_writing ON imports (writing);
CREATE INDEX imports_jobs ON imports (what, id);
