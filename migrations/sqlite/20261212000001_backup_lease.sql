-- The lease of the daily backups: one replica writes them (and prunes old ones) at a time.
INSERT INTO leases (name, holder, expires_at) VALUES ('backups', NULL, '1970-01-01T00:00:00+00:00');
