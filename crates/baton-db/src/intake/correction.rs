//! A person's correction of an inquiry's intent: kept as a decision with
//! their name beside the pipeline's, and carried to the inquiry's lead. The
//! intent model learns from it.

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::decision::Reason;
use baton_core::domain::Intent;

/// The version recorded on decisions a person made by hand.
pub const BY_PERSON: &str = "person";

impl Db {
    /// Records that inquiry `id` is really about `intent`, as `actor` says.
    pub async fn correct_intent(
        &self,
        actor: i64,
        id: i64,
        intent: Intent,
        note: &str,
    ) -> Result<()> {
        let name = self.user(actor).await?.name;
        let reason = Reason::new(
            "corrected_by_person",
            1.0,
            match note.trim() {
                "" => format!("intent corrected to {intent} by {name}"),
                note => format!("intent corrected to {intent} by {name}: {note}"),
            },
        );
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM inquiries WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(DbError::NotFound(format!("inquiry {id}")));
        }
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
        tx.commit().await?;
        Ok(())
    }
}
