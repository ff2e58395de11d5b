-- Revenue, won revenue per person and forecast actuals read closed deals by
-- stage, currency and close day: this index covers them, so no report
-- reads the opportunities table itself.
CREATE INDEX opportunities_closed ON opportunities(stage, currency, closed_on, owner_id, amount_minor, engaged_on);
-- Activity reports count the opportunities each person opened in a period.
CREATE INDEX opportunities_created ON opportunities(created_at, owner_id);
-- Lead forecasts set each lead against the revenue its deals have won.
CREATE INDEX opportunities_lead ON opportunities(lead_id, stage, currency, amount_minor);
-- Whether a lead ever reached MQL is answered from this index alone.
DROP INDEX lead_stage_history_lead;
CREATE INDEX lead_stage_history_lead ON lead_stage_history(lead_id, to_stage);
