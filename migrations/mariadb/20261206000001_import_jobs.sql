-- The page's imports run as background jobs (issue #13): the job's state lives here, in the
-- database, so that any replica can answer a poll about a job another replica runs. Rows the
-- command line writes (`pustaka import`) have no `what` and stay `done`: they are import runs
-- for label printing, not jobs. A dry run is a job too (a row with dry_run = 1 and never any
-- copies, so `GET /print/imports`, which lists runs with copies, never shows it).
ALTER TABLE imports
    ADD COLUMN what VARCHAR(16) NULL,
    ADD COLUMN dry_run BOOLEAN NOT NULL DEFAULT FALSE,
    -- running | done | failed | interrupted (a running job whose heartbeat stopped reads as
    -- interrupted before anything writes it so).
    ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'done',
    ADD COLUMN stage VARCHAR(32) NULL,
    ADD COLUMN rows_done BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN rows_total BIGINT NOT NULL DEFAULT 0,
    -- The finished job's report (JSON), or why it failed.
    ADD COLUMN report LONGTEXT NULL,
    ADD COLUMN error TEXT NULL,
    -- The heartbeat: written about every second while the job runs.
    ADD COLUMN updated_at DATETIME NULL,
    ADD COLUMN finished_at DATETIME NULL,
    -- 1 while an import that writes runs, else NULL: the unique key lets one run at a time.
    ADD COLUMN writing TINYINT NULL,
    ADD UNIQUE KEY imports_one_writing (writing),
    ADD KEY imports_jobs (what, id);
