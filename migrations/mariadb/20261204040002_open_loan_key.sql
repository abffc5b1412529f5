-- One open loan per copy, kept by a unique index whose entries stay inside each copy's own range
-- (issue 17: independent desks deadlocked). The old key, `open_copy_id` (the copy's id while the
-- loan is open, NULL once returned), put every returned loan under NULL, so a copy's entries
-- were adjacent to the next copy's: the duplicate check of a new loan (which locks the records
-- with its key and the gap before the first of them) locked the gap where the copy before it
-- inserts, and two desks lending different copies waited on each other. Keyed (copy_id,
-- open_flag), a copy's returned loans (open_flag NULL) sit between its open one and the copy
-- before it, so one copy's check never locks where another copy inserts.
ALTER TABLE loans
    DROP INDEX loans_one_open_per_copy,
    DROP COLUMN open_copy_id,
    ADD COLUMN open_flag TINYINT AS (IF(returned_at IS NULL, 1, NULL)) PERSISTENT,
    ADD UNIQUE KEY loans_one_open_per_copy (copy_id, open_flag);
