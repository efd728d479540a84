-- Approvers' signing keys: the public key is journaled (`key.register`); the private seed
-- is kept here only encrypted under a key derived from the approver's password (Argon2id),
-- so neither another account nor the operator can sign in the approver's name.
CREATE TABLE user_keys (
    user_name TEXT PRIMARY KEY,
    vkey TEXT NOT NULL,
    sealed_seed {BLOB} NOT NULL,
    kdf_salt {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL
);
-- Approval opinions (审核意见) on journal entries, each signed by its approver.
CREATE TABLE approvals (
    journal_idx BIGINT PRIMARY KEY,
    target_idx BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    decision TEXT NOT NULL,
    comment TEXT NOT NULL
);
