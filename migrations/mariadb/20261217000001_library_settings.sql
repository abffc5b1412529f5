-- Settings edited in the page (issue #32): the library's time zone, the page's default language,
-- the SMTP server notices go through. One row per setting that was set; a setting without a row
-- takes its default. An environment variable, where set, pins a setting over its row.
CREATE TABLE library_settings (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
-- Secrets among them (the SMTP password), kept apart so that backups leave them out: they are
-- stored as given (the mailer needs them in clear) and are never answered by the API.
CREATE TABLE library_secrets (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
