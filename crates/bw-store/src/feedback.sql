-- The public's feedback (`feedback.submit`, `feedback.answer`): comments on budgets and
-- media inquiries, the latter due within 10 working days.
CREATE TABLE feedback (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    asked_on TEXT NOT NULL,
    due_on TEXT,
    answer TEXT,
    answered_by TEXT,
    answered_idx BIGINT
);
CREATE INDEX feedback_due ON feedback (kind, answered_idx, due_on);
