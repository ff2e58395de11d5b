//! Public inquiry forms: a hosted page per form, embeddable elsewhere.

use crate::checks::{MAX_NAME, MAX_TEXT, at_most, one_line, optional, required_name};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::sql::placeholders;
use crate::users::audit_in;
use baton_core::intake::FormAttribution;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeSet, HashMap};

/// A hosted form.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Form {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub campaign: Option<String>,
    /// The source every submission is given; without one, a `source`
    /// field the page sends names it.
    pub source: Option<String>,
    pub thank_you: String,
    pub active: bool,
}

/// The columns the list of forms sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormSort {
    Name,
    Created,
    Submissions,
}

impl SortColumn for FormSort {
    const ALL: &'static [Self] = &[FormSort::Name, FormSort::Created, FormSort::Submissions];

    fn key(self) -> &'static str {
        match self {
            FormSort::Name => "name",
            FormSort::Created => "created",
            FormSort::Submissions => "submissions",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            FormSort::Name => "r.name_lower",
            FormSort::Created => "r.created_at",
            FormSort::Submissions => "r.submissions",
        }
    }
}

/// Filters of the list of forms; empty means any.
#[derive(Debug, Clone, Default)]
pub struct FormFilter {
    /// `true` for forms that take submissions, `false` for closed ones.
    pub active: Option<bool>,
    /// Words to find in the name or the address.
    pub search: String,
}

/// A form as the list shows it, with how many inquiries it brought.
#[derive(Debug, Clone, PartialEq)]
pub struct FormLine {
    pub form: Form,
    pub created_at: i64,
    pub submissions: i64,
}

/// How an inquiry's origin names the hosted form it was sent through:
/// `form:` and the form's slug.
pub const FORM_ORIGIN: &str = "form:";

// A submission is an inquiry whose origin names the form.
const FORM_LINES: &str = "SELECT f.id, f.slug, f.name, LOWER(f.name) AS name_lower,
        c.name AS campaign, f.source, f.thank_you, f.active, f.created_at,
        COALESCE(s.submissions, 0) AS submissions
     FROM forms f LEFT JOIN campaigns c ON c.id = f.campaign_id
     LEFT JOIN (SELECT origin, COUNT(*) AS submissions FROM inquiries
                WHERE origin LIKE 'form:%' GROUP BY origin) s
       ON s.origin = 'form:' || f.slug";

fn form_line(row: &AnyRow) -> Result<FormLine> {
    let active: i64 = row.try_get("active")?;
    Ok(FormLine {
        form: Form {
            id: row.try_get("id")?,
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            campaign: row.try_get("campaign")?,
            source: row.try_get("source")?,
            thank_you: row.try_get("thank_you")?,
            active: active != 0,
        },
        created_at: row.try_get("created_at")?,
        submissions: row.try_get("submissions")?,
    })
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
        type FormRow = (
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            i64,
        );
        let row: Option<FormRow> = sqlx::query_as(
            "SELECT f.id, f.slug, f.name, c.name, f.source, f.thank_you, f.active
             FROM forms f LEFT JOIN campaigns c ON c.id = f.campaign_id WHERE f.slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.reader())
        .await?;
        let (id, slug, name, campaign, source, thank_you, active) =
            row.ok_or_else(|| DbError::NotFound(format!("form {slug}")))?;
        Ok(Form {
            id,
            slug,
            name,
            campaign,
            source,
            thank_you,
            active: active != 0,
        })
    }

    /// A window of the forms as `filter` narrows them.
    pub async fn form_list(
        &self,
        filter: &FormFilter,
        window: &Window<FormSort>,
    ) -> Result<Listed<FormLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.active = ?", filter.active.map(i64::from));
        conditions.search(
            &[
                "r.name_lower LIKE ? ESCAPE '\\'",
                "r.slug LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(FORM_LINES, &conditions, window, form_line).await
    }

    /// Adds a form; the slug must be new. A source is kept in lowercase,
    /// as an inquiry's is.
    pub async fn create_form(
        &self,
        actor: Option<i64>,
        slug: &str,
        name: &str,
        thank_you: &str,
        campaign: Option<&str>,
        source: Option<&str>,
    ) -> Result<Form> {
        let mut refusals = Refusals::default();
        if !valid_slug(slug) {
            refusals.refuse("slug", "use 1 to 60 lowercase letters, digits and dashes");
        }
        let name = refusals.value(required_name("name", name, "a form needs a name"))?;
        refusals.value(at_most("thank_you", thank_you.trim(), MAX_TEXT))?;
        let source = optional(source).map(|source| source.to_ascii_lowercase());
        if let Some(source) = &source {
            refusals.value(at_most("source", source, MAX_NAME))?;
            refusals.value(one_line("source", source))?;
        }
        let campaign = campaign.map(str::trim).filter(|c| !c.is_empty());
        let campaign_id = match campaign {
            Some(campaign) => {
                let found: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM campaigns WHERE name_lower = $1")
                        .bind(campaign.to_lowercase())
                        .fetch_optional(self.reader())
                        .await?;
                if found.is_none() {
                    refusals.refuse("campaign", format!("there is no campaign “{campaign}”"));
                }
                found.map(|(id,)| id)
            }
            None => None,
        };
        refusals.finish()?;
        let thank_you = if thank_you.trim().is_empty() {
            "Thank you — we will be in touch shortly."
        } else {
            thank_you.trim()
        };
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO forms (slug, name, thank_you, active, created_at, campaign_id, source) VALUES ($1, $2, $3, 1, $4, $5, $6) RETURNING id",
        )
        .bind(slug)
        .bind(&name)
        .bind(thank_you)
        .bind(now_ms())
        .bind(campaign_id)
        .bind(&source)
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
    /// Closes a form to submissions, or opens it again; its page says it is
    /// closed meanwhile. Audited.
    pub async fn set_form_open(&self, actor: Option<i64>, id: i64, open: bool) -> Result<()> {
        let action = if open { "form.opened" } else { "form.closed" };
        crate::users::switch_active(self, "forms", id, open, actor, action).await
    }

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
impl Db {
    /// What the hosted form an inquiry from `origin` came through gives
    /// it, if it came through one that still exists.
    pub async fn form_attribution(&self, origin: &str) -> Result<Option<FormAttribution>> {
        let origin = origin.to_string();
        Ok(form_attributions_in(self.reader(), [&origin])
            .await?
            .remove(&origin))
    }
}

/// What each hosted form among `origins` (as `form:contact`) gives its
/// submissions, by origin; other origins are left out, and a form that no
/// longer exists gives nothing. No query is made when no origin is a form's.
pub(crate) async fn form_attributions_in<'e, 'o, E: sqlx::AnyExecutor<'e>>(
    executor: E,
    origins: impl IntoIterator<Item = &'o String>,
) -> Result<HashMap<String, FormAttribution>> {
    let slugs: BTreeSet<&str> = origins
        .into_iter()
        .filter_map(|origin| origin.strip_prefix(FORM_ORIGIN))
        .collect();
    if slugs.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT f.slug, c.name, f.source FROM forms f LEFT JOIN campaigns c ON c.id = f.campaign_id
         WHERE f.slug IN ({})",
        placeholders(1, slugs.len())
    );
    let mut query = sqlx::query_as::<_, (String, Option<String>, Option<String>)>(&sql);
    for slug in &slugs {
        query = query.bind(*slug);
    }
    let mut found: HashMap<String, FormAttribution> = query
        .fetch_all(executor)
        .await?
        .into_iter()
        .map(|(slug, campaign, source)| (slug, FormAttribution { campaign, source }))
        .collect();
    Ok(slugs
        .into_iter()
        .map(|slug| {
            let given = found.remove(slug).unwrap_or_default();
            (format!("{FORM_ORIGIN}{slug}"), given)
        })
        .collect())
}
