//! A person's correction of an inquiry's intent: kept as a decision with
//! their name beside the pipeline's, and carried to the inquiry's lead. When
//! the routing rules send the corrected intent to another queue, the open
//! work item moves there and is assigned by that queue's strategy, and the
//! lead follows the work, in the same transaction:
//!
//! - into a sales queue (marketing, qualification, hunting, farming), a lead
//!   still at a routing stage takes that queue's stage and the new assignee
//!   as owner. An inquiry without a lead (intake sent it to service or
//!   operations) gets one as intake would have made it, its first stage
//!   recorded with the correction as reason; a lead an earlier correction
//!   took out of the funnel returns to it.
//! - into service or operations, whose work is not a sales lead, the work
//!   item leaves the lead, and a lead still at a routing stage is
//!   disqualified with the correction as reason; one sales took further
//!   stays where it is. The lead keeps its owner and its inquiry.
//!
//! The intent model learns from the correction; a lead it disqualifies is,
//! like any disqualified lead, a lost example for the conversion model.

use super::apply::stage_for;
use crate::checks::{MAX_TEXT, at_most};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::forms::form_attributions_in;
use crate::now_ms;
use crate::queues::sla_due;
use crate::users::audit_in;
use crate::work_items::{
    change_stage_in, choose_assignee, earlier_holder, lock_queues_by_id, record, skills_text,
};
use baton_core::decision::Reason;
use baton_core::domain::{Function, Grade, Intent, Stage};
use baton_core::inquiry::Inquiry;
use baton_core::intake::read;
use baton_core::routing::{RouteDecision, RoutingFacts, route};
use baton_core::sla::BusinessHours;
use sqlx::{Any, Transaction};

/// The version recorded on decisions a person made by hand.
pub const BY_PERSON: &str = "person";

/// The stages routing gives a lead: only a lead still at one of them moves
/// with its work; a lead sales has taken further stays where it is.
const ROUTING_STAGES: [Stage; 3] = [Stage::Nurture, Stage::New, Stage::Mql];

/// The work item an inquiry still has open, and where it is.
struct OpenItem {
    id: i64,
    queue: String,
    assignee: Option<i64>,
    lead_id: Option<i64>,
}

/// What intake knew of the corrected inquiry, from which its lead is made.
struct Corrected {
    id: i64,
    intent: Intent,
    contact_id: Option<i64>,
    account_id: Option<i64>,
    /// The payload as intake read it; `None` when it no longer parses.
    inquiry: Option<Inquiry>,
    score: i64,
    grade: Grade,
}

/// The queue a corrected item moves to, and the stage a lead takes there
/// (none when its work is not a sales lead).
struct Destination<'a> {
    slug: &'a str,
    stage: Option<Stage>,
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
        at_most("note", note.trim(), MAX_TEXT)?;
        let name = self.user(actor).await?.name;
        let said = match note.trim() {
            "" => format!("intent corrected to {intent} by {name}"),
            note => format!("intent corrected to {intent} by {name}: {note}"),
        };
        let reason = Reason::new("corrected_by_person", 1.0, said.clone());
        let context = self.processing_context().await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        type InquiryRow = (
            String,
            String,
            String,
            Vec<u8>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let inquiry: Option<InquiryRow> = sqlx::query_as(
            "SELECT status, channel, origin, raw, contact_id, account_id, repeat_of FROM inquiries WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((status, channel, origin, raw, contact_id, account_id, repeat_of)) = inquiry
        else {
            return Err(DbError::NotFound(format!("inquiry {id}")));
        };
        // A repeat has no work of its own to move: it joined its first's.
        if let Some(first) = repeat_of {
            return Err(DbError::conflict(
                "intent",
                format!(
                    "inquiry {id} is the same message sent again as inquiry {first}, whose work it joined; correct the intent of inquiry {first}"
                ),
            ));
        }
        // The intent it had, for the audit log.
        let before: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT value FROM decisions WHERE inquiry_id = $1 AND kind = 'intent' ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let before = before.and_then(|(value,)| value);
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
            &serde_json::json!({ "intent": intent, "from": before }),
        )
        .await?;
        // Quarantined inquiries have no work; the moderator's release routes them.
        if status != "spam"
            && let Some(item) = open_item(&mut tx, id).await?
        {
            let (score, grade) = latest_score(&mut tx, id).await?;
            let form = form_attributions_in(&mut *tx, [&origin])
                .await?
                .remove(&origin);
            let channel = channel.parse().ok();
            let staff = self.staff_for(channel.into_iter()).await?;
            let arrived = channel
                .and_then(|channel| read(channel, &raw, form.as_ref(), &staff).ok())
                .map(|(inquiry, _)| inquiry);
            let corrected = Corrected {
                id,
                intent,
                contact_id,
                account_id,
                inquiry: arrived,
                score,
                grade,
            };
            let facts = RoutingFacts {
                quarantined: false,
                intent,
                // A person's word is certain.
                intent_uncertain: false,
                grade,
                source: corrected
                    .inquiry
                    .as_ref()
                    .and_then(|inquiry| inquiry.source.clone()),
                account_status: None,
                account_tier: None,
            };
            let facts = with_account(&mut tx, account_id, facts).await?;
            let decision = route(&facts, &context.rules);
            if let Some(queue) = decision.queue.as_deref()
                && queue != item.queue
            {
                self.move_item(
                    &mut tx,
                    actor,
                    &corrected,
                    &item,
                    &decision,
                    &said,
                    &context.hours,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves `item` of the corrected inquiry to the queue `decision` names,
    /// assigned by that queue's strategy with its SLA starting now, its lead
    /// following the work (see the module comment), and records the routing
    /// decision, the assignment and the audit entry.
    #[allow(clippy::too_many_arguments)]
    async fn move_item(
        &self,
        tx: &mut Transaction<'static, Any>,
        actor: i64,
        inquiry: &Corrected,
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
        let function: Function = function
            .parse()
            .map_err(|e| DbError::invalid("function", format!("{e}")))?;
        let destination = Destination {
            slug,
            stage: stage_for(function),
        };
        // The new queue, then the loads of its members and of the one who
        // held the work, before the move counts them.
        let holder: Vec<i64> = item.assignee.into_iter().collect();
        let (strategy, mut last, _, _) =
            lock_queues_by_id(tx, self.backend(), &[queue_id], &holder)
                .await?
                .remove(&queue_id)
                .expect("the queue was locked");
        // Sent back to a queue it was in, the work goes back to whoever
        // held it there, when they can take it.
        let chosen = match earlier_holder(tx, item.id, queue_id, strategy, &decision.skills).await?
        {
            Some(back) => Ok(back),
            None => {
                choose_assignee(tx, queue_id, strategy, &mut last, None, &decision.skills).await?
            }
        };
        sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
            .bind(last)
            .bind(queue_id)
            .execute(&mut **tx)
            .await?;
        let now = now_ms();
        let assignee = chosen.as_ref().ok().map(|(user, _)| *user);
        let reason = format!("routed to {slug}: {correction}");
        let (lead_id, lead_reason) =
            follow_work(tx, actor, inquiry, item, &destination, assignee, &reason).await?;
        let due = |minutes| sla_due(now, minutes, business_hours != 0, hours);
        // The new team's clock starts now: what the old team did or did
        // not do is not theirs.
        sqlx::query(
            "UPDATE work_items SET queue_id = $1, assignee_id = $2, status = $3, first_touch_due_at = $4,
                 resolution_due_at = $5, first_touched_at = NULL, escalation_level = 0, escalated_at = NULL,
                 lead_id = $6, updated_at = $7, required_skills = $9
             WHERE id = $8",
        )
        .bind(queue_id)
        .bind(assignee)
        .bind(if assignee.is_some() { "assigned" } else { "unassigned" })
        .bind(due(first_touch))
        .bind(due(resolution))
        .bind(lead_id)
        .bind(now)
        .bind(item.id)
        .bind(skills_text(&decision.skills))
        .execute(&mut **tx)
        .await?;
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
        reasons.extend(lead_reason);
        sqlx::query(
            "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, actor_id, created_at)
             VALUES ($1, 'route', $2, NULL, $3, $4, $5, $6)",
        )
        .bind(inquiry.id)
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
                "inquiry_id": inquiry.id,
                "queue": slug,
                "work_item_id": item.id,
                "assignee_id": assignee,
                "lead_id": lead_id,
                "intent": inquiry.intent,
                "score": inquiry.score,
                "grade": inquiry.grade,
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
                "inquiry": inquiry.id,
                "from_queue": item.queue,
                "to_queue": slug,
                "from": item.assignee,
                "to": assignee,
                "from_lead": item.lead_id,
                "to_lead": lead_id,
            }),
        )
        .await
    }
}

/// Brings the inquiry's lead along with its work item moving to
/// `destination`, as the module comment says. Returns the lead the item
/// belongs to now, and, when the item joins or leaves a lead, the reason
/// for the routing decision.
async fn follow_work(
    tx: &mut Transaction<'static, Any>,
    actor: i64,
    inquiry: &Corrected,
    item: &OpenItem,
    destination: &Destination<'_>,
    assignee: Option<i64>,
    reason: &str,
) -> Result<(Option<i64>, Option<Reason>)> {
    let slug = destination.slug;
    let Some(stage) = destination.stage else {
        let Some(lead_id) = item.lead_id else {
            return Ok((None, None));
        };
        // The work leaves the lead first, so that disqualifying the lead
        // does not finish the work that moves on.
        sqlx::query("UPDATE work_items SET lead_id = NULL WHERE id = $1")
            .bind(item.id)
            .execute(&mut **tx)
            .await?;
        change_stage_in(
            tx,
            lead_id,
            &ROUTING_STAGES,
            Stage::Disqualified,
            reason,
            Some(actor),
        )
        .await?;
        let now = lead_stage(tx, lead_id).await?;
        return Ok((
            None,
            Some(Reason::new(
                "lead_left",
                1.0,
                format!(
                    "{slug} does not work sales leads: the work leaves lead {lead_id}, now {now}"
                ),
            )),
        ));
    };
    if let Some(lead_id) = item.lead_id {
        set_owner(tx, lead_id, assignee).await?;
        change_stage_in(tx, lead_id, &ROUTING_STAGES, stage, reason, Some(actor)).await?;
        return Ok((Some(lead_id), None));
    }
    let earlier: Option<(i64,)> = sqlx::query_as("SELECT id FROM leads WHERE inquiry_id = $1")
        .bind(inquiry.id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some((lead_id,)) = earlier {
        // An earlier correction took the work from this lead (and
        // disqualified it if it was still at a routing stage): it returns.
        let from = [ROUTING_STAGES.as_slice(), &[Stage::Disqualified]].concat();
        set_owner(tx, lead_id, assignee).await?;
        change_stage_in(tx, lead_id, &from, stage, reason, Some(actor)).await?;
        let now = lead_stage(tx, lead_id).await?;
        return Ok((
            Some(lead_id),
            Some(Reason::new(
                "lead_returned",
                1.0,
                format!("{slug} works sales leads: lead {lead_id} returns at {now}"),
            )),
        ));
    }
    let lead_id = create_lead(tx, actor, inquiry, stage, assignee, reason).await?;
    Ok((
        Some(lead_id),
        Some(Reason::new(
            "lead_created",
            1.0,
            format!("{slug} works sales leads: lead {lead_id} enters the funnel at {stage}"),
        )),
    ))
}

/// Makes the inquiry's lead as intake makes one, at `stage` and owned by
/// `owner`, with its first stage-history row giving `reason`, and links the
/// inquiry to it.
async fn create_lead(
    tx: &mut Transaction<'static, Any>,
    actor: i64,
    inquiry: &Corrected,
    stage: Stage,
    owner: Option<i64>,
    reason: &str,
) -> Result<i64> {
    let now = now_ms();
    let arrived = inquiry.inquiry.as_ref();
    let (lead_id,): (i64,) = sqlx::query_as(
        "INSERT INTO leads (inquiry_id, contact_id, account_id, campaign_id, source, stage, intent, score, grade,
             owner_id, created_at, updated_at, campaign_name)
         VALUES ($1, $2, $3, (SELECT id FROM campaigns WHERE name_lower = $4), $5, $6, $7, $8, $9, $10, $11, $11, $12)
         RETURNING id",
    )
    .bind(inquiry.id)
    .bind(inquiry.contact_id)
    .bind(inquiry.account_id)
    .bind(
        arrived
            .and_then(|i| i.campaign.as_deref())
            .map(str::to_lowercase),
    )
    .bind(arrived.and_then(|i| i.source.clone()))
    .bind(stage.as_str())
    .bind(inquiry.intent.as_str())
    .bind(inquiry.score)
    .bind(inquiry.grade.as_str())
    .bind(owner)
    .bind(now)
    .bind(arrived.and_then(|i| i.campaign.clone()))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO lead_stage_history (lead_id, to_stage, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(lead_id)
    .bind(stage.as_str())
    .bind(reason)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE inquiries SET lead_id = $1 WHERE id = $2")
        .bind(lead_id)
        .bind(inquiry.id)
        .execute(&mut **tx)
        .await?;
    Ok(lead_id)
}

/// Gives the lead to the person its work went to.
async fn set_owner(
    tx: &mut Transaction<'static, Any>,
    lead_id: i64,
    owner: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE leads SET owner_id = $1, updated_at = $2 WHERE id = $3")
        .bind(owner)
        .bind(now_ms())
        .bind(lead_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The lead's stage as this transaction sees it.
async fn lead_stage(tx: &mut Transaction<'static, Any>, lead_id: i64) -> Result<Stage> {
    let (stage,): (String,) = sqlx::query_as("SELECT stage FROM leads WHERE id = $1")
        .bind(lead_id)
        .fetch_one(&mut **tx)
        .await?;
    stage
        .parse()
        .map_err(|e| DbError::invalid("stage", format!("{e}")))
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

/// The score and grade of the inquiry's latest score decision (0 and D
/// when it has none).
async fn latest_score(tx: &mut Transaction<'static, Any>, inquiry_id: i64) -> Result<(i64, Grade)> {
    let decided: Option<(Option<String>, Option<f64>)> = sqlx::query_as(
        "SELECT value, score FROM decisions WHERE inquiry_id = $1 AND kind = 'score' ORDER BY id DESC LIMIT 1",
    )
    .bind(inquiry_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (grade, score) = decided.unwrap_or_default();
    Ok((
        score.map_or(0, |score| score.round() as i64),
        grade
            .and_then(|grade| grade.parse().ok())
            .unwrap_or(Grade::D),
    ))
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
