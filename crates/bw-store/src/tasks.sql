-- Graded-response tasks (分级响应): a yellow warning opens the unit's self-check, orange a
-- finance interview (约谈), red a special audit; the projection of `task.open` and
-- `task.done` entries.
CREATE TABLE response_tasks (
    id BIGINT PRIMARY KEY,
    warning_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    party TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL,
    done_by TEXT,
    done_at TEXT,
    note TEXT,
    journal_idx BIGINT NOT NULL
);
CREATE INDEX response_tasks_warning ON response_tasks (warning_id);
