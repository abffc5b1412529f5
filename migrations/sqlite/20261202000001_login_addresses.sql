-- Login throttling counts per (account, address) and per address. One row per client address
-- that tried to log in: an attempt updates its address's row first, so that attempts from one
-- address are counted one after the other on every replica.
CREATE TABLE login_addresses (
    address TEXT NOT NULL PRIMARY KEY,
    at      TEXT NOT NULL
);
CREATE INDEX login_failures_address_username ON login_failures (address, username, at);
-- Pruning old rows (the minute task) reads a range instead of the whole table.
CREATE INDEX login_failures_at ON login_failures (at);
CREATE INDEX login_addresses_at ON login_addresses (at);
