-- Collection types (issue #30): how a school keeps its collection apart (fiction, reference,
-- textbooks, ...). Admin-defined, seeded with the usual ones. A type that is not `loanable`
-- (Referensi) is read in the library only: no rule of the matrix lends it.
CREATE TABLE collection_types (
    code     VARCHAR(32) NOT NULL PRIMARY KEY,
    name     VARCHAR(200) NOT NULL,
    loanable BOOLEAN NOT NULL DEFAULT TRUE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO collection_types (code, name, loanable) VALUES
    ('fiksi', 'Fiksi', TRUE),
    ('nonfiksi', 'Nonfiksi', TRUE),
    ('referensi', 'Referensi', FALSE),
    ('paket', 'Buku Paket', TRUE),
    ('berkala', 'Terbitan Berkala', TRUE),
    ('av', 'Audio-Visual', TRUE);

-- The book's type, and a copy's own type overriding it; none = lent as before types existed.
ALTER TABLE books ADD COLUMN collection_type VARCHAR(32) NULL,
    ADD CONSTRAINT books_collection_type_fk FOREIGN KEY (collection_type) REFERENCES collection_types (code);
ALTER TABLE copies ADD COLUMN collection_type VARCHAR(32) NULL,
    ADD CONSTRAINT copies_collection_type_fk FOREIGN KEY (collection_type) REFERENCES collection_types (code);

-- The loan-rule matrix: member category x collection type. A NULL column takes the category's
-- own rule (the default row), so no row at all lends as before.
CREATE TABLE loan_rules (
    category        VARCHAR(32) NOT NULL,
    collection_type VARCHAR(32) NOT NULL,
    lendable        BOOLEAN NOT NULL DEFAULT TRUE,
    loan_days       BIGINT NULL,
    max_loans       BIGINT NULL,
    max_renewals    BIGINT NULL,
    fine_per_day    BIGINT NULL,
    fine_grace_days BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (category, collection_type),
    CONSTRAINT loan_rules_category_fk FOREIGN KEY (category) REFERENCES categories (code) ON DELETE CASCADE,
    CONSTRAINT loan_rules_type_fk FOREIGN KEY (collection_type) REFERENCES collection_types (code) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
