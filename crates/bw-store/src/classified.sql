-- Projects marked classified (涉密) by the bureau: their indicators and payments are shown
-- only to callers of the classified data class, never on the public portal (which counts
-- them in a line of their own). The projection of `project.classify` entries.
CREATE TABLE classified_projects (
    project_code TEXT PRIMARY KEY,
    journal_idx BIGINT NOT NULL
);
