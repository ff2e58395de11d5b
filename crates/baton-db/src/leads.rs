//! Leads: a qualified inquiry on its way through the lifecycle, with every
//! stage it passed through.

use crate::checks::{MAX_TEXT, at_most};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::listing::{Conditions, Direction, Listed, SortColumn, Window};
use crate::now_ms;
use crate::users::audit_in;
use crate::work_items::{
    WorkOf, change_stage_in, finish_open_work_in, holders_of, lock_queues_by_id,
};
use baton_core::domain::{AccountStatus, Grade, Intent, OpportunityStage, Stage};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A lead and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lead {
    pub id: i64,
    pub inquiry_id: i64,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub source: Option<String>,
    pub stage: Stage,
    pub intent: Intent,
    pub score: i64,
    pub grade: Grade,
    pub owner_id: Option<i64>,
    /// Slug of the queue of its latest work item.
    pub queue: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One move of a lead from a stage to another.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageChange {
    /// Absent for the stage the lead started in.
    pub from_stage: Option<Stage>,
    pub to_stage: Stage,
    pub reason: String,
    pub actor_id: Option<i64>,
    pub at: i64,
}

/// Filters for listing leads; empty means any.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub stage: Option<Stage>,
    pub owner_id: Option<i64>,
    /// Leads whose latest work item is in this queue.
    pub queue_id: Option<i64>,
    /// Only leads this user owns or that have work in their queues (a person's own view).
    pub visible_to: Option<i64>,
    pub account_id: Option<i64>,
}

type LeadRow = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

/// The latest work item's queue of lead `l`.
const CURRENT_QUEUE: &str =
    "(SELECT w.queue_id FROM work_items w WHERE w.lead_id = l.id ORDER BY w.id DESC LIMIT 1)";

fn lead_select() -> String {
    format!(
        "SELECT l.id, l.inquiry_id, l.contact_id, l.account_id, l.campaign_id, l.source, l.stage, l.intent,
            l.score, l.grade, l.owner_id, (SELECT slug FROM queues WHERE id = {CURRENT_QUEUE}),
            l.created_at, l.updated_at
         FROM leads l"
    )
}

fn lead_from_row(row: LeadRow) -> Result<Lead> {
    let (
        id,
        inquiry_id,
        contact_id,
        account_id,
        campaign_id,
        source,
        stage,
        intent,
        score,
        grade,
        owner_id,
        queue,
        created_at,
        updated_at,
    ) = row;
    let bad =
        |field: &str, e: baton_core::domain::UnknownValue| DbError::invalid(field, e.to_string());
    Ok(Lead {
        id,
        inquiry_id,
        contact_id,
        account_id,
        campaign_id,
        source,
        stage: stage.parse().map_err(|e| bad("stage", e))?,
        intent: intent.parse().map_err(|e| bad("intent", e))?,
        score,
        grade: grade.parse().map_err(|e| bad("grade", e))?,
        owner_id,
        queue,
        created_at,
        updated_at,
    })
}

impl Db {
    /// One lead by id.
    pub async fn lead(&self, id: i64) -> Result<Lead> {
        let row: Option<LeadRow> = sqlx::query_as(&format!("{} WHERE l.id = $1", lead_select()))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        lead_from_row(row.ok_or_else(|| DbError::NotFound(format!("lead {id}")))?)
    }

    /// Leads after the cursor `after` (an id), matching the filter, oldest first.
    pub async fn leads(&self, filter: &LeadFilter, after: i64, limit: i64) -> Result<Vec<Lead>> {
        let rows: Vec<LeadRow> = sqlx::query_as(&format!(
            "{} WHERE l.id > $1
               AND ($2 = '' OR l.stage = $2)
               AND ($3 = 0 OR l.owner_id = $3)
               AND ($4 = 0 OR {CURRENT_QUEUE} = $4)
               AND ($5 = 0 OR l.owner_id = $5 OR EXISTS (
                    SELECT 1 FROM work_items w JOIN queue_members m ON m.queue_id = w.queue_id
                    WHERE w.lead_id = l.id AND m.user_id = $5))
               AND ($6 = 0 OR l.account_id = $6)
             ORDER BY l.id LIMIT $7",
            lead_select()
        ))
        .bind(after)
        .bind(filter.stage.map(|s| s.as_str()).unwrap_or_default())
        .bind(filter.owner_id.unwrap_or(0))
        .bind(filter.queue_id.unwrap_or(0))
        .bind(filter.visible_to.unwrap_or(0))
        .bind(filter.account_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(lead_from_row).collect()
    }

    /// True when `user` owns the lead or belongs to a queue that holds its work.
    pub async fn lead_visible_to(&self, lead_id: i64, user: i64) -> Result<bool> {
        let (visible,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM leads l WHERE l.id = $1 AND (l.owner_id = $2 OR EXISTS (
                 SELECT 1 FROM work_items w JOIN queue_members m ON m.queue_id = w.queue_id
                 WHERE w.lead_id = l.id AND m.user_id = $2))",
        )
        .bind(lead_id)
        .bind(user)
        .fetch_one(self.reader())
        .await?;
        Ok(visible > 0)
    }

    /// Whether `user` holds the lead: owns it, is assigned its open work, or,
    /// while nobody owns it and its work waits unassigned, is a member of the
    /// queue where it waits. Only a holder (or a manager) moves it on; work
    /// someone rejected or handed on no longer makes them a holder.
    pub async fn lead_held_by(&self, lead_id: i64, user: i64) -> Result<bool> {
        let (held,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM leads l WHERE l.id = $1 AND (l.owner_id = $2
                 OR EXISTS (SELECT 1 FROM work_items w WHERE w.lead_id = l.id AND w.assignee_id = $2
                     AND w.status IN ('assigned', 'accepted'))
                 OR (l.owner_id IS NULL AND EXISTS (
                     SELECT 1 FROM work_items w JOIN queue_members m ON m.queue_id = w.queue_id
                     WHERE w.lead_id = l.id AND w.assignee_id IS NULL AND w.status = 'unassigned'
                       AND m.user_id = $2)))",
        )
        .bind(lead_id)
        .bind(user)
        .fetch_one(self.reader())
        .await?;
        Ok(held > 0)
    }

    /// Every stage a lead went through, oldest first.
    pub async fn lead_stage_history(&self, id: i64) -> Result<Vec<StageChange>> {
        let rows: Vec<(Option<String>, String, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT from_stage, to_stage, reason, actor_id, at FROM lead_stage_history
             WHERE lead_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let stage = |s: &str| {
            s.parse::<Stage>()
                .map_err(|e| DbError::invalid("stage", e.to_string()))
        };
        rows.into_iter()
            .map(|(from, to, reason, actor_id, at)| {
                Ok(StageChange {
                    from_stage: from.as_deref().map(stage).transpose()?,
                    to_stage: stage(&to)?,
                    reason,
                    actor_id,
                    at,
                })
            })
            .collect()
    }

    /// Moves a lead to `to` with a reason, which every move needs; the move
    /// lands in the stage history, the webhooks and the audit log.
    pub async fn move_lead(&self, actor: i64, id: i64, to: Stage, reason: &str) -> Result<Lead> {
        let reason = reason.trim();
        if reason.is_empty() {
            let problem = if to == Stage::Disqualified {
                "say why the lead is disqualified"
            } else {
                "say why the lead changes stage"
            };
            return Err(DbError::invalid("reason", problem));
        }
        at_most("reason", reason, MAX_TEXT)?;
        let lead = self.lead(id).await?;
        refuse_move(lead.stage, to)?;
        // Read before the transaction: on PostgreSQL reads share the
        // writers' pool, which changes waiting on this lead may hold.
        let hours = self.business_hours().await?;
        // What the move does follows from the stage the lead is in, read in
        // the writer's transaction; moved by someone else meanwhile (seen
        // once the lead is locked), it is read and decided again.
        for _ in 0..MOVE_ATTEMPTS {
            let mut tx = self.begin_write().await?;
            let stage = stage_in(&mut tx, id, "").await?;
            refuse_move(stage, to)?;
            // Checked in the writer's transaction: a deal opened meanwhile counts.
            let open_deal: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM opportunities WHERE lead_id = $1 AND stage NOT IN ($2, $3)
                 ORDER BY id LIMIT 1",
            )
            .bind(id)
            .bind(OpportunityStage::Won.as_str())
            .bind(OpportunityStage::Lost.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((deal,)) = open_deal {
                return Err(DbError::conflict(
                    "stage",
                    format!(
                        "the lead is in deal {deal}, still open: it stays an opportunity until the deal is won or lost"
                    ),
                ));
            }
            // The lead's work follows it. A disqualified lead has none left: one
            // brought back gets work in the queue of its new stage. A lead sent
            // back to nurture leaves the sales work it had for marketing's, as a
            // rejected one does. The queue and the loads of its members and of
            // the work's holders are taken before the lead, as intake takes them.
            let sales_work = to == Stage::Nurture && open_outside_nurture(&mut tx, id).await?;
            let new_work_in = match stage {
                Stage::Disqualified => Some(revival_queue(&mut tx, id, to).await?),
                _ if sales_work => Some(queue_named(&mut tx, "nurture").await?),
                _ => None,
            };
            if let Some(queue) = new_work_in {
                let holders = holders_of(&mut tx, &[WorkOf::Lead(id)]).await?;
                lock_queues_by_id(&mut tx, self.backend(), &[queue], &holders).await?;
            }
            if stage_in(&mut tx, id, self.backend().row_lock()).await? != stage {
                tx.rollback().await?;
                continue;
            }
            let was = change_stage_in(&mut tx, id, &[], to, reason, Some(actor)).await?;
            if sales_work {
                let why = format!("the lead went back to nurture: {reason}");
                finish_open_work_in(&mut tx, WorkOf::Lead(id), &why, Some(actor)).await?;
            }
            let why = match was {
                Stage::Disqualified => format!("back from disqualified as {to}: {reason}"),
                _ => format!("back to nurture: {reason}"),
            };
            let mut work_item = None;
            if let Some(queue) = new_work_in
                && (was == Stage::Disqualified || sales_work)
            {
                let work = (id, Some(lead.inquiry_id));
                work_item = Some(
                    self.give_work_in(&mut tx, queue, work, None, &why, &hours, now_ms(), actor)
                        .await?,
                );
            }
            audit_in(
                &mut *tx,
                Some(actor),
                "lead.stage_changed",
                "lead",
                Some(id),
                &serde_json::json!({"from": was, "to": to, "reason": reason, "work_item": work_item}),
            )
            .await?;
            tx.commit().await?;
            return self.lead(id).await;
        }
        Err(DbError::conflict(
            "stage",
            "the lead kept changing stage meanwhile: look at it again",
        ))
    }
}

/// How many times a move is decided again on a lead moved meanwhile.
const MOVE_ATTEMPTS: usize = 5;

/// The stage lead `id` is in, read within `tx`; `lock` ends the SELECT
/// (see [`crate::Backend::row_lock`]).
async fn stage_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    lock: &str,
) -> Result<Stage> {
    let (stage,): (String,) =
        sqlx::query_as(&format!("SELECT stage FROM leads WHERE id = $1{lock}"))
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    stage
        .parse()
        .map_err(|e| DbError::invalid("stage", format!("{e}")))
}

/// Refuses moving a lead from `from` to `to` by hand: to where it is, and
/// to or from the stages its deals decide.
fn refuse_move(from: Stage, to: Stage) -> Result<()> {
    if from == to {
        return Err(DbError::conflict(
            "stage",
            format!("the lead is already {to}"),
        ));
    }
    // These stages follow from its deals, so the funnel counts only real ones.
    match (from, to) {
        (_, Stage::Opportunity) => Err(DbError::invalid(
            "stage",
            "a lead becomes an opportunity when a deal is opened on it",
        )),
        (_, Stage::Customer) => Err(DbError::invalid(
            "stage",
            "a lead becomes a customer when one of its deals is won",
        )),
        (Stage::Customer, _) => Err(DbError::conflict(
            "stage",
            "the lead became a customer by a won deal and stays one",
        )),
        _ => Ok(()),
    }
}

/// The queue a lead brought back from disqualified is worked in, by the
/// stage it comes back to: nurturing by marketing, qualifying by the
/// qualifiers, and selling by the farmers for a customer's lead and by the
/// hunters for anyone else's.
async fn revival_queue(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    lead_id: i64,
    to: Stage,
) -> Result<i64> {
    let customer: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM leads l JOIN accounts a ON a.id = l.account_id
         WHERE l.id = $1 AND a.status = $2",
    )
    .bind(lead_id)
    .bind(AccountStatus::Customer.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let slug = match to {
        Stage::Nurture => "nurture",
        Stage::New | Stage::Mql => "qualification",
        _ if customer.is_some() => "farmers",
        _ => "hunters",
    };
    queue_named(tx, slug).await
}

/// The id of the queue `slug`.
async fn queue_named(tx: &mut sqlx::Transaction<'static, sqlx::Any>, slug: &str) -> Result<i64> {
    let (queue,): (i64,) = sqlx::query_as("SELECT id FROM queues WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("the {slug} queue")))?;
    Ok(queue)
}

/// Whether the lead has open work in a queue other than nurture.
async fn open_outside_nurture(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    lead_id: i64,
) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT w.id FROM work_items w JOIN queues q ON q.id = w.queue_id
         WHERE w.lead_id = $1 AND w.status IN ('unassigned', 'assigned', 'accepted')
           AND q.slug <> 'nurture'
         LIMIT 1",
    )
    .bind(lead_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// The columns the lead list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadSort {
    Created,
    Contact,
    Account,
    Stage,
    Score,
    Source,
    Owner,
}

impl SortColumn for LeadSort {
    const ALL: &'static [Self] = &[
        LeadSort::Created,
        LeadSort::Contact,
        LeadSort::Account,
        LeadSort::Stage,
        LeadSort::Score,
        LeadSort::Source,
        LeadSort::Owner,
    ];
    /// The newest leads first: they are the ones still to be worked.
    const DIRECTION: Direction = Direction::Descending;

    fn key(self) -> &'static str {
        match self {
            LeadSort::Created => "created",
            LeadSort::Contact => "contact",
            LeadSort::Account => "account",
            LeadSort::Stage => "stage",
            LeadSort::Score => "score",
            LeadSort::Source => "source",
            LeadSort::Owner => "owner",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            LeadSort::Created => "r.created_at",
            LeadSort::Contact => "r.contact_lower",
            LeadSort::Account => "r.account_lower",
            LeadSort::Stage => "r.stage",
            LeadSort::Score => "r.score",
            LeadSort::Source => "r.source",
            LeadSort::Owner => "r.owner_name",
        }
    }
}

/// Filters of the lead list; empty means any.
#[derive(Debug, Clone, Default)]
pub struct LeadListFilter {
    pub stage: Option<Stage>,
    pub grade: Option<Grade>,
    pub source: Option<String>,
    pub owner_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub account_id: Option<i64>,
    /// Only leads this person owns or that have work in their queues.
    pub visible_to: Option<i64>,
    /// Words to find in the contact's name or e-mail, or the account's name.
    pub search: String,
}

/// A lead as the lead list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadLine {
    pub id: i64,
    pub created_at: i64,
    pub stage: Stage,
    pub intent: Intent,
    pub score: i64,
    pub grade: Grade,
    pub source: String,
    pub contact: String,
    pub email: String,
    pub account: String,
    pub owner: String,
}

const LEAD_LINES: &str = "SELECT l.id, l.created_at, l.stage, l.intent, l.score, l.grade,
        COALESCE(l.source, '') AS source, l.owner_id, l.campaign_id, l.account_id,
        COALESCE(c.name, '') AS contact, COALESCE(c.email_lower, '') AS email,
        LOWER(COALESCE(c.name, c.email_lower, '')) AS contact_lower,
        COALESCE(a.name, '') AS account, LOWER(COALESCE(a.name, '')) AS account_lower,
        COALESCE(u.name, '') AS owner_name
     FROM leads l LEFT JOIN contacts c ON c.id = l.contact_id
          LEFT JOIN accounts a ON a.id = l.account_id
          LEFT JOIN users u ON u.id = l.owner_id";

fn lead_line(row: &AnyRow) -> Result<LeadLine> {
    let bad =
        |field: &str, e: baton_core::domain::UnknownValue| DbError::invalid(field, e.to_string());
    Ok(LeadLine {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        stage: row
            .try_get::<String, _>("stage")?
            .parse()
            .map_err(|e| bad("stage", e))?,
        intent: row
            .try_get::<String, _>("intent")?
            .parse()
            .map_err(|e| bad("intent", e))?,
        score: row.try_get("score")?,
        grade: row
            .try_get::<String, _>("grade")?
            .parse()
            .map_err(|e| bad("grade", e))?,
        source: row.try_get("source")?,
        contact: row.try_get("contact")?,
        email: row.try_get("email")?,
        account: row.try_get("account")?,
        owner: row.try_get("owner_name")?,
    })
}

impl Db {
    /// A window of the leads matching `filter`, with their total.
    pub async fn lead_list(
        &self,
        filter: &LeadListFilter,
        window: &Window<LeadSort>,
    ) -> Result<Listed<LeadLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.stage = ?", filter.stage.map(|s| s.as_str()));
        conditions.equal("r.grade = ?", filter.grade.map(|g| g.as_str()));
        conditions.equal("r.source = ?", filter.source.as_deref());
        conditions.equal("r.owner_id = ?", filter.owner_id);
        conditions.equal("r.campaign_id = ?", filter.campaign_id);
        conditions.equal("r.account_id = ?", filter.account_id);
        if let Some(person) = filter.visible_to {
            conditions.add(
                "(r.owner_id = ? OR EXISTS (
                     SELECT 1 FROM work_items w JOIN queue_members m ON m.queue_id = w.queue_id
                     WHERE w.lead_id = r.id AND m.user_id = ?))",
                vec![person.into(), person.into()],
            );
        }
        conditions.search(
            &[
                "r.contact_lower LIKE ? ESCAPE '\\'",
                "r.email LIKE ? ESCAPE '\\'",
                "r.account_lower LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(LEAD_LINES, &conditions, window, lead_line).await
    }

    /// Every source a lead came from, in order.
    pub async fn lead_sources(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT source FROM leads WHERE source IS NOT NULL ORDER BY source",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }
}
