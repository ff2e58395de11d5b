//! Revenue reports: won revenue, win rate and days to close, by close
//! quarter, by regional office (the owner's team) or by agent.
//!
//! Sums are computed in SQL, grouped by the report's key, so the report
//! costs one query per figure whatever the number of deals. Only deals in
//! the organisation's currency are counted: sums across currencies mean
//! nothing without rates; the others are counted apart.

use super::mean_and_median;
use crate::connect::{Backend, Db};
use crate::error::Result;
use baton_core::accountability::share;
use baton_core::domain::OpportunityStage;
use serde::Serialize;

/// What a revenue report is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevenueBy {
    /// The quarter the deal closed in, like `2017-Q1`.
    Quarter,
    /// The month the deal closed in, like `2017-03`.
    Month,
    /// The name of the owner's team.
    Office,
    /// The owner's name.
    Agent,
}

impl RevenueBy {
    /// The key expression and the GROUP BY list, fixed text per breakdown.
    fn grouping(self) -> (&'static str, &'static str) {
        match self {
            // closed_on is `YYYY-MM-DD`: the quarter is the year and (month + 2) / 3.
            RevenueBy::Quarter => (
                "substr(o.closed_on, 1, 5) || 'Q' || \
                 CAST((CAST(substr(o.closed_on, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)",
                "1",
            ),
            RevenueBy::Month => ("substr(o.closed_on, 1, 7)", "1"),
            RevenueBy::Office => ("COALESCE(t.name, '')", "1"),
            // Two agents of the same name stay apart.
            RevenueBy::Agent => ("COALESCE(u.name, '')", "u.id, 1"),
        }
    }
}

/// One line of a revenue report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueRow {
    /// The quarter, office or agent; empty for deals without one.
    pub key: String,
    pub won_deals: i64,
    /// Won revenue in minor units of the report's currency.
    pub won_revenue_minor: i64,
    /// Won and lost deals.
    pub closed_deals: i64,
    /// Won deals over closed deals; none without closed deals.
    pub win_rate: Option<f64>,
}

/// Won revenue and win rate, broken down, with totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueReport {
    pub by: RevenueBy,
    /// The currency of every amount in the report.
    pub currency: String,
    /// By key.
    pub rows: Vec<RevenueRow>,
    /// All closed deals in the currency.
    pub total: RevenueRow,
    /// Days from engaging to closing, over closed deals with both days.
    pub days_to_close_mean: Option<f64>,
    pub days_to_close_median: Option<f64>,
    /// Closed deals in other currencies, left out of every figure.
    pub other_currency_deals: i64,
}

impl Db {
    /// Won revenue, win rate on closed deals and days from engaging to close.
    ///
    /// Close days are stored as calendar days, so the quarter of a deal is
    /// the quarter of its close day.
    pub async fn revenue_report(&self, by: RevenueBy) -> Result<RevenueReport> {
        let currency = self.currency_or_default("currency", None).await?;
        // PostgreSQL sums BIGINT as NUMERIC: the casts keep every figure an integer.
        let (key, group) = by.grouping();
        let won = OpportunityStage::Won.as_str();
        let lost = OpportunityStage::Lost.as_str();
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {key},
                 CAST(SUM(CASE WHEN o.stage = $1 THEN 1 ELSE 0 END) AS BIGINT),
                 CAST(SUM(CASE WHEN o.stage = $1 THEN o.amount_minor ELSE 0 END) AS BIGINT),
                 COUNT(*)
             FROM opportunities o
             LEFT JOIN users u ON u.id = o.owner_id
             LEFT JOIN teams t ON t.id = u.team_id
             WHERE o.stage IN ($1, $2) AND o.currency = $3 AND o.closed_on IS NOT NULL
             GROUP BY {group}
             ORDER BY 1"
        ))
        .bind(won)
        .bind(lost)
        .bind(currency.as_str())
        .fetch_all(self.reader())
        .await?;
        let rows: Vec<RevenueRow> = rows
            .into_iter()
            .map(
                |(key, won_deals, won_revenue_minor, closed_deals)| RevenueRow {
                    key,
                    won_deals,
                    won_revenue_minor,
                    closed_deals,
                    win_rate: share(won_deals, closed_deals),
                },
            )
            .collect();
        let (won_deals, won_revenue_minor, closed_deals) =
            rows.iter().fold((0, 0, 0), |(w, r, c), row| {
                (
                    w + row.won_deals,
                    r + row.won_revenue_minor,
                    c + row.closed_deals,
                )
            });
        let total = RevenueRow {
            key: String::new(),
            won_deals,
            won_revenue_minor,
            closed_deals,
            win_rate: share(won_deals, closed_deals),
        };
        let days = match self.backend() {
            Backend::Sqlite => "CAST(julianday(closed_on) - julianday(engaged_on) AS INTEGER)",
            Backend::Postgres => {
                "CAST(CAST(closed_on AS DATE) - CAST(engaged_on AS DATE) AS BIGINT)"
            }
        };
        let histogram: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT {days}, COUNT(*) FROM opportunities
             WHERE stage IN ($1, $2) AND currency = $3
               AND closed_on IS NOT NULL AND engaged_on IS NOT NULL
             GROUP BY 1 ORDER BY 1"
        ))
        .bind(won)
        .bind(lost)
        .bind(currency.as_str())
        .fetch_all(self.reader())
        .await?;
        let (days_to_close_mean, days_to_close_median) = mean_and_median(&histogram);
        let (other_currency_deals,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM opportunities WHERE stage IN ($1, $2) AND currency <> $3",
        )
        .bind(won)
        .bind(lost)
        .bind(currency.as_str())
        .fetch_one(self.reader())
        .await?;
        Ok(RevenueReport {
            by,
            currency: currency.as_str().to_string(),
            rows,
            total,
            days_to_close_mean,
            days_to_close_median,
            other_currency_deals,
        })
    }
}
