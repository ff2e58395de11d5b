//! The measures that hold people to their numbers: how far a forecast lands
//! from the actual, who forecasts too high quarter after quarter ("smoke"),
//! and who is busy without results.

use serde::{Deserialize, Serialize};

/// The thresholds the owner sets for accountability reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountabilityConfig {
    /// A forecast above the actual by more than this share of the actual is
    /// too high: 0.1 lets it run 10% over.
    pub smoke_tolerance: f64,
    /// Days after the quarter's first day when forecasts are judged: the
    /// version in force at that moment counts.
    pub forecast_cutoff_days: u32,
    /// Activities at least this many times the peers' median are "well above".
    pub busy_activity_ratio: f64,
    /// Revenue at most this share of the peers' median is "well below".
    pub busy_revenue_ratio: f64,
}

impl Default for AccountabilityConfig {
    fn default() -> Self {
        AccountabilityConfig {
            smoke_tolerance: 0.1,
            forecast_cutoff_days: 7,
            busy_activity_ratio: 1.5,
            busy_revenue_ratio: 0.5,
        }
    }
}

impl AccountabilityConfig {
    /// The first value out of range, as (field, reason).
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        if !(0.0..=10.0).contains(&self.smoke_tolerance) {
            Some(("smoke_tolerance", "must be between 0 and 10 (1000%)"))
        } else if !(1..=90).contains(&self.forecast_cutoff_days) {
            Some(("forecast_cutoff_days", "must be between 1 and 90 days"))
        } else if !(self.busy_activity_ratio > 1.0 && self.busy_activity_ratio <= 100.0) {
            Some(("busy_activity_ratio", "must be above 1 and at most 100"))
        } else if !(0.0..1.0).contains(&self.busy_revenue_ratio) {
            Some(("busy_revenue_ratio", "must be at least 0 and below 1"))
        } else {
            None
        }
    }
}

/// A forecast against its actual.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Accuracy {
    pub forecast: i64,
    pub actual: i64,
    /// Forecast − actual: above zero is a forecast too high.
    pub error: i64,
    /// Absolute percentage error, |error| / actual; absent when the actual is 0.
    pub ape: Option<f64>,
    /// 1 − APE, floored at 0; with an actual of 0, 1 for a forecast of 0
    /// and 0 for any other.
    pub accuracy: f64,
    /// Error / actual, signed: above zero forecasts too high; absent when
    /// the actual is 0. Summed figures give Σ(forecast − actual) / Σ actual.
    pub bias: Option<f64>,
}

impl Accuracy {
    pub fn of(forecast: i64, actual: i64) -> Accuracy {
        let error = forecast - actual;
        let ratio = |value: i64| (actual != 0).then(|| value as f64 / actual as f64);
        let ape = ratio(error.abs());
        let accuracy = match ape {
            Some(ape) => (1.0 - ape).max(0.0),
            None if forecast == 0 => 1.0,
            None => 0.0,
        };
        Accuracy {
            forecast,
            actual,
            error,
            ape,
            accuracy,
            bias: ratio(error),
        }
    }

    /// Above the actual by more than `tolerance` of it; any forecast above
    /// an actual of 0 is.
    pub fn too_high(&self, tolerance: f64) -> bool {
        self.error > 0 && self.error as f64 > tolerance * self.actual as f64
    }
}

/// Accuracy over several periods: 1 − Σ|error| / Σ actual, floored at 0,
/// so misses in opposite directions do not cancel out. With no actual, 1
/// when every forecast was 0, else 0.
pub fn accuracy_over(periods: &[Accuracy]) -> f64 {
    let missed: i64 = periods.iter().map(|p| p.error.abs()).sum();
    let actual: i64 = periods.iter().map(|p| p.actual).sum();
    if actual == 0 {
        if missed == 0 { 1.0 } else { 0.0 }
    } else {
        (1.0 - missed as f64 / actual as f64).max(0.0)
    }
}

/// Quarters in a row, ending with the last, whose forecast was too high;
/// `None` is a quarter without a forecast and ends the run.
pub fn too_high_streak(quarters: &[Option<Accuracy>], tolerance: f64) -> usize {
    quarters
        .iter()
        .rev()
        .take_while(|q| q.is_some_and(|q| q.too_high(tolerance)))
        .count()
}

/// Smoke: forecasts too high in two or more quarters in a row.
pub const SMOKE_STREAK: usize = 2;

/// The median, or `None` for no values.
pub fn median(values: &[i64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

impl AccountabilityConfig {
    /// Busy without results: activities well above the peers' median while
    /// revenue is well below theirs. Peers who win nothing (a median of 0)
    /// flag nobody: there is no revenue to fall short of.
    pub fn busy_without_results(
        &self,
        activities: i64,
        revenue: i64,
        peer_activities: f64,
        peer_revenue: f64,
    ) -> bool {
        peer_revenue > 0.0
            && activities as f64 >= self.busy_activity_ratio * peer_activities
            && revenue as f64 <= self.busy_revenue_ratio * peer_revenue
    }
}

/// The days a campaign's cost is spread over, both included: its own
/// days, where a campaign still running (no end day) runs to `today` and
/// one without a start day starts the day it was `entered`. So a period
/// before a campaign began bears none of its cost, and the periods up to
/// today add up to the whole of it.
pub fn campaign_days(
    starts: Option<jiff::civil::Date>,
    ends: Option<jiff::civil::Date>,
    entered: jiff::civil::Date,
    today: jiff::civil::Date,
) -> (jiff::civil::Date, jiff::civil::Date) {
    let starts = starts.unwrap_or_else(|| ends.map_or(entered, |ends| entered.min(ends)));
    let ends = ends.unwrap_or(today).max(starts);
    (starts, ends)
}

/// The part of a campaign's cost that falls in a period of days: the cost
/// spread evenly over the days it runs (`runs`, both days included, as
/// [`campaign_days`] gives them), times the days it runs within the period,
/// in whole minor units: the cost of the campaign's days up to the period's
/// end, rounded down, less that of its days before the period, so that
/// consecutive periods (the months of a year) add up to the whole cost.
pub fn cost_in_period(
    cost_minor: i64,
    (starts, ends): (jiff::civil::Date, jiff::civil::Date),
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> i64 {
    let days = |a: jiff::civil::Date, b: jiff::civil::Date| {
        i64::from(a.until(b).map_or(0, |span| span.get_days())) + 1
    };
    let (first, last) = (starts.max(from), ends.min(to));
    if first > last {
        return 0;
    }
    let runs = i128::from(days(starts, ends));
    // i128: cost × days overflows i64 for large costs over long campaigns.
    let first_days = |count: i64| (i128::from(cost_minor) * i128::from(count) / runs) as i64;
    first_days(days(starts, last)) - first_days(days(starts, first) - 1)
}

/// Splits a cost between groups in proportion to their weights (leads,
/// say), in whole minor units that add up to the cost: each group gets its
/// share rounded down, and the units rounding leaves go one each to the
/// groups with the largest remainders (the earlier on a tie). Nothing is
/// split when no group has weight.
pub fn split_cost(cost_minor: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    // i128: cost × weight overflows i64 for large costs.
    let exact: Vec<(i64, i128)> = weights
        .iter()
        .map(|w| {
            let product = i128::from(cost_minor) * i128::from((*w).max(0));
            ((product / total) as i64, product % total)
        })
        .collect();
    let mut parts: Vec<i64> = exact.iter().map(|(part, _)| *part).collect();
    let left = cost_minor - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for index in order.into_iter().take(left.max(0) as usize) {
        parts[index] += 1;
    }
    parts
}

/// Return on a cost: what the revenue brought beyond the cost, per unit of
/// cost; absent without a cost.
pub fn return_on_cost(revenue_minor: i64, cost_minor: i64) -> Option<f64> {
    (cost_minor > 0).then(|| (revenue_minor - cost_minor) as f64 / cost_minor as f64)
}

/// A share of a whole; absent when the whole is empty.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn measures_follow_their_definitions() {
        let over = Accuracy::of(120, 100);
        assert_eq!(over.error, 20);
        assert_eq!(over.ape, Some(0.2));
        assert!((over.accuracy - 0.8).abs() < 1e-12);
        assert_eq!(over.bias, Some(0.2));
        let under = Accuracy::of(50, 100);
        assert_eq!((under.error, under.bias), (-50, Some(-0.5)));
        assert_eq!(Accuracy::of(350, 100).accuracy, 0.0);
        assert_eq!(Accuracy::of(0, 0).accuracy, 1.0);
        let nothing_won = Accuracy::of(10, 0);
        assert_eq!((nothing_won.ape, nothing_won.bias), (None, None));
        assert_eq!(nothing_won.accuracy, 0.0);
    }

    #[test]
    fn too_high_means_beyond_the_tolerance() {
        assert!(!Accuracy::of(110, 100).too_high(0.1));
        assert!(Accuracy::of(111, 100).too_high(0.1));
        assert!(Accuracy::of(1, 0).too_high(0.1));
        assert!(!Accuracy::of(0, 0).too_high(0.0));
        assert!(!Accuracy::of(50, 100).too_high(0.0));
    }

    #[test]
    fn the_streak_counts_back_from_the_last_quarter() {
        let high = Some(Accuracy::of(150, 100));
        let fair = Some(Accuracy::of(100, 100));
        assert_eq!(too_high_streak(&[high, fair, high, high], 0.1), 2);
        assert_eq!(too_high_streak(&[high, high, high, fair], 0.1), 0);
        assert_eq!(too_high_streak(&[high, None, high], 0.1), 1);
        assert_eq!(too_high_streak(&[], 0.1), 0);
    }

    #[test]
    fn misses_in_opposite_directions_do_not_cancel_over_quarters() {
        let periods = [Accuracy::of(150, 100), Accuracy::of(50, 100)];
        assert!((accuracy_over(&periods) - 0.5).abs() < 1e-12);
        assert_eq!(accuracy_over(&[Accuracy::of(0, 0)]), 1.0);
        assert_eq!(accuracy_over(&[Accuracy::of(5, 0)]), 0.0);
    }

    #[test]
    fn busy_without_results_needs_both_signs_and_peers_who_win() {
        let config = AccountabilityConfig::default();
        assert_eq!(median(&[5, 1, 3]), Some(3.0));
        assert_eq!(median(&[4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert!(config.busy_without_results(150, 50, 100.0, 100.0));
        assert!(!config.busy_without_results(149, 50, 100.0, 100.0));
        assert!(!config.busy_without_results(150, 51, 100.0, 100.0));
        assert!(!config.busy_without_results(500, 0, 100.0, 0.0));
    }

    #[test]
    fn settings_out_of_range_are_named() {
        assert_eq!(AccountabilityConfig::default().problem(), None);
        let bad = AccountabilityConfig {
            busy_revenue_ratio: 1.0,
            ..AccountabilityConfig::default()
        };
        assert_eq!(bad.problem().map(|p| p.0), Some("busy_revenue_ratio"));
        let bad = AccountabilityConfig {
            smoke_tolerance: -0.1,
            ..AccountabilityConfig::default()
        };
        assert_eq!(bad.problem().map(|p| p.0), Some("smoke_tolerance"));
    }

    proptest! {
        #[test]
        fn accuracy_stays_between_zero_and_one(forecast in 0_i64..1_000_000, actual in 0_i64..1_000_000) {
            let a = Accuracy::of(forecast, actual);
            prop_assert!((0.0..=1.0).contains(&a.accuracy));
            prop_assert_eq!(a.error, forecast - actual);
            prop_assert!((0.0..=1.0).contains(&accuracy_over(&[a, a])));
        }
    }

    proptest! {
        #[test]
        fn a_split_cost_adds_up_and_follows_the_weights(
            cost in 0_i64..1_000_000_000,
            weights in proptest::collection::vec(0_i64..10_000, 1..12),
        ) {
            let parts = split_cost(cost, &weights);
            prop_assert_eq!(parts.len(), weights.len());
            let total: i64 = weights.iter().sum();
            if total == 0 {
                prop_assert!(parts.iter().all(|p| *p == 0));
            } else {
                prop_assert_eq!(parts.iter().sum::<i64>(), cost);
                for (part, weight) in parts.iter().zip(&weights) {
                    let exact = cost as f64 * *weight as f64 / total as f64;
                    prop_assert!((*part as f64 - exact).abs() < 1.0 + 1e-6);
                }
            }
        }
    }

    #[test]
    fn a_cost_split_gives_rounding_to_the_largest_remainders() {
        assert_eq!(split_cost(100, &[1, 1, 1]), [34, 33, 33]);
        assert_eq!(split_cost(10, &[1, 2]), [3, 7]);
        assert_eq!(split_cost(5, &[0, 0]), [0, 0]);
        assert_eq!(split_cost(7, &[0, 3]), [0, 7]);
    }

    #[test]
    fn a_campaign_cost_is_spread_over_the_days_it_runs() {
        let day = |text: &str| text.parse::<jiff::civil::Date>().unwrap();
        let runs = (day("2026-06-21"), day("2026-07-10"));
        let q3 = (day("2026-07-01"), day("2026-09-30"));
        // 20 days, 10 of them in Q3.
        assert_eq!(cost_in_period(1_000, runs, q3.0, q3.1), 500);
        assert_eq!(
            cost_in_period(1_000, runs, day("2026-01-01"), day("2026-12-31")),
            1_000
        );
        assert_eq!(
            cost_in_period(1_000, runs, day("2026-10-01"), day("2026-12-31")),
            0
        );
        // The months of a year-long campaign add up to its whole cost.
        let year = (day("2026-01-01"), day("2026-12-31"));
        let months: i64 = (1..=12)
            .map(|month| {
                let first = jiff::civil::date(2026, month, 1);
                cost_in_period(11_694_020, year, first, first.last_of_month())
            })
            .sum();
        assert_eq!(months, 11_694_020);
        // Still running on 30 September, started 1 July: all of it so far in Q3.
        let today = day("2026-09-30");
        let running = campaign_days(Some(day("2026-07-01")), None, day("2026-05-01"), today);
        assert_eq!(running, (day("2026-07-01"), today));
        assert_eq!(cost_in_period(1_000, running, q3.0, q3.1), 1_000);
        assert_eq!(
            cost_in_period(1_000, running, day("2026-04-01"), day("2026-06-30")),
            0,
            "nothing before it began"
        );
        // No days at all: from the day it was entered to today.
        let undated = campaign_days(None, None, day("2026-08-31"), today);
        assert_eq!(cost_in_period(900, undated, q3.0, q3.1), 900);
        // 30 of its 31 days: 900 less the 29 (rounded down) of 31 August.
        assert_eq!(
            cost_in_period(900, undated, day("2026-09-01"), day("2026-09-30")),
            871
        );
        assert_eq!(
            cost_in_period(900, undated, day("2026-08-31"), day("2026-08-31")),
            29
        );
        // Starting after today, or ending before it was entered.
        assert_eq!(
            campaign_days(Some(day("2026-12-01")), None, day("2026-08-31"), today),
            (day("2026-12-01"), day("2026-12-01"))
        );
        assert_eq!(
            campaign_days(None, Some(day("2026-06-30")), day("2026-08-31"), today),
            (day("2026-06-30"), day("2026-06-30"))
        );
        assert_eq!(return_on_cost(3_000, 1_000), Some(2.0));
        assert_eq!(return_on_cost(3_000, 0), None);
        assert_eq!(share(1, 4), Some(0.25));
        assert_eq!(share(1, 0), None);
    }
}
