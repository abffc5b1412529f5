-- Roles from permissions (issue #32): a role is a named set of permissions (their names
-- separated by spaces, see domain `Permission`); `users.role` names a role's code. The seeded
-- roles keep what each account could do: `admin` everything, `librarian` what librarians could.
-- `builtin` roles cannot be removed; admins add their own.
CREATE TABLE roles (
    code        VARCHAR(32) NOT NULL PRIMARY KEY,
    name        VARCHAR(80) NOT NULL,
    permissions VARCHAR(255) NOT NULL,
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
INSERT INTO roles (code, name, permissions, builtin, updated_at) VALUES
    ('admin', 'Admin', 'desk catalogue members fines imports exports print reports settings backups users kiosk', TRUE, '2026-12-15 00:00:00'),
    ('librarian', 'Pustakawan', 'desk catalogue members fines exports print reports kiosk', TRUE, '2026-12-15 00:00:00'),
    ('desk_helper', 'Petugas meja', 'desk kiosk', TRUE, '2026-12-15 00:00:00'),
    ('cataloguer', 'Katalogisasi', 'catalogue print', TRUE, '2026-12-15 00:00:00'),
    ('reports_only', 'Laporan saja', 'reports', TRUE, '2026-12-15 00:00:00'),
    ('kiosk', 'Kios', 'kiosk', TRUE, '2026-12-15 00:00:00'),
    ('member', 'Anggota', '', TRUE, '2026-12-15 00:00:00');

-- `users.role` may now name any role.
ALTER TABLE users DROP CONSTRAINT users_role;
ALTER TABLE users MODIFY role VARCHAR(32) NOT NULL;
CREATE INDEX users_role ON users (role);
