//! Activities: the calls, e-mails, meetings and other work people log, each
//! typed by the charter so focus reports can tell whose job it was.

use crate::checks::{MAX_TEXT, Table, at_most, optional, timestamp};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::now_ms;
use crate::users::audit_in;
use serde::Serialize;

/// A piece of work someone did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub id: i64,
    /// Activity type slug of the charter.
    #[serde(rename = "type")]
    pub type_slug: String,
    pub user_id: i64,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub occurred_at: i64,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    /// Who logged it, when not the person it is credited to (a manager
    /// marking a call done on a rep's sheet).
    pub recorded_by: Option<i64>,
}

/// What is needed to log an activity: its type and what it was about.
#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    pub type_slug: String,
    pub user_id: i64,
    /// RFC 3339; now when absent.
    pub occurred_at: Option<String>,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
}

/// Filters for listing activities; empty means any.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub user_id: Option<i64>,
    pub type_slug: Option<String>,
    /// Occurred at or after, UTC milliseconds.
    pub from: Option<i64>,
    /// Occurred before, UTC milliseconds.
    pub until: Option<i64>,
    /// Only the activities about this lead.
    pub lead_id: Option<i64>,
}

type ActivityRow = (
    i64,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

const ACTIVITY_SELECT: &str =
    "SELECT id, type_slug, user_id, contact_id, account_id, lead_id, opportunity_id, occurred_at,
        outcome, notes, created_at, recorded_by
     FROM activities";

fn activity_from_row(row: ActivityRow) -> Activity {
    let (
        id,
        type_slug,
        user_id,
        contact_id,
        account_id,
        lead_id,
        opportunity_id,
        occurred_at,
        outcome,
        notes,
        created_at,
        recorded_by,
    ) = row;
    Activity {
        id,
        type_slug,
        user_id,
        contact_id,
        account_id,
        lead_id,
        opportunity_id,
        occurred_at,
        outcome,
        notes,
        created_at,
        recorded_by,
    }
}

/// An activity whose type and references were checked, ready to insert.
pub(crate) struct CheckedActivity<'a> {
    new: &'a NewActivity,
    occurred_at: i64,
}

/// Inserts a checked activity within `conn`'s transaction and records it in
/// the audit log; returns its id.
pub(crate) async fn insert_activity_in(
    conn: &mut sqlx::AnyConnection,
    actor: Option<i64>,
    checked: &CheckedActivity<'_>,
) -> Result<i64> {
    let new = checked.new;
    let type_slug = new.type_slug.trim();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO activities (type_slug, user_id, contact_id, account_id, lead_id, opportunity_id,
             occurred_at, outcome, notes, created_at, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(type_slug)
    .bind(new.user_id)
    .bind(new.contact_id)
    .bind(new.account_id)
    .bind(new.lead_id)
    .bind(new.opportunity_id)
    .bind(checked.occurred_at)
    .bind(optional(new.outcome.as_deref()))
    .bind(optional(new.notes.as_deref()))
    .bind(now_ms())
    .bind(actor.filter(|actor| *actor != new.user_id))
    .fetch_one(&mut *conn)
    .await?;
    audit_in(
        &mut *conn,
        actor,
        "activity.logged",
        "activity",
        Some(id),
        &serde_json::json!({"type": type_slug, "user_id": new.user_id}),
    )
    .await?;
    Ok(id)
}

/// How far ahead of this server's clock a logged time may be: another
/// machine's clock may run a little fast.
const CLOCK_SKEW_MS: i64 = 60 * 60 * 1000;

impl Db {
    /// Logs an activity of a type the charter in force has, about at least
    /// one contact, account, lead or opportunity.
    pub async fn create_activity(&self, actor: Option<i64>, new: &NewActivity) -> Result<Activity> {
        let checked = self.check_activity(new).await?;
        let mut tx = self.begin_write().await?;
        let id = insert_activity_in(&mut tx, actor, &checked).await?;
        tx.commit().await?;
        self.activity(id).await
    }

    /// Checks what `new` names: a type of the charter in force, something it
    /// was about, a readable time, and rows that exist.
    pub(crate) async fn check_activity<'a>(
        &self,
        new: &'a NewActivity,
    ) -> Result<CheckedActivity<'a>> {
        let mut refusals = Refusals::default();
        refusals.value(self.current_activity_type(new.type_slug.trim()).await)?;
        if new.contact_id.is_none()
            && new.account_id.is_none()
            && new.lead_id.is_none()
            && new.opportunity_id.is_none()
        {
            refusals.refuse(
                "contact_id",
                "say what the activity was about: a contact_id, account_id, lead_id or opportunity_id",
            );
        }
        refusals.value(at_most(
            "outcome",
            new.outcome.as_deref().unwrap_or(""),
            MAX_TEXT,
        ))?;
        refusals.value(at_most(
            "notes",
            new.notes.as_deref().unwrap_or(""),
            MAX_TEXT,
        ))?;
        let now = now_ms();
        let occurred_at = match optional(new.occurred_at.as_deref()) {
            Some(text) => refusals.value(timestamp("occurred_at", &text))?,
            None => now,
        };
        if occurred_at > now + CLOCK_SKEW_MS {
            refusals.refuse(
                "occurred_at",
                "is in the future: log work once it is done, and book what is planned as an appointment",
            );
        }
        let mut subjects = Refusals::default();
        for (field, table, id) in [
            ("user_id", Table::Users, Some(new.user_id)),
            ("contact_id", Table::Contacts, new.contact_id),
            ("account_id", Table::Accounts, new.account_id),
            ("lead_id", Table::Leads, new.lead_id),
            ("opportunity_id", Table::Opportunities, new.opportunity_id),
        ] {
            subjects.value(self.ensure_exists(field, table, id).await)?;
        }
        // Whether the subjects agree can be asked only of subjects that exist.
        if subjects.is_empty() {
            refusals.value(self.ensure_subjects_agree(new).await)?;
        }
        refusals.extend(subjects);
        refusals.finish()?;
        Ok(CheckedActivity { new, occurred_at })
    }

    /// Refuses subjects that disagree with the most specific one (an
    /// opportunity, else a lead, else a contact): the contact, account and
    /// lead it belongs to must be the ones given with it, so the activity
    /// counts for one customer in every report.
    async fn ensure_subjects_agree(&self, new: &NewActivity) -> Result<()> {
        // The subject's (contact, account, lead).
        type Links = (Option<i64>, Option<i64>, Option<i64>);
        let (subject, id, links): (&str, i64, Links) = if let Some(id) = new.opportunity_id {
            let links = sqlx::query_as(
                "SELECT contact_id, account_id, lead_id FROM opportunities WHERE id = $1",
            )
            .bind(id)
            .fetch_one(self.reader())
            .await?;
            ("opportunity", id, links)
        } else if let Some(id) = new.lead_id {
            let (contact, account): (Option<i64>, Option<i64>) =
                sqlx::query_as("SELECT contact_id, account_id FROM leads WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.reader())
                    .await?;
            ("lead", id, (contact, account, None))
        } else if let Some(id) = new.contact_id {
            let (account,): (Option<i64>,) =
                sqlx::query_as("SELECT account_id FROM contacts WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.reader())
                    .await?;
            ("contact", id, (None, account, None))
        } else {
            return Ok(());
        };
        let (contact, account, lead) = links;
        for (field, noun, given, linked) in [
            ("contact_id", "contact", new.contact_id, contact),
            ("account_id", "account", new.account_id, account),
            ("lead_id", "lead", new.lead_id, lead),
        ] {
            if let (Some(given), Some(linked)) = (given, linked)
                && given != linked
            {
                return Err(DbError::invalid(
                    field,
                    format!("{subject} {id} belongs to {noun} {linked}, not {noun} {given}"),
                ));
            }
        }
        Ok(())
    }

    /// One activity by id.
    pub async fn activity(&self, id: i64) -> Result<Activity> {
        let row: Option<ActivityRow> = sqlx::query_as(&format!("{ACTIVITY_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        Ok(activity_from_row(row.ok_or_else(|| {
            DbError::NotFound(format!("activity {id}"))
        })?))
    }

    /// Activities after the cursor `after` (an id), matching the filter, in
    /// the order they were logged.
    pub async fn activities(
        &self,
        filter: &ActivityFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Activity>> {
        let rows: Vec<ActivityRow> = sqlx::query_as(&format!(
            "{ACTIVITY_SELECT} WHERE id > $1
               AND ($2 = 0 OR user_id = $2)
               AND ($3 = '' OR type_slug = $3)
               AND occurred_at >= $4 AND occurred_at < $5
               AND ($6 = 0 OR lead_id = $6)
             ORDER BY id LIMIT $7"
        ))
        .bind(after)
        .bind(filter.user_id.unwrap_or(0))
        .bind(filter.type_slug.as_deref().unwrap_or_default())
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.lead_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(activity_from_row).collect())
    }
}
