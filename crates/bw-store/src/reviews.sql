-- Post-incident reviews (`review.*`; docs/GOVERNANCE.md): each review's document as
-- `bw_core::review::Reviews` keeps it (id: the journal index of its `review.open` or
-- `review.import`), written after each action; `verify` rebuilds them by applying the same
-- actions with the same function.
CREATE TABLE reviews (
    id BIGINT PRIMARY KEY,
    doc TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
