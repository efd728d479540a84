-- Interior hashes of the journal's Merkle tree as C2SP tlog-tiles (see bw-ledger's merkle
-- module): tile level, tile index, up to 256 concatenated 32-byte hashes.
CREATE TABLE merkle_tiles (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hashes {BLOB} NOT NULL,
    PRIMARY KEY (level, idx)
);
-- How many leaves the tiles cover; equal to the journal size after every commit.
ALTER TABLE journal_head ADD COLUMN tiled BIGINT NOT NULL DEFAULT 0;
