-- Budget preparation and approval (docs/BUDGET.md): each fiscal year's cycle, the control
-- totals of a top-down year, units' drafts as numbered versions, and the approval items
-- with their steps. Projections of `cycle.*`, `control.set`, `draft.save` and
-- `approval.*` entries; an item's steps are stored as the entry that last changed them
-- recorded them.
CREATE TABLE budget_cycles (
    year INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    stage TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
CREATE TABLE control_totals (
    year INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    amount BIGINT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, department_code)
);
CREATE TABLE budget_drafts (
    year INTEGER NOT NULL,
    unit_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    lines TEXT NOT NULL,
    total BIGINT NOT NULL,
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, unit_code, version)
);
CREATE TABLE approval_items (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    unit_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    route TEXT NOT NULL,
    prepared_by TEXT NOT NULL,
    state TEXT NOT NULL,
    steps TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
CREATE INDEX approval_items_unit ON approval_items (year, unit_code);
