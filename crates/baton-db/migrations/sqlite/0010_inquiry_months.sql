-- The dashboard counts the inquiries of the last twelve months: read
-- through their arrival time, not the whole table.
CREATE INDEX inquiries_received ON inquiries(received_at);
