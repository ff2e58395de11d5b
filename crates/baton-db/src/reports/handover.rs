//! The service levels marketing and sales owe each other, for a quarter.
//! Marketing's side: did each campaign and channel deliver the MQLs its
//! lead forecast promised? Sales' side: were the leads handed over
//! accepted or rejected within the first-touch SLA of their queue, how
//! long did that take, and why were leads sent back?

use super::{AccuracyGroup, Period};
use crate::connect::Db;
use crate::error::Result;
use baton_core::accountability::{median, share};
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastKind, Function};
use serde::Serialize;
use std::collections::BTreeMap;

/// MQLs forecast against MQLs delivered by one campaign or channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MqlDelivery {
    /// The campaign, or the channel of lines without one.
    pub name: String,
    pub campaign_id: Option<i64>,
    /// MQLs the judged lead forecasts expected; 0 when nobody forecast them.
    pub forecast_mqls: i64,
    /// Leads that arrived in the quarter and reached MQL.
    pub mqls: i64,
    /// MQLs over the forecast; absent without a forecast.
    pub delivered: Option<f64>,
}

/// One reason leads were sent back, and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RejectionReason {
    pub reason: String,
    pub leads: i64,
}

/// How sales answered the leads handed to them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SalesResponse {
    /// Leads put in a sales queue (qualification, hunting, farming) in the quarter.
    pub handed_over: i64,
    pub accepted: i64,
    pub rejected: i64,
    /// Not answered yet.
    pub open: i64,
    /// Answered by the first-touch due time.
    pub on_time: i64,
    /// Answered after it, or still open after it.
    pub late: i64,
    /// On time over on time and late; absent when nothing was due yet.
    pub on_time_share: Option<f64>,
    /// Median hours from hand-over to the answer.
    pub median_hours_to_accept: Option<f64>,
    pub median_hours_to_reject: Option<f64>,
    /// Most frequent first.
    pub rejection_reasons: Vec<RejectionReason>,
}

/// Marketing ↔ sales SLA compliance for a quarter.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HandoverReport {
    pub quarter: String,
    pub period: Period,
    /// Per campaign or channel with a lead forecast or MQLs, by name.
    pub mql_delivery: Vec<MqlDelivery>,
    /// Every campaign and channel together.
    pub mql_total: MqlDelivery,
    pub sales: SalesResponse,
}

/// The functions that take leads from marketing.
const SALES: [Function; 3] = [
    Function::Qualification,
    Function::Hunting,
    Function::Farming,
];

const HOUR_MS: f64 = 3_600_000.0;

/// One handed-over lead: (first-touch due, handed over at, accepted at,
/// rejected at, reason it was rejected, escalated at). An escalation moves
/// the due time on for the next holder, and happens only to work nobody
/// touched in time, so an escalated lead was answered late.
type Handover = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn delivery(name: String, campaign_id: Option<i64>, forecast: i64, mqls: i64) -> MqlDelivery {
    MqlDelivery {
        name,
        campaign_id,
        forecast_mqls: forecast,
        mqls,
        delivered: share(mqls, forecast),
    }
}

/// Sales' answers to `handovers`, judged at `now`: the first answer counts.
fn sales_response(handovers: &[Handover], now: i64) -> SalesResponse {
    let (mut accepted, mut rejected, mut on_time, mut late) = (0, 0, 0, 0);
    let (mut to_accept, mut to_reject) = (Vec::new(), Vec::new());
    let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
    for (due, handed, accepted_at, rejected_at, reason, escalated_at) in handovers {
        let missed = escalated_at.is_some();
        let answer = match (accepted_at, rejected_at) {
            (Some(a), Some(r)) if r < a => Some((*r, false)),
            (Some(a), _) => Some((*a, true)),
            (None, Some(r)) => Some((*r, false)),
            (None, None) => None,
        };
        match answer {
            Some((at, was_accepted)) => {
                if was_accepted {
                    accepted += 1;
                    to_accept.push(at - handed);
                } else {
                    rejected += 1;
                    to_reject.push(at - handed);
                    let reason = reason.as_deref().map_or("", str::trim);
                    *reasons.entry(reason.to_string()).or_default() += 1;
                }
                if at <= *due && !missed {
                    on_time += 1;
                } else {
                    late += 1;
                }
            }
            None if now > *due || missed => late += 1,
            None => {}
        }
    }
    let mut rejection_reasons: Vec<RejectionReason> = reasons
        .into_iter()
        .map(|(reason, leads)| RejectionReason { reason, leads })
        .collect();
    rejection_reasons.sort_by(|a, b| b.leads.cmp(&a.leads).then(a.reason.cmp(&b.reason)));
    let hours = |waits: &[i64]| median(waits).map(|ms| ms / HOUR_MS);
    SalesResponse {
        handed_over: handovers.len() as i64,
        accepted,
        rejected,
        open: handovers.len() as i64 - accepted - rejected,
        on_time,
        late,
        on_time_share: share(on_time, on_time + late),
        median_hours_to_accept: hours(&to_accept),
        median_hours_to_reject: hours(&to_reject),
        rejection_reasons,
    }
}

impl Db {
    /// Both sides of the hand-over in `quarter`, judged now.
    pub async fn handover_report(&self, quarter: Quarter) -> Result<HandoverReport> {
        let period = Period::new(quarter.first_day(), quarter.last_day())?;
        let (starts, ends) = period.bounds(&self.time_zone().await?)?;
        // Lead forecasts by campaign are judged the same way as in the
        // forecast-accuracy report; only their MQLs matter here.
        let accuracy = self
            .forecast_accuracy(quarter, AccuracyGroup::Campaign)
            .await?;
        let by_origin = |rows: &[super::AccuracyRow]| -> Vec<MqlDelivery> {
            rows.iter()
                .filter(|row| row.kind == ForecastKind::Leads)
                .map(|row| {
                    delivery(
                        row.name.clone(),
                        row.id,
                        row.judged.forecast,
                        row.judged.actual,
                    )
                })
                .collect()
        };
        let mql_delivery = by_origin(&accuracy.rows);
        let mql_total = by_origin(&accuracy.totals)
            .pop()
            .unwrap_or_else(|| delivery("total".into(), None, 0, 0));
        let sales: Vec<&str> = SALES.iter().map(|f| f.as_str()).collect();
        let handovers: Vec<Handover> = sqlx::query_as(
            // A lead's work after earlier sales work that was not sent back
            // is sales handing it on within sales, not a new hand-over.
            "SELECT w.first_touch_due_at, w.created_at,
                 MIN(CASE WHEN h.action = 'accepted' THEN h.at END),
                 MIN(CASE WHEN h.action = 'rejected' THEN h.at END),
                 w.reject_reason, w.escalated_at
             FROM work_items w JOIN queues q ON q.id = w.queue_id
             LEFT JOIN assignment_history h
                 ON h.work_item_id = w.id AND h.action IN ('accepted', 'rejected')
             WHERE w.lead_id IS NOT NULL AND q.function IN ($1, $2, $3)
               AND w.created_at >= $4 AND w.created_at < $5
               AND NOT EXISTS (
                   SELECT 1 FROM work_items e JOIN queues eq ON eq.id = e.queue_id
                   WHERE e.lead_id = w.lead_id AND e.id < w.id
                     AND eq.function IN ($1, $2, $3) AND e.status <> 'rejected')
             GROUP BY w.id, w.first_touch_due_at, w.created_at, w.reject_reason, w.escalated_at",
        )
        .bind(sales[0])
        .bind(sales[1])
        .bind(sales[2])
        .bind(starts)
        .bind(ends)
        .fetch_all(self.reader())
        .await?;
        Ok(HandoverReport {
            quarter: quarter.to_string(),
            period,
            mql_delivery,
            mql_total: MqlDelivery {
                name: "total".into(),
                ..mql_total
            },
            sales: sales_response(&handovers, crate::now_ms()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answer_counts_and_open_leads_are_late_once_due() {
        let reason = |r: &str| Some(r.to_string());
        let handovers: Vec<Handover> = vec![
            // Accepted after 2 h, due at 4 h: on time.
            (4, 0, Some(2), None, None, None),
            // Rejected after 6 h, due at 4 h: late.
            (4, 0, None, Some(6), reason("no budget"), None),
            // Rejected first, then accepted: the rejection counts.
            (10, 0, Some(9), Some(1), reason(" no budget "), None),
            // Open, due before now (100): late; open, due after: not judged.
            (50, 0, None, None, None, None),
            (500, 0, None, None, None, None),
            // Escalated at 5 h, then accepted by the new holder before the
            // due time the escalation gave them: late all the same; and
            // escalated, still open and not yet due again: late.
            (20, 0, Some(7), None, None, Some(5)),
            (500, 0, None, None, None, Some(5)),
        ];
        let response = sales_response(&handovers, 100);
        assert_eq!(
            (
                response.handed_over,
                response.accepted,
                response.rejected,
                response.open
            ),
            (7, 2, 2, 3)
        );
        assert_eq!((response.on_time, response.late), (2, 4));
        assert_eq!(response.on_time_share, Some(2.0 / 6.0));
        assert_eq!(response.median_hours_to_reject, Some(3.5 / HOUR_MS));
        assert_eq!(
            response.rejection_reasons,
            [RejectionReason {
                reason: "no budget".into(),
                leads: 2
            }]
        );
    }
}
