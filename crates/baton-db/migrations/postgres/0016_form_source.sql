-- The source every submission of a form is given, whatever `source` field
-- the visitor posts: routing rules may match sources, and anyone can post
-- a form.
ALTER TABLE forms ADD COLUMN source TEXT;
