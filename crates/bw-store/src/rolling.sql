-- Three-year rolling plans (三年滚动预算): per project, the plan made in `plan_year` for that
-- year and the two after it. The projection of `rolling.plan` entries.
CREATE TABLE rolling_plans (
    plan_year INTEGER NOT NULL,
    project_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (plan_year, project_code, year)
);
