-- Macro-economic figures (宏观指标: CPI, GDP growth, …) by period and region, imported with
-- the `macro_indicators` template; the value is kept as its canonical decimal text.
CREATE TABLE macro_indicators (
    period TEXT NOT NULL,
    year INTEGER NOT NULL,
    region_code TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    record_hash {BLOB} NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (period, region_code, name)
);
