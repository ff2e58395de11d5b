-- Activity reports read a period's activities by person, type and deal:
-- this index covers them, so a quarter reads only its own entries.
CREATE INDEX activities_period ON activities(occurred_at, user_id, type_slug, opportunity_id);
-- Lead forecasts are judged on the leads that arrived in a quarter.
CREATE INDEX leads_created ON leads(created_at);
-- Call sheets and account pages ask when a lead, deal or account was last
-- touched.
CREATE INDEX activities_lead ON activities(lead_id, occurred_at);
CREATE INDEX activities_opportunity ON activities(opportunity_id, occurred_at);
CREATE INDEX activities_account ON activities(account_id, occurred_at);
