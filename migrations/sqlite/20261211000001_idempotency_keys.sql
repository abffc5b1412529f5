-- Idempotency keys (issue #33): a write sent with `Idempotency-Key` is remembered here per caller,
-- so the same key again answers what the first request answered instead of doing the work twice,
-- on any replica and after a restart. The row is reserved (status NULL) before the work and filled
-- with the answer after it; see src/http/idempotency.rs for the rules.
CREATE TABLE idempotency_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Whose key: `user:<account id>`.
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    -- SHA-256 (hex) of the method, path and query, and body: the same key with another request is refused.
    request_hash TEXT NOT NULL,
    -- NULL while the first request is at work.
    status       INTEGER NULL,
    content_type TEXT NULL,
    location     TEXT NULL,
    body         TEXT NULL,
    -- 0 when the answer was too large or not text, so only its status is kept.
    body_kept    INTEGER NOT NULL DEFAULT 0,
    reserved_at  TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX idempotency_keys_scope_key ON idempotency_keys (scope, idem_key);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
