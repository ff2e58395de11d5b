//! Activity against revenue: per person and period, the activities they
//! logged by type, the revenue they won and the opportunities they opened,
//! and who is busy without results: activities well above the median of
//! their peers (the same role in the same team) while revenue is well
//! below it.

use super::{OwnLines, Period, activity_counts};
use crate::connect::Db;
use crate::error::Result;
use baton_core::accountability::median;
use baton_core::domain::OpportunityStage;
use serde::Serialize;
use std::collections::BTreeMap;

/// One person's activity and results in the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActivityRow {
    pub user_id: i64,
    pub name: String,
    pub team_id: Option<i64>,
    pub team: String,
    pub activities: i64,
    /// Activity type slug → activities.
    pub by_type: BTreeMap<String, i64>,
    /// Deals they own won in the period (closed on one of its days).
    pub won_deals: i64,
    /// Their won revenue, in minor units of the organisation's currency.
    pub won_revenue_minor: i64,
    /// Opportunities they own opened in the period.
    pub opportunities_created: i64,
    /// Won revenue over activities, rounded to a minor unit; absent without activities.
    pub revenue_per_activity_minor: Option<i64>,
    /// Opportunities opened over activities; absent without activities.
    pub opportunities_per_activity: Option<f64>,
    /// Medians over their peers in the report: the same role in the same team.
    pub peer_median_activities: f64,
    pub peer_median_revenue_minor: f64,
    pub busy_without_results: bool,
}

/// Activity against revenue for a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActivityReport {
    pub period: Period,
    pub currency: String,
    /// Busy: activities at least this many times the peers' median.
    pub busy_activity_ratio: f64,
    /// Without results: revenue at most this share of the peers' median.
    pub busy_revenue_ratio: f64,
    /// Everyone with an activity or a result, by team and name.
    pub rows: Vec<ActivityRow>,
}

impl OwnLines for ActivityReport {
    fn only_person(mut self, user: i64) -> ActivityReport {
        self.rows.retain(|row| row.user_id == user);
        self
    }
}

impl Db {
    /// Activities, won revenue and opportunities opened per person in `period`.
    pub async fn activity_report(&self, period: Period) -> Result<ActivityReport> {
        let organisation = self.organisation().await?;
        let config = organisation.accountability;
        let (starts, ends) = period.bounds(&self.time_zone().await?)?;
        let people = self.people().await?;
        // (by type, won deals, won revenue, opportunities created) per person.
        let mut figures: BTreeMap<i64, (BTreeMap<String, i64>, i64, i64, i64)> = BTreeMap::new();
        for counted in activity_counts(self, starts, ends).await? {
            let by_type = &mut figures.entry(counted.user).or_default().0;
            *by_type.entry(counted.type_slug).or_default() += counted.count;
        }
        let won: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT owner_id, COUNT(*), CAST(SUM(amount_minor) AS BIGINT) FROM opportunities
             WHERE stage = $1 AND currency = $2 AND closed_on >= $3 AND closed_on <= $4
               AND owner_id IS NOT NULL
             GROUP BY owner_id",
        )
        .bind(OpportunityStage::Won.as_str())
        .bind(&organisation.currency)
        .bind(period.from.to_string())
        .bind(period.to.to_string())
        .fetch_all(self.reader())
        .await?;
        for (user, deals, revenue) in won {
            let entry = figures.entry(user).or_default();
            (entry.1, entry.2) = (deals, revenue);
        }
        let created: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT owner_id, COUNT(*) FROM opportunities
             WHERE created_at >= $1 AND created_at < $2 AND owner_id IS NOT NULL
             GROUP BY owner_id",
        )
        .bind(starts)
        .bind(ends)
        .fetch_all(self.reader())
        .await?;
        for (user, count) in created {
            figures.entry(user).or_default().3 = count;
        }
        let mut rows: Vec<ActivityRow> = figures
            .into_iter()
            .map(
                |(user_id, (by_type, won_deals, won_revenue_minor, opportunities_created))| {
                    let activities: i64 = by_type.values().sum();
                    let per_activity =
                        |value: i64| (activities > 0).then(|| value as f64 / activities as f64);
                    let team_id = people.team(user_id);
                    ActivityRow {
                        user_id,
                        name: people.name(user_id),
                        team_id,
                        team: people.team_name(team_id),
                        activities,
                        by_type,
                        won_deals,
                        won_revenue_minor,
                        opportunities_created,
                        revenue_per_activity_minor: per_activity(won_revenue_minor)
                            .map(|v| v.round() as i64),
                        opportunities_per_activity: per_activity(opportunities_created),
                        peer_median_activities: 0.0,
                        peer_median_revenue_minor: 0.0,
                        busy_without_results: false,
                    }
                },
            )
            .collect();
        // Peers do the same job in the same team: a manager's figures say
        // nothing about a rep's.
        let peers_of = |row: &ActivityRow| (row.team_id, people.role(row.user_id));
        let mut peers: BTreeMap<_, (Vec<i64>, Vec<i64>)> = BTreeMap::new();
        for row in &rows {
            let group = peers.entry(peers_of(row)).or_default();
            group.0.push(row.activities);
            group.1.push(row.won_revenue_minor);
        }
        for row in &mut rows {
            let (activities, revenue) = &peers[&peers_of(row)];
            row.peer_median_activities = median(activities).unwrap_or_default();
            row.peer_median_revenue_minor = median(revenue).unwrap_or_default();
            row.busy_without_results = config.busy_without_results(
                row.activities,
                row.won_revenue_minor,
                row.peer_median_activities,
                row.peer_median_revenue_minor,
            );
        }
        rows.sort_by(|a, b| (&a.team, &a.name, a.user_id).cmp(&(&b.team, &b.name, b.user_id)));
        Ok(ActivityReport {
            period,
            currency: organisation.currency,
            busy_activity_ratio: config.busy_activity_ratio,
            busy_revenue_ratio: config.busy_revenue_ratio,
            rows,
        })
    }
}
