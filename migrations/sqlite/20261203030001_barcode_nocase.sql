-- Barcodes match whatever their case, like card numbers: `ab-1` and `AB-1` are one copy, so the
-- unique rule ignores case too (queries compare with `COLLATE NOCASE`, which uses this index).
-- MariaDB needs no migration: its column collation, utf8mb4_unicode_ci, already ignores case.
--
-- A copy whose barcode differed from an older copy's only in case keeps everything but its
-- barcode, which gets the suffix -DUP<id>; the audit log records each rename.
INSERT INTO audit_log (at, actor, action, entity, entity_id, detail)
SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 'system', 'copy.update', 'copy', c.id,
       'barcode ' || c.barcode || ' -> ' || c.barcode || '-DUP' || c.id
FROM copies c
WHERE EXISTS (SELECT 1 FROM copies o WHERE o.barcode = c.barcode COLLATE NOCASE AND o.id < c.id);

UPDATE copies SET barcode = barcode || '-DUP' || id
WHERE EXISTS (SELECT 1 FROM copies o WHERE o.barcode = copies.barcode COLLATE NOCASE AND o.id < copies.id);

CREATE UNIQUE INDEX copies_barcode_nocase ON copies (barcode COLLATE NOCASE);
