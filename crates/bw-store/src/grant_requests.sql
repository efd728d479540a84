-- Grants of a role at or above bureau_reviewer wait for a second person (四眼原则): the
-- projection of `user.grant_request`, decided by `user.grant_approve` (which makes the
-- grant) or `user.grant_reject`. `approved` is 1 or 0 once decided.
CREATE TABLE grant_requests (
    journal_idx BIGINT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    until TEXT,
    requested_by TEXT NOT NULL,
    decided_idx BIGINT,
    approved INTEGER
);
