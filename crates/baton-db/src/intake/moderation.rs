//! A moderator's word on an inquiry: release a quarantined one into the
//! pipeline, or confirm one as spam, quarantined or got past moderation.
//! Both are decisions with the moderator's name, kept beside the rules'
//! verdict; nothing is ever deleted.

use super::Outcome;
use crate::checks::{MAX_TEXT, at_most};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::reports::{end_of, start_of};
use crate::sql::{Value, insert_rows};
use crate::users::audit_in;
use crate::work_items::{
    BEFORE_A_DEAL, WorkOf, change_stage_in, finish_open_work_in, lock_holders_of,
};
use baton_core::decision::Reason;
use baton_core::domain::{Channel, Stage};
use baton_core::moderation::HeldText;
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

impl Db {
    /// Releases a quarantined inquiry and processes it as ham.
    pub async fn release_inquiry(&self, moderator: i64, id: i64, note: &str) -> Result<Outcome> {
        at_most("note", note.trim(), MAX_TEXT)?;
        let name = self.user(moderator).await?.name;
        let reason = Reason::new(
            "released_by_moderator",
            0.0,
            match note.trim() {
                "" => format!("released from quarantine by {name}"),
                note => format!("released from quarantine by {name}: {note}"),
            },
        );
        self.moderate_by_hand(moderator, id, "ham", "received", reason, "inquiry.released")
            .await?;
        let mut outcomes = self.process_inquiries(&[id]).await?;
        outcomes
            .pop()
            .ok_or_else(|| DbError::NotFound(format!("inquiry {id}")))
    }

    /// Confirms a quarantined inquiry as spam; it stays stored, out of every queue.
    pub async fn confirm_spam(&self, moderator: i64, id: i64, note: &str) -> Result<()> {
        let reason = Reason::new(
            "confirmed_by_moderator",
            1.0,
            self.confirmed_by(moderator, note).await?,
        );
        self.moderate_by_hand(
            moderator,
            id,
            "spam",
            "spam",
            reason,
            "inquiry.confirmed_spam",
        )
        .await
    }

    /// Confirms as spam an inquiry that got past moderation (processed):
    /// it leaves every queue and the funnel, its lead disqualified if not
    /// yet in a deal and its open work marked done, all in one
    /// transaction; the spam model learns from it.
    pub async fn report_spam(&self, moderator: i64, id: i64, note: &str) -> Result<()> {
        let said = self.confirmed_by(moderator, note).await?;
        let reason = Reason::new("confirmed_by_moderator", 1.0, said.clone());
        let mut tx = self.begin_write().await?;
        moderate_in(
            &mut tx,
            moderator,
            id,
            ("spam", "spam"),
            reason,
            "inquiry.reported_spam",
            &["processed"],
        )
        .await?;
        let why = format!("spam that got past moderation, {said}");
        let (lead,): (Option<i64>,) = sqlx::query_as("SELECT lead_id FROM inquiries WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        // The holders' loads of both, in one user order, before the lead.
        let mut finishing = vec![WorkOf::Inquiry(id)];
        finishing.extend(lead.map(WorkOf::Lead));
        lock_holders_of(&mut tx, &finishing).await?;
        if let Some(lead) = lead {
            change_stage_in(
                &mut tx,
                lead,
                BEFORE_A_DEAL,
                Stage::Disqualified,
                &why,
                Some(moderator),
            )
            .await?;
        }
        finish_open_work_in(&mut tx, WorkOf::Inquiry(id), &why, Some(moderator)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// "confirmed as spam by Quinn: note".
    async fn confirmed_by(&self, moderator: i64, note: &str) -> Result<String> {
        at_most("note", note.trim(), MAX_TEXT)?;
        let name = self.user(moderator).await?.name;
        Ok(match note.trim() {
            "" => format!("confirmed as spam by {name}"),
            note => format!("confirmed as spam by {name}: {note}"),
        })
    }

    async fn moderate_by_hand(
        &self,
        moderator: i64,
        id: i64,
        verdict: &str,
        status: &str,
        reason: Reason,
        action: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        moderate_in(
            &mut tx,
            moderator,
            id,
            (verdict, status),
            reason,
            action,
            &["quarantined"],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Records a moderator's `verdict` on inquiry `id` with its new `status`,
/// inside `tx`, when the inquiry is in one of `from`; returns the status
/// it was in.
async fn moderate_in(
    tx: &mut Transaction<'static, Any>,
    moderator: i64,
    id: i64,
    (verdict, status): (&str, &str),
    reason: Reason,
    action: &str,
    from: &[&str],
) -> Result<String> {
    let current: Option<(String,)> = sqlx::query_as("SELECT status FROM inquiries WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some((current,)) = current else {
        return Err(DbError::NotFound(format!("inquiry {id}")));
    };
    let refused = || {
        DbError::conflict(
            "status",
            format!("inquiry {id} is {current}, not {}", from.join(" or ")),
        )
    };
    if !from.contains(&current.as_str()) {
        return Err(refused());
    }
    // Of two moderators at once, one decides.
    let changed = sqlx::query("UPDATE inquiries SET status = $1 WHERE id = $2 AND status = $3")
        .bind(status)
        .bind(id)
        .bind(&current)
        .execute(&mut **tx)
        .await?;
    if changed.rows_affected() != 1 {
        return Err(refused());
    }
    record_verdict(tx, id, verdict, reason, moderator, now_ms()).await?;
    audit_in(
        &mut **tx,
        Some(moderator),
        action,
        "inquiry",
        Some(id),
        &serde_json::json!({ "was": current }),
    )
    .await?;
    Ok(current)
}

/// The code of a reason kept from the verdict a moderator's replaced.
const EARLIER: &str = "earlier_";

/// Stores a moderator's `verdict` (`spam` or `ham`) on inquiry `id` as a
/// decision with their name, made at `at`. The reasons of the verdict it
/// replaces come after theirs, so that why an inquiry was held (or let
/// through) stays in view once a person has decided otherwise.
pub(crate) async fn record_verdict(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    verdict: &str,
    reason: Reason,
    moderator: i64,
    at: i64,
) -> Result<()> {
    let earlier: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT value, reasons FROM decisions WHERE inquiry_id = $1 AND kind = 'moderation'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let mut reasons = vec![reason];
    if let Some((value, text)) = earlier {
        let judged = value.unwrap_or_default();
        let before: Vec<Reason> = serde_json::from_str(&text).unwrap_or_default();
        reasons.extend(
            before
                .into_iter()
                .filter(|r| !r.code.starts_with(EARLIER))
                .map(|r| {
                    Reason::new(
                        &format!("{EARLIER}{}", r.code),
                        0.0,
                        format!("judged {judged} before: {}", r.text),
                    )
                }),
        );
    }
    sqlx::query(
        "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, actor_id, created_at)
         VALUES ($1, 'moderation', $2, $3, $4, 'moderator', $5, $6)",
    )
    .bind(id)
    .bind(verdict)
    .bind(if verdict == "spam" { 1.0 } else { 0.0 })
    .bind(serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into()))
    .bind(moderator)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The row that stores what moderators read of held inquiry `id`.
pub(super) fn held_row(id: i64, text: &HeldText) -> Vec<Value> {
    vec![
        id.into(),
        text.sender.as_str().into(),
        text.excerpt.as_str().into(),
        text.search.as_str().into(),
    ]
}

/// Stores what moderators read of held inquiries, from [`held_row`]s.
pub(super) async fn describe_held(
    tx: &mut Transaction<'static, Any>,
    rows: &[Vec<Value>],
) -> Result<()> {
    insert_rows::<(i64,)>(
        tx,
        "UPDATE inquiries SET held_sender = v.column2, held_excerpt = v.column3, held_search = v.column4
         FROM (",
        ") AS v WHERE inquiries.id = v.column1",
        rows,
    )
    .await?;
    Ok(())
}

/// The columns the moderation queue sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldSort {
    /// Arrival, the oldest first by default.
    Received,
    /// The spam score of the latest moderation decision.
    Score,
}

impl SortColumn for HeldSort {
    const ALL: &'static [Self] = &[HeldSort::Received, HeldSort::Score];

    fn key(self) -> &'static str {
        match self {
            HeldSort::Received => "received",
            HeldSort::Score => "score",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            HeldSort::Received => "r.received_at",
            HeldSort::Score => "r.spam_score",
        }
    }
}

/// Filters of the moderation queue; empty means any.
#[derive(Debug, Clone, Default)]
pub struct HeldFilter {
    pub channel: Option<Channel>,
    /// The first day of arrival, in the organisation's time zone.
    pub received_from: Option<Date>,
    /// The last day of arrival, in the organisation's time zone.
    pub received_to: Option<Date>,
    /// Words to find in the sender or the message.
    pub search: String,
}

/// A quarantined inquiry as moderators see it: who sent what, and why it
/// was held.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldInquiry {
    pub id: i64,
    pub received_at: i64,
    pub channel: String,
    /// Empty for an inquiry whose payload could not be read.
    pub sender: String,
    pub excerpt: String,
    /// The score of its latest moderation decision.
    pub spam_score: Option<f64>,
    /// The reasons of its latest moderation decision.
    pub reasons: Vec<Reason>,
}

/// Quarantined inquiries with their latest moderation decision.
const HELD_LINES: &str = "SELECT i.id, i.received_at, i.channel,
        COALESCE(i.held_sender, '') AS sender, COALESCE(i.held_excerpt, '') AS excerpt,
        COALESCE(i.held_search, '') AS search, d.score AS spam_score, d.reasons
     FROM inquiries i
          LEFT JOIN decisions d ON d.id = (SELECT MAX(m.id) FROM decisions m
                                           WHERE m.inquiry_id = i.id AND m.kind = 'moderation')
     WHERE i.status = 'quarantined'";

fn held_line(row: &AnyRow) -> Result<HeldInquiry> {
    Ok(HeldInquiry {
        id: row.try_get("id")?,
        received_at: row.try_get("received_at")?,
        channel: row.try_get("channel")?,
        sender: row.try_get("sender")?,
        excerpt: row.try_get("excerpt")?,
        spam_score: row.try_get("spam_score")?,
        reasons: row
            .try_get::<Option<String>, _>("reasons")?
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default(),
    })
}

impl Db {
    /// A window of the quarantined inquiries matching `filter`, each with
    /// the reasons it was held, and their total.
    pub async fn held_inquiries(
        &self,
        filter: &HeldFilter,
        window: &Window<HeldSort>,
    ) -> Result<Listed<HeldInquiry>> {
        if let (Some(from), Some(to)) = (filter.received_from, filter.received_to)
            && to < from
        {
            return Err(DbError::invalid(
                "received_to",
                format!("the last day ({to}) comes before the first ({from})"),
            ));
        }
        let mut conditions = Conditions::default();
        conditions.equal("r.channel = ?", filter.channel.map(|c| c.as_str()));
        if filter.received_from.is_some() || filter.received_to.is_some() {
            let zone = self.time_zone().await?;
            if let Some(day) = filter.received_from {
                conditions.add("r.received_at >= ?", vec![start_of(day, &zone)?.into()]);
            }
            if let Some(day) = filter.received_to {
                conditions.add("r.received_at < ?", vec![end_of(day, &zone)?.into()]);
            }
        }
        conditions.search(&["r.search LIKE ? ESCAPE '\\'"], &filter.search);
        self.list(HELD_LINES, &conditions, window, held_line).await
    }

    /// Stores what moderators read of quarantined inquiries that lack it,
    /// from their raw payloads, a batch at a time; one whose payload cannot
    /// be read gets empty texts, so it is not read again.
    pub(crate) async fn describe_held_inquiries(&self) -> Result<()> {
        loop {
            let held: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
                "SELECT id, channel, raw FROM inquiries
                 WHERE status = 'quarantined' AND held_search IS NULL ORDER BY id LIMIT 500",
            )
            .fetch_all(self.reader())
            .await?;
            if held.is_empty() {
                return Ok(());
            }
            let staff = self
                .staff_for(
                    held.iter()
                        .filter_map(|(_, channel, _)| channel.parse().ok()),
                )
                .await?;
            let rows: Vec<Vec<Value>> = held
                .into_iter()
                .map(|(id, channel, raw)| {
                    let text = channel
                        .parse()
                        .ok()
                        .and_then(|channel| {
                            baton_core::intake::read(channel, &raw, None, &staff).ok()
                        })
                        .map(|(inquiry, _)| HeldText::of(&inquiry))
                        .unwrap_or_default();
                    held_row(id, &text)
                })
                .collect();
            let mut tx = self.begin_write().await?;
            describe_held(&mut tx, &rows).await?;
            tx.commit().await?;
        }
    }
}
