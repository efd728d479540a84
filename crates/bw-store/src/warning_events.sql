-- Each step of a warning's loop (explanation, judgement, plan, rectification, verification,
-- dismissal): the projection of `warning.step` entries.
CREATE TABLE warning_events (
    journal_idx BIGINT PRIMARY KEY,
    warning_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL,
    attachments TEXT NOT NULL,
    returned BIGINT NOT NULL
);
CREATE INDEX warning_events_warning ON warning_events (warning_id);
