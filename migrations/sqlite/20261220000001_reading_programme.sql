-- The reading programme (Gerakan Literasi Sekolah, #34): a target of books per student for a
-- term, and the classes a teacher's account may see. The `reading` permission opens the
-- programme's reports; an account with it but without `reports` sees only its own classes.
CREATE TABLE reading_targets (
    term_id    INTEGER NOT NULL PRIMARY KEY REFERENCES terms (id) ON DELETE CASCADE,
    books      INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE teacher_classes (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grade   TEXT NOT NULL,
    PRIMARY KEY (user_id, grade)
);
UPDATE roles SET permissions = permissions || ' reading' WHERE code IN ('admin', 'librarian', 'reports_only');
INSERT INTO roles (code, name, permissions, builtin, updated_at)
    VALUES ('guru', 'Guru', 'reading', 1, '2026-12-20T00:00:00+00:00');
-- A member's reading list: books they want to read (their own; staff may see and help).
CREATE TABLE reading_list (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    book_id   INTEGER NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (member_id, book_id)
);
