-- Activity reports read a period's activities by person, type and deal:
-- this index covers them, so a quarter reads only its own entries.
CREATE INDEX activities_period ON activities(occurred_at, user_id, type_slug, opportunity_id);
-- Lead forecasts are judged on the leads that arrived in a quarter.
CREATE INDEX leads_created ON leads(created_at);
