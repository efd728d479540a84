-- Times a warning was escalated for an overdue step; its level is the finding's raised as
-- many times.
ALTER TABLE warnings ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
