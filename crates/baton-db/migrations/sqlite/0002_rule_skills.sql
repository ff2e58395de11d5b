-- Skills a routing rule asks of the member who takes the item.
ALTER TABLE routing_rules ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
