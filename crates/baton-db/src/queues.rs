//! Queues (the tiers), their members and the ordered routing rules; the
//! defaults every new organisation starts with.

use crate::checks::{self, Chain, required_name};
use crate::connect::{Backend, Db};
use crate::error::{DbError, Refusals, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::charter::default_activity_types;
use baton_core::domain::{Function, Strategy};
use baton_core::routing::{DEFAULT_QUEUES, Rule, default_rules, fingerprint};
use baton_core::sla::{BusinessHours, SlaTarget};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A queue with its service levels.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub function: Function,
    pub strategy: Strategy,
    pub first_touch_sla_minutes: i64,
    pub resolution_sla_minutes: i64,
    pub business_hours: bool,
    pub escalation_queue: Option<String>,
    pub manager_id: Option<i64>,
}

/// A member of a queue, with what routing needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub position: i64,
    pub capacity: Option<i64>,
    pub weight: i64,
    pub skills: Vec<String>,
    pub away: bool,
    pub assigned_total: i64,
    pub open_items: i64,
}

/// Changes to a membership; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct MemberChange {
    pub capacity: Option<Option<i64>>,
    pub weight: Option<i64>,
    pub skills: Option<Vec<String>>,
    pub away: Option<bool>,
}

/// Changes to a queue's service levels and hand-offs; absent fields stay
/// as they are.
#[derive(Debug, Clone, Default)]
pub struct QueueChange {
    pub strategy: Option<Strategy>,
    pub first_touch_sla_minutes: Option<i64>,
    pub resolution_sla_minutes: Option<i64>,
    /// The slug of the queue a breached item goes to next; `Some(None)`
    /// ends its escalation path.
    pub escalation_queue: Option<Option<String>>,
    /// The person a breach reaches last, a manager or an owner; `Some(None)`
    /// leaves it to an owner.
    pub manager_id: Option<Option<i64>>,
}

/// Longest SLA a queue accepts: a year, so that due times stay far from
/// overflow and mistakes like minutes typed as seconds stand out.
const MAX_SLA_MINUTES: i64 = 365 * 24 * 60;
/// Most open items one member's cap allows.
const MAX_CAPACITY: i64 = 10_000;

impl From<&Member> for baton_core::routing::Candidate {
    fn from(m: &Member) -> Self {
        baton_core::routing::Candidate {
            user_id: m.user_id,
            position: m.position,
            open_items: m.open_items.max(0) as u32,
            capacity: m
                .capacity
                .map(|c| u32::try_from(c.max(0)).unwrap_or(u32::MAX)),
            weight: m.weight.max(1) as u32,
            assigned_total: m.assigned_total.max(0) as u64,
            away: m.away,
            skills: m.skills.clone(),
        }
    }
}

type QueueRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

const QUEUE_SELECT: &str =
    "SELECT q.id, q.slug, q.name, q.function, q.strategy, q.first_touch_sla_min,
        q.resolution_sla_min, q.business_hours, e.slug, q.manager_id
     FROM queues q LEFT JOIN queues e ON e.id = q.escalation_queue_id";

fn queue_from_row(row: QueueRow) -> Result<Queue> {
    let (
        id,
        slug,
        name,
        function,
        strategy,
        first,
        resolution,
        business_hours,
        escalation,
        manager_id,
    ) = row;
    let bad =
        |field: &str, e: baton_core::domain::UnknownValue| DbError::invalid(field, e.to_string());
    Ok(Queue {
        id,
        slug,
        name,
        function: function.parse().map_err(|e| bad("function", e))?,
        strategy: strategy.parse().map_err(|e| bad("strategy", e))?,
        first_touch_sla_minutes: first,
        resolution_sla_minutes: resolution,
        business_hours: business_hours != 0,
        escalation_queue: escalation,
        manager_id,
    })
}

/// When work a queue received at `received_at` (UTC milliseconds) is due
/// under an SLA of `minutes`, counted in `hours` when the queue keeps
/// business hours and on the wall clock otherwise.
pub(crate) fn sla_due(
    received_at: i64,
    minutes: i64,
    business_hours: bool,
    hours: &BusinessHours,
) -> i64 {
    let target = if business_hours {
        SlaTarget::BusinessMinutes(minutes)
    } else {
        SlaTarget::WallClockMinutes(minutes)
    };
    let received =
        jiff::Timestamp::from_millisecond(received_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    target.due_at(received, hours).as_millisecond()
}

/// Default first-touch and resolution SLAs per queue, in business minutes.
fn default_slas(slug: &str) -> (i64, i64) {
    match slug {
        "nurture" => (5 * 480, 30 * 480),
        "qualification" => (240, 2 * 480),
        "hunters" | "farmers" => (480, 10 * 480),
        _ => (240, 2 * 480),
    }
}

/// Where a breached item goes next when its own queue's members cannot help.
fn default_escalation(slug: &str) -> Option<&'static str> {
    match slug {
        "qualification" => Some("hunters"),
        "nurture" => Some("qualification"),
        _ => None,
    }
}

impl Db {
    /// Creates the default queues, routing rules and charter on an empty
    /// database; does nothing on one that has them.
    pub async fn ensure_defaults(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let (queues,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM queues")
            .fetch_one(&mut *tx)
            .await?;
        if queues == 0 {
            let now = now_ms();
            for (slug, name, function) in DEFAULT_QUEUES {
                let (first, resolution) = default_slas(slug);
                sqlx::query(
                    "INSERT INTO queues (slug, name, function, strategy, first_touch_sla_min,
                         resolution_sla_min, business_hours, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
                )
                .bind(*slug)
                .bind(*name)
                .bind(*function)
                .bind(Strategy::RoundRobin.as_str())
                .bind(first)
                .bind(resolution)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for (slug, _, _) in DEFAULT_QUEUES {
                if let Some(next) = default_escalation(slug) {
                    sqlx::query(
                        "UPDATE queues SET escalation_queue_id = (SELECT id FROM queues WHERE slug = $1)
                         WHERE slug = $2",
                    )
                    .bind(next)
                    .bind(*slug)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for (position, rule) in default_rules().iter().enumerate() {
                insert_rule(&mut tx, position, rule).await?;
            }
            let (version_id,): (i64,) = sqlx::query_as(
                "INSERT INTO charter_versions (version, note, created_at) VALUES (1, $1, $2) RETURNING id",
            )
            .bind("Default charter from the article's lists of marketing's and sales' jobs")
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for t in default_activity_types() {
                sqlx::query(
                    "INSERT INTO activity_types (charter_version_id, slug, name, function, expectation)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(version_id)
                .bind(t.slug)
                .bind(t.name)
                .bind(t.function.as_str())
                .bind(t.expectation)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO forms (slug, name, thank_you, active, created_at) VALUES ($1, $2, $3, 1, $4)",
            )
            .bind(crate::forms::DEFAULT_FORM)
            .bind("Contact us")
            .bind("Thank you — we will be in touch shortly.")
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_in(
                &mut *tx,
                None,
                "defaults.created",
                "organisation",
                None,
                &serde_json::json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn queues(&self) -> Result<Vec<Queue>> {
        let rows: Vec<QueueRow> = sqlx::query_as(&format!("{QUEUE_SELECT} ORDER BY q.id"))
            .fetch_all(self.reader())
            .await?;
        rows.into_iter().map(queue_from_row).collect()
    }

    /// A queue by numeric id or slug.
    pub async fn queue(&self, id_or_slug: &str) -> Result<Queue> {
        let row: Option<QueueRow> = sqlx::query_as(&format!(
            "{QUEUE_SELECT} WHERE q.slug = $1 OR CAST(q.id AS TEXT) = $1"
        ))
        .bind(id_or_slug)
        .fetch_optional(self.reader())
        .await?;
        queue_from_row(row.ok_or_else(|| DbError::NotFound(format!("queue {id_or_slug}")))?)
    }

    /// Members of a queue in routing order, with their open item counts.
    pub async fn queue_members(&self, queue_id: i64) -> Result<Vec<Member>> {
        members_in(self.reader(), queue_id).await
    }

    /// True when the user is a member of the queue with this slug.
    pub async fn is_queue_member(&self, slug: &str, user_id: i64) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM queue_members m JOIN queues q ON q.id = m.queue_id
             WHERE q.slug = $1 AND m.user_id = $2",
        )
        .bind(slug)
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.is_some())
    }

    /// Adds a user to the end of a queue; adding a member twice is refused.
    pub async fn add_queue_member(
        &self,
        actor: Option<i64>,
        queue_id: i64,
        user_id: i64,
    ) -> Result<Member> {
        let mut tx = self.begin_write().await?;
        let (email, active): (String, i64) =
            sqlx::query_as("SELECT email, active FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| DbError::invalid("email", format!("there is no user {user_id}")))?;
        if active == 0 {
            return Err(DbError::invalid(
                "email",
                format!("{email} is deactivated and cannot join a queue"),
            ));
        }
        let (next,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM queue_members WHERE queue_id = $1",
        )
        .bind(queue_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO queue_members (queue_id, user_id, position) VALUES ($1, $2, $3)")
            .bind(queue_id)
            .bind(user_id)
            .bind(next)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)
            .map_err(|e| {
                if e.is_unique_violation() {
                    DbError::conflict("email", "this user is already a member of the queue")
                } else {
                    e
                }
            })?;
        restart_shares(&mut tx, queue_id).await?;
        audit_in(
            &mut *tx,
            actor,
            "queue.member_added",
            "queue",
            Some(queue_id),
            &serde_json::json!({"user_id": user_id}),
        )
        .await?;
        tx.commit().await?;
        self.queue_members(queue_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or_else(|| DbError::NotFound(format!("member {user_id}")))
    }

    /// What [`Db::change_queue`] would refuse of `change`, every problem at
    /// once; changes nothing. A page asks it of the fields that read when
    /// others did not.
    pub async fn checked_queue_change(&self, queue_id: i64, change: &QueueChange) -> Result<()> {
        let mut conn = self.reader().acquire().await?;
        changed_settings(&mut conn, queue_id, change)
            .await
            .map(drop)
    }

    /// Sets a queue's strategy, SLAs and escalation path.
    pub async fn change_queue(
        &self,
        actor: Option<i64>,
        queue_id: i64,
        change: &QueueChange,
    ) -> Result<Queue> {
        // What the change leaves alone is read in the writer's transaction,
        // the row locked on PostgreSQL, so a change made meanwhile is kept.
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "SELECT id FROM queues WHERE id = $1{}",
            self.backend().row_lock()
        ))
        .bind(queue_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("queue {queue_id}")))?;
        let settings = changed_settings(&mut tx, queue_id, change).await?;
        let changed = sqlx::query(
            "UPDATE queues SET strategy = $1, first_touch_sla_min = $2, resolution_sla_min = $3,
                 escalation_queue_id = $4, manager_id = $5
             WHERE id = $6",
        )
        .bind(settings.strategy.as_str())
        .bind(settings.first_touch_sla_minutes)
        .bind(settings.resolution_sla_minutes)
        .bind(settings.escalation_id)
        .bind(settings.manager_id)
        .bind(queue_id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(DbError::NotFound(format!("queue {queue_id}")));
        }
        audit_in(
            &mut *tx,
            actor,
            "queue.changed",
            "queue",
            Some(queue_id),
            &serde_json::json!({
                "strategy": settings.strategy,
                "first_touch_sla_minutes": settings.first_touch_sla_minutes,
                "resolution_sla_minutes": settings.resolution_sla_minutes,
                "escalation_queue": settings.escalation_queue,
                "manager_id": settings.manager_id,
            }),
        )
        .await?;
        tx.commit().await?;
        self.queue(&queue_id.to_string()).await
    }

    /// Takes a member out of a queue; the work they hold stays theirs.
    pub async fn remove_queue_member(
        &self,
        actor: Option<i64>,
        queue_id: i64,
        user_id: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let removed = sqlx::query("DELETE FROM queue_members WHERE queue_id = $1 AND user_id = $2")
            .bind(queue_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() != 1 {
            return Err(DbError::NotFound(format!(
                "member {user_id} of queue {queue_id}"
            )));
        }
        restart_shares(&mut tx, queue_id).await?;
        audit_in(
            &mut *tx,
            actor,
            "queue.member_removed",
            "queue",
            Some(queue_id),
            &serde_json::json!({"user_id": user_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes capacity, weight, skills or presence of a member.
    pub async fn update_queue_member(
        &self,
        actor: Option<i64>,
        queue_id: i64,
        user_id: i64,
        change: &MemberChange,
    ) -> Result<Member> {
        // Read in the writer's transaction, the row locked on PostgreSQL: a
        // change made meanwhile to a field this one leaves alone is kept.
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "SELECT user_id FROM queue_members WHERE queue_id = $1 AND user_id = $2{}",
            self.backend().row_lock()
        ))
        .bind(queue_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let current = members_in(&mut *tx, queue_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or_else(|| DbError::NotFound(format!("member {user_id} of queue {queue_id}")))?;
        let capacity = change.capacity.unwrap_or(current.capacity);
        if capacity.is_some_and(|c| !(0..=MAX_CAPACITY).contains(&c)) {
            return Err(DbError::invalid(
                "capacity",
                format!("must be between 0 and {MAX_CAPACITY} open items"),
            ));
        }
        let weight = change.weight.unwrap_or(current.weight);
        if !(1..=100).contains(&weight) {
            return Err(DbError::invalid("weight", "must be between 1 and 100"));
        }
        let skills = change.skills.clone().unwrap_or(current.skills);
        checks::skills("skills", &skills)?;
        let away = change.away.unwrap_or(current.away);
        sqlx::query(
            "UPDATE queue_members SET capacity = $1, weight = $2, skills = $3, away = $4
             WHERE queue_id = $5 AND user_id = $6",
        )
        .bind(capacity)
        .bind(weight)
        .bind(serde_json::to_string(&skills).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(away))
        .bind(queue_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if weight != current.weight || away != current.away {
            restart_shares(&mut tx, queue_id).await?;
        }
        audit_in(
            &mut *tx,
            actor,
            "queue.member_changed",
            "queue",
            Some(queue_id),
            &serde_json::json!({"user_id": user_id, "capacity": capacity, "weight": weight, "skills": skills, "away": away}),
        )
        .await?;
        tx.commit().await?;
        self.queue_members(queue_id)
            .await?
            .into_iter()
            .find(|m| m.user_id == user_id)
            .ok_or_else(|| DbError::NotFound(format!("member {user_id}")))
    }

    /// The enabled routing rules in order, with their queue slugs.
    pub async fn routing_rules(&self) -> Result<Vec<Rule>> {
        rules_in(self.reader()).await
    }

    /// What storing `rule` among the rules would refuse of its name, skills
    /// and queue, every problem at once; stores nothing.
    pub async fn checked_rule(&self, rule: &Rule) -> Result<()> {
        let mut conn = self.reader().acquire().await?;
        let mut refusals = Refusals::default();
        check_rule(&mut conn, "", rule, &mut refusals).await?;
        refusals.finish()
    }

    /// Replaces the routing rules with `rules`, in order. A refusal names
    /// the rule's place and field, as `[2].queue`; every refusal is given
    /// at once.
    ///
    /// With `based_on`, the [`fingerprint`]s of rules the new ones may have
    /// been made from, they replace the stored rules only if those are still
    /// one of them; otherwise the change is refused as a conflict on
    /// `based_on`, and nothing made meanwhile is undone.
    pub async fn replace_routing_rules(
        &self,
        actor: Option<i64>,
        rules: &[Rule],
        based_on: Option<&[&str]>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(based_on) = based_on {
            // SQLite's one writer already waits its turn; PostgreSQL's take
            // the table in turn, so the rules read are the rules replaced.
            if self.backend() == Backend::Postgres {
                sqlx::query("LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            let stored = fingerprint(&rules_in(&mut *tx).await?);
            if !based_on.contains(&stored.as_str()) {
                return Err(DbError::conflict(
                    "based_on",
                    "the routing rules changed since they were read",
                ));
            }
        }
        let mut refusals = Refusals::default();
        for (position, rule) in rules.iter().enumerate() {
            check_rule(&mut tx, &format!("[{position}]."), rule, &mut refusals).await?;
        }
        refusals.finish()?;
        sqlx::query("DELETE FROM routing_rules")
            .execute(&mut *tx)
            .await?;
        for (position, rule) in rules.iter().enumerate() {
            insert_rule(&mut tx, position, rule).await?;
        }
        audit_in(
            &mut *tx,
            actor,
            "routing.rules_replaced",
            "routing_rules",
            None,
            &serde_json::to_value(rules).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn insert_rule(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    position: usize,
    rule: &Rule,
) -> Result<()> {
    // The queue's slug was checked; a rule without one has no queue.
    sqlx::query(
        "INSERT INTO routing_rules (position, name, condition, queue_id, skills, enabled, updated_at)
         VALUES ($1, $2, $3, (SELECT id FROM queues WHERE slug = $4), $5, $6, $7)",
    )
    .bind(position as i64)
    .bind(rule.name.trim())
    .bind(serde_json::to_string(&rule.condition).unwrap_or_else(|_| "{}".into()))
    .bind(rule.queue.as_deref())
    .bind(serde_json::to_string(&rule.skills).unwrap_or_else(|_| "[]".into()))
    .bind(i64::from(rule.enabled))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn rules_in<'e, E: sqlx::AnyExecutor<'e>>(executor: E) -> Result<Vec<Rule>> {
    let rows: Vec<(String, String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT r.name, r.condition, q.slug, r.skills, r.enabled FROM routing_rules r LEFT JOIN queues q ON q.id = r.queue_id
         ORDER BY r.position, r.id",
    )
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(name, condition, queue, skills, enabled)| {
            let condition = serde_json::from_str(&condition)
                .map_err(|e| DbError::invalid("condition", format!("rule “{name}”: {e}")))?;
            let skills = serde_json::from_str(&skills)
                .map_err(|e| DbError::invalid("skills", format!("rule “{name}”: {e}")))?;
            Ok(Rule {
                name,
                condition,
                queue,
                skills,
                enabled: enabled != 0,
            })
        })
        .collect()
}

type MemberRow = (
    i64,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    String,
    i64,
    i64,
    i64,
);

/// Members of one queue in routing order, with their open item counts.
pub(crate) async fn members_in<'e, E: sqlx::AnyExecutor<'e>>(
    executor: E,
    queue_id: i64,
) -> Result<Vec<Member>> {
    Ok(members_of(executor, &[queue_id])
        .await?
        .into_iter()
        .map(|(_, member)| member)
        .collect())
}

/// (queue, member) for every member of `queue_ids`, in routing order within
/// each queue, with their open item counts (all queues: a person's desk is
/// one desk).
pub(crate) async fn members_of<'e, E: sqlx::AnyExecutor<'e>>(
    executor: E,
    queue_ids: &[i64],
) -> Result<Vec<(i64, Member)>> {
    if queue_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT m.queue_id, m.user_id, u.email, u.name, m.position, m.capacity, m.weight, m.skills, m.away,
                m.assigned_total, COALESCE(o.items, 0)
         FROM queue_members m JOIN users u ON u.id = m.user_id
              LEFT JOIN open_work o ON o.user_id = m.user_id
         WHERE m.queue_id IN ({}) AND u.active = 1 ORDER BY m.queue_id, m.position",
        crate::sql::placeholders(1, queue_ids.len())
    );
    let mut query = sqlx::query_as::<_, MemberRow>(&sql);
    for id in queue_ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(executor).await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                queue_id,
                user_id,
                email,
                name,
                position,
                capacity,
                weight,
                skills,
                away,
                assigned_total,
                open_items,
            )| {
                let member = Member {
                    user_id,
                    email,
                    name,
                    position,
                    capacity,
                    weight,
                    skills: serde_json::from_str(&skills).unwrap_or_default(),
                    away: away != 0,
                    assigned_total,
                    open_items,
                };
                (queue_id, member)
            },
        )
        .collect())
}

/// Starts the weighted shares of a queue's members again from nothing.
/// Shares count the items given since the line-up last changed: counted
/// over all time, a member who joined late, came back from being away or
/// was given more weight would take every item until their lifetime share
/// caught up with the others'.
async fn restart_shares(tx: &mut Transaction<'static, Any>, queue_id: i64) -> Result<()> {
    sqlx::query("UPDATE queue_members SET assigned_total = 0 WHERE queue_id = $1")
        .bind(queue_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A queue's settings as a change leaves them.
struct QueueSettings {
    strategy: Strategy,
    first_touch_sla_minutes: i64,
    resolution_sla_minutes: i64,
    escalation_queue: Option<String>,
    escalation_id: Option<i64>,
    manager_id: Option<i64>,
}

/// The settings of queue `queue_id` with `change` made to them, checked:
/// every problem at once; what the change leaves alone is read on `conn`.
async fn changed_settings(
    conn: &mut sqlx::AnyConnection,
    queue_id: i64,
    change: &QueueChange,
) -> Result<QueueSettings> {
    type Settings = (String, i64, i64, Option<String>, Option<i64>);
    let (strategy, first_touch, resolution, escalation, manager): Settings = sqlx::query_as(
        "SELECT q.strategy, q.first_touch_sla_min, q.resolution_sla_min, e.slug, q.manager_id
             FROM queues q LEFT JOIN queues e ON e.id = q.escalation_queue_id WHERE q.id = $1",
    )
    .bind(queue_id)
    .fetch_one(&mut *conn)
    .await?;
    let strategy = match change.strategy {
        Some(strategy) => strategy,
        None => strategy
            .parse()
            .map_err(|e| DbError::invalid("strategy", format!("{e}")))?,
    };
    let first_touch_sla_minutes = change.first_touch_sla_minutes.unwrap_or(first_touch);
    let resolution_sla_minutes = change.resolution_sla_minutes.unwrap_or(resolution);
    let escalation_queue = change.escalation_queue.clone().unwrap_or(escalation);
    let manager_id = change.manager_id.unwrap_or(manager);
    let mut refusals = Refusals::default();
    // Checked when it changes: a manager who left stays named until then.
    if let Some(new) = change
        .manager_id
        .flatten()
        .filter(|new| Some(*new) != manager)
    {
        let found: Option<(String, i64)> =
            sqlx::query_as("SELECT role, active FROM users WHERE id = $1")
                .bind(new)
                .fetch_optional(&mut *conn)
                .await?;
        match found {
            None => refusals.refuse("manager_id", format!("no person has id {new}")),
            Some((_, 0)) => refusals.refuse("manager_id", "that person is deactivated"),
            Some((role, _)) if !matches!(role.as_str(), "manager" | "owner") => refusals.refuse(
                "manager_id",
                format!("a queue's manager is a manager or an owner, not a {role}"),
            ),
            Some(_) => {}
        }
    }
    let first_touch = (1..=MAX_SLA_MINUTES).contains(&first_touch_sla_minutes);
    if !first_touch {
        refusals.refuse(
            "first_touch_sla_minutes",
            format!("must be between 1 and {MAX_SLA_MINUTES} minutes (a year)"),
        );
    }
    if resolution_sla_minutes > MAX_SLA_MINUTES {
        refusals.refuse(
            "resolution_sla_minutes",
            format!("must be at most {MAX_SLA_MINUTES} minutes (a year)"),
        );
    } else if first_touch && resolution_sla_minutes < first_touch_sla_minutes {
        refusals.refuse(
            "resolution_sla_minutes",
            "must be at least the first-touch SLA",
        );
    }
    let escalation_id = match &escalation_queue {
        Some(slug) => {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM queues WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await?;
            match found {
                None => {
                    refusals.refuse("escalation_queue", format!("no queue `{slug}`"));
                    None
                }
                Some((id,)) if id == queue_id => {
                    refusals.refuse("escalation_queue", "a queue cannot escalate to itself");
                    None
                }
                // A breach escalated along a loop would come back here.
                Some((id,)) if Chain::Escalation.reaches(&mut *conn, id, queue_id).await? => {
                    refusals.refuse(
                        "escalation_queue",
                        format!("`{slug}` escalates back to this queue: that would be a loop"),
                    );
                    None
                }
                Some((id,)) => Some(id),
            }
        }
        None => None,
    };
    refusals.finish()?;
    Ok(QueueSettings {
        strategy,
        first_touch_sla_minutes,
        resolution_sla_minutes,
        escalation_queue,
        escalation_id,
        manager_id,
    })
}

/// Keeps in `refusals` what is wrong with a rule's name, skills and queue,
/// each named `prefix` and the field (`[2].queue`).
async fn check_rule(
    conn: &mut sqlx::AnyConnection,
    prefix: &str,
    rule: &Rule,
    refusals: &mut Refusals,
) -> Result<()> {
    refusals.value(required_name(
        &format!("{prefix}name"),
        &rule.name,
        "every rule needs a name",
    ))?;
    refusals.value(checks::skills(&format!("{prefix}skills"), &rule.skills))?;
    if let Some(slug) = &rule.queue {
        let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM queues WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            refusals.refuse(format!("{prefix}queue"), format!("no queue `{slug}`"));
        }
    }
    Ok(())
}
