-- Each import run that writes (not a dry run) gets a row here, and the copies it adds carry its
-- id, so that the labels of "a whole import" can be printed (issue #14).
CREATE TABLE imports (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    actor      VARCHAR(32) NOT NULL,
    started_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
ALTER TABLE copies
    ADD COLUMN import_id BIGINT NULL,
    ADD KEY copies_import (import_id),
    ADD CONSTRAINT copies_import_fk FOREIGN KEY (import_id) REFERENCES imports (id);
