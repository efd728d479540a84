-- When a checkpoint was published for witnesses to cosign (NULL: not published).
ALTER TABLE checkpoints ADD COLUMN published_at TEXT;
-- Witnesses whose cosignatures the log accepts: the projection of `witness.add` entries.
CREATE TABLE witnesses (
    name TEXT PRIMARY KEY,
    vkey TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
-- Cosignatures (C2SP tlog-cosignature) received for published checkpoints.
CREATE TABLE cosignatures (
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    time BIGINT NOT NULL,
    line TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);
