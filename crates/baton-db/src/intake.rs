//! Intake: raw inquiries are stored first, exactly as received, in their own
//! transaction; processing then runs moderation → match → intent → score →
//! lifecycle → routing and stores each decision with its reasons.
//!
//! Both steps take batches, so one commit (one fsync) serves many requests.
//! Processing reads and decides outside any lock, then writes in one
//! transaction that locks the queues it assigns from in id order: several
//! servers on one PostgreSQL database never assign an item twice and never
//! deadlock on queues.

use crate::connect::{Backend, Db};
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::queues::rules_in;
use crate::settings::keys;
use crate::work_items::{choose_assignee, record};
use baton_core::decision::{IntentDecision, Moderation, Reason, Score};
use baton_core::domain::{
    AccountStatus, Channel, Function, InquiryStatus, Intent, Stage, Strategy, Tier, Verdict,
};
use baton_core::inquiry::Inquiry;
use baton_core::intake::decode;
use baton_core::moderation::{ModerationConfig, Signals, moderate};
use baton_core::routing::{RouteDecision, RoutingFacts, route};
use baton_core::scoring::{ScoringConfig, score};
use baton_core::sla::{BusinessHours, SlaTarget};
use baton_core::triage::{MatchedAccount, classify};
use serde::Serialize;
use sqlx::{Any, Transaction};
use std::collections::BTreeSet;

/// An inquiry as it arrived, ready to be stored.
#[derive(Debug, Clone)]
pub struct RawInquiry {
    pub channel: Channel,
    /// Where it came from: a token name, a form slug, a file and row.
    pub origin: String,
    /// The payload, byte for byte.
    pub raw: Vec<u8>,
    /// A client's key for retries: the same key never stores twice.
    pub idempotency_key: Option<String>,
    /// Same sender and message → same hash (see `baton_core::intake::content_hash`).
    pub content_hash: String,
}

/// What storing one raw inquiry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored now, with this id.
    New(i64),
    /// Its idempotency key was seen before: this is the first inquiry's id.
    Repeat(i64),
}

impl Stored {
    pub fn id(self) -> i64 {
        match self {
            Stored::New(id) | Stored::Repeat(id) => id,
        }
    }
}

/// What processing decided for one inquiry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    pub inquiry_id: i64,
    pub status: InquiryStatus,
    pub intent: Option<Intent>,
    pub score: Option<u8>,
    pub queue: Option<String>,
    pub assignee_id: Option<i64>,
    pub work_item_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub error: Option<String>,
}

impl Outcome {
    /// An inquiry that was processed before (by another server or run).
    fn already_done(inquiry_id: i64) -> Outcome {
        Outcome {
            inquiry_id,
            status: InquiryStatus::Processed,
            intent: None,
            score: None,
            queue: None,
            assignee_id: None,
            work_item_id: None,
            lead_id: None,
            error: None,
        }
    }
}

/// The organisation's settings that processing reads, loaded once per batch.
struct Context {
    moderation: ModerationConfig,
    scoring: ScoringConfig,
    rules: Vec<baton_core::routing::Rule>,
    hours: BusinessHours,
}

/// A matched contact and account.
#[derive(Default)]
struct Match {
    contact_id: Option<i64>,
    account_id: Option<i64>,
    account: Option<MatchedAccount>,
    tier: Option<Tier>,
    reason: Option<String>,
}

/// Everything decided for one inquiry before anything is written.
struct Plan {
    inquiry_id: i64,
    received_at: i64,
    inquiry: Inquiry,
    moderation: Moderation,
    matched: Match,
    intent: IntentDecision,
    score: Score,
    route: RouteDecision,
}

enum Prepared {
    Ready(Box<Plan>),
    Failed {
        inquiry_id: i64,
        error: String,
    },
    /// Already processed (a retry raced another server): nothing to do.
    Done(i64),
}

/// A queue as assignment needs it.
struct QueueState {
    id: i64,
    function: Function,
    strategy: Strategy,
    first_touch: i64,
    resolution: i64,
    business_hours: bool,
    last_position: Option<i64>,
}

impl Db {
    /// Stores raw inquiries, all in one transaction.
    pub async fn store_raw(&self, batch: &[RawInquiry]) -> Result<Vec<Stored>> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let mut stored = Vec::with_capacity(batch.len());
        for item in batch {
            if let Some(key) = &item.idempotency_key {
                let existing: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM inquiries WHERE idempotency_key = $1")
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((id,)) = existing {
                    stored.push(Stored::Repeat(id));
                    continue;
                }
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO inquiries (received_at, channel, origin, raw, idempotency_key, content_hash, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(now)
            .bind(item.channel.as_str())
            .bind(&item.origin)
            .bind(&item.raw)
            .bind(&item.idempotency_key)
            .bind(&item.content_hash)
            .bind(InquiryStatus::Received.as_str())
            .fetch_one(&mut *tx)
            .await?;
            stored.push(Stored::New(id));
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Processes stored inquiries that are waiting (received or needing
    /// attention). Failures of one inquiry are recorded on it and do not stop
    /// the others.
    pub async fn process_inquiries(&self, ids: &[i64]) -> Result<Vec<Outcome>> {
        let context = self.processing_context().await?;
        let mut prepared = Vec::with_capacity(ids.len());
        for &id in ids {
            prepared.push(self.prepare(id, &context).await?);
        }
        // A deadlock or serialisation failure between servers is retried.
        let mut attempt = 0;
        loop {
            match self.apply(&prepared, &context).await {
                Err(DbError::Sqlx(sqlx::Error::Database(e)))
                    if attempt < 5 && matches!(e.code().as_deref(), Some("40P01" | "40001")) =>
                {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
                }
                result => return result,
            }
        }
    }

    /// Inquiries waiting for processing, oldest first.
    pub async fn waiting_inquiries(&self, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM inquiries WHERE status IN ('received', 'needs_attention') ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Inquiries left `received` since before `received_before`: their
    /// processing failed as a whole (the database was down, say).
    pub async fn stuck_inquiries(&self, received_before: i64, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM inquiries WHERE status = 'received' AND received_at < $1 ORDER BY id LIMIT $2",
        )
        .bind(received_before)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn processing_context(&self) -> Result<Context> {
        let zone_name: String = self.setting(keys::TIME_ZONE).await?;
        let zone_name = if zone_name.is_empty() {
            "UTC".to_string()
        } else {
            zone_name
        };
        let zone = jiff::tz::TimeZone::get(&zone_name)
            .map_err(|e| DbError::invalid("time_zone", format!("`{zone_name}`: {e}")))?;
        let spec: String = self.setting(keys::BUSINESS_HOURS).await?;
        let hours = if spec.is_empty() {
            BusinessHours::standard(zone)
        } else {
            BusinessHours::parse(&spec, zone).map_err(|e| DbError::invalid("business_hours", e))?
        };
        Ok(Context {
            moderation: self.setting(keys::MODERATION).await?,
            scoring: self.setting(keys::SCORING).await?,
            rules: rules_in(self.reader()).await?,
            hours,
        })
    }

    /// Reads and decides, without writing.
    async fn prepare(&self, inquiry_id: i64, context: &Context) -> Result<Prepared> {
        let row: Option<(String, Vec<u8>, String, String, i64)> = sqlx::query_as(
            "SELECT channel, raw, status, content_hash, received_at FROM inquiries WHERE id = $1",
        )
        .bind(inquiry_id)
        .fetch_optional(self.reader())
        .await?;
        let (channel, raw, status, content_hash, received_at) =
            row.ok_or_else(|| DbError::NotFound(format!("inquiry {inquiry_id}")))?;
        if !matches!(status.as_str(), "received" | "needs_attention") {
            return Ok(Prepared::Done(inquiry_id));
        }
        let failed = |error: String| Ok(Prepared::Failed { inquiry_id, error });
        let channel: Channel = match channel.parse() {
            Ok(c) => c,
            Err(e) => return failed(format!("{e}")),
        };
        let received = match decode(channel, &raw) {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let inquiry = match Inquiry::parse(&received.input) {
            Ok(i) => i,
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                return failed(list.join("; "));
            }
        };
        let (recent_duplicates,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM inquiries WHERE content_hash = $1 AND received_at > $2 AND id < $3",
        )
        .bind(&content_hash)
        .bind(received_at - 24 * 3600 * 1000)
        .bind(inquiry_id)
        .fetch_one(self.reader())
        .await?;
        let signals = Signals {
            honeypot_filled: received.honeypot_filled,
            recent_duplicates: recent_duplicates as u32,
        };
        let moderation = moderate(&inquiry, signals, &context.moderation);
        let matched = self.match_contact(&inquiry).await?;
        let intent = classify(&inquiry, matched.account.as_ref());
        let score = score(&inquiry, intent.value, &context.scoring);
        let facts = RoutingFacts {
            quarantined: moderation.verdict == Verdict::Spam,
            intent: intent.value,
            grade: score.grade,
            source: inquiry.source.clone(),
            account_status: matched.account.as_ref().map(|a| a.status),
            account_tier: matched.tier,
        };
        let route = route(&facts, &context.rules);
        Ok(Prepared::Ready(Box::new(Plan {
            inquiry_id,
            received_at,
            inquiry,
            moderation,
            matched,
            intent,
            score,
            route,
        })))
    }

    /// Finds the contact by e-mail, then phone, and the account by the
    /// contact, the e-mail domain or the normalised company name.
    async fn match_contact(&self, inquiry: &Inquiry) -> Result<Match> {
        let mut found = Match::default();
        let contact: Option<(i64, Option<i64>)> = match (&inquiry.email, &inquiry.phone) {
            (Some(email), _) => {
                sqlx::query_as("SELECT id, account_id FROM contacts WHERE email_lower = $1")
                    .bind(email.as_str())
                    .fetch_optional(self.reader())
                    .await?
            }
            (None, Some(phone)) => {
                sqlx::query_as(
                    "SELECT id, account_id FROM contacts WHERE phone = $1 ORDER BY id LIMIT 1",
                )
                .bind(phone.as_str())
                .fetch_optional(self.reader())
                .await?
            }
            (None, None) => None,
        };
        if let Some((contact_id, account_id)) = contact {
            found.contact_id = Some(contact_id);
            found.account_id = account_id;
            found.reason = Some("known contact".into());
        }
        if found.account_id.is_none()
            && let Some(domain) = inquiry.company_domain()
        {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT account_id FROM account_domains WHERE domain = $1")
                    .bind(domain)
                    .fetch_optional(self.reader())
                    .await?;
            if let Some((id,)) = row {
                found.account_id = Some(id);
                found.reason = Some(format!("e-mail domain {domain}"));
            }
        }
        if found.account_id.is_none()
            && let Some(company) = &inquiry.company
        {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM accounts WHERE name_norm = $1 ORDER BY id LIMIT 1")
                    .bind(crate::accounts::normalise_company(company))
                    .fetch_optional(self.reader())
                    .await?;
            if let Some((id,)) = row {
                found.account_id = Some(id);
                found.reason = Some(format!("company name {company}"));
            }
        }
        if let Some(account_id) = found.account_id {
            let (name, status, tier): (String, String, String) =
                sqlx::query_as("SELECT name, status, tier FROM accounts WHERE id = $1")
                    .bind(account_id)
                    .fetch_one(self.reader())
                    .await?;
            found.account = Some(MatchedAccount {
                name,
                status: status.parse().unwrap_or(AccountStatus::Suspect),
            });
            found.tier = tier.parse().ok();
        }
        Ok(found)
    }

    /// Writes the decisions of a batch in one transaction.
    async fn apply(&self, prepared: &[Prepared], context: &Context) -> Result<Vec<Outcome>> {
        let mut tx = self.begin_write().await?;
        let needed: BTreeSet<&str> = prepared
            .iter()
            .filter_map(|p| match p {
                Prepared::Ready(plan) => plan.route.queue.as_deref(),
                _ => None,
            })
            .collect();
        let mut queues = Vec::with_capacity(needed.len());
        for slug in needed {
            queues.push((
                slug.to_string(),
                lock_queue(&mut tx, self.backend(), slug).await?,
            ));
        }
        let now = now_ms();
        let mut outcomes = Vec::with_capacity(prepared.len());
        for item in prepared {
            let outcome = match item {
                Prepared::Done(id) => Outcome::already_done(*id),
                Prepared::Failed { inquiry_id, error } => {
                    sqlx::query(
                        "UPDATE inquiries SET status = 'needs_attention', error = $1, attempts = attempts + 1
                         WHERE id = $2 AND status IN ('received', 'needs_attention')",
                    )
                    .bind(error)
                    .bind(inquiry_id)
                    .execute(&mut *tx)
                    .await?;
                    Outcome {
                        inquiry_id: *inquiry_id,
                        status: InquiryStatus::NeedsAttention,
                        intent: None,
                        score: None,
                        queue: None,
                        assignee_id: None,
                        work_item_id: None,
                        lead_id: None,
                        error: Some(error.clone()),
                    }
                }
                Prepared::Ready(plan) => {
                    let queue = plan
                        .route
                        .queue
                        .as_deref()
                        .and_then(|slug| queues.iter_mut().find(|(s, _)| s == slug))
                        .map(|(_, q)| q);
                    apply_plan(&mut tx, plan, queue, &context.hours, now).await?
                }
            };
            outcomes.push(outcome);
        }
        for (_, queue) in &queues {
            sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
                .bind(queue.last_position)
                .bind(queue.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// Locks a queue row for this transaction (PostgreSQL; SQLite has one writer).
async fn lock_queue(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    slug: &str,
) -> Result<QueueState> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let row: Option<(i64, String, String, i64, i64, i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT id, function, strategy, first_touch_sla_min, resolution_sla_min, business_hours, last_position
         FROM queues WHERE slug = $1{lock}"
    ))
    .bind(slug)
    .fetch_optional(&mut **tx)
    .await?;
    let (id, function, strategy, first_touch, resolution, business_hours, last_position) = row
        .ok_or_else(|| {
            DbError::invalid(
                "queue",
                format!("routing names queue `{slug}`, which does not exist"),
            )
        })?;
    Ok(QueueState {
        id,
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
    })
}

/// One decision about to be stored.
struct Decided<'a> {
    kind: &'a str,
    value: Option<&'a str>,
    score: Option<f64>,
    reasons: &'a [Reason],
    version: &'a str,
}

/// Stores an inquiry's decisions in one statement.
async fn insert_decisions(
    tx: &mut Transaction<'static, Any>,
    inquiry_id: i64,
    now: i64,
    decisions: &[Decided<'_>],
) -> Result<()> {
    // Placeholders only: every value is bound.
    let rows: Vec<String> = (0..decisions.len())
        .map(|row| {
            let p: Vec<String> = (1..=7).map(|col| format!("${}", row * 7 + col)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, created_at) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for d in decisions {
        query = query
            .bind(inquiry_id)
            .bind(d.kind)
            .bind(d.value)
            .bind(d.score)
            .bind(serde_json::to_string(d.reasons).unwrap_or_else(|_| "[]".into()))
            .bind(d.version)
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// The lifecycle stage a lead takes in a queue of this function, or `None`
/// when the queue's work is not a sales lead (service, operations).
fn stage_for(function: Function) -> Option<Stage> {
    match function {
        Function::Marketing => Some(Stage::Nurture),
        Function::Qualification => Some(Stage::New),
        Function::Hunting | Function::Farming => Some(Stage::Mql),
        Function::Service | Function::Operations => None,
    }
}

async fn apply_plan(
    tx: &mut Transaction<'static, Any>,
    plan: &Plan,
    queue: Option<&mut QueueState>,
    hours: &BusinessHours,
    now: i64,
) -> Result<Outcome> {
    let id = plan.inquiry_id;
    // Claim the inquiry: if another server processed it meanwhile, this
    // matches nothing (PostgreSQL re-checks the row after the other commits).
    let claimed = sqlx::query(
        "UPDATE inquiries SET processed_at = $1 WHERE id = $2 AND status IN ('received', 'needs_attention')",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(Outcome::already_done(id));
    }
    let m = &plan.moderation;
    let i = &plan.intent;
    let s = &plan.score;
    let mut intent_reasons = Vec::new();
    if let Some(reason) = &plan.matched.reason {
        intent_reasons.push(Reason::new("matched", 1.0, format!("matched by {reason}")));
    }
    intent_reasons.extend(i.reasons.iter().cloned());
    insert_decisions(
        tx,
        id,
        now,
        &[
            Decided {
                kind: "moderation",
                value: Some(m.verdict.as_str()),
                score: Some(m.score),
                reasons: &m.reasons,
                version: &m.version,
            },
            Decided {
                kind: "intent",
                value: Some(i.value.as_str()),
                score: Some(i.confidence),
                reasons: &intent_reasons,
                version: &i.version,
            },
            Decided {
                kind: "score",
                value: Some(s.grade.as_str()),
                score: Some(f64::from(s.value)),
                reasons: &s.reasons,
                version: &s.version,
            },
            Decided {
                kind: "route",
                value: plan.route.queue.as_deref(),
                score: None,
                reasons: &plan.route.reasons,
                version: baton_core::routing::RULES_VERSION,
            },
        ],
    )
    .await?;

    let mut outcome = Outcome {
        inquiry_id: id,
        status: InquiryStatus::Processed,
        intent: Some(i.value),
        score: Some(s.value),
        queue: plan.route.queue.clone(),
        assignee_id: None,
        work_item_id: None,
        lead_id: None,
        error: None,
    };
    if m.verdict == Verdict::Spam {
        sqlx::query("UPDATE inquiries SET status = 'quarantined', processed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        outcome.status = InquiryStatus::Quarantined;
        outcome.queue = None;
        return Ok(outcome);
    }

    let contact_id = upsert_contact(
        tx,
        &plan.inquiry,
        plan.matched.contact_id,
        plan.matched.account_id,
        now,
    )
    .await?;
    let mut lead_id = None;
    if let Some(queue) = queue {
        if let Some(stage) = stage_for(queue.function) {
            let (new_lead,): (i64,) = sqlx::query_as(
                "INSERT INTO leads (inquiry_id, contact_id, account_id, campaign_id, source, stage, intent, score,
                     grade, created_at, updated_at)
                 VALUES ($1, $2, $3, (SELECT id FROM campaigns WHERE name_lower = $4), $5, $6, $7, $8, $9, $10, $10)
                 RETURNING id",
            )
            .bind(id)
            .bind(contact_id)
            .bind(plan.matched.account_id)
            .bind(plan.inquiry.campaign.as_deref().map(str::to_lowercase))
            .bind(plan.inquiry.source.as_deref())
            .bind(stage.as_str())
            .bind(i.value.as_str())
            .bind(i64::from(s.value))
            .bind(s.grade.as_str())
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, at) VALUES ($1, NULL, $2, $3, $4)",
            )
            .bind(new_lead)
            .bind(stage.as_str())
            .bind(format!("routed to {}", outcome.queue.as_deref().unwrap_or_default()))
            .bind(now)
            .execute(&mut **tx)
            .await?;
            lead_id = Some(new_lead);
        }
        let (work_item_id, assignee) =
            assign_new_item(tx, queue, id, lead_id, plan.received_at, hours, now).await?;
        outcome.work_item_id = Some(work_item_id);
        outcome.assignee_id = assignee;
    }
    outcome.lead_id = lead_id;
    sqlx::query(
        "UPDATE inquiries SET status = 'processed', error = NULL, contact_id = $1, account_id = $2, lead_id = $3,
             processed_at = $4
         WHERE id = $5",
    )
    .bind(contact_id)
    .bind(plan.matched.account_id)
    .bind(lead_id)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(outcome)
}

/// The contact behind an inquiry: the matched one, filled in where it had
/// gaps, or a new one.
async fn upsert_contact(
    tx: &mut Transaction<'static, Any>,
    inquiry: &Inquiry,
    matched: Option<i64>,
    account_id: Option<i64>,
    now: i64,
) -> Result<Option<i64>> {
    let email = inquiry.email.as_ref();
    if email.is_none() && matched.is_some() {
        return Ok(matched);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO contacts (account_id, name, email, email_lower, phone, title, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (email_lower) DO UPDATE SET
             account_id = COALESCE(contacts.account_id, excluded.account_id),
             name = COALESCE(contacts.name, excluded.name),
             phone = COALESCE(contacts.phone, excluded.phone),
             title = COALESCE(excluded.title, contacts.title),
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(account_id)
    .bind(inquiry.name.as_deref())
    .bind(email.map(|e| e.as_str()))
    .bind(email.map(|e| e.as_str()))
    .bind(inquiry.phone.as_ref().map(|p| p.as_str()))
    .bind(inquiry.title.as_deref())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(id))
}

/// Creates the work item of a routed inquiry and gives it to the member the
/// queue's strategy picks; when nobody can take it, it waits unassigned and
/// the history says why.
async fn assign_new_item(
    tx: &mut Transaction<'static, Any>,
    queue: &mut QueueState,
    inquiry_id: i64,
    lead_id: Option<i64>,
    received_at: i64,
    hours: &BusinessHours,
    now: i64,
) -> Result<(i64, Option<i64>)> {
    let received =
        jiff::Timestamp::from_millisecond(received_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let due = |minutes: i64| -> i64 {
        let target = if queue.business_hours {
            SlaTarget::BusinessMinutes(minutes)
        } else {
            SlaTarget::WallClockMinutes(minutes)
        };
        target.due_at(received, hours).as_millisecond()
    };
    let (first_due, resolution_due) = (due(queue.first_touch), due(queue.resolution));
    let chosen =
        choose_assignee(tx, queue.id, queue.strategy, &mut queue.last_position, None).await?;
    let (assignee, status, action, reason) = match chosen {
        Ok((user, why)) => (Some(user), "assigned", "assigned", why),
        Err(why) => (None, "unassigned", "waiting", why),
    };
    let (work_item_id,): (i64,) = sqlx::query_as(
        "INSERT INTO work_items (lead_id, inquiry_id, queue_id, assignee_id, status, first_touch_due_at,
             resolution_due_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(lead_id)
    .bind(inquiry_id)
    .bind(queue.id)
    .bind(assignee)
    .bind(status)
    .bind(first_due)
    .bind(resolution_due)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    record(
        tx,
        work_item_id,
        action,
        None,
        assignee,
        Some(queue.id),
        &reason,
        None,
    )
    .await?;
    if let (Some(user), Some(lead)) = (assignee, lead_id) {
        sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
            .bind(user)
            .bind(lead)
            .execute(&mut **tx)
            .await?;
    }
    Ok((work_item_id, assignee))
}

/// A stored decision as shown to people and the API.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredDecision {
    pub kind: String,
    pub value: Option<String>,
    pub score: Option<f64>,
    pub reasons: Vec<Reason>,
    pub version: String,
    pub created_at: i64,
}

/// An inquiry with everything decided about it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InquiryView {
    pub id: i64,
    pub received_at: i64,
    pub channel: Channel,
    pub origin: String,
    pub raw: Vec<u8>,
    pub status: InquiryStatus,
    pub error: Option<String>,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub stage: Option<Stage>,
    pub queue: Option<String>,
    pub work_item_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Latest decision of each kind, in pipeline order.
    pub decisions: Vec<StoredDecision>,
}

/// One line of the inquiry list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InquirySummary {
    pub id: i64,
    pub received_at: i64,
    pub channel: Channel,
    pub status: InquiryStatus,
    pub lead_id: Option<i64>,
}

type ViewRow = (
    i64,
    i64,
    String,
    String,
    Vec<u8>,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

impl Db {
    pub async fn inquiry(&self, id: i64) -> Result<InquiryView> {
        let row: Option<ViewRow> = sqlx::query_as(
            "SELECT i.id, i.received_at, i.channel, i.origin, i.raw, i.status, i.error, i.contact_id, i.account_id,
                    i.lead_id, l.stage
             FROM inquiries i LEFT JOIN leads l ON l.id = i.lead_id WHERE i.id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let (
            id,
            received_at,
            channel,
            origin,
            raw,
            status,
            error,
            contact_id,
            account_id,
            lead_id,
            stage,
        ) = row.ok_or_else(|| DbError::NotFound(format!("inquiry {id}")))?;
        let work: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT w.id, q.slug, w.assignee_id FROM work_items w JOIN queues q ON q.id = w.queue_id
             WHERE w.inquiry_id = $1 ORDER BY w.id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let rows: Vec<(String, Option<String>, Option<f64>, String, String, i64)> = sqlx::query_as(
            "SELECT kind, value, score, reasons, version, created_at FROM decisions WHERE inquiry_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let mut decisions: Vec<StoredDecision> = Vec::new();
        for (kind, value, score, reasons, version, created_at) in rows {
            let decision = StoredDecision {
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                kind,
                value,
                score,
                version,
                created_at,
            };
            // A later decision of the same kind (a reprocess, a moderator's
            // release) replaces the earlier one in this view.
            match decisions.iter_mut().find(|d| d.kind == decision.kind) {
                Some(slot) => *slot = decision,
                None => decisions.push(decision),
            }
        }
        let bad = |field: &str, e: baton_core::domain::UnknownValue| {
            DbError::invalid(field, e.to_string())
        };
        Ok(InquiryView {
            id,
            received_at,
            channel: channel.parse().map_err(|e| bad("channel", e))?,
            origin,
            raw,
            status: status.parse().map_err(|e| bad("status", e))?,
            error,
            contact_id,
            account_id,
            lead_id,
            stage: stage
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| bad("stage", e))?,
            queue: work.as_ref().map(|(_, q, _)| q.clone()),
            work_item_id: work.as_ref().map(|(w, _, _)| *w),
            assignee_id: work.and_then(|(_, _, a)| a),
            decisions,
        })
    }

    /// Inquiries after the cursor `after` (an id), filtered by status.
    pub async fn inquiries(
        &self,
        status: Option<InquiryStatus>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<InquirySummary>> {
        let rows: Vec<(i64, i64, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, received_at, channel, status, lead_id FROM inquiries
             WHERE id > $1 AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(status.map(|s| s.as_str()).unwrap_or_default())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(id, received_at, channel, status, lead_id)| {
                Ok(InquirySummary {
                    id,
                    received_at,
                    channel: channel
                        .parse()
                        .map_err(|e| DbError::invalid("channel", format!("{e}")))?,
                    status: status
                        .parse()
                        .map_err(|e| DbError::invalid("status", format!("{e}")))?,
                    lead_id,
                })
            })
            .collect()
    }
}
