-- Approval routes as data (审批流程): the steps of each route as finance set them last
-- (JSON, `bw_core::budget::Workflows`); none stored means the shipped routes. The
-- projection of `workflow.set` entries.
CREATE TABLE workflows (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
