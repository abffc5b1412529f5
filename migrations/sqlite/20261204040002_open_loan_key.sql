-- MariaDB re-keys its one-open-loan-per-copy index here (see its migration of the same name);
-- SQLite's partial unique index (copy_id WHERE returned_at IS NULL) has one writer and no gap
-- locks, so nothing changes.
SELECT 1;
