//! The lead funnel of a period: of the leads that arrived in it, how many
//! reached each stage of the lifecycle, the conversion from the stage
//! before, and how long leads stayed in each stage (the median, from the
//! stage history), so a stage where leads wait shows up.

use super::{Period, mean_and_median};
use crate::connect::Db;
use crate::dashboard::FunnelStep;
use crate::error::Result;
use serde::Serialize;

/// One stage of a period's funnel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStage {
    #[serde(flatten)]
    pub step: FunnelStep,
    /// Median days a lead stayed in the stage before it moved on, over the
    /// period's leads that left it; absent when none did.
    pub median_days_in_stage: Option<f64>,
    /// Stays in the stage that have ended (a lead sent back may stay
    /// twice): what the median is taken over.
    pub stays_timed: i64,
}

/// The funnel of the leads that arrived in a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub period: Period,
    /// The lifecycle's main path, in order.
    pub stages: Vec<FunnelStage>,
}

/// Hours in a day: time in stage is counted in whole hours, shown in days.
const HOURS_PER_DAY: f64 = 24.0;

impl Db {
    /// Conversion and time in stage for the leads created in `period`.
    pub async fn funnel_report(&self, period: Period) -> Result<FunnelReport> {
        let (starts, ends) = period.bounds(&self.time_zone().await?)?;
        let steps = self.funnel_of_leads_created(starts, ends).await?;
        // Each change says when the lead entered a stage; the next change
        // of the same lead says when it left it. Stays still running are
        // not counted: their length is not known yet.
        let stays: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT stage, hours, COUNT(*) FROM (
                 SELECT h.to_stage AS stage,
                     CAST((LEAD(h.at) OVER (PARTITION BY h.lead_id ORDER BY h.at, h.id) - h.at)
                          / 3600000 AS BIGINT) AS hours
                 FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id
                 WHERE l.created_at >= $1 AND l.created_at < $2) s
             WHERE hours IS NOT NULL
             GROUP BY stage, hours ORDER BY stage, hours",
        )
        .bind(starts)
        .bind(ends)
        .fetch_all(self.reader())
        .await?;
        let stages = steps
            .into_iter()
            .map(|step| {
                let histogram: Vec<(i64, i64)> = stays
                    .iter()
                    .filter(|(stage, _, _)| stage.as_str() == step.stage.as_str())
                    .map(|(_, hours, count)| (*hours, *count))
                    .collect();
                FunnelStage {
                    median_days_in_stage: mean_and_median(&histogram)
                        .1
                        .map(|hours| hours / HOURS_PER_DAY),
                    stays_timed: histogram.iter().map(|(_, count)| count).sum(),
                    step,
                }
            })
            .collect();
        Ok(FunnelReport { period, stages })
    }
}
