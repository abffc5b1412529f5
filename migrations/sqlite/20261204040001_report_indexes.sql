-- Reports (issue 15) read a date range of loans, fines, payments and new copies: each by an
-- index on its date (new copies: `copies_created`, from 20261204020001_print), so a
-- semester's report reads that semester's rows, not the whole history.
CREATE INDEX loans_loaned ON loans (loaned_at, member_id, copy_id);
CREATE INDEX fines_created ON fines (created_at);
CREATE INDEX fines_resolved ON fines (resolved_at);
CREATE INDEX fine_payments_paid ON fine_payments (paid_at);
