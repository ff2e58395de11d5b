//! Lead quality: for the leads that arrived in a period, by source and by
//! campaign, how many sales accepted, how many became customers, the
//! revenue their deals have won so far, and what each lead cost.

use super::Period;
use crate::campaigns::Campaign;
use crate::connect::{Backend, Db};
use crate::dashboard::{FUNNEL, furthest_steps, step_of};
use crate::error::Result;
use baton_core::accountability::{
    campaign_days, cost_in_period, return_on_cost, share, split_cost,
};
use baton_core::domain::{OpportunityStage, Stage};
use baton_core::money::Currency;
use serde::Serialize;
use std::collections::BTreeMap;

/// The quality of the leads from one source or campaign.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QualityRow {
    /// The source or campaign; empty for leads without one.
    pub name: String,
    /// The campaign; absent for a source.
    pub campaign_id: Option<i64>,
    pub leads: i64,
    /// Leads that reached MQL: what was handed to sales.
    pub mqls: i64,
    /// Leads sales accepted (reached SAL or further).
    pub accepted: i64,
    /// Accepted over MQLs.
    pub acceptance_rate: Option<f64>,
    /// Leads that became customers.
    pub customers: i64,
    /// Customers over leads.
    pub conversion: Option<f64>,
    /// Won so far by the deals opened from these leads, in minor units.
    pub won_revenue_minor: i64,
    /// What these leads cost in the period: a campaign's cost that falls in
    /// it, or for a source its share of the costs of the campaigns that
    /// brought its leads. Absent when nothing known was paid for them (a
    /// source without campaigns, a campaign paid in another currency).
    pub cost_minor: Option<i64>,
    /// Cost over the leads it paid for: for a source, those that came
    /// through campaigns whose cost is known, not its other leads.
    pub cost_per_lead_minor: Option<i64>,
    /// (Revenue − cost) / cost, over the revenue of the leads the cost paid for.
    pub return_on_cost: Option<f64>,
}

/// Lead quality for a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeadQualityReport {
    pub period: Period,
    pub currency: String,
    /// By source, by name.
    pub by_source: Vec<QualityRow>,
    /// By campaign, by name; leads without a campaign last.
    pub by_campaign: Vec<QualityRow>,
}

/// One campaign's leads over its whole life.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignQuality {
    /// The organisation's currency, in which revenue and cost are counted.
    pub currency: String,
    pub row: QualityRow,
}

/// Counts of one group of leads: leads, MQLs, accepted, customers, revenue.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    leads: i64,
    mqls: i64,
    accepted: i64,
    customers: i64,
    won: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.leads += other.leads;
        self.mqls += other.mqls;
        self.accepted += other.accepted;
        self.customers += other.customers;
        self.won += other.won;
    }

    /// The row of these leads, with what the `paid` among them cost: all
    /// of a campaign's, those of known-cost campaigns for a source.
    fn row(
        self,
        name: String,
        campaign_id: Option<i64>,
        cost: Option<(i64, Counts)>,
    ) -> QualityRow {
        let paid = cost.map_or_else(Counts::default, |(_, paid)| paid);
        let cost = cost.map(|(cost, _)| cost);
        QualityRow {
            name,
            campaign_id,
            leads: self.leads,
            mqls: self.mqls,
            accepted: self.accepted,
            acceptance_rate: share(self.accepted, self.mqls),
            customers: self.customers,
            conversion: share(self.customers, self.leads),
            won_revenue_minor: self.won,
            cost_minor: cost,
            // To the nearest minor unit: 960.00 over 110 leads is 8.73.
            cost_per_lead_minor: cost
                .filter(|_| paid.leads > 0)
                .map(|c| (2 * c + paid.leads) / (2 * paid.leads)),
            return_on_cost: cost.and_then(|c| return_on_cost(paid.won, c)),
        }
    }
}

/// The step number of `stage` in the funnel, as `furthest_steps` counts.
fn step(stage: Stage) -> i64 {
    FUNNEL
        .iter()
        .position(|s| *s == stage)
        .map_or(0, |i| i as i64 + 1)
}

/// Which leads the figures count besides their creation time.
#[derive(Clone, Copy)]
enum Leads {
    Every,
    /// Those of one campaign, bound after the other values.
    OfCampaign(i64),
}

impl Leads {
    /// The further condition on a lead row, as SQL text.
    fn condition(self) -> &'static str {
        match self {
            Leads::Every => "",
            Leads::OfCampaign(_) => " AND campaign_id = $8",
        }
    }
}

/// The groups' figures read one lead at a time: each lead's furthest step
/// and won revenue through their indexes. SQLite joins by nested loops, so
/// this is its fastest form.
fn per_lead_lookups(leads: Leads) -> String {
    format!(
        "SELECT campaign_id, source, COUNT(*),
             CAST(SUM(CASE WHEN furthest >= $3 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN furthest >= $4 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN furthest >= $5 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(won) AS BIGINT)
         FROM (SELECT l.campaign_id, COALESCE(l.source, '') AS source, f.furthest,
                   COALESCE((SELECT SUM(o.amount_minor) FROM opportunities o
                             WHERE o.lead_id = l.id AND o.stage = $6 AND o.currency = $7), 0) AS won
               FROM {} f JOIN leads l ON l.id = f.lead_id) g
         GROUP BY campaign_id, source",
        furthest_steps(leads.condition())
    )
}

/// The same figures as [`per_lead_lookups`] as whole-set joins, which
/// PostgreSQL runs as hash and merge joins: twice as fast as one lookup
/// per lead over a year of a large company.
fn hash_joins(leads: Leads) -> String {
    let now = step_of("stage");
    let past = step_of("h.to_stage");
    let only = leads.condition();
    format!(
        "WITH period AS (SELECT id, campaign_id, COALESCE(source, '') AS source, {now} AS now_step
                         FROM leads WHERE created_at >= $1 AND created_at < $2{only}),
              history AS (SELECT h.lead_id, MAX({past}) AS past_step
                          FROM lead_stage_history h JOIN period p ON p.id = h.lead_id
                          GROUP BY h.lead_id),
              won AS (SELECT o.lead_id, SUM(o.amount_minor) AS won
                      FROM opportunities o JOIN period p ON p.id = o.lead_id
                      WHERE o.stage = $6 AND o.currency = $7 GROUP BY o.lead_id),
              furthest AS (SELECT p.campaign_id, p.source,
                               GREATEST(p.now_step, COALESCE(h.past_step, 0)) AS step,
                               COALESCE(w.won, 0) AS won
                           FROM period p LEFT JOIN history h ON h.lead_id = p.id
                                LEFT JOIN won w ON w.lead_id = p.id)
         SELECT campaign_id, source, COUNT(*),
             CAST(SUM(CASE WHEN step >= $3 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN step >= $4 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(CASE WHEN step >= $5 THEN 1 ELSE 0 END) AS BIGINT),
             CAST(SUM(won) AS BIGINT)
         FROM furthest GROUP BY campaign_id, source"
    )
}

impl Db {
    /// The figures of `leads` created from `starts` up to `ends` (stored
    /// times) by (campaign, source), revenue in `currency`.
    async fn quality_groups(
        &self,
        (starts, ends): (i64, i64),
        currency: &Currency,
        leads: Leads,
    ) -> Result<Vec<(Option<i64>, String, Counts)>> {
        let sql = match self.backend() {
            Backend::Sqlite => per_lead_lookups(leads),
            Backend::Postgres => hash_joins(leads),
        };
        let mut query = sqlx::query_as(&sql)
            .bind(starts)
            .bind(ends)
            .bind(step(Stage::Mql))
            .bind(step(Stage::Sal))
            .bind(step(Stage::Customer))
            .bind(OpportunityStage::Won.as_str())
            .bind(currency.as_str());
        if let Leads::OfCampaign(campaign) = leads {
            query = query.bind(campaign);
        }
        let rows: Vec<(Option<i64>, String, i64, i64, i64, i64, i64)> =
            query.fetch_all(self.reader()).await?;
        Ok(rows
            .into_iter()
            .map(
                |(campaign, source, leads, mqls, accepted, customers, won)| {
                    let counts = Counts {
                        leads,
                        mqls,
                        accepted,
                        customers,
                        won,
                    };
                    (campaign, source, counts)
                },
            )
            .collect())
    }

    /// One campaign's leads over its whole life, with the figures of its
    /// row in the lead quality report: its whole cost counts, when it was
    /// paid in the organisation's currency.
    pub async fn campaign_quality(&self, campaign: &Campaign) -> Result<CampaignQuality> {
        let currency = self.currency_or_default("currency", None).await?;
        let groups = self
            .quality_groups(
                (i64::MIN, i64::MAX),
                &currency,
                Leads::OfCampaign(campaign.id),
            )
            .await?;
        let mut counts = Counts::default();
        for (_, _, group) in groups {
            counts.add(group);
        }
        let cost = (campaign.currency == currency.as_str()).then_some(campaign.cost_minor);
        Ok(CampaignQuality {
            currency: currency.as_str().to_string(),
            row: counts.row(
                campaign.name.clone(),
                Some(campaign.id),
                cost.map(|cost| (cost, counts)),
            ),
        })
    }

    /// Lead quality by source and by campaign for the leads created in `period`.
    pub async fn lead_quality_report(&self, period: Period) -> Result<LeadQualityReport> {
        let currency = self.currency_or_default("currency", None).await?;
        let zone = self.time_zone().await?;
        let bounds = period.bounds(&zone)?;
        let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
        let groups = self.quality_groups(bounds, &currency, Leads::Every).await?;
        let mut by_source: BTreeMap<String, Counts> = BTreeMap::new();
        let mut by_campaign: BTreeMap<Option<i64>, Counts> = BTreeMap::new();
        // Each campaign's leads by source, to share its cost between them.
        let mut sources_of: BTreeMap<i64, Vec<(String, Counts)>> = BTreeMap::new();
        for (campaign, source, counts) in groups {
            if let Some(campaign) = campaign {
                sources_of
                    .entry(campaign)
                    .or_default()
                    .push((source.clone(), counts));
            }
            by_source.entry(source).or_default().add(counts);
            by_campaign.entry(campaign).or_default().add(counts);
        }
        let campaigns = self.campaigns(None, 0, i64::MAX).await?;
        let day = |text: &Option<String>| text.as_deref().and_then(|t| t.parse().ok());
        let mut campaign_rows = Vec::new();
        // Each source's share of known costs, and the leads it paid for.
        let mut source_costs: BTreeMap<String, (i64, Counts)> = BTreeMap::new();
        for campaign in campaigns {
            let id = campaign.id;
            let entered = jiff::Timestamp::from_millisecond(campaign.created_at)
                .map_or(today, |at| at.to_zoned(zone.clone()).date());
            let runs = campaign_days(
                day(&campaign.starts_on),
                day(&campaign.ends_on),
                entered,
                today,
            );
            let cost = (campaign.currency == currency.as_str())
                .then(|| cost_in_period(campaign.cost_minor, runs, period.from, period.to));
            if let Some(cost) = cost.filter(|c| *c > 0) {
                // A campaign's cost goes to the sources of its leads, by
                // leads; one that brought none counts under its channel, so
                // that sources and campaigns add up to the same cost.
                let sources = sources_of
                    .remove(&id)
                    .unwrap_or_else(|| vec![(campaign.channel.clone(), Counts::default())]);
                // The channel of a campaign without leads takes it all.
                let weights: Vec<i64> = sources.iter().map(|(_, c)| c.leads.max(1)).collect();
                for ((source, counts), part) in sources.into_iter().zip(split_cost(cost, &weights))
                {
                    let (share, paid) = source_costs.entry(source).or_default();
                    *share += part;
                    paid.add(counts);
                }
            }
            let counts = by_campaign.remove(&Some(id));
            // A campaign that cost something in the period belongs here
            // even when it brought no lead.
            if counts.is_some() || cost.is_some_and(|c| c > 0) {
                let counts = counts.unwrap_or_default();
                let cost = cost.map(|cost| (cost, counts));
                campaign_rows.push(counts.row(campaign.name, Some(id), cost));
            }
        }
        campaign_rows.sort_by(|a, b| a.name.cmp(&b.name));
        // Leads without a campaign, and any whose campaign is gone.
        let mut without = Counts::default();
        for counts in by_campaign.into_values() {
            without.add(counts);
        }
        if without.leads > 0 {
            campaign_rows.push(without.row(String::new(), None, None));
        }
        for source in source_costs.keys() {
            by_source.entry(source.clone()).or_default();
        }
        Ok(LeadQualityReport {
            period,
            currency: currency.as_str().to_string(),
            by_source: by_source
                .into_iter()
                .map(|(source, counts)| {
                    let cost = source_costs.get(&source).copied();
                    counts.row(source, None, cost)
                })
                .collect(),
            by_campaign: campaign_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_per_lead_is_rounded_to_the_nearest_minor_unit() {
        let per_lead = |leads: i64, cost: i64| {
            let counts = Counts {
                leads,
                ..Counts::default()
            };
            counts
                .row("campaign".into(), None, Some((cost, counts)))
                .cost_per_lead_minor
        };
        assert_eq!(per_lead(110, 9_600_000), Some(87_273), "872.7273 is 872.73");
        assert_eq!(per_lead(4, 10), Some(3), "a half rounds up");
        assert_eq!(per_lead(4, 9), Some(2));
        assert_eq!(per_lead(0, 9), None, "no leads, no cost per lead");
    }
}
