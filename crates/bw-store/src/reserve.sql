-- Emergency adjustments (应急调整, chapter 7) draw on a reserve fund (预备费) indicator: the
-- indicator the money comes from and the emergency case the adjustment answers.
ALTER TABLE adjustments ADD COLUMN source_code TEXT;
ALTER TABLE adjustments ADD COLUMN emergency_id BIGINT;
