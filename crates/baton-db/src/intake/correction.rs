//! A person's correction of an inquiry's intent: kept as a decision with
//! their name beside the pipeline's, and carried to the inquiry's lead. When
//! the routing rules send the corrected intent to another queue, the open
//! work item moves there and is assigned by that queue's strategy, and a
//! lead still at a routing stage takes that queue's stage. The intent model
//! learns from the correction.

use super::apply::stage_for;
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use crate::work_items::{change_stage_in, choose_assignee, lock_queue_by_id, record};
use baton_core::decision::Reason;
use baton_core::domain::{Function, Grade, Intent, Stage};
use baton_core::routing::{RouteDecision, RoutingFacts, route};
use baton_core::sla::{BusinessHours, SlaTarget};
use sqlx::{Any, Transaction};

/// The version recorded on decisions a person made by hand.
pub const BY_PERSON: &str = "person";

/// The work item an inquiry still has open, and where it is.
struct OpenItem {
    id: i64,
    queue: String,
    assignee: Option<i64>,
    lead_id: Option<i64>,
}

impl Db {
    /// Records that inquiry `id` is really about `intent`, as `actor` says,
    /// and re-routes its open work item when the rules now send it to
    /// another queue.
    pub async fn correct_intent(
        &self,
        actor: i64,
        id: i64,
        intent: Intent,
        note: &str,
    ) -> Result<()> {
        let name = self.user(actor).await?.name;
        let said = match note.trim() {
            "" => format!("intent corrected to {intent} by {name}"),
            note => format!("intent corrected to {intent} by {name}: {note}"),
        };
        let reason = Reason::new("corrected_by_person", 1.0, said.clone());
        let context = self.processing_context().await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let inquiry: Option<(String, String, Vec<u8>, Option<i64>)> =
            sqlx::query_as("SELECT status, channel, raw, account_id FROM inquiries WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((status, channel, raw, account_id)) = inquiry else {
            return Err(DbError::NotFound(format!("inquiry {id}")));
        };
        sqlx::query(
            "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, actor_id, created_at)
             VALUES ($1, 'intent', $2, 1.0, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(intent.as_str())
        .bind(serde_json::to_string(&[reason]).unwrap_or_else(|_| "[]".into()))
        .bind(BY_PERSON)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE leads SET intent = $1, updated_at = $2 WHERE inquiry_id = $3")
            .bind(intent.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut *tx,
            Some(actor),
            "inquiry.intent_corrected",
            "inquiry",
            Some(id),
            &serde_json::json!({ "intent": intent }),
        )
        .await?;
        // Quarantined inquiries have no work; the moderator's release routes them.
        if status != "spam"
            && let Some(item) = open_item(&mut tx, id).await?
        {
            let facts = RoutingFacts {
                quarantined: false,
                intent,
                // A person's word is certain.
                intent_uncertain: false,
                grade: latest_grade(&mut tx, id).await?,
                source: channel
                    .parse()
                    .ok()
                    .and_then(|channel| baton_core::intake::read(channel, &raw).ok())
                    .and_then(|(inquiry, _)| inquiry.source),
                account_status: None,
                account_tier: None,
            };
            let facts = with_account(&mut tx, account_id, facts).await?;
            let decision = route(&facts, &context.rules);
            if let Some(queue) = decision.queue.as_deref()
                && queue != item.queue
            {
                self.move_item(&mut tx, actor, id, &item, &decision, &said, &context.hours)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves `item` of inquiry `inquiry_id` to the queue `decision` names,
    /// assigned by that queue's strategy with its SLA starting now, its lead
    /// taking the queue's stage, and records the routing decision, the
    /// assignment and the audit entry.
    #[allow(clippy::too_many_arguments)]
    async fn move_item(
        &self,
        tx: &mut Transaction<'static, Any>,
        actor: i64,
        inquiry_id: i64,
        item: &OpenItem,
        decision: &RouteDecision,
        correction: &str,
        hours: &BusinessHours,
    ) -> Result<()> {
        let slug = decision.queue.as_deref().expect("a decision with a queue");
        let queue: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, function, first_touch_sla_min, resolution_sla_min, business_hours FROM queues WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((queue_id, function, first_touch, resolution, business_hours)) = queue else {
            return Err(DbError::invalid(
                "queue",
                format!("routing names queue `{slug}`, which does not exist"),
            ));
        };
        let (strategy, mut last, _, _) = lock_queue_by_id(tx, self.backend(), queue_id).await?;
        let chosen =
            choose_assignee(tx, queue_id, strategy, &mut last, None, &decision.skills).await?;
        sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
            .bind(last)
            .bind(queue_id)
            .execute(&mut **tx)
            .await?;
        let now = now_ms();
        let assignee = chosen.as_ref().ok().map(|(user, _)| *user);
        let due = |minutes: i64| {
            let target = if business_hours != 0 {
                SlaTarget::BusinessMinutes(minutes)
            } else {
                SlaTarget::WallClockMinutes(minutes)
            };
            let start =
                jiff::Timestamp::from_millisecond(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            target.due_at(start, hours).as_millisecond()
        };
        // The new team's clock starts now: what the old team did or did
        // not do is not theirs.
        sqlx::query(
            "UPDATE work_items SET queue_id = $1, assignee_id = $2, status = $3, first_touch_due_at = $4,
                 resolution_due_at = $5, first_touched_at = NULL, escalation_level = 0, escalated_at = NULL,
                 updated_at = $6
             WHERE id = $7",
        )
        .bind(queue_id)
        .bind(assignee)
        .bind(if assignee.is_some() { "assigned" } else { "unassigned" })
        .bind(due(first_touch))
        .bind(due(resolution))
        .bind(now)
        .bind(item.id)
        .execute(&mut **tx)
        .await?;
        if let Some(lead_id) = item.lead_id {
            sqlx::query("UPDATE leads SET owner_id = $1, updated_at = $2 WHERE id = $3")
                .bind(assignee)
                .bind(now)
                .bind(lead_id)
                .execute(&mut **tx)
                .await?;
            let function: Function = function
                .parse()
                .map_err(|e| DbError::invalid("function", format!("{e}")))?;
            if let Some(stage) = stage_for(function) {
                // Only a stage routing gave moves: a lead sales has taken
                // further stays where it is.
                change_stage_in(
                    tx,
                    lead_id,
                    &[Stage::Nurture, Stage::New, Stage::Mql],
                    stage,
                    &format!("routed to {slug}: {correction}"),
                    Some(actor),
                )
                .await?;
            }
        }
        let assigned = match &chosen {
            Ok((_, why)) => why.clone(),
            Err(why) => format!("waiting: {why}"),
        };
        record(
            tx,
            item.id,
            "rerouted",
            item.assignee,
            assignee,
            Some(queue_id),
            &format!("{correction}; from {} to {slug}; {assigned}", item.queue),
            Some(actor),
        )
        .await?;
        let mut reasons = vec![Reason::new(
            "intent_corrected",
            1.0,
            format!("{correction}, so it moves from {}", item.queue),
        )];
        reasons.extend(decision.reasons.iter().cloned());
        sqlx::query(
            "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, actor_id, created_at)
             VALUES ($1, 'route', $2, NULL, $3, $4, $5, $6)",
        )
        .bind(inquiry_id)
        .bind(slug)
        .bind(serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into()))
        .bind(baton_core::routing::RULES_VERSION)
        .bind(actor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        crate::webhooks::enqueue(
            tx,
            "inquiry.routed",
            &[serde_json::json!({
                "inquiry_id": inquiry_id,
                "queue": slug,
                "work_item_id": item.id,
                "assignee_id": assignee,
                "lead_id": item.lead_id,
            })],
        )
        .await?;
        audit_in(
            &mut **tx,
            Some(actor),
            "work_item.rerouted",
            "work_item",
            Some(item.id),
            &serde_json::json!({
                "inquiry": inquiry_id,
                "from_queue": item.queue,
                "to_queue": slug,
                "from": item.assignee,
                "to": assignee,
            }),
        )
        .await
    }
}

/// The inquiry's latest work item that nobody has finished or sent back.
async fn open_item(
    tx: &mut Transaction<'static, Any>,
    inquiry_id: i64,
) -> Result<Option<OpenItem>> {
    let row: Option<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT w.id, q.slug, w.assignee_id, w.lead_id FROM work_items w
         JOIN queues q ON q.id = w.queue_id
         WHERE w.inquiry_id = $1 AND w.status IN ('assigned', 'unassigned', 'accepted')
         ORDER BY w.id DESC LIMIT 1",
    )
    .bind(inquiry_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(id, queue, assignee, lead_id)| OpenItem {
        id,
        queue,
        assignee,
        lead_id,
    }))
}

/// The grade of the inquiry's latest score decision (D when it has none).
async fn latest_grade(tx: &mut Transaction<'static, Any>, inquiry_id: i64) -> Result<Grade> {
    let grade: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT value FROM decisions WHERE inquiry_id = $1 AND kind = 'score' ORDER BY id DESC LIMIT 1",
    )
    .bind(inquiry_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(grade
        .and_then(|(value,)| value)
        .and_then(|value| value.parse().ok())
        .unwrap_or(Grade::D))
}

/// The routing facts with the status and tier of the inquiry's account.
async fn with_account(
    tx: &mut Transaction<'static, Any>,
    account_id: Option<i64>,
    facts: RoutingFacts,
) -> Result<RoutingFacts> {
    let Some(account_id) = account_id else {
        return Ok(facts);
    };
    let account: Option<(String, String)> =
        sqlx::query_as("SELECT status, tier FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match account {
        Some((status, tier)) => RoutingFacts {
            account_status: status.parse().ok(),
            account_tier: tier.parse().ok(),
            ..facts
        },
        None => facts,
    })
}
