-- The skills the routing rule asked for, as a JSON list; none when NULL.
-- Escalation hands the item only to members who have them, as routing did.
ALTER TABLE work_items ADD COLUMN required_skills TEXT;
