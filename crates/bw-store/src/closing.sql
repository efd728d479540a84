-- Year-end closing (年终结转): one row per closed year with its report (each indicator's
-- balance and what became of it, as JSON) and totals; the projection of `year.close`. The
-- carried-over balances are the next year's indicators, imported in the same step.
CREATE TABLE closings (
    year INTEGER PRIMARY KEY,
    report TEXT NOT NULL,
    carried BIGINT NOT NULL,
    recovered BIGINT NOT NULL,
    journal_idx BIGINT NOT NULL
);
