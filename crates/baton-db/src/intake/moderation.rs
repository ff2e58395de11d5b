//! A moderator's word on a quarantined inquiry: release it into the
//! pipeline, or confirm it as spam. Both are decisions with the moderator's
//! name, kept beside the rules' verdict; nothing is ever deleted.

use super::Outcome;
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::decision::Reason;
use baton_core::domain::InquiryStatus;

impl Db {
    /// Releases a quarantined inquiry and processes it as ham.
    pub async fn release_inquiry(&self, moderator: i64, id: i64, note: &str) -> Result<Outcome> {
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
        let name = self.user(moderator).await?.name;
        let reason = Reason::new(
            "confirmed_by_moderator",
            1.0,
            match note.trim() {
                "" => format!("confirmed as spam by {name}"),
                note => format!("confirmed as spam by {name}: {note}"),
            },
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

    async fn moderate_by_hand(
        &self,
        moderator: i64,
        id: i64,
        verdict: &str,
        status: &str,
        reason: Reason,
        action: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE inquiries SET status = $1 WHERE id = $2 AND status = 'quarantined'",
        )
        .bind(status)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            let exists: Option<(String,)> =
                sqlx::query_as("SELECT status FROM inquiries WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                None => DbError::NotFound(format!("inquiry {id}")),
                Some((status,)) => DbError::conflict(
                    "status",
                    format!("inquiry {id} is {status}, not quarantined"),
                ),
            });
        }
        sqlx::query(
            "INSERT INTO decisions (inquiry_id, kind, value, score, reasons, version, actor_id, created_at)
             VALUES ($1, 'moderation', $2, $3, $4, 'moderator', $5, $6)",
        )
        .bind(id)
        .bind(verdict)
        .bind(if verdict == "spam" { 1.0 } else { 0.0 })
        .bind(serde_json::to_string(&[reason]).unwrap_or_else(|_| "[]".into()))
        .bind(moderator)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            Some(moderator),
            action,
            "inquiry",
            Some(id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A quarantined inquiry as moderators see it: why it was held.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldInquiry {
    pub id: i64,
    pub received_at: i64,
    /// The reasons of its latest moderation decision.
    pub reasons: Vec<Reason>,
}

impl Db {
    /// Quarantined inquiries, oldest first, each with the reasons it was
    /// held: one statement, however many wait.
    pub async fn held_inquiries(&self, limit: i64) -> Result<Vec<HeldInquiry>> {
        let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT i.id, i.received_at, d.reasons FROM inquiries i
             LEFT JOIN decisions d ON d.id = (SELECT MAX(m.id) FROM decisions m
                                              WHERE m.inquiry_id = i.id AND m.kind = 'moderation')
             WHERE i.status = $1 ORDER BY i.id LIMIT $2",
        )
        .bind(InquiryStatus::Quarantined.as_str())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, received_at, reasons)| HeldInquiry {
                id,
                received_at,
                reasons: reasons
                    .and_then(|r| serde_json::from_str(&r).ok())
                    .unwrap_or_default(),
            })
            .collect())
    }
}
