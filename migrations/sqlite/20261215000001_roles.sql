-- Roles from permissions (issue #32): a role is a named set of permissions (their names
-- separated by spaces, see domain `Permission`); `users.role` names a role's code. The seeded
-- roles keep what each account could do: `admin` everything, `librarian` what librarians could.
-- `builtin` roles cannot be removed; admins add their own.
CREATE TABLE roles (
    code        TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);
INSERT INTO roles (code, name, permissions, builtin, updated_at) VALUES
    ('admin', 'Admin', 'desk catalogue members fines imports exports print reports settings backups users kiosk', 1, '2026-12-15T00:00:00+00:00'),
    ('librarian', 'Pustakawan', 'desk catalogue members fines exports print reports kiosk', 1, '2026-12-15T00:00:00+00:00'),
    ('desk_helper', 'Petugas meja', 'desk kiosk', 1, '2026-12-15T00:00:00+00:00'),
    ('cataloguer', 'Katalogisasi', 'catalogue print', 1, '2026-12-15T00:00:00+00:00'),
    ('reports_only', 'Laporan saja', 'reports', 1, '2026-12-15T00:00:00+00:00'),
    ('kiosk', 'Kios', 'kiosk', 1, '2026-12-15T00:00:00+00:00'),
    ('member', 'Anggota', '', 1, '2026-12-15T00:00:00+00:00');

-- `users.role` may now name any role: the CHECK goes. SQLite cannot drop a CHECK in place, so
-- `users` is rebuilt as in 20261204010001 (sessions kept aside and put back).
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    member_id     INTEGER UNIQUE REFERENCES members (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL
);
INSERT INTO users_new (id, username, password_hash, role, member_id, created_at)
    SELECT id, username, password_hash, role, member_id, created_at FROM users;
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0))
    WHERE name = 'users_new';
CREATE TABLE sessions_kept AS SELECT id, token_hash, user_id, created_at, expires_at, revoked_at FROM sessions;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, revoked_at)
    SELECT id, token_hash, user_id, created_at, expires_at, revoked_at FROM sessions_kept;
DROP TABLE sessions_kept;
CREATE INDEX users_role ON users (role);
