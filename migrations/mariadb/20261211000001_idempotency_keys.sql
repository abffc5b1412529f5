-- Idempotency keys (issue #33): a write sent with `Idempotency-Key` is remembered here per caller,
-- so the same key again answers what the first request answered instead of doing the work twice,
-- on any replica and after a restart. The row is reserved (status NULL) before the work and filled
-- with the answer after it; see src/http/idempotency.rs for the rules.
CREATE TABLE idempotency_keys (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- Whose key: `user:<account id>`. Keys are compared byte for byte (utf8mb4_bin): `a` is not `A`.
    scope        VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    idem_key     VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    -- SHA-256 (hex) of the method, path and query, and body: the same key with another request is refused.
    request_hash CHAR(64) NOT NULL,
    -- NULL while the first request is at work.
    status       INT NULL,
    content_type VARCHAR(255) NULL,
    location     VARCHAR(2048) NULL,
    body         MEDIUMTEXT NULL,
    -- FALSE when the answer was too large or not text, so only its status is kept.
    body_kept    BOOLEAN NOT NULL DEFAULT FALSE,
    reserved_at  DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    UNIQUE KEY idempotency_keys_scope_key (scope, idem_key),
    KEY idempotency_keys_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
