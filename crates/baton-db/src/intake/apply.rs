//! The write half of processing: a decided batch is written in one
//! transaction with multi-row statements. Queues are locked in id order and
//! their members read once; the strategy then assigns the batch in memory.

use super::Outcome;
use super::moderation::{describe_held, held_row};
use super::prepare::{
    Context, OpenWork, Plan, Prepared, REPEAT_WINDOW_MS, Repeat, open_work_of, select_in_on,
};
use crate::connect::{Backend, Db};
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::queues::{Member, members_of, sla_due};
use crate::sql::{CHUNK, Value, insert_rows, placeholders};
use crate::work_items::{lock_loads, skills_text};
use baton_core::decision::Reason;
use baton_core::domain::{Function, InquiryStatus, Stage, Strategy, Verdict};
use baton_core::moderation::HeldText;
use baton_core::routing::{Candidate, pick_member};
use baton_core::sla::BusinessHours;
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A queue locked for this transaction, with its members in memory.
struct LockedQueue {
    id: i64,
    slug: String,
    function: Function,
    strategy: Strategy,
    first_touch: i64,
    resolution: i64,
    business_hours: bool,
    last_position: Option<i64>,
    members: Vec<Member>,
    /// Items given to each member by this batch.
    given: HashMap<i64, i64>,
}

impl LockedQueue {
    /// Picks the next member with `skills` by the queue's strategy and counts the item.
    fn assign(&mut self, skills: &[String]) -> std::result::Result<(i64, String), String> {
        let candidates: Vec<Candidate> = self.members.iter().map(Candidate::from).collect();
        let chosen = pick_member(self.strategy, &candidates, self.last_position, skills)
            .map(|c| (c.user_id, c.position))
            .map_err(|why| why.describe().to_string())?;
        let (user_id, position) = chosen;
        self.last_position = Some(position);
        *self.given.entry(user_id).or_default() += 1;
        let member = self
            .members
            .iter_mut()
            .find(|m| m.user_id == user_id)
            .expect("the chosen member is one of the queue's");
        member.open_items += 1;
        member.assigned_total += 1;
        Ok((
            user_id,
            format!("{} picked by {}", member.name, self.strategy),
        ))
    }

    /// Counts an item given to `user` through another queue, if they are a
    /// member of this one too.
    fn count_open_item(&mut self, user: i64) {
        if let Some(member) = self.members.iter_mut().find(|m| m.user_id == user) {
            member.open_items += 1;
        }
    }

    /// When work routed to this queue at `routed_at` must be touched and
    /// resolved. The clocks start when the work reaches the queue, not when
    /// the inquiry arrived: one held by moderation or retried after a
    /// failure would otherwise be overdue, and escalated, the moment a
    /// person could first see it.
    fn due_times(&self, routed_at: i64, hours: &BusinessHours) -> (i64, i64) {
        let due = |minutes| sla_due(routed_at, minutes, self.business_hours, hours);
        (due(self.first_touch), due(self.resolution))
    }
}

/// Locks the queue rows named by `slugs` in id order (PostgreSQL; SQLite has
/// one writer) and reads their members.
async fn lock_queues(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    slugs: &[&str],
) -> Result<Vec<LockedQueue>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let lock = backend.row_lock();
    let sql = format!(
        "SELECT id, slug, function, strategy, first_touch_sla_min, resolution_sla_min, business_hours, last_position
         FROM queues WHERE slug IN ({}) ORDER BY id{lock}",
        placeholders(1, slugs.len())
    );
    let mut query =
        sqlx::query_as::<_, (i64, String, String, String, i64, i64, i64, Option<i64>)>(&sql);
    for slug in slugs {
        query = query.bind(*slug);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    if let Some(missing) = slugs.iter().find(|s| !rows.iter().any(|r| r.1 == **s)) {
        return Err(DbError::invalid(
            "queue",
            format!("routing names queue `{missing}`, which does not exist"),
        ));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    lock_loads(tx, backend, &ids, &[]).await?;
    let mut members = members_of(&mut **tx, &ids).await?;
    rows.into_iter()
        .map(
            |(
                id,
                slug,
                function,
                strategy,
                first_touch,
                resolution,
                business_hours,
                last_position,
            )| {
                Ok(LockedQueue {
                    id,
                    slug,
                    function: function
                        .parse()
                        .map_err(|e| DbError::invalid("function", format!("{e}")))?,
                    strategy: strategy
                        .parse()
                        .map_err(|e| DbError::invalid("strategy", format!("{e}")))?,
                    first_touch,
                    resolution,
                    business_hours: business_hours != 0,
                    last_position,
                    members: members
                        .extract_if(.., |(queue, _)| *queue == id)
                        .map(|(_, m)| m)
                        .collect(),
                    given: HashMap::new(),
                })
            },
        )
        .collect()
}

/// Open work that another server (or process) stored, after this batch
/// was decided, for a message the batch holds too, by content hash:
/// queues are locked by now, so what it committed is seen, and the
/// batch's message joins that work rather than make a second lead.
async fn work_stored_meanwhile(
    tx: &mut Transaction<'static, Any>,
    plans: &[&Plan],
    now: i64,
) -> Result<HashMap<String, OpenWork>> {
    let batch: HashSet<i64> = plans.iter().map(|p| p.inquiry_id).collect();
    let hashes: Vec<String> = plans
        .iter()
        .filter(|p| p.moderation.verdict == Verdict::Ham && p.repeat.is_none())
        .filter(|p| p.route.queue.is_some())
        .map(|p| p.content_hash.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    // The inquiries first, by the index on their hash alone: most batches
    // find only themselves, and then nothing more is read.
    let same: Vec<(String, i64)> = select_in_on(
        tx,
        "SELECT content_hash, id FROM inquiries WHERE received_at > $1 AND content_hash IN",
        &[now - REPEAT_WINDOW_MS],
        &hashes,
    )
    .await?;
    let others: HashMap<i64, String> = same
        .into_iter()
        .filter(|(_, id)| !batch.contains(id))
        .map(|(hash, id)| (id, hash))
        .collect();
    if others.is_empty() {
        return Ok(HashMap::new());
    }
    // A repeat's work is the work of the inquiry it joined.
    let ids: Vec<i64> = others.keys().copied().collect();
    let joined: Vec<(i64, Option<i64>)> = select_in_on(
        tx,
        "SELECT id, repeat_of FROM inquiries WHERE id IN",
        &[],
        &ids,
    )
    .await?;
    let hash_of: HashMap<i64, String> = joined
        .into_iter()
        .map(|(id, repeat_of)| (repeat_of.unwrap_or(id), others[&id].clone()))
        .collect();
    let mut found: HashMap<String, OpenWork> = HashMap::new();
    let firsts: Vec<i64> = hash_of.keys().copied().collect();
    for (inquiry, work) in open_work_of(tx, &firsts).await? {
        let hash = &hash_of[&inquiry];
        // The latest inquiry's, as a repeat found before deciding joins it.
        if found.get(hash).is_none_or(|seen| seen.inquiry_id < inquiry) {
            found.insert(hash.clone(), work);
        }
    }
    Ok(found)
}

/// The lifecycle stage a lead takes in a queue of this function, or `None`
/// when the queue's work is not a sales lead (service, operations).
pub(super) fn stage_for(function: Function) -> Option<Stage> {
    match function {
        Function::Marketing => Some(Stage::Nurture),
        Function::Qualification => Some(Stage::New),
        Function::Hunting | Function::Farming => Some(Stage::Mql),
        Function::Service | Function::Operations => None,
    }
}

fn reasons_json(reasons: &[Reason]) -> String {
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".into())
}

/// Whether the inquiries of a batch must be claimed before they are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Stored earlier: another server may have processed them meanwhile.
    Stored,
    /// Stored in this same transaction, so no one else can have seen them.
    Fresh,
}

/// The open work a repeated inquiry joins.
enum Joins {
    /// A stored inquiry's.
    Stored(OpenWork),
    /// The work this batch makes for an earlier member: an index into `routed`.
    Routed(usize),
}

/// What the batch writes for one routed, non-spam inquiry.
struct Routed {
    plan_index: usize,
    queue: usize,
    assignee: std::result::Result<(i64, String), String>,
    stage: Option<Stage>,
}

impl Db {
    /// Writes a decided batch in a transaction of its own.
    pub(super) async fn apply(
        &self,
        prepared: &[&Prepared],
        context: &Context,
    ) -> Result<Vec<Outcome>> {
        let mut tx = self.begin_write().await?;
        let outcomes = self
            .apply_in(&mut tx, prepared, context, Claim::Stored)
            .await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    /// Writes a decided batch within `tx`; the outcomes hold once it commits.
    pub(super) async fn apply_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        prepared: &[&Prepared],
        context: &Context,
        claim: Claim,
    ) -> Result<Vec<Outcome>> {
        let now = now_ms();
        let mut outcomes = Vec::with_capacity(prepared.len());

        let mut plans: Vec<&Plan> = Vec::new();
        for item in prepared {
            match *item {
                Prepared::Ready(plan) => plans.push(plan),
                Prepared::Failed { inquiry_id, error } => {
                    super::set_aside(&mut **tx, *inquiry_id, error).await?;
                    outcomes.push(Outcome {
                        status: InquiryStatus::NeedsAttention,
                        error: Some(error.clone()),
                        ..Outcome::already_done(*inquiry_id)
                    });
                }
            }
        }

        if claim == Claim::Stored {
            self.claim(tx, now, &mut plans, &mut outcomes).await?;
        }

        // Lock the queues this batch routes to, in a fixed order.
        let slugs: BTreeSet<&str> = plans
            .iter()
            .filter(|p| p.moderation.verdict == Verdict::Ham)
            .filter_map(|p| p.route.queue.as_deref())
            .collect();
        let mut queues =
            lock_queues(tx, self.backend(), &slugs.into_iter().collect::<Vec<_>>()).await?;

        let mut late = work_stored_meanwhile(tx, &plans, now).await?;

        // Assign in memory, in arrival order; a repeat joins the work of
        // the inquiry it repeats instead.
        let mut routed: Vec<Routed> = Vec::new();
        let mut joins: HashMap<usize, Joins> = HashMap::new();
        for (plan_index, plan) in plans.iter().enumerate() {
            if plan.moderation.verdict == Verdict::Spam {
                continue;
            }
            if let Some(work) = late.remove(&plan.content_hash) {
                // Only the first new one joins: later ones in the batch
                // find it as the batch's own repeat.
                joins.insert(plan_index, Joins::Stored(work));
                continue;
            }
            match &plan.repeat {
                Some(Repeat::Open(work)) => {
                    joins.insert(plan_index, Joins::Stored(work.clone()));
                    continue;
                }
                Some(Repeat::InBatch(earlier)) => {
                    let earlier = plans.iter().position(|p| p.inquiry_id == *earlier);
                    let target = earlier.and_then(|e| match joins.get(&e) {
                        Some(Joins::Stored(work)) => Some(Joins::Stored(work.clone())),
                        Some(Joins::Routed(r)) => Some(Joins::Routed(*r)),
                        None => routed
                            .iter()
                            .position(|r| r.plan_index == e)
                            .map(Joins::Routed),
                    });
                    if let Some(target) = target {
                        joins.insert(plan_index, target);
                        continue;
                    }
                }
                None => {}
            }
            if let Some(slug) = plan.route.queue.as_deref() {
                let queue = queues
                    .iter()
                    .position(|q| q.slug == slug)
                    .expect("queue locked above");
                let assignee = queues[queue].assign(&plan.route.skills);
                // A member of several queues carries the item into each:
                // their cap counts all their open work.
                if let Ok((user, _)) = &assignee {
                    for (index, other) in queues.iter_mut().enumerate() {
                        if index != queue {
                            other.count_open_item(*user);
                        }
                    }
                }
                let stage = stage_for(queues[queue].function);
                routed.push(Routed {
                    plan_index,
                    queue,
                    assignee,
                    stage,
                });
            }
        }

        let contacts = self.upsert_contacts(tx, &plans, now).await?;

        let lead_rows: Vec<Vec<Value>> = routed
            .iter()
            .filter_map(|r| {
                let plan = plans[r.plan_index];
                let stage = r.stage?;
                Some(vec![
                    plan.inquiry_id.into(),
                    contacts.get(&plan.inquiry_id).copied().into(),
                    plan.matched.account_id.into(),
                    plan.inquiry
                        .campaign
                        .as_deref()
                        .map(str::to_lowercase)
                        .map(Value::from)
                        .unwrap_or(Value::Text(None)),
                    plan.inquiry.source.as_deref().into(),
                    stage.as_str().into(),
                    plan.intent.value.as_str().into(),
                    i64::from(plan.score.value).into(),
                    plan.score.grade.as_str().into(),
                    r.assignee.as_ref().ok().map(|(user, _)| *user).into(),
                    now.into(),
                    now.into(),
                    plan.inquiry.campaign.as_deref().into(),
                ])
            })
            .collect();
        let leads: HashMap<i64, i64> = insert_rows::<(i64, i64)>(
            tx,
            "INSERT INTO leads (inquiry_id, contact_id, account_id, campaign_id, source, stage, intent, score, grade,
                 owner_id, created_at, updated_at, campaign_name)
             SELECT v.column1, v.column2, v.column3, c.id, v.column5, v.column6, v.column7, v.column8, v.column9,
                 v.column10, v.column11, v.column12, v.column13
             FROM (",
            // In the inquiries' order, so that leads are numbered as their
            // inquiries arrived (a join may hand rows on in another order).
            ") AS v LEFT JOIN campaigns c ON c.name_lower = v.column4 ORDER BY v.column1
             RETURNING inquiry_id, id",
            &lead_rows,
        )
        .await?
        .into_iter()
        .collect();

        let history_rows: Vec<Vec<Value>> = routed
            .iter()
            .filter_map(|r| {
                let plan = plans[r.plan_index];
                let lead = leads.get(&plan.inquiry_id)?;
                Some(vec![
                    (*lead).into(),
                    r.stage?.as_str().into(),
                    format!("routed to {}", queues[r.queue].slug).into(),
                    now.into(),
                ])
            })
            .collect();
        insert_rows::<(i64,)>(
            tx,
            "INSERT INTO lead_stage_history (lead_id, to_stage, reason, at)",
            "",
            &history_rows,
        )
        .await?;

        let item_rows: Vec<Vec<Value>> = routed
            .iter()
            .map(|r| {
                let plan = plans[r.plan_index];
                let queue = &queues[r.queue];
                let (first_due, resolution_due) = queue.due_times(now, &context.hours);
                let assignee = r.assignee.as_ref().ok().map(|(user, _)| *user);
                vec![
                    leads.get(&plan.inquiry_id).copied().into(),
                    plan.inquiry_id.into(),
                    queue.id.into(),
                    assignee.into(),
                    if assignee.is_some() {
                        "assigned"
                    } else {
                        "unassigned"
                    }
                    .into(),
                    first_due.into(),
                    resolution_due.into(),
                    now.into(),
                    now.into(),
                    Value::Text(skills_text(&plan.route.skills)),
                ]
            })
            .collect();
        let items: HashMap<i64, i64> = insert_rows::<(i64, i64)>(
            tx,
            "INSERT INTO work_items (lead_id, inquiry_id, queue_id, assignee_id, status, first_touch_due_at,
                 resolution_due_at, created_at, updated_at, required_skills)",
            " RETURNING inquiry_id, id",
            &item_rows,
        )
        .await?
        .into_iter()
        .collect();

        // By plan, in arrival order.
        let joined: BTreeMap<usize, OpenWork> = joins
            .into_iter()
            .map(|(plan_index, joins)| {
                let work = match joins {
                    Joins::Stored(work) => work,
                    Joins::Routed(index) => {
                        let r = &routed[index];
                        let first = plans[r.plan_index].inquiry_id;
                        OpenWork {
                            inquiry_id: first,
                            work_item_id: items[&first],
                            lead_id: leads.get(&first).copied(),
                            queue: queues[r.queue].slug.clone(),
                            queue_id: queues[r.queue].id,
                            assignee_id: r.assignee.as_ref().ok().map(|(user, _)| *user),
                        }
                    }
                };
                (plan_index, work)
            })
            .collect();

        let routed_events: Vec<serde_json::Value> = routed
            .iter()
            .map(|r| {
                let plan = plans[r.plan_index];
                serde_json::json!({
                    "inquiry_id": plan.inquiry_id,
                    "queue": queues[r.queue].slug,
                    "work_item_id": items.get(&plan.inquiry_id),
                    "assignee_id": r.assignee.as_ref().ok().map(|(user, _)| user),
                    "lead_id": leads.get(&plan.inquiry_id),
                    "intent": plan.intent.value,
                    "score": plan.score.value,
                    "grade": plan.score.grade,
                })
            })
            .collect();
        crate::webhooks::enqueue(tx, "inquiry.routed", &routed_events).await?;

        let mut assignment_rows: Vec<Vec<Value>> = routed
            .iter()
            .map(|r| {
                let plan = plans[r.plan_index];
                let (action, user, reason) = match &r.assignee {
                    Ok((user, why)) => ("assigned", Some(*user), why.clone()),
                    Err(why) => ("waiting", None, why.clone()),
                };
                vec![
                    items[&plan.inquiry_id].into(),
                    action.into(),
                    user.into(),
                    queues[r.queue].id.into(),
                    reason.into(),
                    now.into(),
                ]
            })
            .collect();
        // The work a repeat joins says so to whoever holds it.
        assignment_rows.extend(joined.iter().map(|(plan_index, work)| {
            vec![
                work.work_item_id.into(),
                "sent_again".into(),
                work.assignee_id.into(),
                work.queue_id.into(),
                format!(
                    "the person sent the same message again: inquiry {}",
                    plans[*plan_index].inquiry_id
                )
                .into(),
                now.into(),
            ]
        }));
        // The work of the person's other leads says so to whoever holds it.
        for r in &routed {
            let plan = plans[r.plan_index];
            let lead = leads
                .get(&plan.inquiry_id)
                .map(|lead| format!(", lead {lead}"))
                .unwrap_or_default();
            for other in &plan.other_leads {
                let Some((work_item, _, queue_id, holder)) = &other.work else {
                    continue;
                };
                assignment_rows.push(vec![
                    (*work_item).into(),
                    "wrote_again".into(),
                    (*holder).into(),
                    (*queue_id).into(),
                    format!(
                        "the person wrote again: inquiry {}{lead}, in {}",
                        plan.inquiry_id, queues[r.queue].slug
                    )
                    .into(),
                    now.into(),
                ]);
            }
        }
        insert_rows::<(i64,)>(
            tx,
            "INSERT INTO assignment_history (work_item_id, action, to_user_id, to_queue_id, reason, at)",
            "",
            &assignment_rows,
        )
        .await?;

        let mut decision_rows = Vec::with_capacity(plans.len() * 4);
        for (plan_index, plan) in plans.iter().enumerate() {
            let (m, i, s) = (&plan.moderation, &plan.intent, &plan.score);
            let mut intent_reasons = Vec::new();
            if let Some(reason) = &plan.matched.reason {
                intent_reasons.push(Reason::new("matched", 1.0, format!("matched by {reason}")));
            }
            intent_reasons.extend(i.reasons.iter().cloned());
            let id = plan.inquiry_id;
            // What a person decided is stored already, as theirs.
            if !plan.moderated_by_hand {
                decision_rows.push(vec![
                    id.into(),
                    "moderation".into(),
                    m.verdict.as_str().into(),
                    Some(m.score).into(),
                    reasons_json(&m.reasons).into(),
                    m.version.as_str().into(),
                    now.into(),
                ]);
            }
            if !plan.intent_by_hand {
                decision_rows.push(vec![
                    id.into(),
                    "intent".into(),
                    i.value.as_str().into(),
                    Some(i.confidence).into(),
                    reasons_json(&intent_reasons).into(),
                    i.version.as_str().into(),
                    now.into(),
                ]);
            }
            decision_rows.push(vec![
                id.into(),
                "score".into(),
                s.grade.as_str().into(),
                Some(f64::from(s.value)).into(),
                reasons_json(&s.reasons).into(),
                s.version.as_str().into(),
                now.into(),
            ]);
            let joins = joined.get(&plan_index);
            let queue = if m.verdict == Verdict::Spam {
                None
            } else if let Some(work) = joins {
                Some(work.queue.as_str())
            } else {
                plan.route.queue.as_deref()
            };
            let mut route_reasons = plan.route.reasons.clone();
            if let Some(work) = joins {
                route_reasons.push(Reason::new(
                    "repeat",
                    1.0,
                    format!(
                        "sent again word for word: joins work item {} of inquiry {} in {} instead of making new work",
                        work.work_item_id, work.inquiry_id, work.queue
                    ),
                ));
            }
            decision_rows.push(vec![
                id.into(),
                "route".into(),
                queue.into(),
                None::<f64>.into(),
                reasons_json(&route_reasons).into(),
                baton_core::routing::RULES_VERSION.into(),
                now.into(),
            ]);
        }
        insert_rows::<(i64,)>(
            tx,
            "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, created_at)",
            "",
            &decision_rows,
        )
        .await?;

        let given_rows: Vec<Vec<Value>> = queues
            .iter()
            .flat_map(|q| {
                q.given
                    .iter()
                    .map(|(user, given)| vec![q.id.into(), (*user).into(), (*given).into()])
            })
            .collect();
        insert_rows::<(i64,)>(
            tx,
            "UPDATE queue_members SET assigned_total = assigned_total + v.column3 FROM (",
            ") AS v WHERE queue_members.queue_id = v.column1 AND queue_members.user_id = v.column2",
            &given_rows,
        )
        .await?;
        let position_rows: Vec<Vec<Value>> = queues
            .iter()
            .map(|q| vec![q.id.into(), q.last_position.into()])
            .collect();
        insert_rows::<(i64,)>(
            tx,
            "UPDATE queues SET last_position = v.column2 FROM (",
            ") AS v WHERE queues.id = v.column1",
            &position_rows,
        )
        .await?;

        let final_rows: Vec<Vec<Value>> = plans
            .iter()
            .enumerate()
            .map(|(plan_index, plan)| {
                let spam = plan.moderation.verdict == Verdict::Spam;
                let joins = joined.get(&plan_index);
                let lead = match joins {
                    Some(work) => work.lead_id,
                    None => leads.get(&plan.inquiry_id).copied(),
                };
                vec![
                    plan.inquiry_id.into(),
                    now.into(),
                    if spam { "quarantined" } else { "processed" }.into(),
                    contacts.get(&plan.inquiry_id).copied().into(),
                    if spam { None } else { plan.matched.account_id }.into(),
                    lead.into(),
                    joins.map(|work| work.inquiry_id).into(),
                ]
            })
            .collect();
        insert_rows::<(i64,)>(
            tx,
            "UPDATE inquiries SET processed_at = v.column2, status = v.column3, error = NULL, contact_id = v.column4,
                 account_id = v.column5, lead_id = v.column6, repeat_of = v.column7
             FROM (",
            ") AS v WHERE inquiries.id = v.column1",
            &final_rows,
        )
        .await?;
        let held_rows: Vec<Vec<Value>> = plans
            .iter()
            .filter(|plan| plan.moderation.verdict == Verdict::Spam)
            .map(|plan| held_row(plan.inquiry_id, &HeldText::of(&plan.inquiry)))
            .collect();
        describe_held(tx, &held_rows).await?;
        let by_plan: HashMap<usize, &Routed> = routed.iter().map(|r| (r.plan_index, r)).collect();
        for (index, plan) in plans.iter().enumerate() {
            let spam = plan.moderation.verdict == Verdict::Spam;
            if let Some(work) = joined.get(&index) {
                outcomes.push(Outcome {
                    inquiry_id: plan.inquiry_id,
                    status: InquiryStatus::Processed,
                    intent: Some(plan.intent.value),
                    score: Some(plan.score.value),
                    queue: Some(work.queue.clone()),
                    assignee_id: work.assignee_id,
                    work_item_id: Some(work.work_item_id),
                    lead_id: work.lead_id,
                    repeat_of: Some(work.inquiry_id),
                    error: None,
                });
                continue;
            }
            let routed = by_plan.get(&index);
            outcomes.push(Outcome {
                inquiry_id: plan.inquiry_id,
                status: if spam {
                    InquiryStatus::Quarantined
                } else {
                    InquiryStatus::Processed
                },
                intent: Some(plan.intent.value),
                score: Some(plan.score.value),
                queue: routed.map(|r| queues[r.queue].slug.clone()),
                assignee_id: routed.and_then(|r| r.assignee.as_ref().ok().map(|(user, _)| *user)),
                work_item_id: items.get(&plan.inquiry_id).copied(),
                lead_id: leads.get(&plan.inquiry_id).copied(),
                repeat_of: None,
                error: None,
            });
        }
        Ok(outcomes)
    }

    /// Claims stored inquiries: those another server processed meanwhile
    /// are not returned (PostgreSQL re-checks a row after the other
    /// commits), leave `plans` and are reported as already done.
    async fn claim(
        &self,
        tx: &mut Transaction<'static, Any>,
        now: i64,
        plans: &mut Vec<&Plan>,
        outcomes: &mut Vec<Outcome>,
    ) -> Result<()> {
        let mut claimed = HashSet::new();
        for chunk in plans.chunks(CHUNK) {
            let sql = format!(
                "UPDATE inquiries SET processed_at = $1
                 WHERE status IN ('received', 'needs_attention') AND id IN ({}) RETURNING id",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (i64,)>(&sql).bind(now);
            for plan in chunk.iter() {
                query = query.bind(plan.inquiry_id);
            }
            claimed.extend(
                query
                    .fetch_all(&mut **tx)
                    .await?
                    .into_iter()
                    .map(|(id,)| id),
            );
        }
        plans.retain(|plan| {
            let mine = claimed.contains(&plan.inquiry_id);
            if !mine {
                outcomes.push(Outcome::already_done(plan.inquiry_id));
            }
            mine
        });
        Ok(())
    }

    /// The contact of each non-spam inquiry: matched ones are filled in where
    /// they had gaps, new e-mails become contacts. Returns inquiry → contact.
    async fn upsert_contacts(
        &self,
        tx: &mut Transaction<'static, Any>,
        plans: &[&Plan],
        now: i64,
    ) -> Result<HashMap<i64, i64>> {
        let mut by_inquiry = HashMap::new();
        // One row per e-mail: a second row for the same e-mail in one
        // statement is an error on PostgreSQL.
        let mut seen = HashSet::new();
        let mut rows = Vec::new();
        for plan in plans
            .iter()
            .filter(|p| p.moderation.verdict == Verdict::Ham)
        {
            let inquiry = &plan.inquiry;
            match &inquiry.email {
                Some(email) if seen.insert(email.as_str()) => rows.push(vec![
                    plan.matched.account_id.into(),
                    inquiry.name.as_deref().into(),
                    email.as_str().into(),
                    email.as_str().into(),
                    inquiry.phone.as_ref().map(|p| p.as_str()).into(),
                    inquiry.title.as_deref().into(),
                    now.into(),
                    now.into(),
                ]),
                Some(_) => {}
                None => {
                    let contact = match plan.matched.contact_id {
                        Some(id) => id,
                        None => {
                            let (id,): (i64,) = sqlx::query_as(
                                "INSERT INTO contacts (account_id, name, phone, title, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                            )
                            .bind(plan.matched.account_id)
                            .bind(inquiry.name.as_deref())
                            .bind(inquiry.phone.as_ref().map(|p| p.as_str()))
                            .bind(inquiry.title.as_deref())
                            .bind(now)
                            .fetch_one(&mut **tx)
                            .await?;
                            id
                        }
                    };
                    by_inquiry.insert(plan.inquiry_id, contact);
                }
            }
        }
        // Anyone may send an inquiry in a known person's name: it fills in
        // what their contact lacks and never changes what it holds.
        let by_email: HashMap<String, i64> = insert_rows::<(String, i64)>(
            tx,
            "INSERT INTO contacts (account_id, name, email, email_lower, phone, title, created_at, updated_at)",
            " ON CONFLICT (email_lower) DO UPDATE SET
                 account_id = COALESCE(contacts.account_id, excluded.account_id),
                 name = COALESCE(contacts.name, excluded.name),
                 phone = COALESCE(contacts.phone, excluded.phone),
                 title = COALESCE(contacts.title, excluded.title),
                 updated_at = excluded.updated_at
             RETURNING email_lower, id",
            &rows,
        )
        .await?
        .into_iter()
        .collect();
        for plan in plans {
            if let Some(email) = &plan.inquiry.email
                && let Some(id) = by_email.get(email.as_str())
            {
                by_inquiry.insert(plan.inquiry_id, *id);
            }
        }
        Ok(by_inquiry)
    }
}
