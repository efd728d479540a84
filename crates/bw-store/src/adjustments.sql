-- Budget adjustments (预算调整) during execution: the request's report form (reason,
-- financial impact, alternatives), the indicator's amount before, and the journal entry that
-- applied it (an automatic approval of a routine one, or the decision that approved it last).
-- The indicator's amount itself is updated in `indicators` by the same entry.
CREATE TABLE adjustments (
    item_id BIGINT PRIMARY KEY,
    year INTEGER NOT NULL,
    indicator_code TEXT NOT NULL,
    delta BIGINT NOT NULL,
    before_amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    impact TEXT NOT NULL,
    alternatives TEXT NOT NULL,
    rule TEXT,
    applied_idx BIGINT
);
