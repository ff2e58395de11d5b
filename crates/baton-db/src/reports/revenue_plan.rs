//! Revenue won against revenue forecast, by quarter and by month, over the
//! quarters of the forecast-accuracy trend. Reps forecast per quarter, so
//! a month's forecast is its quarter's spread evenly over its three months.

use super::{AccuracyGroup, TREND_QUARTERS};
use crate::connect::Db;
use crate::error::Result;
use baton_core::accountability::share;
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastKind, OpportunityStage};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// Won against forecast for one quarter or month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanRow {
    /// Like `2026-Q3` or `2026-08`.
    pub key: String,
    /// Commit and best case of the versions in force, in minor units;
    /// absent when nobody forecast.
    pub forecast_minor: Option<i64>,
    pub won_minor: i64,
    /// Won over forecast; absent for a period that has not begun.
    pub attainment: Option<f64>,
    /// The period has not ended: what is won is so far.
    pub in_progress: bool,
}

/// Revenue won against forecast, the report's quarter last.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RevenuePlanReport {
    pub quarter: String,
    pub currency: String,
    /// Oldest first.
    pub quarters: Vec<PlanRow>,
    /// The months of those quarters, oldest first.
    pub months: Vec<PlanRow>,
}

impl RevenuePlanReport {
    /// What to say about the periods that have not ended.
    pub fn in_progress_note(&self) -> Option<String> {
        let open: Vec<&str> = self
            .quarters
            .iter()
            .chain(&self.months)
            .filter(|row| row.in_progress)
            .map(|row| row.key.as_str())
            .collect();
        (!open.is_empty()).then(|| {
            format!(
                "Not ended yet, so won so far: {}; a month not begun has no attainment.",
                open.join(", ")
            )
        })
    }
}

/// The row of the period from `first` to `last` (days), as of `today`.
fn plan_row(
    key: String,
    (first, last): (Date, Date),
    today: Date,
    forecast: Option<i64>,
    won: i64,
) -> PlanRow {
    PlanRow {
        key,
        forecast_minor: forecast,
        won_minor: won,
        attainment: forecast
            .filter(|_| first <= today)
            .and_then(|f| share(won, f)),
        in_progress: last >= today,
    }
}

/// A quarter's forecast spread over its three months; the last takes what
/// rounding leaves, so the months add up to the quarter.
fn monthly(forecast: i64) -> [i64; 3] {
    let month = forecast / 3;
    [month, month, forecast - 2 * month]
}

impl Db {
    /// Won against forecast for the trend's quarters up to `quarter`.
    pub async fn revenue_plan_report(&self, quarter: Quarter) -> Result<RevenuePlanReport> {
        let accuracy = self
            .forecast_accuracy(quarter, AccuracyGroup::Person)
            .await?;
        let forecasts: BTreeMap<String, i64> = accuracy
            .totals
            .iter()
            .filter(|row| row.kind == ForecastKind::Revenue)
            .flat_map(|row| &row.trend)
            .filter_map(|point| Some((point.quarter.clone(), point.accuracy?.forecast)))
            .collect();
        let today = self.today().await?;
        let trend = quarter.ending_with(TREND_QUARTERS);
        let first = trend[0];
        // Close days are calendar days: the month is the day's first seven characters.
        let won: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT substr(closed_on, 1, 7), CAST(SUM(amount_minor) AS BIGINT) FROM opportunities
             WHERE stage = $1 AND currency = $2 AND closed_on >= $3 AND closed_on <= $4
             GROUP BY 1",
        )
        .bind(OpportunityStage::Won.as_str())
        .bind(accuracy.currency.as_str())
        .bind(first.first_day().to_string())
        .bind(quarter.last_day().to_string())
        .fetch_all(self.reader())
        .await?
        .into_iter()
        .collect();
        let (mut quarters, mut months) = (Vec::new(), Vec::new());
        for q in trend {
            let key = q.to_string();
            let forecast = forecasts.get(&key).copied();
            let spread = forecast.map(monthly);
            let mut quarter_won = 0;
            for (i, day) in (0..3).filter_map(|i| {
                q.first_day()
                    .checked_add(jiff::Span::new().months(i))
                    .ok()
                    .map(|day| (i as usize, day))
            }) {
                let month = day.strftime("%Y-%m").to_string();
                let month_won = won.get(&month).copied().unwrap_or(0);
                quarter_won += month_won;
                let days = (day, day.last_of_month());
                months.push(plan_row(
                    month,
                    days,
                    today,
                    spread.map(|s| s[i]),
                    month_won,
                ));
            }
            let days = (q.first_day(), q.last_day());
            quarters.push(plan_row(key, days, today, forecast, quarter_won));
        }
        Ok(RevenuePlanReport {
            quarter: quarter.to_string(),
            currency: accuracy.currency,
            quarters,
            months,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_months_of_a_quarter_add_up_to_its_forecast() {
        assert_eq!(monthly(100), [33, 33, 34]);
        assert_eq!(monthly(0), [0, 0, 0]);
        assert_eq!(monthly(90).iter().sum::<i64>(), 90);
    }
}
