//! Reports on the data, each computed with aggregate SQL so that its cost
//! follows the number of people, campaigns and quarters, not of rows:
//! revenue, forecast accuracy, activity against revenue, focus, the funnel
//! with time in stage, the marketing ↔ sales hand-over, lead quality, and
//! revenue won against forecast.

mod activity;
mod focus;
mod forecast_accuracy;
mod funnel;
mod handover;
mod lead_quality;
mod revenue;
mod revenue_plan;

pub use activity::{ActivityReport, ActivityRow};
pub use focus::{FocusReport, FocusRow, StrayWork};
pub use forecast_accuracy::{
    AccuracyGroup, AccuracyRow, ForecastAccuracyReport, LeaderboardEntry, LineActual,
    TREND_QUARTERS, TrendPoint,
};
pub use funnel::{FunnelReport, FunnelStage};
pub use handover::{HandoverReport, MqlDelivery, RejectionReason, SalesResponse};
pub use lead_quality::{CampaignQuality, LeadQualityReport, QualityRow};
pub use revenue::{RevenueBy, RevenueReport, RevenueRow};
pub use revenue_plan::{PlanRow, RevenuePlanReport};

use crate::connect::Db;
use crate::error::{DbError, Result};
use baton_core::domain::{Function, Role};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::BTreeMap;

/// A report narrowed to one person's own lines: what someone who is not an
/// owner or a manager may see.
pub trait OwnLines {
    fn only_person(self, user: i64) -> Self;
}

/// Calendar days from `from` to `to`, both included, in the organisation's
/// time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    #[schema(value_type = String, example = "2026-07-01")]
    #[serde(serialize_with = "day_text")]
    pub from: Date,
    #[schema(value_type = String, example = "2026-09-30")]
    #[serde(serialize_with = "day_text")]
    pub to: Date,
}

/// A day as `YYYY-MM-DD`.
fn day_text<S: serde::Serializer>(
    day: &Date,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(day)
}

impl Period {
    /// Refuses a period that ends before it starts.
    pub fn new(from: Date, to: Date) -> Result<Period> {
        if to < from {
            return Err(DbError::invalid(
                "to",
                format!("the period ends ({to}) before it starts ({from})"),
            ));
        }
        Ok(Period { from, to })
    }
}

/// One person as reports name them.
struct Person {
    name: String,
    role: Option<Role>,
    team: Option<i64>,
}

/// A report's people and teams, for every user.
struct People {
    users: BTreeMap<i64, Person>,
    /// Team id → name.
    teams: BTreeMap<i64, String>,
}

impl People {
    fn name(&self, user: i64) -> String {
        self.users
            .get(&user)
            .map_or_else(|| format!("user {user}"), |p| p.name.clone())
    }

    fn role(&self, user: i64) -> Option<Role> {
        self.users.get(&user).and_then(|p| p.role)
    }

    fn team(&self, user: i64) -> Option<i64> {
        self.users.get(&user).and_then(|p| p.team)
    }

    fn team_name(&self, team: Option<i64>) -> String {
        team.and_then(|t| self.teams.get(&t))
            .map_or_else(|| "(no team)".to_string(), String::clone)
    }

    /// The function `user` works for, from their role; owners and managers
    /// lead rather than work for one.
    fn function(&self, user: i64) -> Option<Function> {
        self.role(user).and_then(Role::function)
    }
}

impl Db {
    async fn people(&self) -> Result<People> {
        let users: Vec<(i64, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, name, role, team_id FROM users")
                .fetch_all(self.reader())
                .await?;
        let teams: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM teams")
            .fetch_all(self.reader())
            .await?;
        Ok(People {
            users: users
                .into_iter()
                .map(|(id, name, role, team)| {
                    let role = role.parse().ok();
                    (id, Person { name, role, team })
                })
                .collect(),
            teams: teams.into_iter().collect(),
        })
    }
}

/// The first moment of `day` in `zone`, as stored: UTC milliseconds.
pub(crate) fn start_of(day: Date, zone: &TimeZone) -> Result<i64> {
    day.to_zoned(zone.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| DbError::invalid("date", format!("{day}: {e}")))
}

/// The first moment after `day` in `zone`.
pub(crate) fn end_of(day: Date, zone: &TimeZone) -> Result<i64> {
    let next = day
        .tomorrow()
        .map_err(|e| DbError::invalid("date", format!("{day}: {e}")))?;
    start_of(next, zone)
}

/// A person's activities of one type in a period, counted by what they
/// were about.
struct Counted {
    user: i64,
    type_slug: String,
    /// About one of the person's own deals.
    own_deal: bool,
    /// The function of the queue in which the person holds work on the
    /// lead the activity is about, if any.
    worked_in: Option<String>,
    count: i64,
}

/// Activities that occurred between `starts` and `ends`, per person, type
/// and what they were about.
async fn activity_counts(db: &Db, starts: i64, ends: i64) -> Result<Vec<Counted>> {
    let rows: Vec<(i64, String, i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT user_id, type_slug, own_deal, worked_in, COUNT(*) FROM (
             SELECT a.user_id, a.type_slug,
                 CASE WHEN o.owner_id = a.user_id THEN 1 ELSE 0 END AS own_deal,
                 (SELECT MIN(q.function) FROM work_items w JOIN queues q ON q.id = w.queue_id
                  WHERE w.lead_id = a.lead_id AND w.assignee_id = a.user_id) AS worked_in
             FROM activities a LEFT JOIN opportunities o ON o.id = a.opportunity_id
             WHERE a.occurred_at >= $1 AND a.occurred_at < $2
         ) AS counted
         GROUP BY user_id, type_slug, own_deal, worked_in",
    )
    .bind(starts)
    .bind(ends)
    .fetch_all(db.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user, type_slug, own_deal, worked_in, count)| Counted {
            user,
            type_slug,
            own_deal: own_deal == 1,
            worked_in,
            count,
        })
        .collect())
}

impl Period {
    /// The period as stored times: from its first moment to the first
    /// moment after it, in `zone`.
    fn bounds(&self, zone: &TimeZone) -> Result<(i64, i64)> {
        Ok((start_of(self.from, zone)?, end_of(self.to, zone)?))
    }
}

/// Mean and median of a histogram of (value, count), sorted by value.
fn mean_and_median(histogram: &[(i64, i64)]) -> (Option<f64>, Option<f64>) {
    let count: i64 = histogram.iter().map(|(_, n)| n).sum();
    if count == 0 {
        return (None, None);
    }
    let sum: i64 = histogram.iter().map(|(v, n)| v * n).sum();
    // The values at 0-based positions (count - 1) / 2 and count / 2: the
    // same one for an odd count, the middle two for an even one.
    let at = |position: i64| {
        let mut seen = 0;
        histogram
            .iter()
            .find(|(_, n)| {
                seen += n;
                seen > position
            })
            .map_or(0, |(v, _)| *v)
    };
    let median = (at((count - 1) / 2) + at(count / 2)) as f64 / 2.0;
    (Some(sum as f64 / count as f64), Some(median))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_between_the_middle_two() {
        assert_eq!(mean_and_median(&[]), (None, None));
        assert_eq!(mean_and_median(&[(1, 1), (3, 1)]), (Some(2.0), Some(2.0)));
        assert_eq!(mean_and_median(&[(1, 2), (10, 1)]), (Some(4.0), Some(1.0)));
        assert_eq!(
            mean_and_median(&[(2, 1), (4, 2), (9, 1)]),
            (Some(4.75), Some(4.0))
        );
    }
}
