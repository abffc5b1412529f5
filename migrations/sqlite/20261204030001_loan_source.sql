-- Where an imported loan came from (e.g. `slims:42`, SLiMS's loan id), so that an import run again
-- knows the loans it brought over, even those returned in Pustaka since (issue #13).
ALTER TABLE loans ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX loans_source_id ON loans (source_id);
