-- A school member's class (kelas, e.g. `7A`, `XII IPA 2`; none for a teacher), and the class a
-- member had when they visited: the visitor statistics count a visit under the class of that day,
-- so last year's figures stay as they were after the students move up a class.
ALTER TABLE members ADD COLUMN grade VARCHAR(20) NULL;
ALTER TABLE visits ADD COLUMN grade VARCHAR(20) NULL;
