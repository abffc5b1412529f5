-- Catalogue fields that imports from SLiMS and spreadsheets carry (issue #13).
-- identifiers: JSON array of other identifiers kept as given (ISSN, an ISBN that is not valid).
-- source_id: where an imported record came from (e.g. `slims:42`), so that an import run twice
-- finds what it brought the first time.
ALTER TABLE books ADD COLUMN edition TEXT;
ALTER TABLE books ADD COLUMN call_number TEXT;
ALTER TABLE books ADD COLUMN classification TEXT;
ALTER TABLE books ADD COLUMN collation TEXT;
ALTER TABLE books ADD COLUMN series TEXT;
ALTER TABLE books ADD COLUMN notes TEXT;
ALTER TABLE books ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE books ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX books_source_id ON books (source_id);
-- A member's number in the system they were imported from (their old card, a student number).
ALTER TABLE members ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX members_source_id ON members (source_id);
