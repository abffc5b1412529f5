-- The loan rules of issue 11: overdue grace, lost and damaged charges, copy prices, part payments.

-- Days an overdue loan is tolerated before it stops borrowing and renewing (0: from the first day).
ALTER TABLE categories ADD COLUMN overdue_grace_days BIGINT NOT NULL DEFAULT 0;
-- Rupiah charged for a lost copy without a price of its own, and for a copy returned damaged.
ALTER TABLE categories ADD COLUMN lost_charge BIGINT NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN damage_charge BIGINT NOT NULL DEFAULT 0;

-- What the copy cost, in rupiah (NULL: not known); a lost copy is charged at its price.
ALTER TABLE copies ADD COLUMN price BIGINT NULL, ADD CONSTRAINT copies_price CHECK (price IS NULL OR price >= 0);

-- Rupiah paid so far on a fine; it is `paid` once this reaches the amount.
ALTER TABLE fines ADD COLUMN paid BIGINT NOT NULL DEFAULT 0, ADD CONSTRAINT fines_paid CHECK (paid >= 0);

-- Every payment, for its receipt.
CREATE TABLE fine_payments (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    fine_id     BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    paid_at     DATETIME NOT NULL,
    received_by VARCHAR(32) NOT NULL,
    KEY fine_payments_fine (fine_id),
    CONSTRAINT fine_payments_fine_fk FOREIGN KEY (fine_id) REFERENCES fines (id),
    CONSTRAINT fine_payments_amount CHECK (amount > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
