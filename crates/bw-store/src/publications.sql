-- The installation key's signature over a checkpoint's publication (its size and time), so
-- that `published_at` cannot be changed or erased undetected (docs/LEDGER.md).
ALTER TABLE checkpoints ADD COLUMN published_sig TEXT;
