-- People who log in: the projection of `user.add` entries.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    unit_code TEXT,
    journal_idx BIGINT NOT NULL
);
-- Roles held on a subtree of the organisation (`user.grant`; `user.revoke` sets revoked_idx).
CREATE TABLE grants (
    journal_idx BIGINT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    until TEXT,
    revoked_idx BIGINT
);
CREATE INDEX grants_user ON grants (user_name);
-- API tokens for machines (`token.issue`, `token.revoke`): the SHA-256 of the secret only.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    secret_sha256 {BLOB} NOT NULL,
    scopes TEXT NOT NULL,
    until TEXT,
    revoked_idx BIGINT,
    journal_idx BIGINT NOT NULL
);
CREATE UNIQUE INDEX api_tokens_secret ON api_tokens (secret_sha256);
-- Operational state, not records (not journaled, not verified): password hashes (Argon2id,
-- never in the journal, which is served as proofs), failed log-ins and lockouts, sessions.
CREATE TABLE credentials (
    user_name TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    failures BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
CREATE TABLE sessions (
    secret_sha256 {BLOB} PRIMARY KEY,
    user_name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
