-- Who logged an activity for someone else (a manager marking a call done
-- on a rep's sheet): the activity stays the rep's, and this says whose
-- hand recorded it. Empty when the person logged it themselves.
ALTER TABLE activities ADD COLUMN recorded_by INTEGER REFERENCES users(id);
