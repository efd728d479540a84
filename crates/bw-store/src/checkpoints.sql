-- Installation facts fixed at creation (the log's origin, the verifier key).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A signed checkpoint (C2SP signed-note around a tlog-checkpoint) after every commit.
CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    root {BLOB} NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
