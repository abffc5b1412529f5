-- The loan rules of issue 11: overdue grace, lost and damaged charges, copy prices, part payments.

-- Days an overdue loan is tolerated before it stops borrowing and renewing (0: from the first day).
ALTER TABLE categories ADD COLUMN overdue_grace_days INTEGER NOT NULL DEFAULT 0;
-- Rupiah charged for a lost copy without a price of its own, and for a copy returned damaged.
ALTER TABLE categories ADD COLUMN lost_charge INTEGER NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN damage_charge INTEGER NOT NULL DEFAULT 0;

-- What the copy cost, in rupiah (NULL: not known); a lost copy is charged at its price.
ALTER TABLE copies ADD COLUMN price INTEGER CHECK (price IS NULL OR price >= 0);

-- Rupiah paid so far on a fine; it is `paid` once this reaches the amount.
ALTER TABLE fines ADD COLUMN paid INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0);

-- Every payment, for its receipt.
CREATE TABLE fine_payments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fine_id     INTEGER NOT NULL REFERENCES fines (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    paid_at     TEXT NOT NULL,
    received_by TEXT NOT NULL
);
CREATE INDEX fine_payments_fine ON fine_payments (fine_id);
