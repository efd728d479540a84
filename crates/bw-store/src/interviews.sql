-- Interviews (约谈) of the heads of the departments at the bottom of a year's performance
-- ladder, scheduled when next year's proposal is made; the projection of
-- `interview.schedule` entries.
CREATE TABLE interviews (
    year INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    due_on TEXT NOT NULL,
    journal_idx BIGINT NOT NULL,
    PRIMARY KEY (year, department_code)
);
