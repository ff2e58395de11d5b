//! The order of a call sheet: what is due under an SLA first (soonest
//! first), then the best-scored, then the most valuable, then whoever has
//! waited longest since they were last touched.

use std::cmp::{Ordering, Reverse};

/// What decides a call's place on the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallPriority {
    /// SLA due time, UTC milliseconds.
    pub due_at: Option<i64>,
    /// Lead score, 0–100.
    pub score: Option<i64>,
    /// Deal value in minor units.
    pub value_minor: Option<i64>,
    /// Last logged activity, UTC milliseconds; never touched comes first.
    pub last_touch_at: Option<i64>,
}

impl CallPriority {
    /// A key that sorts calls in sheet order.
    fn key(&self) -> (bool, i64, Reverse<i64>, Reverse<i64>, i64) {
        (
            self.due_at.is_none(),
            self.due_at.unwrap_or(i64::MAX),
            Reverse(self.score.unwrap_or(-1)),
            Reverse(self.value_minor.unwrap_or(-1)),
            self.last_touch_at.unwrap_or(i64::MIN),
        )
    }
}

impl PartialOrd for CallPriority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CallPriority {
    /// Earlier on the sheet is smaller.
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sla_due_comes_first_then_score_value_and_the_longest_wait() {
        let due_late = CallPriority {
            due_at: Some(2_000),
            ..Default::default()
        };
        let due_soon = CallPriority {
            due_at: Some(1_000),
            score: Some(10),
            ..Default::default()
        };
        let high_score = CallPriority {
            score: Some(90),
            value_minor: Some(1),
            ..Default::default()
        };
        let big_deal = CallPriority {
            score: Some(90),
            value_minor: Some(5_000_000),
            ..Default::default()
        };
        let touched_long_ago = CallPriority {
            last_touch_at: Some(10),
            ..Default::default()
        };
        let touched_yesterday = CallPriority {
            last_touch_at: Some(900),
            ..Default::default()
        };
        let never_touched = CallPriority::default();
        let mut calls = vec![
            touched_yesterday,
            high_score,
            never_touched,
            due_late,
            big_deal,
            touched_long_ago,
            due_soon,
        ];
        calls.sort();
        assert_eq!(
            calls,
            vec![
                due_soon,
                due_late,
                big_deal,
                high_score,
                never_touched,
                touched_long_ago,
                touched_yesterday
            ]
        );
    }

    fn priority() -> impl Strategy<Value = CallPriority> {
        (
            proptest::option::of(0i64..1_000),
            proptest::option::of(0i64..100),
            proptest::option::of(0i64..1_000_000),
            proptest::option::of(0i64..1_000),
        )
            .prop_map(|(due_at, score, value_minor, last_touch_at)| CallPriority {
                due_at,
                score,
                value_minor,
                last_touch_at,
            })
    }

    proptest! {
        #[test]
        fn every_call_with_an_sla_precedes_every_call_without(mut calls in proptest::collection::vec(priority(), 0..40)) {
            calls.sort();
            let first_without = calls.iter().position(|c| c.due_at.is_none()).unwrap_or(calls.len());
            prop_assert!(calls[first_without..].iter().all(|c| c.due_at.is_none()));
        }
    }
}
