-- Terms (semesters) in the calendar (issue #30): a loan rule may fall due at the end of the term
-- that contains the day of the loan.
CREATE TABLE terms (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name      TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on   TEXT NOT NULL,
    CHECK (starts_on <= ends_on)
);
CREATE INDEX terms_ends_on ON terms (ends_on);

ALTER TABLE loan_rules ADD COLUMN due_end_of_term INTEGER NOT NULL DEFAULT 0;

-- In-library use ("baca di tempat"): a copy read in the library, recorded at the desk; never a
-- loan, never a change of the copy's status. The collection type is the copy's at the time.
CREATE TABLE in_library_uses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    copy_id         INTEGER NOT NULL REFERENCES copies (id) ON DELETE CASCADE,
    member_id       INTEGER NULL REFERENCES members (id) ON DELETE SET NULL,
    collection_type TEXT NULL,
    used_at         TEXT NOT NULL,
    recorded_by     TEXT NOT NULL
);
CREATE INDEX in_library_uses_used_at ON in_library_uses (used_at);
