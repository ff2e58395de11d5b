-- Account lists and pages count each account's open work through its
-- leads, campaign lists count each campaign's leads, and contact pages
-- read a contact's deals.
CREATE INDEX leads_account ON leads(account_id);
CREATE INDEX leads_campaign ON leads(campaign_id);
CREATE INDEX work_items_lead ON work_items(lead_id, status);
CREATE INDEX opportunities_contact ON opportunities(contact_id);
