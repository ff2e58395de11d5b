-- The campaign an inquiry named, as it named it: when no campaign has that
-- name the lead is not attributed, and marketing sees the name (and can
-- create the campaign, which then claims the lead) instead of losing it.
ALTER TABLE leads ADD COLUMN campaign_name TEXT;
-- Only the leads whose campaign is unknown are indexed: they are few, and
-- the campaigns page and a new campaign look them up.
CREATE INDEX leads_unknown_campaign ON leads(campaign_name)
    WHERE campaign_id IS NULL AND campaign_name IS NOT NULL;
