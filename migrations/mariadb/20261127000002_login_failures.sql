-- Failed logins, to slow down password guessing across every replica.
CREATE TABLE login_failures (
    id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    address  VARCHAR(64) NOT NULL,
    at       DATETIME NOT NULL,
    KEY login_failures_username (username, at),
    KEY login_failures_address (address, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
