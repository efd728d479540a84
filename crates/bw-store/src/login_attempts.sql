-- Log-in throttling: failed attempts counted per key (an account, a source address, or the
-- pair) and when the last was counted. Operational, outside the proof (docs/LEDGER.md).
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
