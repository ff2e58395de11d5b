-- Records imported from other systems keep their id there, so importing the
-- same file again updates them instead of adding them twice.
ALTER TABLE opportunities ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX opportunities_external_id ON opportunities(external_id);
-- What company files tell about an account besides its name.
ALTER TABLE accounts ADD COLUMN location TEXT;
ALTER TABLE accounts ADD COLUMN parent_id BIGINT REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN annual_revenue_minor BIGINT;
ALTER TABLE accounts ADD COLUMN annual_revenue_currency TEXT;
