//! Figures for the dashboard: how far leads get through the lifecycle, how
//! loaded each queue is and how well it keeps its first-touch promise, and
//! which inquiries arrive month by month.

use crate::connect::Db;
use crate::error::{DbError, Result};
use baton_core::domain::{Stage, WorkStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// How far back first touches are judged against their due time.
pub const SLA_WINDOW_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The work of one queue now, and its first touches over [`SLA_WINDOW_MS`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueLoad {
    pub queue_id: i64,
    pub name: String,
    /// Items not finished: unassigned, assigned or accepted.
    pub open: i64,
    /// Open items that wait for a member.
    pub waiting: i64,
    /// Open items still untouched after their first-touch due time, or
    /// still open after their resolution due time.
    pub overdue: i64,
    /// Items of the window judged so far: due in it, or touched already.
    pub judged: i64,
    /// Judged items touched by their due time.
    pub on_time: i64,
}

impl QueueLoad {
    /// Share of the judged items touched in time; none when none was judged.
    pub fn compliance(&self) -> Option<f64> {
        (self.judged > 0).then(|| self.on_time as f64 / self.judged as f64)
    }
}

/// Inquiries per month of one intent or one source; `key` is none when the
/// inquiry has no intent decision or its lead no source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixRow {
    pub key: Option<String>,
    /// One count per month of [`InquiryMix::months`].
    pub months: Vec<i64>,
}

impl MixRow {
    pub fn total(&self) -> i64 {
        self.months.iter().sum()
    }
}

/// Inquiries received month by month in the organisation's time zone, by
/// intent (the latest intent decision) and by source (their lead's); spam,
/// held or confirmed, is no one's inquiry and is left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InquiryMix {
    /// `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    pub by_intent: Vec<MixRow>,
    pub by_source: Vec<MixRow>,
}

const OPEN: [WorkStatus; 3] = [
    WorkStatus::Unassigned,
    WorkStatus::Assigned,
    WorkStatus::Accepted,
];

/// Counts per key and month index, as rows ordered by key.
fn mix_rows(counts: BTreeMap<Option<String>, Vec<i64>>) -> Vec<MixRow> {
    counts
        .into_iter()
        .map(|(key, months)| MixRow { key, months })
        .collect()
}

/// One step of the funnel: the leads that reached a stage or went further.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FunnelStep {
    pub stage: Stage,
    pub leads: i64,
    /// Share of the previous step's leads that got this far; none for the
    /// first step, or when the previous one has no leads.
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
            conversion: i
                .checked_sub(1)
                .filter(|previous| reached[*previous] > 0)
                .map(|previous| *leads as f64 / reached[previous] as f64),
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
/// times) that also meets `only` (SQL text about the lead `l`, or empty),
/// from its current stage and its history: (lead id, step), fixed SQL text
/// for a FROM clause. A lead that reached a step has passed every step
/// before it, whatever path it took; every lead has arrived, so it reached
/// the first step (new) even when it went straight to nurture.
pub(crate) fn furthest_steps(only: &str) -> String {
    let now = step_of("l.stage");
    let past = step_of("h.to_stage");
    // Each lead's history is read through its index, one lead at a time:
    // no sort of the whole period's stage changes.
    format!(
        "(SELECT lead_id,
              CAST(CASE WHEN now_step >= past_step AND now_step > 0 THEN now_step
                        WHEN past_step > 0 THEN past_step ELSE 1 END AS BIGINT)
                  AS furthest
          FROM (SELECT l.id AS lead_id, {now} AS now_step,
                    COALESCE((SELECT MAX({past}) FROM lead_stage_history h
                              WHERE h.lead_id = l.id), 0) AS past_step
                FROM leads l WHERE l.created_at >= $1 AND l.created_at < $2{only}) s)"
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
            "SELECT furthest, COUNT(*) FROM {} f GROUP BY furthest",
            furthest_steps("")
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

    /// Every queue's open work at `now` (stored time) and its first touches
    /// judged over the [`SLA_WINDOW_MS`] before it, by queue name.
    pub async fn queue_load(&self, now: i64) -> Result<Vec<QueueLoad>> {
        // Open items are few and read through (queue_id, status, id).
        let overdue = crate::work_items::late_at("w", "$4");
        let mut queues: Vec<QueueLoad> =
            sqlx::query_as::<_, (i64, String, i64, i64, i64)>(&format!(
                "SELECT q.id, q.name,
                 (SELECT COUNT(*) FROM work_items w
                  WHERE w.queue_id = q.id AND w.status IN ($1, $2, $3)),
                 (SELECT COUNT(*) FROM work_items w
                  WHERE w.queue_id = q.id AND w.status = $1),
                 (SELECT COUNT(*) FROM work_items w
                  WHERE w.queue_id = q.id AND w.status IN ($1, $2, $3)
                    AND {overdue})
             FROM queues q ORDER BY q.name, q.id"
            ))
            .bind(OPEN[0].as_str())
            .bind(OPEN[1].as_str())
            .bind(OPEN[2].as_str())
            .bind(now)
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .map(|(queue_id, name, open, waiting, overdue)| QueueLoad {
                queue_id,
                name,
                open,
                waiting,
                overdue,
                judged: 0,
                on_time: 0,
            })
            .collect();
        // The window's items, of any status, through (status, first_touch_due_at);
        // escalated work was not touched in time, whatever it is due by now.
        let statuses = (1..=WorkStatus::ALL.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (from, to) = (WorkStatus::ALL.len() + 1, WorkStatus::ALL.len() + 2);
        let sql = format!(
            "SELECT queue_id, COUNT(*),
                 CAST(SUM(CASE WHEN first_touched_at <= first_touch_due_at
                     AND escalated_at IS NULL THEN 1 ELSE 0 END) AS BIGINT)
             FROM work_items
             WHERE status IN ({statuses}) AND first_touch_due_at >= ${from}
               AND (first_touch_due_at < ${to} OR first_touched_at IS NOT NULL)
             GROUP BY queue_id"
        );
        let mut judged = sqlx::query_as::<_, (i64, i64, i64)>(&sql);
        for status in WorkStatus::ALL {
            judged = judged.bind(status.as_str());
        }
        let judged: BTreeMap<i64, (i64, i64)> = judged
            .bind(now - SLA_WINDOW_MS)
            .bind(now)
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .map(|(queue, judged, on_time)| (queue, (judged, on_time)))
            .collect();
        for queue in &mut queues {
            if let Some((judged, on_time)) = judged.get(&queue.queue_id) {
                (queue.judged, queue.on_time) = (*judged, *on_time);
            }
        }
        Ok(queues)
    }

    /// Inquiries received in the `months` months up to and including the
    /// one that holds `today`, in the organisation's time zone.
    pub async fn inquiry_mix(&self, today: jiff::civil::Date, months: i32) -> Result<InquiryMix> {
        let tz = self.time_zone().await?;
        let this_month = today.first_of_month();
        let starts = (0..=months)
            .map(|i| {
                let month = this_month.checked_add(jiff::Span::new().months(i - months + 1))?;
                Ok((
                    month.strftime("%Y-%m").to_string(),
                    month.to_zoned(tz.clone())?.timestamp().as_millisecond(),
                ))
            })
            .collect::<std::result::Result<Vec<_>, jiff::Error>>()
            .map_err(|e| DbError::invalid("month", e.to_string()))?;
        let count = starts.len() - 1;
        // Bucket k runs from starts[k] up to starts[k + 1]: $1 … ${count + 1}.
        let bucket = (1..count)
            .map(|k| format!("WHEN i.received_at < ${} THEN {}", k + 1, k - 1))
            .collect::<Vec<_>>()
            .join(" ");
        let sql = format!(
            "SELECT month, intent, source, COUNT(*) FROM
                 (SELECT CAST(CASE {bucket} ELSE {last} END AS BIGINT) AS month,
                      (SELECT d.value FROM decisions d
                       WHERE d.inquiry_id = i.id AND d.kind = 'intent'
                       ORDER BY d.created_at DESC, d.id DESC LIMIT 1) AS intent,
                      l.source AS source
                  FROM inquiries i LEFT JOIN leads l ON l.inquiry_id = i.id
                  WHERE i.received_at >= $1 AND i.received_at < ${end}
                    AND i.status NOT IN ('quarantined', 'spam')) m
             GROUP BY month, intent, source",
            last = count - 1,
            end = count + 1,
        );
        let mut query = sqlx::query_as::<_, (i64, Option<String>, Option<String>, i64)>(&sql);
        for (_, start) in &starts {
            query = query.bind(*start);
        }
        let (mut by_intent, mut by_source) = (BTreeMap::new(), BTreeMap::new());
        for (month, intent, source, inquiries) in query.fetch_all(self.reader()).await? {
            for (counts, key) in [(&mut by_intent, intent), (&mut by_source, source)] {
                let months = counts.entry(key).or_insert_with(|| vec![0; count]);
                if let Some(cell) = usize::try_from(month).ok().and_then(|m| months.get_mut(m)) {
                    *cell += inquiries;
                }
            }
        }
        Ok(InquiryMix {
            months: starts.into_iter().take(count).map(|(key, _)| key).collect(),
            by_intent: mix_rows(by_intent),
            by_source: mix_rows(by_source),
        })
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
    fn a_step_after_an_empty_one_has_no_conversion() {
        let funnel = steps(&[0; 6]);
        assert!(funnel.iter().all(|s| s.conversion.is_none()));
        let funnel = steps(&[4, 0, 0, 0, 0, 0]);
        assert_eq!(funnel[1].conversion, Some(0.0), "none of four");
        assert_eq!(funnel[2].conversion, None, "of none");
    }
}
