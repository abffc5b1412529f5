-- The reading programme (Gerakan Literasi Sekolah, #34): a target of books per student for a
-- term, and the classes a teacher's account may see. The `reading` permission opens the
-- programme's reports; an account with it but without `reports` sees only its own classes.
CREATE TABLE reading_targets (
    term_id    BIGINT NOT NULL PRIMARY KEY,
    books      BIGINT NOT NULL,
    updated_at DATETIME NOT NULL,
    CONSTRAINT reading_targets_term FOREIGN KEY (term_id) REFERENCES terms (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
CREATE TABLE teacher_classes (
    user_id BIGINT NOT NULL,
    grade   VARCHAR(20) NOT NULL,
    PRIMARY KEY (user_id, grade),
    CONSTRAINT teacher_classes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
UPDATE roles SET permissions = CONCAT(permissions, ' reading') WHERE code IN ('admin', 'librarian', 'reports_only');
INSERT INTO roles (code, name, permissions, builtin, updated_at)
    VALUES ('guru', 'Guru', 'reading', TRUE, '2026-12-20 00:00:00');
-- A member's reading list: books they want to read (their own; staff may see and help).
CREATE TABLE reading_list (
    member_id BIGINT NOT NULL,
    book_id   BIGINT NOT NULL,
    added_at  DATETIME NOT NULL,
    PRIMARY KEY (member_id, book_id),
    CONSTRAINT reading_list_member FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE,
    CONSTRAINT reading_list_book FOREIGN KEY (book_id) REFERENCES books (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
