-- Other numbers a member is known by (issue #28): a SLiMS member id, a school's NIS or the
-- national NISN, an old card. The desk, the kiosk and the member search take them like the
-- Pustaka card, so cards already printed keep working. Stored upper-cased; one number belongs to
-- one member whatever its kind.
CREATE TABLE member_numbers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('slims', 'nis', 'nisn', 'old_card')),
    number     TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX member_numbers_member ON member_numbers (member_id);

-- A student's date of birth: with their name, how a corrected class list finds a student who
-- has no NIS or NISN in it.
ALTER TABLE members ADD COLUMN birth_date TEXT NULL;
