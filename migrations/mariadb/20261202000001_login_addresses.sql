-- Login throttling counts per (account, address) and per address. One row per client address
-- that tried to log in: an attempt updates its address's row first (a row lock held until it
-- commits), so that attempts from one address are counted one after the other on every replica.
CREATE TABLE login_addresses (
    address VARCHAR(64) NOT NULL PRIMARY KEY,
    at      DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
CREATE INDEX login_failures_address_username ON login_failures (address, username, at);
-- Pruning old rows (the minute task) reads a range instead of the whole table.
CREATE INDEX login_failures_at ON login_failures (at);
CREATE INDEX login_addresses_at ON login_addresses (at);
