-- Answers to ingestion requests sent with an `Idempotency-Key`, per caller: a retry with the
-- same key gets the first answer again. Operational state: not journaled, not verified.
CREATE TABLE idempotency_keys (
    user_name TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (user_name, idem_key)
);
