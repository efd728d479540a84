-- Warnings (预警) raised by the monitoring rules: one per rule, subject and period (`wkey`);
-- the projection of `warning.raise` and `warning.update` entries.
CREATE TABLE warnings (
    id BIGINT PRIMARY KEY,
    wkey TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    rule TEXT NOT NULL,
    level TEXT NOT NULL,
    unit_code TEXT,
    indicator_code TEXT,
    region_code TEXT,
    revenue_code TEXT,
    period TEXT NOT NULL,
    vouchers TEXT NOT NULL,
    evidence TEXT NOT NULL,
    raised_on TEXT NOT NULL,
    explain_by TEXT NOT NULL,
    plan_by TEXT NOT NULL,
    state TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
CREATE INDEX warnings_year ON warnings (year, state);
