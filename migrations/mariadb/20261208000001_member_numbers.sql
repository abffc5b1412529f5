-- Other numbers a member is known by (issue #28): a SLiMS member id, a school's NIS or the
-- national NISN, an old card. The desk, the kiosk and the member search take them like the
-- Pustaka card, so cards already printed keep working. Stored upper-cased; one number belongs to
-- one member whatever its kind.
CREATE TABLE member_numbers (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    member_id  BIGINT NOT NULL,
    kind       VARCHAR(16) NOT NULL,
    number     VARCHAR(40) NOT NULL,
    created_at DATETIME NOT NULL,
    UNIQUE KEY member_numbers_number (number),
    KEY member_numbers_member (member_id),
    CONSTRAINT member_numbers_member_fk FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE,
    CONSTRAINT member_numbers_kind CHECK (kind IN ('slims', 'nis', 'nisn', 'old_card'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A student's date of birth: with their name, how a corrected class list finds a student who
-- has no NIS or NISN in it.
ALTER TABLE members ADD COLUMN birth_date DATE NULL;
