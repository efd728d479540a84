-- Performance (docs/PERFORMANCE.md): each project's KPIs of a year with the values reached,
-- its evaluations (the unit's own, a third party's), and departments' public-satisfaction
-- scores. Projections of `kpi.set`, `kpi.actual`, `evaluation.record` and
-- `satisfaction.record`; a KPI's target and value are in thousandths, scores in tenths.
CREATE TABLE kpis (
    year INTEGER NOT NULL,
    project_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    direction TEXT NOT NULL,
    target BIGINT NOT NULL,
    weight INTEGER NOT NULL,
    actual BIGINT,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, project_code, code)
);
CREATE TABLE evaluations (
    year INTEGER NOT NULL,
    project_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    score BIGINT NOT NULL,
    evaluator TEXT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, project_code, kind)
);
CREATE TABLE satisfaction (
    year INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    score BIGINT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, department_code)
);
