-- Files kept with the records: images of a payment voucher's documents (invoice, contract,
-- receipt) and the region boundaries (GeoJSON) the cockpit draws its map from. The journal
-- records each file's name, type, size and SHA-256 (`document.attach`); the bytes live here
-- and `verify` checks them against the hash.
CREATE TABLE documents (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content {BLOB} NOT NULL
);
CREATE INDEX documents_subject ON documents (kind, subject);
-- Inbox filters a user saved under a name: preferences, operational state (not journaled).
CREATE TABLE saved_filters (
    user_name TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    PRIMARY KEY (user_name, name)
);
