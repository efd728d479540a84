-- Emergency cases (应急处置): opened by an overspend above 10 %, a revenue shortfall of three
-- month-ends, or an external event entered by finance; a report is due in 24 hours and a
-- temporary adjustment plan in 72 (clock hours). The projection of `emergency.*` entries.
CREATE TABLE emergencies (
    id BIGINT PRIMARY KEY,
    cause TEXT NOT NULL,
    warning_id BIGINT,
    title TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    report_by TEXT NOT NULL,
    plan_by TEXT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
