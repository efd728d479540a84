-- A comment or inquiry is published on the portal only after a moderator (whoever answers
-- inquiries) accepts it; one refused is kept with its reason and shown to its author only.
-- Feedback given before moderation existed was published as it came.
ALTER TABLE feedback ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE feedback ADD COLUMN moderation_note TEXT;
ALTER TABLE feedback ADD COLUMN moderated_by TEXT;
ALTER TABLE feedback ADD COLUMN moderated_idx BIGINT;
CREATE INDEX feedback_author ON feedback (author, id);
