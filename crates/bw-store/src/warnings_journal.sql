-- The warnings a commit raised or changed are read back by the journal range it wrote, to
-- answer the requests it carried.
CREATE INDEX warnings_journal ON warnings (journal_idx);
