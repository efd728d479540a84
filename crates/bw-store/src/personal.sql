-- Personal values committed to in journal entries (an individual payee's name and account):
-- the entry holds SHA-256 of salt and value; the value and salt live here, beside it, so a
-- lawful erasure deletes them while every Merkle proof still verifies.
CREATE TABLE personal_data (
    journal_idx BIGINT NOT NULL,
    field TEXT NOT NULL,
    salt {BLOB} NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (journal_idx, field)
);
