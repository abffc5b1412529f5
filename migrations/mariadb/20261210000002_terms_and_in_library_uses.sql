-- Terms (semesters) in the calendar (issue #30): a loan rule may fall due at the end of the term
-- that contains the day of the loan.
CREATE TABLE terms (
    id        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name      VARCHAR(200) NOT NULL,
    starts_on DATE NOT NULL,
    ends_on   DATE NOT NULL,
    KEY terms_ends_on (ends_on),
    CONSTRAINT terms_order CHECK (starts_on <= ends_on)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE loan_rules ADD COLUMN due_end_of_term BOOLEAN NOT NULL DEFAULT FALSE;

-- In-library use ("baca di tempat"): a copy read in the library, recorded at the desk; never a
-- loan, never a change of the copy's status. The collection type is the copy's at the time.
CREATE TABLE in_library_uses (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    copy_id         BIGINT NOT NULL,
    member_id       BIGINT NULL,
    collection_type VARCHAR(32) NULL,
    used_at         DATETIME NOT NULL,
    recorded_by     VARCHAR(100) NOT NULL,
    KEY in_library_uses_used_at (used_at),
    CONSTRAINT in_library_uses_copy_fk FOREIGN KEY (copy_id) REFERENCES copies (id) ON DELETE CASCADE,
    CONSTRAINT in_library_uses_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
