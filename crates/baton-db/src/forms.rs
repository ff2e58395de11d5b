//! Public inquiry forms: a hosted page per form, embeddable elsewhere.

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use serde::Serialize;

/// A hosted form.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Form {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub campaign: Option<String>,
    pub thank_you: String,
    pub active: bool,
}

/// The form every organisation starts with, at `/f/contact`.
pub const DEFAULT_FORM: &str = "contact";

/// A slug is 1–60 lowercase letters, digits and dashes.
pub fn valid_slug(slug: &str) -> bool {
    (1..=60).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
}

impl Db {
    pub async fn form(&self, slug: &str) -> Result<Form> {
        let row: Option<(i64, String, String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT f.id, f.slug, f.name, c.name, f.thank_you, f.active
             FROM forms f LEFT JOIN campaigns c ON c.id = f.campaign_id WHERE f.slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.reader())
        .await?;
        let (id, slug, name, campaign, thank_you, active) =
            row.ok_or_else(|| DbError::NotFound(format!("form {slug}")))?;
        Ok(Form {
            id,
            slug,
            name,
            campaign,
            thank_you,
            active: active != 0,
        })
    }

    /// Adds a form; the slug must be new.
    pub async fn create_form(
        &self,
        actor: Option<i64>,
        slug: &str,
        name: &str,
        thank_you: &str,
    ) -> Result<Form> {
        if !valid_slug(slug) {
            return Err(DbError::invalid(
                "slug",
                "use 1 to 60 lowercase letters, digits and dashes",
            ));
        }
        if name.trim().is_empty() {
            return Err(DbError::invalid("name", "a form needs a name"));
        }
        let thank_you = if thank_you.trim().is_empty() {
            "Thank you — we will be in touch shortly."
        } else {
            thank_you.trim()
        };
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO forms (slug, name, thank_you, active, created_at) VALUES ($1, $2, $3, 1, $4) RETURNING id",
        )
        .bind(slug)
        .bind(name.trim())
        .bind(thank_you)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)
        .map_err(|e| if e.is_unique_violation() { DbError::conflict("slug", format!("a form `{slug}` exists")) } else { e })?;
        audit_in(
            &mut *tx,
            actor,
            "form.created",
            "form",
            Some(id),
            &serde_json::json!({"slug": slug}),
        )
        .await?;
        tx.commit().await?;
        self.form(slug).await
    }
}

impl Db {
    /// Every form, oldest first.
    pub async fn forms(&self) -> Result<Vec<Form>> {
        let slugs: Vec<(String,)> = sqlx::query_as("SELECT slug FROM forms ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        let mut forms = Vec::with_capacity(slugs.len());
        for (slug,) in slugs {
            forms.push(self.form(&slug).await?);
        }
        Ok(forms)
    }
}
