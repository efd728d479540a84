-- Inquiry letters (问询单) sent on a warning and their answers, each with its own deadline:
-- the projection of `inquiry.send` and `inquiry.answer` entries.
CREATE TABLE inquiries (
    id BIGINT PRIMARY KEY,
    warning_id BIGINT NOT NULL,
    question TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at TEXT,
    journal_idx BIGINT NOT NULL
);
CREATE INDEX inquiries_warning ON inquiries (warning_id);
