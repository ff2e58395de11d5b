//! Intake: raw inquiries are stored exactly as received; processing runs
//! moderation → match → intent → score → lifecycle → routing and stores
//! each decision with its reasons.
//!
//! Both work on batches, so one commit (one fsync) serves many requests:
//! the raw batch is inserted into the write transaction while [`prepare`]
//! reads what the batch needs from committed data, in a handful of queries
//! on the read connections, and decides; [`apply`] then writes the
//! decisions with multi-row statements in the same transaction, locking the
//! queues it assigns from in id order, so several servers on one PostgreSQL
//! database never assign an item twice and never deadlock on queues. When
//! the decisions cannot be made or written, the raw inquiries are committed
//! alone and wait for the retry job.

mod apply;
mod correction;
pub(crate) mod moderation;
pub use moderation::{HeldFilter, HeldInquiry, HeldSort};
mod prepare;
pub use prepare::{Match, Plan};

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::sql::{CHUNK, Value, allocate_ids, insert_rows, placeholders};
use apply::Claim;
use baton_core::decision::Reason;
use baton_core::domain::{Channel, InquiryStatus, Intent, Stage};
use prepare::{Context, Pending, Prepared};
use serde::Serialize;
use sqlx::{Any, Transaction};
use std::collections::HashSet;

/// Provisional ids of a batch not yet stored: above any id a table reaches.
const PROVISIONAL_IDS: i64 = i64::MAX / 2;

/// The head of the multi-row insert of raw inquiries.
const INSERT_INQUIRIES: &str =
    "INSERT INTO inquiries (id, received_at, channel, origin, raw, idempotency_key, content_hash, status)
     SELECT column1, column2, column3, column4, column5, column6, column7, 'received' FROM (";

/// After failed attempt number `attempt`: when `error` is a deadlock or
/// serialisation failure between servers on PostgreSQL, counts the attempt,
/// waits a little longer each time and says to try again, at most five times.
async fn wait_to_retry(attempt: &mut u32, error: &DbError) -> bool {
    if !matches!(error, DbError::Contended) || *attempt >= 5 {
        return false;
    }
    *attempt += 1;
    tokio::time::sleep(std::time::Duration::from_millis(5 << *attempt)).await;
    true
}

/// A batch decided by [`Db::decide`], waiting to be written.
struct Decided {
    received_at: i64,
    /// `None` when deciding failed.
    decisions: Option<(Context, Vec<Prepared>)>,
}

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

/// A raw inquiry stored and not yet processed, as the writer still holds it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: i64,
    pub received_at: i64,
    pub inquiry: RawInquiry,
}

/// Decisions made for stored inquiries and not yet written.
pub struct Decisions {
    context: Context,
    prepared: Vec<Prepared>,
}

/// A write transaction holding the decisions for inquiries stored earlier,
/// to which newly arrived inquiries are added before its one commit.
pub struct Round {
    tx: Transaction<'static, Any>,
}

impl Round {
    /// Stores raw inquiries in this round; returns what each became and
    /// the time they were received.
    pub async fn store(&mut self, db: &Db, batch: &[RawInquiry]) -> Result<(Vec<Stored>, i64)> {
        let now = now_ms();
        let stored = db.store_raw_in(&mut self.tx, batch, now).await?;
        Ok((stored, now))
    }

    /// Commits the round.
    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }
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
    /// The earlier inquiry this one repeats word for word, whose open work
    /// it joined instead of making its own.
    pub repeat_of: Option<i64>,
    pub error: Option<String>,
}

impl Outcome {
    /// Whether another server or run processed the inquiry first, so that
    /// nothing was decided now (what [`Outcome::already_done`] gives).
    pub fn done_elsewhere(&self) -> bool {
        self.status != InquiryStatus::NeedsAttention && self.intent.is_none()
    }

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
            repeat_of: None,
            error: None,
        }
    }
}

impl Db {
    /// Which of these idempotency keys an inquiry already holds: what
    /// [`Db::store_raw`] would find stored before.
    pub async fn stored_keys(&self, keys: &[String]) -> Result<HashSet<String>> {
        let found: Vec<(String,)> = prepare::select_in(
            self,
            "SELECT idempotency_key FROM inquiries WHERE idempotency_key IN",
            &[],
            keys,
        )
        .await?;
        Ok(found.into_iter().map(|(key,)| key).collect())
    }

    /// Stores raw inquiries, all in one transaction, and returns what each
    /// became with the time it was received.
    pub async fn store_raw(&self, batch: &[RawInquiry]) -> Result<(Vec<Stored>, i64)> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let stored = self.store_raw_in(&mut tx, batch, now).await?;
        tx.commit().await?;
        Ok((stored, now))
    }

    /// Stores raw inquiries received at `now` within `tx`.
    async fn store_raw_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        batch: &[RawInquiry],
        now: i64,
    ) -> Result<Vec<Stored>> {
        let ids = allocate_ids(tx, self.backend(), "inquiries", batch.len()).await?;
        let rows: Vec<Vec<Value>> = batch
            .iter()
            .zip(&ids)
            .map(|(item, id)| {
                vec![
                    (*id).into(),
                    now.into(),
                    item.channel.as_str().into(),
                    item.origin.as_str().into(),
                    item.raw.clone().into(),
                    item.idempotency_key.as_deref().into(),
                    item.content_hash.as_str().into(),
                ]
            })
            .collect();
        if batch.iter().all(|item| item.idempotency_key.is_none()) {
            // Without keys nothing can conflict: every row is new.
            insert_rows::<(i64,)>(tx, INSERT_INQUIRIES, ") AS v", &rows).await?;
            return Ok(ids.into_iter().map(Stored::New).collect());
        }
        // A key seen before (or twice in this batch) inserts nothing.
        let inserted: HashSet<i64> = insert_rows::<(i64,)>(
            tx,
            INSERT_INQUIRIES,
            // `WHERE true` tells SQLite that ON CONFLICT is the upsert, not a join.
            ") AS v WHERE true ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            &rows,
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
        let mut stored = Vec::with_capacity(batch.len());
        for (item, id) in batch.iter().zip(&ids) {
            if inserted.contains(id) {
                stored.push(Stored::New(*id));
                continue;
            }
            let key = item.idempotency_key.as_deref().ok_or_else(|| {
                DbError::Config(format!(
                    "inquiry {id} was not stored and has no idempotency key"
                ))
            })?;
            let (first,): (i64,) =
                sqlx::query_as("SELECT id FROM inquiries WHERE idempotency_key = $1")
                    .bind(key)
                    .fetch_one(&mut **tx)
                    .await?;
            stored.push(Stored::Repeat(first));
        }
        Ok(stored)
    }

    /// Stores and processes a batch received now, with one commit. The raw
    /// inquiries are inserted into the write transaction while the batch is
    /// decided from what was committed before it (other connections do not
    /// see the open transaction); then the decisions are written beside
    /// them. Nothing acknowledged is lost: see [`Db::write`].
    pub async fn take(&self, batch: &[RawInquiry]) -> Result<(Vec<Stored>, Vec<Outcome>)> {
        let received_at = now_ms();
        let open_with_raw = async {
            let mut tx = self.begin_write().await?;
            let stored = self.store_raw_in(&mut tx, batch, received_at).await?;
            Ok::<_, DbError>((tx, stored))
        };
        let (decided, opened) = tokio::join!(self.decide(batch, received_at), open_with_raw);
        self.write(batch, decided, Some(opened?)).await
    }

    /// Decides a batch received at `received_at` from what is already
    /// stored, before any of it is stored. A failure is logged and leaves the
    /// batch undecided.
    async fn decide(&self, batch: &[RawInquiry], received_at: i64) -> Decided {
        // Until the rows exist, members are known by provisional ids above any
        // stored id, in batch order, so that "earlier" still means earlier.
        let pending: Vec<Pending> = batch
            .iter()
            .enumerate()
            .map(|(index, raw)| Pending {
                id: PROVISIONAL_IDS + index as i64,
                received_at,
                channel: raw.channel,
                origin: raw.origin.clone(),
                raw: raw.raw.clone(),
                content_hash: raw.content_hash.clone(),
            })
            .collect();
        Decided {
            received_at,
            decisions: self
                .prepare(pending)
                .await
                .inspect_err(|e| {
                    tracing::error!(error = %e, "deciding failed; the inquiries wait for a retry")
                })
                .ok(),
        }
    }

    /// Decides one inquiry exactly as processing would, against what is
    /// stored now, and writes nothing: what would happen to it, and why.
    pub async fn dry_run(&self, raw: &RawInquiry) -> Result<Plan> {
        let pending = Pending {
            id: PROVISIONAL_IDS,
            received_at: now_ms(),
            channel: raw.channel,
            origin: raw.origin.clone(),
            raw: raw.raw.clone(),
            content_hash: raw.content_hash.clone(),
        };
        match self.prepare(vec![pending]).await?.1.pop() {
            Some(Prepared::Ready(plan)) => Ok(*plan),
            Some(Prepared::Failed { error, .. }) => Err(DbError::invalid("inquiry", error)),
            None => Err(DbError::NotFound("a decision for the inquiry".into())),
        }
    }

    /// Writes a decided batch in one transaction: the raw inquiries and
    /// their decisions, with one commit. `opened` is a transaction that
    /// already holds the raw inquiries, used for the first attempt. If the
    /// decisions cannot be written, the raw inquiries are stored alone in a
    /// transaction of their own and wait for a retry (their outcome is
    /// missing); nothing acknowledged is lost.
    async fn write(
        &self,
        batch: &[RawInquiry],
        decided: Decided,
        mut opened: Option<(Transaction<'static, Any>, Vec<Stored>)>,
    ) -> Result<(Vec<Stored>, Vec<Outcome>)> {
        let received_at = decided.received_at;
        let Some((context, mut prepared)) = decided.decisions else {
            return match opened {
                Some((tx, stored)) => {
                    tx.commit().await?;
                    Ok((stored, Vec::new()))
                }
                None => self.store_raw_alone(batch, received_at).await,
            };
        };
        // Where each decided inquiry sits in the batch, before it has an id.
        let slots: Vec<usize> = prepared
            .iter_mut()
            .map(|item| (*item.inquiry_id_mut() - PROVISIONAL_IDS) as usize)
            .collect();
        let repeated_slots: Vec<Option<usize>> = prepared
            .iter_mut()
            .map(|item| {
                item.repeated_member_mut()
                    .map(|id| (*id - PROVISIONAL_IDS) as usize)
            })
            .collect();
        let mut attempt = 0;
        loop {
            let (mut tx, stored) = match opened.take() {
                Some(opened) => opened,
                None => {
                    let mut tx = self.begin_write().await?;
                    let stored = self.store_raw_in(&mut tx, batch, received_at).await?;
                    (tx, stored)
                }
            };
            // Repeats were decided when first stored; the rest take their ids.
            let mut fresh = Vec::with_capacity(prepared.len());
            for ((item, slot), repeated) in prepared.iter_mut().zip(&slots).zip(&repeated_slots) {
                if let (Some(member), Some(repeated)) = (item.repeated_member_mut(), repeated) {
                    *member = stored[*repeated].id();
                }
                if let Stored::New(id) = stored[*slot] {
                    *item.inquiry_id_mut() = id;
                    fresh.push(&*item);
                }
            }
            match self.apply_in(&mut tx, &fresh, &context, Claim::Fresh).await {
                Ok(outcomes) => {
                    tx.commit().await?;
                    return Ok((stored, outcomes));
                }
                Err(e) => {
                    tx.rollback().await?;
                    if wait_to_retry(&mut attempt, &e).await {
                        continue;
                    }
                    tracing::error!(error = %e, "processing failed; the inquiries wait for a retry");
                    return self.store_raw_alone(batch, received_at).await;
                }
            }
        }
    }

    /// Stores raw inquiries without deciding anything.
    async fn store_raw_alone(
        &self,
        batch: &[RawInquiry],
        received_at: i64,
    ) -> Result<(Vec<Stored>, Vec<Outcome>)> {
        let mut tx = self.begin_write().await?;
        let stored = self.store_raw_in(&mut tx, batch, received_at).await?;
        tx.commit().await?;
        Ok((stored, Vec::new()))
    }

    /// Processes stored inquiries that are waiting (received or needing
    /// attention); others are reported as already processed. Failures of one
    /// inquiry are recorded on it and do not stop the others.
    pub async fn process_inquiries(&self, ids: &[i64]) -> Result<Vec<Outcome>> {
        let mut outcomes = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, received_at, channel, origin, raw, content_hash, status FROM inquiries WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows: Vec<(i64, i64, String, String, Vec<u8>, String, String)> =
                query.fetch_all(self.reader()).await?;
            let mut pending = Vec::with_capacity(rows.len());
            for &id in chunk {
                let Some((_, received_at, channel, origin, raw, content_hash, status)) =
                    rows.iter().find(|r| r.0 == id).cloned()
                else {
                    return Err(DbError::NotFound(format!("inquiry {id}")));
                };
                if !matches!(status.as_str(), "received" | "needs_attention") {
                    outcomes.push(Outcome::already_done(id));
                    continue;
                }
                let channel = channel
                    .parse()
                    .map_err(|e| DbError::invalid("channel", format!("inquiry {id}: {e}")))?;
                pending.push(Pending {
                    id,
                    received_at,
                    channel,
                    origin,
                    raw,
                    content_hash,
                });
            }
            outcomes.extend(self.process_pending(pending).await?);
        }
        Ok(outcomes)
    }

    /// Decides inquiries stored earlier and still held in memory (their
    /// payloads need not be read again), from what is committed now.
    pub async fn decide_received(&self, batch: Vec<Received>) -> Result<Decisions> {
        let pending = batch
            .into_iter()
            .map(|r| Pending {
                id: r.id,
                received_at: r.received_at,
                channel: r.inquiry.channel,
                origin: r.inquiry.origin,
                raw: r.inquiry.raw,
                content_hash: r.inquiry.content_hash,
            })
            .collect();
        let (context, prepared) = self.prepare(pending).await?;
        Ok(Decisions { context, prepared })
    }

    /// Opens a write transaction and writes `decisions` in it, first; the
    /// caller then stores what has arrived meanwhile ([`Round::store`]) and
    /// commits both at once. Inquiries another server or the retry job
    /// processed meanwhile are reported as already done. When the decisions
    /// cannot be written, the transaction is opened again without them: their
    /// inquiries stay stored, and the retry job takes them.
    pub async fn open_round(&self, decisions: Option<Decisions>) -> Result<Round> {
        let Some(decisions) = decisions else {
            return Ok(Round {
                tx: self.begin_write().await?,
            });
        };
        let prepared: Vec<&Prepared> = decisions.prepared.iter().collect();
        let mut attempt = 0;
        loop {
            let mut tx = self.begin_write().await?;
            match self
                .apply_in(&mut tx, &prepared, &decisions.context, Claim::Stored)
                .await
            {
                Ok(_) => return Ok(Round { tx }),
                Err(e) => {
                    tx.rollback().await?;
                    if wait_to_retry(&mut attempt, &e).await {
                        continue;
                    }
                    tracing::error!(error = %e, "processing failed; the inquiries wait for a retry");
                    return Ok(Round {
                        tx: self.begin_write().await?,
                    });
                }
            }
        }
    }

    /// Decides and writes a batch. When writing it fails, each inquiry is
    /// written alone, so that one that cannot be written waits with its
    /// error ("needs attention") and does not keep the others back.
    async fn process_pending(&self, pending: Vec<Pending>) -> Result<Vec<Outcome>> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let (context, prepared) = self.prepare(pending).await?;
        let prepared: Vec<&Prepared> = prepared.iter().collect();
        let batch_error = match self.apply_retrying(&prepared, &context).await {
            Ok(outcomes) => return Ok(outcomes),
            Err(e) => e,
        };
        tracing::warn!(error = %batch_error, "a batch could not be written; writing its inquiries one by one");
        let mut outcomes = Vec::with_capacity(prepared.len());
        for item in prepared {
            match self.apply_retrying(&[item], &context).await {
                Ok(written) => outcomes.extend(written),
                Err(e) => {
                    let id = item.inquiry_id();
                    let error = format!("processing failed: {e}");
                    set_aside(self.writer(), id, &error).await?;
                    outcomes.push(Outcome {
                        status: InquiryStatus::NeedsAttention,
                        error: Some(error),
                        ..Outcome::already_done(id)
                    });
                }
            }
        }
        Ok(outcomes)
    }

    /// Writes a decided batch, retrying when PostgreSQL reports a deadlock
    /// or serialisation failure between servers.
    async fn apply_retrying(
        &self,
        prepared: &[&Prepared],
        context: &Context,
    ) -> Result<Vec<Outcome>> {
        let mut attempt = 0;
        loop {
            match self.apply(prepared, context).await {
                Err(e) => {
                    if !wait_to_retry(&mut attempt, &e).await {
                        return Err(e);
                    }
                }
                done => return done,
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
}

/// Marks a waiting inquiry as needing attention, with why; one processed
/// meanwhile is left as it is.
pub(crate) async fn set_aside<'e>(
    executor: impl sqlx::Executor<'e, Database = Any>,
    inquiry_id: i64,
    error: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE inquiries SET status = 'needs_attention', error = $1, attempts = attempts + 1
         WHERE id = $2 AND status IN ('received', 'needs_attention')",
    )
    .bind(error)
    .bind(inquiry_id)
    .execute(executor)
    .await?;
    Ok(())
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
    /// The earlier inquiry this one repeats word for word; its work is this one's.
    pub repeat_of: Option<i64>,
    pub queue: Option<String>,
    pub work_item_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// Latest decision of each kind, in pipeline order.
    pub decisions: Vec<StoredDecision>,
    /// Decisions a later one of the same kind replaced (a correction, a
    /// release, processing again), oldest first: kept, and shown.
    pub superseded: Vec<StoredDecision>,
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
    Option<i64>,
);

impl Db {
    pub async fn inquiry(&self, id: i64) -> Result<InquiryView> {
        let row: Option<ViewRow> = sqlx::query_as(
            "SELECT i.id, i.received_at, i.channel, i.origin, i.raw, i.status, i.error, i.contact_id, i.account_id,
                    i.lead_id, l.stage, i.repeat_of
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
            repeat_of,
        ) = row.ok_or_else(|| DbError::NotFound(format!("inquiry {id}")))?;
        let work: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT w.id, q.slug, w.assignee_id FROM work_items w JOIN queues q ON q.id = w.queue_id
             WHERE w.inquiry_id = $1 ORDER BY w.id DESC LIMIT 1",
        )
        .bind(repeat_of.unwrap_or(id))
        .fetch_optional(self.reader())
        .await?;
        let rows: Vec<(String, Option<String>, Option<f64>, String, String, i64)> = sqlx::query_as(
            "SELECT kind, value, score, reasons, version, created_at FROM decisions WHERE inquiry_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let mut decisions: Vec<StoredDecision> = Vec::new();
        let mut superseded = Vec::new();
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
                Some(slot) => superseded.push(std::mem::replace(slot, decision)),
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
            repeat_of,
            queue: work.as_ref().map(|(_, q, _)| q.clone()),
            work_item_id: work.as_ref().map(|(w, _, _)| *w),
            assignee_id: work.and_then(|(_, _, a)| a),
            decisions,
            superseded,
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
