-- An inquiry sent again, word for word by the same sender, while the first
-- one's work is still open joins that work instead of making a lead and a
-- work item of its own: it names the inquiry it repeats.
ALTER TABLE inquiries ADD COLUMN repeat_of BIGINT REFERENCES inquiries(id);
-- An inquiry's work is looked up by the inquiry: for a repeat, and for the
-- inquiry's own page.
CREATE INDEX work_items_inquiry ON work_items(inquiry_id);
