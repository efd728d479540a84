-- Major matters (`matter.*`; docs/GOVERNANCE.md): each matter's document as
-- `bw_core::matter::Matters` keeps it (id: the journal index of its `matter.submit` or
-- `matter.oral`), written after each action; `verify` rebuilds them by applying the same
-- actions with the same function.
CREATE TABLE matters (
    id BIGINT PRIMARY KEY,
    doc TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
