-- Collection types (issue #30): how a school keeps its collection apart (fiction, reference,
-- textbooks, ...). Admin-defined, seeded with the usual ones. A type that is not `loanable`
-- (Referensi) is read in the library only: no rule of the matrix lends it.
CREATE TABLE collection_types (
    code     TEXT NOT NULL PRIMARY KEY,
    name     TEXT NOT NULL,
    loanable INTEGER NOT NULL DEFAULT 1
);
INSERT INTO collection_types (code, name, loanable) VALUES
    ('fiksi', 'Fiksi', 1),
    ('nonfiksi', 'Nonfiksi', 1),
    ('referensi', 'Referensi', 0),
    ('paket', 'Buku Paket', 1),
    ('berkala', 'Terbitan Berkala', 1),
    ('av', 'Audio-Visual', 1);

-- The book's type, and a copy's own type overriding it; none = lent as before types existed.
ALTER TABLE books ADD COLUMN collection_type TEXT NULL REFERENCES collection_types (code);
ALTER TABLE copies ADD COLUMN collection_type TEXT NULL REFERENCES collection_types (code);

-- The loan-rule matrix: member category x collection type. A NULL column takes the category's
-- own rule (the default row), so no row at all lends as before.
CREATE TABLE loan_rules (
    category        TEXT NOT NULL REFERENCES categories (code) ON DELETE CASCADE,
    collection_type TEXT NOT NULL REFERENCES collection_types (code) ON DELETE CASCADE,
    lendable        INTEGER NOT NULL DEFAULT 1,
    loan_days       INTEGER NULL,
    max_loans       INTEGER NULL,
    max_renewals    INTEGER NULL,
    fine_per_day    INTEGER NULL,
    fine_grace_days INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (category, collection_type)
);
