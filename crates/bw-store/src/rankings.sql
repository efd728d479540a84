-- Departments' performance rankings published on the portal (绩效排名公开): the year's ladder
-- as finance published it, with each department's name, result, grade and rung. The
-- projection of `performance.publish` entries; publishing again replaces the year's.
CREATE TABLE rankings (
    year INTEGER PRIMARY KEY,
    ranking TEXT NOT NULL,
    published_at TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
