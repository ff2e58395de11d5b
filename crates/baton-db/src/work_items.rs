//! Work items in queues: assignment by the queue's strategy, taking a
//! waiting item, accept, reject back to nurture, reassign, done, and escalation of SLA breaches. Every change
//! lands in the assignment history and the audit log.

use crate::checks::{MAX_TEXT, at_most, required};
use crate::connect::{Backend, Db};
use crate::error::{DbError, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::queues::{Member, members_in, members_of, sla_due};
use crate::sql::placeholders;
use crate::users::audit_in;
use baton_core::domain::{Function, Intent, Stage, Strategy, WorkStatus};
use baton_core::routing::{Candidate, pick_member};
use baton_core::sla::BusinessHours;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeSet, HashMap};

/// A piece of work waiting in a queue or on a person's desk.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkItem {
    pub id: i64,
    pub queue: String,
    pub lead_id: Option<i64>,
    pub inquiry_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub status: WorkStatus,
    pub first_touch_due_at: i64,
    pub resolution_due_at: i64,
    pub first_touched_at: Option<i64>,
    pub escalation_level: i64,
    pub reject_reason: Option<String>,
    pub created_at: i64,
}

/// One line of a work item's assignment history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// `assigned`, `waiting` (no one could take it), `accepted`, `rejected`,
    /// `reassigned`, `escalated`, `rerouted` (its inquiry's intent was
    /// corrected), `sent_again` (the same message came again), `wrote_again`
    /// (the person sent another message, which became a lead of its own)
    /// or `done`.
    pub action: String,
    pub from_user_id: Option<i64>,
    pub to_user_id: Option<i64>,
    pub to_queue: Option<String>,
    pub reason: String,
    pub actor_id: Option<i64>,
    pub at: i64,
}

/// Whose work items: an inquiry's or a lead's.
#[derive(Debug, Clone, Copy)]
pub enum WorkOf {
    Inquiry(i64),
    Lead(i64),
}

impl WorkOf {
    /// The work items' column naming it.
    fn column(self) -> &'static str {
        match self {
            WorkOf::Inquiry(_) => "inquiry_id",
            WorkOf::Lead(_) => "lead_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            WorkOf::Inquiry(id) | WorkOf::Lead(id) => id,
        }
    }
}

/// One line of the work history of an inquiry or a lead.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkEvent {
    /// The queue the item was in when it happened.
    pub queue: String,
    pub action: String,
    pub reason: String,
    /// Who did it, by name; none for the system's own steps.
    pub actor: Option<String>,
    /// Who the work went to, by name, when it went to someone.
    pub to: Option<String>,
    pub at: i64,
}

/// Filters for listing work items; empty means any.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    pub queue_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub status: Option<WorkStatus>,
    /// Only items of queues these users are members of (a person's own view).
    pub member_of: Option<i64>,
    /// Only the work on this lead.
    pub lead_id: Option<i64>,
}

type ItemRow = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    i64,
    i64,
    Option<i64>,
    i64,
    Option<String>,
    i64,
);

const ITEM_SELECT: &str =
    "SELECT w.id, q.slug, w.lead_id, w.inquiry_id, w.assignee_id, w.status, w.first_touch_due_at,
        w.resolution_due_at, w.first_touched_at, w.escalation_level, w.reject_reason, w.created_at
     FROM work_items w JOIN queues q ON q.id = w.queue_id";

fn item_from_row(row: ItemRow) -> Result<WorkItem> {
    let (
        id,
        queue,
        lead_id,
        inquiry_id,
        assignee_id,
        status,
        first,
        resolution,
        touched,
        level,
        reason,
        created,
    ) = row;
    Ok(WorkItem {
        id,
        queue,
        lead_id,
        inquiry_id,
        assignee_id,
        status: status
            .parse()
            .map_err(|e| DbError::invalid("status", format!("{e}")))?,
        first_touch_due_at: first,
        resolution_due_at: resolution,
        first_touched_at: touched,
        escalation_level: level,
        reject_reason: reason,
        created_at: created,
    })
}

/// Who gets the next item of a queue, by its strategy, among the members
/// with `skills`; the chosen member's counters and the queue's round-robin
/// position are updated. `None` when nobody can take it, with the reason.
pub(crate) async fn choose_assignee(
    tx: &mut Transaction<'static, Any>,
    queue_id: i64,
    strategy: Strategy,
    last_position: &mut Option<i64>,
    exclude: Option<i64>,
    skills: &[String],
) -> Result<std::result::Result<(i64, String), String>> {
    let members = members_in(&mut **tx, queue_id).await?;
    let candidates: Vec<Candidate> = members
        .iter()
        .filter(|m| Some(m.user_id) != exclude)
        .map(Candidate::from)
        .collect();
    match pick_member(strategy, &candidates, *last_position, skills) {
        Ok(chosen) => {
            sqlx::query("UPDATE queue_members SET assigned_total = assigned_total + 1 WHERE queue_id = $1 AND user_id = $2")
                .bind(queue_id)
                .bind(chosen.user_id)
                .execute(&mut **tx)
                .await?;
            *last_position = Some(chosen.position);
            let name = members
                .iter()
                .find(|m| m.user_id == chosen.user_id)
                .map(|m| m.name.clone())
                .unwrap_or_default();
            Ok(Ok((chosen.user_id, format!("{name} picked by {strategy}"))))
        }
        Err(why) => Ok(Err(why.describe().to_string())),
    }
}

/// The person who last held work item `item_id` in queue `queue_id`, when
/// they can take it again there (at work, not away, with room and the
/// `skills`): work sent back to a queue goes back to them rather than to
/// whoever the strategy would choose. Their counters are updated as
/// [`choose_assignee`] updates the chosen one's.
pub(crate) async fn earlier_holder(
    tx: &mut Transaction<'static, Any>,
    item_id: i64,
    queue_id: i64,
    strategy: Strategy,
    skills: &[String],
) -> Result<Option<(i64, String)>> {
    let last: Option<(i64,)> = sqlx::query_as(
        "SELECT to_user_id FROM assignment_history
         WHERE work_item_id = $1 AND to_queue_id = $2 AND to_user_id IS NOT NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(item_id)
    .bind(queue_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((user,)) = last else {
        return Ok(None);
    };
    let members = members_in(&mut **tx, queue_id).await?;
    let Some(member) = members.iter().find(|m| m.user_id == user) else {
        return Ok(None);
    };
    if pick_member(strategy, &[Candidate::from(member)], None, skills).is_err() {
        return Ok(None);
    }
    sqlx::query("UPDATE queue_members SET assigned_total = assigned_total + 1 WHERE queue_id = $1 AND user_id = $2")
        .bind(queue_id)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(Some((
        user,
        format!("back to {}, who held it in this queue", member.name),
    )))
}

/// Appends to a work item's assignment history.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    work_item_id: i64,
    action: &str,
    from_user: Option<i64>,
    to_user: Option<i64>,
    to_queue: Option<i64>,
    reason: &str,
    actor: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO assignment_history (work_item_id, action, from_user_id, to_user_id, to_queue_id, reason, actor_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(work_item_id)
    .bind(action)
    .bind(from_user)
    .bind(to_user)
    .bind(to_queue)
    .bind(reason)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Why a holder may not hand work of `queue` (its id, function and slug)
/// on to the person whose queue memberships are `memberships` (queue id,
/// its function, the membership); `None` when they may. In the item's own
/// queue they must be neither away nor full; otherwise they must be at
/// work in a queue of the same line of work (a qualifier hands a lead to a
/// hunter, not to operations). Managers are not held to this: handing
/// work anywhere is theirs to decide.
fn takeover_refusal(
    (queue_id, function, queue): (i64, Function, &str),
    email: &str,
    memberships: &[(i64, Function, Member)],
) -> Option<DbError> {
    if let Some((_, _, them)) = memberships.iter().find(|(id, _, _)| *id == queue_id) {
        if them.away {
            return Some(DbError::conflict(
                "assignee_id",
                format!("{email} is marked away in the {queue} queue"),
            ));
        }
        return them
            .capacity
            .filter(|cap| them.open_items >= *cap)
            .map(|cap| {
                DbError::conflict(
                    "assignee_id",
                    format!(
                        "{email} is full: they hold {} open items and their cap in the {queue} queue is {cap}",
                        them.open_items
                    ),
                )
            });
    }
    let at_work_in_line: Vec<&Member> = memberships
        .iter()
        .filter(|(_, other, them)| !them.away && other.same_line_as(function))
        .map(|(_, _, them)| them)
        .collect();
    if at_work_in_line.is_empty() {
        return Some(DbError::invalid(
            "assignee_id",
            format!(
                "{email} is at work in no queue that takes {queue} work over; a manager can hand it to them"
            ),
        ));
    }
    // Their open work counts in every queue, so they are full when they
    // are at their cap in each queue of the line they work in.
    let full = at_work_in_line
        .iter()
        .all(|them| them.capacity.is_some_and(|cap| them.open_items >= cap));
    full.then(|| {
        DbError::conflict(
            "assignee_id",
            format!(
                "{email} is full: they hold {} open items, at their cap in every queue they work in that takes {queue} work over",
                at_work_in_line[0].open_items
            ),
        )
    })
}

/// Every queue's function, by id.
async fn queue_functions<'e, E: sqlx::AnyExecutor<'e>>(
    executor: E,
) -> Result<Vec<(i64, Function)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, function FROM queues")
        .fetch_all(executor)
        .await?;
    rows.into_iter()
        .map(|(id, function)| {
            let function = function
                .parse()
                .map_err(|e| DbError::invalid("function", format!("{e}")))?;
            Ok((id, function))
        })
        .collect()
}

/// Each member's memberships of `queues`, by user id.
async fn memberships_in<'e, E: sqlx::AnyExecutor<'e>>(
    executor: E,
    queues: &[(i64, Function)],
) -> Result<HashMap<i64, Vec<(i64, Function, Member)>>> {
    let ids: Vec<i64> = queues.iter().map(|(id, _)| *id).collect();
    let mut by_user: HashMap<i64, Vec<(i64, Function, Member)>> = HashMap::new();
    for (queue_id, member) in members_of(executor, &ids).await? {
        if let Some((_, function)) = queues.iter().find(|(id, _)| *id == queue_id) {
            by_user
                .entry(member.user_id)
                .or_default()
                .push((queue_id, *function, member));
        }
    }
    Ok(by_user)
}

/// Why work changes hands, as it is stored, or why it is refused.
pub fn handover_reason(reason: &str) -> Result<String> {
    required("reason", reason, "say why the work changes hands")
}

/// Why a person may not take a queue's waiting work now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptFrom {
    /// Marked away in the queue.
    Away,
    /// At their cap there.
    Full,
}

impl Db {
    /// The people a holder may hand work of the queue `slug` on to (see
    /// [`takeover_refusal`]).
    pub async fn may_take_over(&self, slug: &str) -> Result<Vec<i64>> {
        let queue = self.queue(slug).await?;
        let queues = queue_functions(self.reader()).await?;
        let mut people: Vec<i64> = memberships_in(self.reader(), &queues)
            .await?
            .into_iter()
            .filter(|(_, memberships)| {
                takeover_refusal((queue.id, queue.function, slug), "", memberships).is_none()
            })
            .map(|(user, _)| user)
            .collect();
        people.sort_unstable();
        Ok(people)
    }
}

/// The steps a breached item is escalated along, each at most once, in
/// order; the level stored is the last step taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EscalatedTo {
    NextMember,
    NextTier,
    /// The last step: a manager's item is not escalated again.
    Manager,
}

impl EscalatedTo {
    fn level(self) -> i64 {
        match self {
            EscalatedTo::NextMember => 1,
            EscalatedTo::NextTier => 2,
            EscalatedTo::Manager => 3,
        }
    }
}

/// The skills a routing rule asked of an item's holder, as stored: a JSON
/// list, or none.
pub(crate) fn skills_text(skills: &[String]) -> Option<String> {
    (!skills.is_empty()).then(|| serde_json::to_string(skills).unwrap_or_else(|_| "[]".into()))
}

/// The skills the holder of work item `id` needs.
async fn required_skills_in(tx: &mut Transaction<'static, Any>, id: i64) -> Result<Vec<String>> {
    let (stored,): (Option<String>,) =
        sqlx::query_as("SELECT required_skills FROM work_items WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    stored.map_or(Ok(Vec::new()), |text| {
        serde_json::from_str(&text)
            .map_err(|e| DbError::invalid("required_skills", format!("work item {id}: {e}")))
    })
}

/// A queue row locked for assignment, then the loads of the people it may
/// give work to (PostgreSQL; SQLite has one writer); see
/// [`lock_queues_by_id`].
pub(crate) async fn lock_queue_by_id(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    queue_id: i64,
) -> Result<(Strategy, Option<i64>, Option<i64>, Option<i64>)> {
    let mut locked = lock_queues_by_id(tx, backend, &[queue_id], &[]).await?;
    Ok(locked.remove(&queue_id).expect("the queue was read"))
}

/// Locks the queue rows `queue_ids` in id order, then the loads of their
/// members and of `also` (see [`lock_loads`]); returns
/// each queue's strategy, last position, escalation queue and manager.
pub(crate) async fn lock_queues_by_id(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    queue_ids: &[i64],
    also: &[i64],
) -> Result<HashMap<i64, (Strategy, Option<i64>, Option<i64>, Option<i64>)>> {
    let lock = backend.row_lock();
    let sql = format!(
        "SELECT id, strategy, last_position, escalation_queue_id, manager_id FROM queues
         WHERE id IN ({}) ORDER BY id{lock}",
        placeholders(1, queue_ids.len())
    );
    let mut query = sqlx::query_as::<_, (i64, String, Option<i64>, Option<i64>, Option<i64>)>(&sql);
    for id in queue_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut **tx).await?;
    if let Some(missing) = queue_ids
        .iter()
        .find(|id| !rows.iter().any(|r| r.0 == **id))
    {
        return Err(DbError::NotFound(format!("queue {missing}")));
    }
    lock_loads(tx, backend, queue_ids, also).await?;
    rows.into_iter()
        .map(|(id, strategy, last, escalation, manager)| {
            let strategy = strategy
                .parse()
                .map_err(|e| DbError::invalid("strategy", format!("{e}")))?;
            Ok((id, (strategy, last, escalation, manager)))
        })
        .collect()
}

/// Locks the open-work counts of the members of `queue_ids` and of `also`
/// (those the work may go to or come from besides), in user order
/// (PostgreSQL; SQLite has one writer). Taken after the queues' rows and before any work item
/// changes (whose trigger counts the loads), so that every transaction
/// takes these locks in one order: a person in two queues is given work by
/// one transaction at a time, and their cap holds across queues and servers.
pub(crate) async fn lock_loads(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    queue_ids: &[i64],
    also: &[i64],
) -> Result<()> {
    if backend != Backend::Postgres || (queue_ids.is_empty() && also.is_empty()) {
        return Ok(());
    }
    let queues = placeholders(1, queue_ids.len().max(1));
    let people = placeholders(queue_ids.len().max(1) + 1, also.len().max(1));
    let sql = format!(
        "SELECT user_id FROM open_work WHERE user_id IN
             (SELECT user_id FROM queue_members WHERE queue_id IN ({queues})
              UNION SELECT id FROM users WHERE id IN ({people}))
         ORDER BY user_id FOR UPDATE"
    );
    let mut query = sqlx::query(&sql);
    // An empty list binds one id that matches nothing.
    for id in queue_ids.iter().chain(queue_ids.is_empty().then_some(&0)) {
        query = query.bind(*id);
    }
    for id in also.iter().chain(also.is_empty().then_some(&0)) {
        query = query.bind(*id);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

impl Db {
    pub async fn work_item(&self, id: i64) -> Result<WorkItem> {
        let row: Option<ItemRow> = sqlx::query_as(&format!("{ITEM_SELECT} WHERE w.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        item_from_row(row.ok_or_else(|| DbError::NotFound(format!("work item {id}")))?)
    }

    /// Work items after the cursor `after` (an id), matching the filter.
    pub async fn work_items(
        &self,
        filter: &WorkFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<WorkItem>> {
        let rows: Vec<ItemRow> = sqlx::query_as(&format!(
            "{ITEM_SELECT} WHERE w.id > $1
               AND ($2 = 0 OR w.queue_id = $2)
               AND ($3 = 0 OR w.assignee_id = $3)
               AND ($4 = '' OR w.status = $4)
               AND ($5 = 0 OR w.assignee_id = $5
                    OR w.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = $5))
               AND ($6 = 0 OR w.lead_id = $6)
             ORDER BY w.id LIMIT $7"
        ))
        .bind(after)
        .bind(filter.queue_id.unwrap_or(0))
        .bind(filter.assignee_id.unwrap_or(0))
        .bind(filter.status.map(|s| s.as_str()).unwrap_or_default())
        .bind(filter.member_of.unwrap_or(0))
        .bind(filter.lead_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(item_from_row).collect()
    }

    pub async fn work_item_history(&self, id: i64) -> Result<Vec<HistoryEntry>> {
        let rows: Vec<(
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
            String,
            Option<i64>,
            i64,
        )> = sqlx::query_as(
            "SELECT h.action, h.from_user_id, h.to_user_id, q.slug, h.reason, h.actor_id, h.at
             FROM assignment_history h LEFT JOIN queues q ON q.id = h.to_queue_id
             WHERE h.work_item_id = $1 ORDER BY h.id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(action, from_user_id, to_user_id, to_queue, reason, actor_id, at)| HistoryEntry {
                    action,
                    from_user_id,
                    to_user_id,
                    to_queue,
                    reason,
                    actor_id,
                    at,
                },
            )
            .collect())
    }

    /// The history of every work item on one inquiry or lead, oldest
    /// first: a rejected item's reason stays in view after new work
    /// replaced it.
    pub async fn work_history(&self, of: WorkOf) -> Result<Vec<WorkEvent>> {
        type Row = (
            i64,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT h.work_item_id, moved.slug, now.slug, h.action, h.reason, u.name, taker.name, h.at
             FROM assignment_history h JOIN work_items w ON w.id = h.work_item_id
                  JOIN queues now ON now.id = w.queue_id
                  LEFT JOIN queues moved ON moved.id = h.to_queue_id
                  LEFT JOIN users u ON u.id = h.actor_id
                  LEFT JOIN users taker ON taker.id = h.to_user_id
             WHERE w.{} = $1 ORDER BY h.at, h.id",
            of.column()
        ))
        .bind(of.id())
        .fetch_all(self.reader())
        .await?;
        // Each event happened in the queue its item was in then: the last
        // one an event of that item moved it to, its queue now if none did.
        let mut queue_of_item: HashMap<i64, String> = HashMap::new();
        Ok(rows
            .into_iter()
            .map(|(item, moved_to, now, action, reason, actor, to, at)| {
                let queue = match moved_to {
                    Some(slug) => {
                        queue_of_item.insert(item, slug.clone());
                        slug
                    }
                    None => queue_of_item.get(&item).cloned().unwrap_or(now),
                };
                WorkEvent {
                    queue,
                    action,
                    reason,
                    actor,
                    to,
                    at,
                }
            })
            .collect())
    }

    /// The assignee takes the item: first touch is recorded, the lead
    /// becomes sales-accepted when it was a marketing-qualified lead.
    pub async fn accept_work_item(&self, actor: i64, id: i64) -> Result<WorkItem> {
        let item = self.work_item(id).await?;
        if item.assignee_id != Some(actor) {
            return Err(DbError::Forbidden(
                "only the assignee can accept a work item".into(),
            ));
        }
        if item.status != WorkStatus::Assigned {
            return Err(DbError::conflict(
                "status",
                format!("the work item is {}, not assigned", item.status),
            ));
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE work_items SET status = 'accepted', first_touched_at = COALESCE(first_touched_at, $1), updated_at = $1
             WHERE id = $2 AND status = 'assigned' AND assignee_id = $3",
        )
        .bind(now)
        .bind(id)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(DbError::conflict(
                "status",
                "the work item changed meanwhile; reload it",
            ));
        }
        record(
            &mut tx,
            id,
            "accepted",
            Some(actor),
            Some(actor),
            None,
            "accepted by the assignee",
            Some(actor),
        )
        .await?;
        if let Some(lead_id) = item.lead_id {
            change_stage_in(
                &mut tx,
                lead_id,
                &[Stage::Mql],
                Stage::Sal,
                "accepted by sales",
                Some(actor),
            )
            .await?;
        }
        audit_in(
            &mut *tx,
            Some(actor),
            "work_item.accepted",
            "work_item",
            Some(id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.work_item(id).await
    }

    /// The assignee (or a manager) sends the item back with a reason. A lead
    /// not yet in a deal goes back to marketing's nurture queue, with new
    /// work there; a lead in a deal, a customer or a disqualified lead keeps
    /// its stage, as a move by hand would. Of two changes to one item at
    /// once, exactly one lands.
    pub async fn reject_work_item(&self, actor: i64, id: i64, reason: &str) -> Result<WorkItem> {
        let reason = required("reason", reason, "say why the item is rejected")?;
        let item = self.work_item(id).await?;
        if !item.status.is_open() {
            return Err(DbError::conflict(
                "status",
                format!("the work item is already {}", item.status),
            ));
        }
        let hours = self.business_hours().await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // Nurture's queue and loads, with the holder's, before the change
        // counts them: the order intake takes them in.
        let (nurture_id,): (i64,) = sqlx::query_as("SELECT id FROM queues WHERE slug = 'nurture'")
            .fetch_one(&mut *tx)
            .await?;
        let holder: Vec<i64> = item.assignee_id.into_iter().collect();
        lock_queues_by_id(&mut tx, self.backend(), &[nurture_id], &holder).await?;
        let reject = format!(
            "UPDATE work_items SET status = 'rejected', reject_reason = $1, updated_at = $2 WHERE id = $3 AND {}",
            still_as_read(4)
        );
        let reject = sqlx::query(&reject).bind(&reason).bind(now).bind(id);
        self.update_as_read(&mut tx, reject, &item).await?;
        record(
            &mut tx,
            id,
            "rejected",
            item.assignee_id,
            None,
            None,
            &reason,
            Some(actor),
        )
        .await?;
        let mut new_item = None;
        if let Some(lead_id) = item.lead_id
            && back_to_nurture(&mut tx, lead_id, &reason, actor).await?
        {
            // Not back to the person who just sent it away.
            let work = (lead_id, item.inquiry_id);
            let why = "back to nurture after rejection";
            new_item = Some(
                self.give_work_in(
                    &mut tx,
                    nurture_id,
                    work,
                    item.assignee_id,
                    why,
                    &hours,
                    now,
                    actor,
                )
                .await?,
            );
        }
        audit_in(
            &mut *tx,
            Some(actor),
            "work_item.rejected",
            "work_item",
            Some(id),
            &serde_json::json!({"reason": reason, "nurture_item": new_item}),
        )
        .await?;
        tx.commit().await?;
        self.work_item(id).await
    }

    /// The holder (or a manager) marks the item done: the work it stood
    /// for is finished, with an optional note in its history. An item not
    /// yet touched counts as touched now.
    pub async fn finish_work_item(&self, actor: i64, id: i64, note: &str) -> Result<WorkItem> {
        let note = note.trim();
        at_most("note", note, MAX_TEXT)?;
        let item = self.work_item(id).await?;
        match item.status {
            WorkStatus::Assigned | WorkStatus::Accepted => {}
            WorkStatus::Unassigned => {
                return Err(DbError::conflict(
                    "status",
                    "the work item waits unassigned: take it before marking it done",
                ));
            }
            status => {
                return Err(DbError::conflict(
                    "status",
                    format!("the work item is already {status}"),
                ));
            }
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let finish = format!(
            "UPDATE work_items SET status = 'done', first_touched_at = COALESCE(first_touched_at, $1), updated_at = $1
             WHERE id = $2 AND {}",
            still_as_read(3)
        );
        let finish = sqlx::query(&finish).bind(now).bind(id);
        self.update_as_read(&mut tx, finish, &item).await?;
        let reason = if note.is_empty() {
            "marked done".to_string()
        } else {
            format!("marked done: {note}")
        };
        record(
            &mut tx,
            id,
            "done",
            item.assignee_id,
            None,
            None,
            &reason,
            Some(actor),
        )
        .await?;
        audit_in(
            &mut *tx,
            Some(actor),
            "work_item.done",
            "work_item",
            Some(id),
            &serde_json::json!({"note": note}),
        )
        .await?;
        tx.commit().await?;
        self.work_item(id).await
    }

    /// Runs `update`, whose condition ends with [`still_as_read`], binding
    /// the status and holder `item` was read with; refused when someone
    /// changed the item meanwhile (the caller's transaction then rolls back
    /// as it is dropped).
    async fn update_as_read<'q>(
        &self,
        tx: &mut Transaction<'static, Any>,
        update: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        item: &'q WorkItem,
    ) -> Result<()> {
        let changed = update
            .bind(item.status.as_str())
            .bind(item.assignee_id.unwrap_or(0))
            .execute(&mut **tx)
            .await?;
        if changed.rows_affected() != 1 {
            return Err(changed_meanwhile(&self.work_item(item.id).await?));
        }
        Ok(())
    }

    /// New work for a lead in the queue `queue_id`, assigned by that
    /// queue's strategy (never to `not_to`), its SLAs counted from now as
    /// the queue counts them; `why` opens each line of its history. The
    /// lead is owned by whoever gets it. Returns the new item's id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn give_work_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        queue_id: i64,
        (lead_id, inquiry_id): (i64, Option<i64>),
        not_to: Option<i64>,
        why: &str,
        hours: &BusinessHours,
        now: i64,
        actor: i64,
    ) -> Result<i64> {
        let (first, resolution, business_hours): (i64, i64, i64) = sqlx::query_as(
            "SELECT first_touch_sla_min, resolution_sla_min, business_hours FROM queues WHERE id = $1",
        )
        .bind(queue_id)
        .fetch_one(&mut **tx)
        .await?;
        let due = |minutes| sla_due(now, minutes, business_hours != 0, hours);
        let (strategy, mut last, _, _) = lock_queue_by_id(tx, self.backend(), queue_id).await?;
        let chosen = choose_assignee(tx, queue_id, strategy, &mut last, not_to, &[]).await?;
        let assignee = chosen.as_ref().ok().map(|(u, _)| *u);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO work_items (lead_id, inquiry_id, queue_id, assignee_id, status, first_touch_due_at,
                 resolution_due_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(lead_id)
        .bind(inquiry_id)
        .bind(queue_id)
        .bind(assignee)
        .bind(if assignee.is_some() {
            "assigned"
        } else {
            "unassigned"
        })
        .bind(due(first))
        .bind(due(resolution))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        let why = match &chosen {
            Ok((_, picked)) => format!("{why}; {picked}"),
            Err(waiting) => format!("{why}; waiting: {waiting}"),
        };
        record(
            tx,
            id,
            if assignee.is_some() {
                "assigned"
            } else {
                "waiting"
            },
            None,
            assignee,
            Some(queue_id),
            &why,
            Some(actor),
        )
        .await?;
        sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
            .bind(last)
            .bind(queue_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
            .bind(assignee)
            .bind(lead_id)
            .execute(&mut **tx)
            .await?;
        Ok(id)
    }

    /// A member of the item's queue takes it while it waits unassigned,
    /// unless they are away or already hold as many open items as their cap
    /// in that queue allows. Of two people taking the same item at once,
    /// exactly one gets it.
    pub async fn take_work_item(&self, actor: i64, id: i64) -> Result<WorkItem> {
        let item = self.work_item(id).await?;
        if item.status != WorkStatus::Unassigned {
            return Err(taken(&item));
        }
        let mut tx = self.begin_write().await?;
        let (queue_id,): (i64,) = sqlx::query_as("SELECT queue_id FROM work_items WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        // The queue lock orders takes with routing; the loads it locks
        // order two takes by the same person from different queues.
        lock_queue_by_id(&mut tx, self.backend(), queue_id).await?;
        let members = members_in(&mut *tx, queue_id).await?;
        let Some(me) = members.iter().find(|m| m.user_id == actor) else {
            return Err(DbError::Forbidden(format!(
                "only members of the {} queue can take its work",
                item.queue
            )));
        };
        if me.away {
            return Err(DbError::conflict(
                "queue",
                format!(
                    "you are marked away in the {} queue; come back before taking its work",
                    item.queue
                ),
            ));
        }
        if let Some(cap) = me.capacity
            && me.open_items >= cap
        {
            return Err(DbError::conflict(
                "capacity",
                format!(
                    "you are full: you hold {} open items and your cap in the {} queue is {cap}",
                    me.open_items, item.queue
                ),
            ));
        }
        let changed = sqlx::query(
            "UPDATE work_items SET assignee_id = $1, status = 'assigned', updated_at = $2
             WHERE id = $3 AND status = 'unassigned' AND assignee_id IS NULL",
        )
        .bind(actor)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            tx.rollback().await?;
            return Err(taken(&self.work_item(id).await?));
        }
        sqlx::query("UPDATE queue_members SET assigned_total = assigned_total + 1 WHERE queue_id = $1 AND user_id = $2")
            .bind(queue_id)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
        if let Some(lead_id) = item.lead_id {
            sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
                .bind(actor)
                .bind(lead_id)
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            id,
            "assigned",
            None,
            Some(actor),
            Some(queue_id),
            &format!("taken by {}", me.name),
            Some(actor),
        )
        .await?;
        audit_in(
            &mut *tx,
            Some(actor),
            "work_item.taken",
            "work_item",
            Some(id),
            &serde_json::json!({"queue": item.queue}),
        )
        .await?;
        tx.commit().await?;
        self.work_item(id).await
    }

    /// Gives the item to another person, with a reason: a holder to
    /// someone at work in its line of work (see [`takeover_refusal`]), a
    /// manager to anyone active. While nobody has touched it yet, the first-touch clock
    /// starts again for the new holder and its escalation path from the
    /// start. Of two changes to one item at once, exactly one lands.
    pub async fn reassign_work_item(
        &self,
        actor: i64,
        id: i64,
        to_user: i64,
        reason: &str,
    ) -> Result<WorkItem> {
        let reason = handover_reason(reason)?;
        let item = self.work_item(id).await?;
        if !item.status.is_open() {
            return Err(DbError::conflict(
                "status",
                format!("the work item is already {}", item.status),
            ));
        }
        let person = self
            .user(to_user)
            .await
            .map_err(|_| DbError::invalid("assignee_id", format!("no user {to_user}")))?;
        if item.assignee_id == Some(to_user) {
            return Err(DbError::conflict(
                "assignee_id",
                format!("{} already holds this work item", person.email),
            ));
        }
        if !person.active {
            return Err(DbError::invalid(
                "assignee_id",
                format!("{} is deactivated and cannot take work", person.email),
            ));
        }
        let by_manager = self.user(actor).await?.role.is_manager();
        let hours = self.business_hours().await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (queue_id, function, first, business_hours): (i64, String, i64, i64) = sqlx::query_as(
            "SELECT q.id, q.function, q.first_touch_sla_min, q.business_hours
             FROM queues q JOIN work_items w ON w.queue_id = q.id WHERE w.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        // The queue, then the loads of the one who holds the item and the
        // one who gets it, before the change counts them.
        let people: Vec<i64> = [item.assignee_id, Some(to_user)]
            .into_iter()
            .flatten()
            .collect();
        lock_queues_by_id(&mut tx, self.backend(), &[queue_id], &people).await?;
        if !by_manager {
            let function: Function = function
                .parse()
                .map_err(|e| DbError::invalid("function", format!("{e}")))?;
            let queues = queue_functions(&mut *tx).await?;
            let memberships = memberships_in(&mut *tx, &queues)
                .await?
                .remove(&person.id)
                .unwrap_or_default();
            let queue = (queue_id, function, item.queue.as_str());
            if let Some(refusal) = takeover_refusal(queue, &person.email, &memberships) {
                return Err(refusal);
            }
        }
        let first_touch_due = match item.first_touched_at {
            None => sla_due(now, first, business_hours != 0, &hours),
            Some(_) => item.first_touch_due_at,
        };
        let reassign = format!(
            "UPDATE work_items SET assignee_id = $1, status = 'assigned', updated_at = $2, first_touch_due_at = $3,
                 escalation_level = CASE WHEN first_touched_at IS NULL THEN 0 ELSE escalation_level END
             WHERE id = $4 AND {}",
            still_as_read(5)
        );
        let reassign = sqlx::query(&reassign)
            .bind(to_user)
            .bind(now)
            .bind(first_touch_due)
            .bind(id);
        self.update_as_read(&mut tx, reassign, &item).await?;
        record(
            &mut tx,
            id,
            "reassigned",
            item.assignee_id,
            Some(to_user),
            None,
            &reason,
            Some(actor),
        )
        .await?;
        if let Some(lead_id) = item.lead_id {
            sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
                .bind(to_user)
                .bind(lead_id)
                .execute(&mut *tx)
                .await?;
        }
        audit_in(
            &mut *tx,
            Some(actor),
            "work_item.reassigned",
            "work_item",
            Some(id),
            &serde_json::json!({"from": item.assignee_id, "to": to_user, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        self.work_item(id).await
    }

    /// Escalates every item whose first-touch SLA has passed, one step along
    /// its queue's path: another member, then the next tier's queue, then the
    /// queue's manager. Each breach escalates once: the step is taken with a
    /// compare-and-set on the escalation level. Returns the items escalated.
    pub async fn escalate_breaches(&self, now: i64) -> Result<Vec<i64>> {
        let due: Vec<(i64, i64, Option<i64>, i64, i64)> = sqlx::query_as(
            "SELECT id, queue_id, assignee_id, escalation_level, first_touch_due_at FROM work_items
             WHERE status IN ('assigned', 'unassigned') AND first_touched_at IS NULL AND first_touch_due_at < $1
               AND escalation_level < $2
             ORDER BY id LIMIT 500",
        )
        .bind(now)
        .bind(EscalatedTo::Manager.level())
        .fetch_all(self.reader())
        .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let hours = self.business_hours().await?;
        // Who takes a manager's place where a queue has none, read once a round.
        let owner: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM users WHERE role = 'owner' AND active = 1 ORDER BY id LIMIT 1",
        )
        .fetch_optional(self.reader())
        .await?;
        let owner = owner.map(|(id,)| id);
        let mut escalated = Vec::new();
        for breach in due {
            let id = breach.0;
            // One item's failure (a transaction PostgreSQL turned back, say)
            // leaves the others to be escalated; it is tried next round.
            match self.escalate_one(breach, now, &hours, owner).await {
                Ok(true) => escalated.push(id),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(work_item = id, %error, "escalation failed; retrying next round");
                }
            }
        }
        Ok(escalated)
    }

    /// Escalates one breach as read, `(id, queue, assignee, level, due)`,
    /// in a transaction of its own; false when it changed meanwhile.
    async fn escalate_one(
        &self,
        (id, queue_id, assignee, level, due_at): (i64, i64, Option<i64>, i64, i64),
        now: i64,
        hours: &BusinessHours,
        owner: Option<i64>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        // The queue and its next tier are locked together, in the order
        // intake locks queues, then the loads of everyone the item may go
        // to or come from, before any change counts them.
        // A manager who left (deactivated) is passed over for an owner.
        let (tier, manager): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT q.escalation_queue_id,
                    (SELECT u.id FROM users u WHERE u.id = q.manager_id AND u.active = 1)
             FROM queues q WHERE q.id = $1",
        )
        .bind(queue_id)
        .fetch_one(&mut *tx)
        .await?;
        let ids: Vec<i64> = [Some(queue_id), tier.filter(|t| *t != queue_id)]
            .into_iter()
            .flatten()
            .collect();
        let people: Vec<i64> = [assignee, manager, owner].into_iter().flatten().collect();
        let mut locked = lock_queues_by_id(&mut tx, self.backend(), &ids, &people).await?;
        let (strategy, mut last, next_tier, _) =
            locked.remove(&queue_id).expect("the queue was locked");
        if next_tier != tier {
            // Its path changed since it was read: next round reads it again.
            tx.rollback().await?;
            return Ok(false);
        }
        let skills = required_skills_in(&mut tx, id).await?;
        // Step 1: another member of the same queue.
        let mut target: Option<(EscalatedTo, Option<i64>, i64, String)> = None;
        if level < EscalatedTo::NextMember.level()
            && let Ok((user, why)) =
                choose_assignee(&mut tx, queue_id, strategy, &mut last, assignee, &skills).await?
        {
            target = Some((
                EscalatedTo::NextMember,
                Some(user),
                queue_id,
                format!("first touch overdue; next member: {why}"),
            ));
            sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
                .bind(last)
                .bind(queue_id)
                .execute(&mut *tx)
                .await?;
        }
        // Step 2: the next tier.
        if target.is_none()
            && level < EscalatedTo::NextTier.level()
            && let Some(tier) = next_tier
        {
            let (tier_strategy, mut tier_last, _, _) = locked
                .remove(&tier)
                .expect("the tier read is the tier locked");
            let chosen =
                choose_assignee(&mut tx, tier, tier_strategy, &mut tier_last, None, &skills)
                    .await?;
            sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
                .bind(tier_last)
                .bind(tier)
                .execute(&mut *tx)
                .await?;
            target = Some(match chosen {
                Ok((user, why)) => (
                    EscalatedTo::NextTier,
                    Some(user),
                    tier,
                    format!("first touch overdue; next tier: {why}"),
                ),
                Err(why) => (
                    EscalatedTo::NextTier,
                    None,
                    tier,
                    format!("first touch overdue; next tier, waiting: {why}"),
                ),
            });
        }
        // Step 3, the last: the manager of the queue, or an owner.
        if target.is_none() {
            let reason = match manager {
                Some(_) => "first touch overdue; escalated to the manager",
                None => {
                    "first touch overdue; escalated to an owner: the queue has no manager at work"
                }
            };
            target = Some((
                EscalatedTo::Manager,
                manager.or(owner),
                queue_id,
                reason.to_string(),
            ));
        }
        let (step, to_user, to_queue, reason) = target.expect("a step was chosen");
        let new_level = step.level();
        // The new holder's clock starts now, by their queue's SLA; work that
        // moves to another queue is resolved by that queue's SLA too.
        let (first_touch, resolution, business_hours): (i64, i64, i64) = sqlx::query_as(
            "SELECT first_touch_sla_min, resolution_sla_min, business_hours FROM queues WHERE id = $1",
        )
        .bind(to_queue)
        .fetch_one(&mut *tx)
        .await?;
        let new_due = sla_due(now, first_touch, business_hours != 0, hours);
        let new_resolution =
            (to_queue != queue_id).then(|| sla_due(now, resolution, business_hours != 0, hours));
        // Only the breach as read: not once another server escalated it,
        // nor once someone took, reassigned or moved it meanwhile.
        let changed = sqlx::query(
            "UPDATE work_items SET escalation_level = $1, escalated_at = $2, assignee_id = $3, queue_id = $4,
                 status = $5, first_touch_due_at = $6, updated_at = $2,
                 resolution_due_at = COALESCE($12, resolution_due_at)
             WHERE id = $7 AND escalation_level = $8 AND status IN ('assigned', 'unassigned')
               AND first_touched_at IS NULL AND queue_id = $9 AND COALESCE(assignee_id, 0) = $10
               AND first_touch_due_at = $11",
        )
        .bind(new_level)
        .bind(now)
        .bind(to_user)
        .bind(to_queue)
        .bind(if to_user.is_some() { "assigned" } else { "unassigned" })
        .bind(new_due)
        .bind(id)
        .bind(level)
        .bind(queue_id)
        .bind(assignee.unwrap_or(0))
        .bind(due_at)
        .bind(new_resolution)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            // Escalated by another server, or handled meanwhile.
            tx.rollback().await?;
            return Ok(false);
        }
        // The lead follows its work, as on a take or a reassignment.
        sqlx::query(
            "UPDATE leads SET owner_id = $1 WHERE id = (SELECT lead_id FROM work_items WHERE id = $2)",
        )
        .bind(to_user)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        crate::webhooks::enqueue(
            &mut tx,
            "work_item.sla_breached",
            &[serde_json::json!({
                "work_item_id": id, "level": new_level, "to_user_id": to_user, "to_queue_id": to_queue,
                "reason": reason,
            })],
        )
        .await?;
        record(
            &mut tx,
            id,
            "escalated",
            assignee,
            to_user,
            Some(to_queue),
            &reason,
            None,
        )
        .await?;
        audit_in(
            &mut *tx,
            None,
            "work_item.escalated",
            "work_item",
            Some(id),
            &serde_json::json!({"level": new_level, "to_user": to_user, "to_queue": to_queue}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// The columns My work sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskSort {
    /// The first-touch SLA: the most overdue first.
    Due,
    Score,
    Received,
}

impl SortColumn for DeskSort {
    const ALL: &'static [Self] = &[DeskSort::Due, DeskSort::Score, DeskSort::Received];

    fn key(self) -> &'static str {
        match self {
            DeskSort::Due => "due",
            DeskSort::Score => "score",
            DeskSort::Received => "received",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            DeskSort::Due => "r.first_touch_due_at",
            DeskSort::Score => "r.score",
            DeskSort::Received => "r.received_at",
        }
    }
}

/// The statuses of the work on a person's desk: given to them, not yet
/// finished or sent back.
pub const ON_DESK: &[WorkStatus] = &[WorkStatus::Assigned, WorkStatus::Accepted];

/// The status of the work waiting in a queue for a member to take it.
pub const WAITING: WorkStatus = WorkStatus::Unassigned;

/// Whose open work a desk list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskScope {
    /// One person's: the items assigned to them, and the items waiting
    /// unassigned in the queues they are a member of.
    Person(i64),
    /// Every open item in every queue, as managers oversee them.
    Everyone,
}

/// Filters of a desk; empty means any.
#[derive(Debug, Clone)]
pub struct DeskFilter {
    pub scope: DeskScope,
    pub queue_id: Option<i64>,
    /// One of [`ON_DESK`] or [`WAITING`]; any other lists nothing.
    pub status: Option<WorkStatus>,
    /// Only items late (`true`) or not late (`false`) at `now`, for their
    /// first touch or their resolution.
    pub overdue: Option<bool>,
    /// The time (ms) lateness is judged at.
    pub now: i64,
    pub intent: Option<Intent>,
    /// Words to find in the contact's name or e-mail, or the company's name.
    pub search: String,
}

/// A work item as My work shows it, with who and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskLine {
    pub id: i64,
    pub lead_id: Option<i64>,
    pub inquiry_id: Option<i64>,
    pub queue: String,
    pub status: WorkStatus,
    pub first_touch_due_at: i64,
    pub first_touched_at: Option<i64>,
    pub resolution_due_at: i64,
    /// When the inquiry arrived (the item's creation when it has none).
    pub received_at: i64,
    pub intent: Option<Intent>,
    pub score: Option<i64>,
    pub contact: String,
    pub email: String,
    pub company: String,
    /// Who holds it; empty while it waits unassigned.
    pub assignee: String,
}

/// Work items with their queue, lead, contact and company. The contact and
/// company come from the lead, or from the inquiry when there is none.
/// When open work of `alias` is late at the time `now` stands for (`$4`,
/// or `?` bound twice): untouched past its first-touch due time, or still
/// open past its resolution due time, as My work's SLA column says.
pub(crate) fn late_at(alias: &str, now: &str) -> String {
    format!(
        "(({alias}.first_touched_at IS NULL AND {alias}.first_touch_due_at < {now}) \
         OR {alias}.resolution_due_at < {now})"
    )
}

/// A desk's lines; work without a lead (support, billing, collections)
/// takes its intent and score from its inquiry's latest decisions.
const DESK_LINES: &str =
    "SELECT w.id, w.lead_id, w.inquiry_id, w.queue_id, w.assignee_id, w.status,
        w.first_touch_due_at, w.first_touched_at, w.resolution_due_at, q.slug AS queue,
        COALESCE(i.received_at, w.created_at) AS received_at,
        COALESCE(l.intent, (SELECT d.value FROM decisions d
            WHERE d.inquiry_id = w.inquiry_id AND d.kind = 'intent' ORDER BY d.id DESC LIMIT 1))
            AS intent,
        COALESCE(l.score, (SELECT CAST(d.score AS BIGINT) FROM decisions d
            WHERE d.inquiry_id = w.inquiry_id AND d.kind = 'score' ORDER BY d.id DESC LIMIT 1))
            AS score,
        COALESCE(c.name, '') AS contact, COALESCE(c.email_lower, '') AS email,
        LOWER(COALESCE(c.name, '')) AS contact_lower,
        COALESCE(a.name, '') AS company, LOWER(COALESCE(a.name, '')) AS company_lower,
        COALESCE(u.name, '') AS assignee
     FROM work_items w JOIN queues q ON q.id = w.queue_id
          LEFT JOIN users u ON u.id = w.assignee_id
          LEFT JOIN leads l ON l.id = w.lead_id
          LEFT JOIN inquiries i ON i.id = w.inquiry_id
          LEFT JOIN contacts c ON c.id = COALESCE(l.contact_id, i.contact_id)
          LEFT JOIN accounts a ON a.id = COALESCE(l.account_id, i.account_id)";

fn desk_line(row: &AnyRow) -> Result<DeskLine> {
    let intent = row
        .try_get::<Option<String>, _>("intent")?
        .map(|i| i.parse::<Intent>())
        .transpose()
        .map_err(|e| DbError::invalid("intent", e.to_string()))?;
    Ok(DeskLine {
        id: row.try_get("id")?,
        lead_id: row.try_get("lead_id")?,
        inquiry_id: row.try_get("inquiry_id")?,
        queue: row.try_get("queue")?,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| DbError::invalid("status", format!("{e}")))?,
        first_touch_due_at: row.try_get("first_touch_due_at")?,
        first_touched_at: row.try_get("first_touched_at")?,
        resolution_due_at: row.try_get("resolution_due_at")?,
        received_at: row.try_get("received_at")?,
        intent,
        score: row.try_get("score")?,
        contact: row.try_get("contact")?,
        email: row.try_get("email")?,
        company: row.try_get("company")?,
        assignee: row.try_get("assignee")?,
    })
}

impl Db {
    /// A window of the open work in `filter`'s scope (one person's desk, or
    /// every queue's), matching the filter, with its total.
    pub async fn desk(
        &self,
        filter: &DeskFilter,
        window: &Window<DeskSort>,
    ) -> Result<Listed<DeskLine>> {
        let mut conditions = Conditions::default();
        match filter.scope {
            DeskScope::Person(person) => conditions.add(
                "((r.assignee_id = ? AND r.status IN (?, ?))
                  OR (r.assignee_id IS NULL AND r.status = ?
                      AND r.queue_id IN (SELECT queue_id FROM queue_members WHERE user_id = ?)))",
                vec![
                    person.into(),
                    ON_DESK[0].as_str().into(),
                    ON_DESK[1].as_str().into(),
                    WAITING.as_str().into(),
                    person.into(),
                ],
            ),
            DeskScope::Everyone => conditions.add(
                "r.status IN (?, ?, ?)",
                vec![
                    ON_DESK[0].as_str().into(),
                    ON_DESK[1].as_str().into(),
                    WAITING.as_str().into(),
                ],
            ),
        }
        conditions.equal("r.status = ?", filter.status.map(|s| s.as_str()));
        conditions.equal("r.queue_id = ?", filter.queue_id);
        conditions.equal("r.intent = ?", filter.intent.map(|i| i.as_str()));
        if let Some(overdue) = filter.overdue {
            let late = late_at("r", "?");
            let clause = if overdue { late } else { format!("NOT {late}") };
            conditions.add(&clause, vec![filter.now.into(), filter.now.into()]);
        }
        conditions.search(
            &[
                "r.contact_lower LIKE ? ESCAPE '\\'",
                "r.email LIKE ? ESCAPE '\\'",
                "r.company_lower LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(DESK_LINES, &conditions, window, desk_line).await
    }

    /// The slugs of the queues whose waiting work a person may not take
    /// now, and why: away there, or at their cap there (their open work in
    /// every queue counts), as a take would be refused.
    pub async fn kept_from_taking(&self, user_id: i64) -> Result<Vec<(String, KeptFrom)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT q.slug, m.away FROM queue_members m JOIN queues q ON q.id = m.queue_id
                 LEFT JOIN open_work o ON o.user_id = m.user_id
             WHERE m.user_id = $1
               AND (m.away <> 0 OR (m.capacity IS NOT NULL AND COALESCE(o.items, 0) >= m.capacity))
             ORDER BY q.slug",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(slug, away)| {
                let kept = if away != 0 {
                    KeptFrom::Away
                } else {
                    KeptFrom::Full
                };
                (slug, kept)
            })
            .collect())
    }

    /// The queues a person works in or holds open work from, by name.
    pub async fn desk_queues(&self, user_id: i64) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, name FROM queues
             WHERE id IN (SELECT queue_id FROM queue_members WHERE user_id = $1)
                OR id IN (SELECT queue_id FROM work_items
                          WHERE assignee_id = $1 AND status IN ($2, $3))
             ORDER BY name",
        )
        .bind(user_id)
        .bind(ON_DESK[0].as_str())
        .bind(ON_DESK[1].as_str())
        .fetch_all(self.reader())
        .await?;
        Ok(rows)
    }
}

/// The condition that an item still has the status and holder (0 for none)
/// bound at `$first` and the next parameter: a compare-and-set, so that of
/// two changes decided on the same reading only the first lands.
fn still_as_read(first: usize) -> String {
    format!(
        "status = ${first} AND COALESCE(assignee_id, 0) = ${}",
        first + 1
    )
}

/// Why a change decided on an earlier reading of the item did not land.
fn changed_meanwhile(item: &WorkItem) -> DbError {
    DbError::conflict(
        "status",
        format!(
            "the work item changed meanwhile: it is now {}; look again before changing it",
            item.status
        ),
    )
}

/// The stages of a lead not yet in a deal, won or disqualified.
pub(crate) const BEFORE_A_DEAL: &[Stage] = &[
    Stage::New,
    Stage::Nurture,
    Stage::Mql,
    Stage::Sal,
    Stage::Sql,
];

/// Changes the stage of a rejected item's lead back to nurture when it is
/// not yet in a deal, won, or disqualified; true when the lead belongs in
/// nurture now.
async fn back_to_nurture(
    tx: &mut Transaction<'static, Any>,
    lead_id: i64,
    reason: &str,
    actor: i64,
) -> Result<bool> {
    let was = change_stage_in(
        tx,
        lead_id,
        BEFORE_A_DEAL,
        Stage::Nurture,
        &format!("rejected by sales: {reason}"),
        Some(actor),
    )
    .await?;
    Ok(BEFORE_A_DEAL.contains(&was))
}

/// Why an item that is no longer waiting cannot be taken.
fn taken(item: &WorkItem) -> DbError {
    let problem = if item.status.is_open() && item.assignee_id.is_some() {
        "this work item has already been taken".to_string()
    } else {
        format!("the work item is {}, not waiting", item.status)
    };
    DbError::conflict("status", problem)
}

/// Locks the loads of everyone holding open work on any of `of`, in user
/// order (PostgreSQL; see [`lock_loads`]); returns them. A transaction
/// that will finish that work calls it before it writes the lead or the
/// inquiry, so that it takes the loads before those rows, as every change
/// of who holds work does.
pub(crate) async fn lock_holders_of(
    tx: &mut Transaction<'static, Any>,
    of: &[WorkOf],
) -> Result<Vec<i64>> {
    let holders = holders_of(tx, of).await?;
    lock_loads(tx, Backend::of(tx), &[], &holders).await?;
    Ok(holders)
}

/// Everyone holding open work on any of `of`, in user order.
pub(crate) async fn holders_of(
    tx: &mut Transaction<'static, Any>,
    of: &[WorkOf],
) -> Result<Vec<i64>> {
    let mut holders = BTreeSet::new();
    for work in of {
        let held: Vec<(i64,)> = sqlx::query_as(&format!(
            "SELECT DISTINCT assignee_id FROM work_items
             WHERE {} = $1 AND status IN ('unassigned', 'assigned', 'accepted')
               AND assignee_id IS NOT NULL",
            work.column()
        ))
        .bind(work.id())
        .fetch_all(&mut **tx)
        .await?;
        holders.extend(held.into_iter().map(|(id,)| id));
    }
    Ok(holders.into_iter().collect())
}

/// Marks every open work item on a lead or an inquiry done, inside the
/// caller's transaction, with `why` in each one's history: its outcome is
/// settled (a deal opened, a customer won, disqualified, spam), so nobody
/// is left holding work on it.
pub(crate) async fn finish_open_work_in(
    tx: &mut Transaction<'static, Any>,
    of: WorkOf,
    why: &str,
    actor: Option<i64>,
) -> Result<()> {
    // Each finished item's trigger lowers its holder's load, so only items
    // whose holder's load is locked are finished; one handed to someone
    // else meanwhile is finished in the next turn, with that load locked.
    loop {
        let holders = lock_holders_of(tx, &[of]).await?;
        let sql = format!(
            "UPDATE work_items SET status = 'done', updated_at = $1
             WHERE {} = $2 AND status IN ('unassigned', 'assigned', 'accepted')
               AND (assignee_id IS NULL OR assignee_id IN ({}))
             RETURNING id, assignee_id",
            of.column(),
            placeholders(3, holders.len().max(1))
        );
        let mut finishing = sqlx::query_as::<_, (i64, Option<i64>)>(&sql)
            .bind(now_ms())
            .bind(of.id());
        // No holder binds an id that matches nobody.
        for holder in holders.iter().chain(holders.is_empty().then_some(&0)) {
            finishing = finishing.bind(*holder);
        }
        for (id, holder) in finishing.fetch_all(&mut **tx).await? {
            record(tx, id, "done", holder, None, None, why, actor).await?;
        }
        let (left,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM work_items
             WHERE {} = $1 AND status IN ('unassigned', 'assigned', 'accepted')",
            of.column()
        ))
        .bind(of.id())
        .fetch_one(&mut **tx)
        .await?;
        if left == 0 {
            return Ok(());
        }
    }
}

/// Changes a lead's stage when it is in one of `from` (any when empty),
/// inside the caller's transaction; returns the stage it was in.
pub(crate) async fn change_stage_in(
    tx: &mut Transaction<'static, Any>,
    lead_id: i64,
    from: &[Stage],
    to: Stage,
    reason: &str,
    actor: Option<i64>,
) -> Result<Stage> {
    let (current,): (String,) = sqlx::query_as("SELECT stage FROM leads WHERE id = $1")
        .bind(lead_id)
        .fetch_one(&mut **tx)
        .await?;
    let current: Stage = current
        .parse()
        .map_err(|e| DbError::invalid("stage", format!("{e}")))?;
    if current == to || (!from.is_empty() && !from.contains(&current)) {
        return Ok(current);
    }
    let finishes_work = matches!(to, Stage::Customer | Stage::Disqualified);
    if finishes_work {
        lock_holders_of(tx, &[WorkOf::Lead(lead_id)]).await?;
    }
    let now = now_ms();
    sqlx::query("UPDATE leads SET stage = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(lead_id)
        .execute(&mut **tx)
        .await?;
    crate::webhooks::enqueue(
        tx,
        "lead.stage_changed",
        &[serde_json::json!({"lead_id": lead_id, "from": current, "to": to, "reason": reason, "actor_id": actor})],
    )
    .await?;
    sqlx::query(
        "INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(lead_id)
    .bind(current.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if finishes_work {
        let why = format!("the lead is {to}: {reason}");
        finish_open_work_in(tx, WorkOf::Lead(lead_id), &why, actor).await?;
    }
    Ok(current)
}
