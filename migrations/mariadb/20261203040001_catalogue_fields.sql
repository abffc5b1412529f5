-- Catalogue fields that imports from SLiMS and spreadsheets carry (issue #13).
-- identifiers: JSON array of other identifiers kept as given (ISSN, an ISBN that is not valid).
-- source_id: where an imported record came from (e.g. `slims:42`), so that an import run twice
-- finds what it brought the first time.
ALTER TABLE books
    ADD COLUMN edition VARCHAR(200) NULL,
    ADD COLUMN call_number VARCHAR(200) NULL,
    ADD COLUMN classification VARCHAR(200) NULL,
    ADD COLUMN collation VARCHAR(200) NULL,
    ADD COLUMN series VARCHAR(200) NULL,
    ADD COLUMN notes TEXT NULL,
    ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN source_id VARCHAR(200) NULL,
    ADD UNIQUE KEY books_source_id (source_id);
-- A member's number in the system they were imported from (their old card, a student number).
ALTER TABLE members
    ADD COLUMN source_id VARCHAR(200) NULL,
    ADD UNIQUE KEY members_source_id (source_id);
