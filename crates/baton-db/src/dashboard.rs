//! Figures for the dashboard: how far leads get through the lifecycle.

use crate::connect::Db;
use crate::error::Result;
use baton_core::domain::Stage;
use serde::Serialize;

/// One step of the funnel: the leads that reached a stage or went further.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStep {
    pub stage: Stage,
    pub leads: i64,
    /// Share of the previous step's leads that got this far; none for the first step.
    pub conversion: Option<f64>,
}

/// The lifecycle's main path. Nurture is a side track for cold leads and
/// disqualified a way out, so neither is a step.
pub const FUNNEL: &[Stage] = &[
    Stage::New,
    Stage::Mql,
    Stage::Sal,
    Stage::Sql,
    Stage::Opportunity,
    Stage::Customer,
];

/// Steps from the count of leads whose furthest step is each index of [`FUNNEL`]:
/// a lead that reached a step has passed every step before it.
fn steps(furthest: &[i64]) -> Vec<FunnelStep> {
    let mut reached = furthest.to_vec();
    for i in (0..reached.len().saturating_sub(1)).rev() {
        reached[i] += reached[i + 1];
    }
    FUNNEL
        .iter()
        .zip(&reached)
        .enumerate()
        .map(|(i, (stage, leads))| FunnelStep {
            stage: *stage,
            leads: *leads,
            conversion: i.checked_sub(1).map(|previous| {
                if reached[previous] == 0 {
                    0.0
                } else {
                    *leads as f64 / reached[previous] as f64
                }
            }),
        })
        .collect()
}

/// The step of `FUNNEL` a stage column names, counted from 1, and 0 off
/// the main path: fixed SQL text.
pub(crate) fn step_of(column: &str) -> String {
    let steps = FUNNEL
        .iter()
        .enumerate()
        .map(|(i, stage)| format!("WHEN '{}' THEN {}", stage.as_str(), i + 1))
        .collect::<Vec<_>>()
        .join(" ");
    format!("CASE {column} {steps} ELSE 0 END")
}

/// The furthest step of each lead created from `$1` up to `$2` (stored
/// times), from its current stage and its history: (lead id, step), fixed
/// SQL text for a FROM clause. A lead that reached a step has passed every
/// step before it, whatever path it took.
pub(crate) fn furthest_steps() -> String {
    let now = step_of("l.stage");
    let past = step_of("h.to_stage");
    // Each lead's history is read through its index, one lead at a time:
    // no sort of the whole period's stage changes.
    format!(
        "(SELECT lead_id,
              CAST(CASE WHEN now_step >= past_step THEN now_step ELSE past_step END AS BIGINT)
                  AS furthest
          FROM (SELECT l.id AS lead_id, {now} AS now_step,
                    COALESCE((SELECT MAX({past}) FROM lead_stage_history h
                              WHERE h.lead_id = l.id), 0) AS past_step
                FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2) s)"
    )
}

impl Db {
    /// The funnel over every lead: each step with the leads that reached it
    /// (their current stage or any stage in their history) and the
    /// conversion from the step before.
    pub async fn funnel(&self) -> Result<Vec<FunnelStep>> {
        self.funnel_of_leads_created(i64::MIN, i64::MAX).await
    }

    /// The funnel over the leads created from `starts` up to `ends` (stored times).
    pub(crate) async fn funnel_of_leads_created(
        &self,
        starts: i64,
        ends: i64,
    ) -> Result<Vec<FunnelStep>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT furthest, COUNT(*) FROM {} f WHERE furthest > 0 GROUP BY furthest",
            furthest_steps()
        ))
        .bind(starts)
        .bind(ends)
        .fetch_all(self.reader())
        .await?;
        let mut furthest = vec![0; FUNNEL.len()];
        for (step, leads) in rows {
            if let Some(count) = usize::try_from(step - 1)
                .ok()
                .and_then(|i| furthest.get_mut(i))
            {
                *count = leads;
            }
        }
        Ok(steps(&furthest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_counts_every_lead_that_went_further() {
        let funnel = steps(&[5, 3, 0, 0, 1, 1]);
        let leads: Vec<i64> = funnel.iter().map(|s| s.leads).collect();
        assert_eq!(leads, [10, 5, 2, 2, 2, 1]);
        assert_eq!(funnel[0].conversion, None);
        assert_eq!(funnel[1].conversion, Some(0.5));
        assert_eq!(funnel[5].conversion, Some(0.5));
    }

    #[test]
    fn an_empty_funnel_converts_nothing() {
        let funnel = steps(&[0; 6]);
        assert!(funnel.iter().skip(1).all(|s| s.conversion == Some(0.0)));
    }
}
