-- A member's reading privacy (#34): `keep_history` off hides their past loans and in-library
-- reads from their own history (the loans stay: circulation, fines and reports need them);
-- `in_popular` off leaves their loans out of the public "most borrowed".
ALTER TABLE members
    ADD COLUMN keep_history BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN in_popular BOOLEAN NOT NULL DEFAULT TRUE;
