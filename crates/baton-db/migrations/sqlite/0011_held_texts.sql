-- What moderators read and search of a quarantined inquiry, taken from its
-- raw payload when it is held: the sender, the start of the message, and
-- the sender with the whole message in lowercase (lowercased once, in the
-- application, so a search matches the same on every backend).
ALTER TABLE inquiries ADD COLUMN held_sender TEXT;
ALTER TABLE inquiries ADD COLUMN held_excerpt TEXT;
ALTER TABLE inquiries ADD COLUMN held_search TEXT;
