-- Informal communications (`informal.record`, docs/GOVERNANCE.md): when each happened and was
-- recorded (RFC 3339, UTC), by whom, how, with whom (JSON array), what for, the conclusion,
-- the budget item concerned, and whether it was recorded late (more than 24 hours after).
CREATE TABLE informal_records (
    id BIGINT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    channel TEXT NOT NULL,
    participants TEXT NOT NULL,
    purpose TEXT NOT NULL,
    conclusion TEXT NOT NULL,
    year INTEGER,
    indicator_code TEXT,
    project_code TEXT,
    late INTEGER NOT NULL,
    journal_idx BIGINT NOT NULL
);
