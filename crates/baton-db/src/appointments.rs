//! Appointments with decision makers, and the secret calendar feed that
//! publishes each person's appointments to their calendar program.

use crate::checks::{MAX_NAME, MAX_TEXT, Table, at_most, one_line, optional, timestamp};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::auth::{hash_token, random_hex};
use baton_core::domain::AppointmentStatus;
use serde::Serialize;

/// Length of an appointment when only its start is given.
pub const DEFAULT_MINUTES: i64 = 30;
/// Longest appointment accepted.
const MAX_MINUTES: i64 = 24 * 60;
/// How far back the calendar feed reaches, so recent history stays visible.
const FEED_HISTORY_MS: i64 = 90 * 24 * 60 * 60 * 1000;
/// Most events in one feed.
const FEED_LIMIT: i64 = 2_000;
const MINUTE_MS: i64 = 60_000;

/// A meeting with a decision maker.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Appointment {
    pub id: i64,
    /// Who meets the contact.
    pub owner_id: i64,
    /// The decision maker.
    pub contact_id: i64,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub title: String,
    pub location: Option<String>,
    pub notes: Option<String>,
    /// UTC milliseconds.
    pub starts_at: i64,
    /// UTC milliseconds.
    pub ends_at: i64,
    pub status: AppointmentStatus,
    /// Raised on every change.
    pub sequence: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What is needed to schedule an appointment.
#[derive(Debug, Clone, Default)]
pub struct NewAppointment {
    pub owner_id: i64,
    /// A contact flagged as decision maker.
    pub contact_id: i64,
    /// The contact's account when absent.
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// "Meeting with <contact>" when absent.
    pub title: Option<String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339; `minutes` after the start when absent.
    pub ends_at: Option<String>,
    /// Length when `ends_at` is absent; 30 when both are.
    pub minutes: Option<i64>,
    pub location: Option<String>,
    pub notes: Option<String>,
}

/// Changes to an appointment; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct AppointmentChange {
    pub title: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub status: Option<AppointmentStatus>,
}

/// Filters for listing appointments; empty means any.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub owner_id: Option<i64>,
    /// Starting at or after, UTC milliseconds.
    pub from: Option<i64>,
    /// Starting before, UTC milliseconds.
    pub until: Option<i64>,
    pub status: Option<AppointmentStatus>,
    /// Only those about this lead.
    pub lead_id: Option<i64>,
    /// Only those about this deal.
    pub opportunity_id: Option<i64>,
}

type AppointmentRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
);

const APPOINTMENT_SELECT: &str = "SELECT id, owner_id, contact_id, account_id, lead_id, opportunity_id,
        title, location, notes, starts_at, ends_at, status, sequence, created_by, created_at, updated_at
     FROM appointments";

fn appointment_from_row(row: AppointmentRow) -> Result<Appointment> {
    let (
        id,
        owner_id,
        contact_id,
        account_id,
        lead_id,
        opportunity_id,
        title,
        location,
        notes,
        starts_at,
        ends_at,
        status,
        sequence,
        created_by,
        created_at,
        updated_at,
    ) = row;
    Ok(Appointment {
        id,
        owner_id,
        contact_id,
        account_id,
        lead_id,
        opportunity_id,
        title,
        location,
        notes,
        starts_at,
        ends_at,
        status: status
            .parse()
            .map_err(|e| DbError::invalid("status", format!("stored value: {e}")))?,
        sequence,
        created_by,
        created_at,
        updated_at,
    })
}

/// Start and end as given, checked to be in order and of a sensible length.
fn time_span(starts_at: i64, ends_at: i64) -> Result<(i64, i64)> {
    if ends_at <= starts_at {
        return Err(DbError::invalid("ends_at", "must be after starts_at"));
    }
    if ends_at - starts_at > MAX_MINUTES * MINUTE_MS {
        return Err(DbError::invalid(
            "ends_at",
            "an appointment lasts at most 24 hours",
        ));
    }
    Ok((starts_at, ends_at))
}

/// Refuses a start already past: an appointment is booked ahead, and a
/// meeting that took place is logged as an activity.
fn not_past(starts_at: i64) -> Result<i64> {
    if starts_at < now_ms() {
        return Err(DbError::invalid(
            "starts_at",
            "is in the past: book what is still to come, and log a meeting that took place as an activity",
        ));
    }
    Ok(starts_at)
}

/// Refuses a title or place longer than a name may be, or notes longer
/// than a note.
fn bounded_texts(title: Option<&str>, location: Option<&str>, notes: Option<&str>) -> Result<()> {
    for (field, name) in [("title", title), ("location", location)] {
        let name = name.unwrap_or_default();
        at_most(field, name, MAX_NAME)?;
        one_line(field, name)?;
    }
    at_most("notes", notes.unwrap_or_default(), MAX_TEXT)
}

/// How long an appointment given in minutes may last, or why not.
pub fn checked_minutes(minutes: i64) -> Result<i64> {
    if (1..=MAX_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(DbError::invalid(
            "minutes",
            format!("must be between 1 and {MAX_MINUTES}"),
        ))
    }
}

impl Db {
    /// Refuses a contact who is not one of the people of what the meeting
    /// is about: the lead's or deal's own contact, or someone at its account
    /// (and at the account named, if one is).
    async fn ensure_among_its_people(
        &self,
        new: &NewAppointment,
        contact: &crate::contacts::Contact,
    ) -> Result<()> {
        let mut subjects = Vec::new();
        if let Some(id) = new.lead_id {
            let lead = self.lead(id).await?;
            subjects.push((format!("lead {id}"), lead.account_id, lead.contact_id));
        }
        if let Some(id) = new.opportunity_id {
            let deal = self.opportunity(id).await?;
            subjects.push((format!("deal {id}"), deal.account_id, deal.contact_id));
        }
        if let Some(id) = new.account_id {
            subjects.push((format!("account {id}"), Some(id), None));
        }
        for (subject, account, own_contact) in subjects {
            let at_its_account = account.is_some() && contact.account_id == account;
            if own_contact != Some(contact.id) && !at_its_account {
                return Err(DbError::invalid(
                    "contact_id",
                    format!(
                        "contact {} is not one of {subject}'s people: choose its contact or a decision maker at its account",
                        contact.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Schedules an appointment with a contact flagged as decision maker,
    /// one of the people of the lead, deal or account it is about.
    pub async fn create_appointment(
        &self,
        actor: Option<i64>,
        new: &NewAppointment,
    ) -> Result<Appointment> {
        let mut refusals = Refusals::default();
        let contact =
            refusals.value(self.contact(new.contact_id).await.map(Some).map_err(|_| {
                DbError::invalid(
                    "contact_id",
                    format!("there is no contact {}", new.contact_id),
                )
            }))?;
        if let Some(contact) = contact.as_ref().filter(|c| !c.decision_maker) {
            refusals.refuse(
                "contact_id",
                format!(
                    "contact {} is not flagged as a decision maker; flag them first",
                    contact.id
                ),
            );
        }
        refusals.value(
            self.ensure_active_person("owner_id", Some(new.owner_id), "cannot meet anyone")
                .await,
        )?;
        for (field, table, id) in [
            ("account_id", Table::Accounts, new.account_id),
            ("lead_id", Table::Leads, new.lead_id),
            ("opportunity_id", Table::Opportunities, new.opportunity_id),
        ] {
            refusals.value(self.ensure_exists(field, table, id).await)?;
        }
        let starts_at = refusals.value(
            timestamp("starts_at", &new.starts_at)
                .and_then(not_past)
                .map(Some),
        )?;
        let ends_at = match optional(new.ends_at.as_deref()) {
            Some(_) if new.minutes.is_some() => {
                refusals.refuse("minutes", "give either ends_at or minutes, not both");
                None
            }
            Some(text) => refusals.value(timestamp("ends_at", &text).map(Some))?,
            None => refusals
                .value(checked_minutes(new.minutes.unwrap_or(DEFAULT_MINUTES)).map(Some))?
                .and_then(|minutes| starts_at.map(|starts| starts + minutes * MINUTE_MS)),
        };
        // The span is judged once both ends are known.
        let span = match (starts_at, ends_at) {
            (Some(starts), Some(ends)) => refusals.value(time_span(starts, ends).map(Some))?,
            _ => None,
        };
        refusals.value(bounded_texts(
            new.title.as_deref(),
            new.location.as_deref(),
            new.notes.as_deref(),
        ))?;
        let (contact, (starts_at, ends_at)) = refusals.finish_with(contact.zip(span))?;
        // Judged on ids known to exist.
        self.ensure_among_its_people(new, &contact).await?;
        let who = contact
            .name
            .clone()
            .or(contact.email.clone())
            .unwrap_or_else(|| format!("contact {}", contact.id));
        let title = optional(new.title.as_deref()).unwrap_or_else(|| format!("Meeting with {who}"));
        let account_id = new.account_id.or(contact.account_id);
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO appointments (owner_id, contact_id, account_id, lead_id, opportunity_id, title,
                 location, notes, starts_at, ends_at, status, sequence, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $13) RETURNING id",
        )
        .bind(new.owner_id)
        .bind(contact.id)
        .bind(account_id)
        .bind(new.lead_id)
        .bind(new.opportunity_id)
        .bind(&title)
        .bind(optional(new.location.as_deref()))
        .bind(optional(new.notes.as_deref()))
        .bind(starts_at)
        .bind(ends_at)
        .bind(AppointmentStatus::Scheduled.as_str())
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "appointment.scheduled",
            "appointment",
            Some(id),
            &serde_json::json!({"owner_id": new.owner_id, "contact_id": contact.id, "starts_at": starts_at}),
        )
        .await?;
        tx.commit().await?;
        self.appointment(id).await
    }

    /// One appointment by id.
    pub async fn appointment(&self, id: i64) -> Result<Appointment> {
        let row: Option<AppointmentRow> =
            sqlx::query_as(&format!("{APPOINTMENT_SELECT} WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        appointment_from_row(row.ok_or_else(|| DbError::NotFound(format!("appointment {id}")))?)
    }

    /// Reschedules, renames, cancels or marks an appointment held; each
    /// change raises its sequence so calendar programs take it, and a
    /// change to nothing writes nothing.
    pub async fn change_appointment(
        &self,
        actor: Option<i64>,
        id: i64,
        change: &AppointmentChange,
    ) -> Result<Appointment> {
        let current = self.appointment(id).await?;
        let starts_at = match optional(change.starts_at.as_deref()) {
            Some(text) => not_past(timestamp("starts_at", &text)?)?,
            None => current.starts_at,
        };
        let ends_at = match optional(change.ends_at.as_deref()) {
            Some(text) => timestamp("ends_at", &text)?,
            // Moving the start keeps the length.
            None => starts_at + (current.ends_at - current.starts_at),
        };
        let (starts_at, ends_at) = time_span(starts_at, ends_at)?;
        bounded_texts(
            change.title.as_deref(),
            change.location.as_deref(),
            change.notes.as_deref(),
        )?;
        let title = match change.title.as_deref() {
            Some(title) => optional(Some(title))
                .ok_or_else(|| DbError::invalid("title", "must not be empty"))?,
            None => current.title.clone(),
        };
        let location = match change.location.as_deref() {
            Some(location) => optional(Some(location)),
            None => current.location.clone(),
        };
        let notes = match change.notes.as_deref() {
            Some(notes) => optional(Some(notes)),
            None => current.notes.clone(),
        };
        let status = change.status.unwrap_or(current.status);
        if status == AppointmentStatus::Held && current.status != AppointmentStatus::Held {
            if current.status == AppointmentStatus::Cancelled {
                return Err(DbError::invalid(
                    "status",
                    "a cancelled meeting was not held; schedule it again first",
                ));
            }
            if starts_at > now_ms() {
                return Err(DbError::invalid(
                    "status",
                    "a meeting cannot be held before it starts",
                ));
            }
        }
        let unchanged = (&title, &location, &notes, starts_at, ends_at, status)
            == (
                &current.title,
                &current.location,
                &current.notes,
                current.starts_at,
                current.ends_at,
                current.status,
            );
        if unchanged {
            // Nothing to tell calendars: the sequence stays.
            return Ok(current);
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE appointments SET title = $1, location = $2, notes = $3, starts_at = $4,
                 ends_at = $5, status = $6, sequence = sequence + 1, updated_at = $7
             WHERE id = $8",
        )
        .bind(&title)
        .bind(&location)
        .bind(&notes)
        .bind(starts_at)
        .bind(ends_at)
        .bind(status.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "appointment.changed",
            "appointment",
            Some(id),
            &serde_json::json!({"status": status.as_str(), "starts_at": starts_at, "ends_at": ends_at}),
        )
        .await?;
        tx.commit().await?;
        self.appointment(id).await
    }

    /// Appointments after the cursor `after` (an id) matching the filter, by
    /// start time.
    pub async fn appointments(
        &self,
        filter: &AppointmentFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Appointment>> {
        let rows: Vec<AppointmentRow> = sqlx::query_as(&format!(
            "{APPOINTMENT_SELECT} WHERE id > $1
               AND ($2 = 0 OR owner_id = $2)
               AND starts_at >= $3 AND starts_at < $4
               AND ($5 = '' OR status = $5)
               AND ($6 = 0 OR lead_id = $6)
               AND ($7 = 0 OR opportunity_id = $7)
             ORDER BY id LIMIT $8"
        ))
        .bind(after)
        .bind(filter.owner_id.unwrap_or(0))
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.status.map(|s| s.as_str()).unwrap_or_default())
        .bind(filter.lead_id.unwrap_or(0))
        .bind(filter.opportunity_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(appointment_from_row).collect()
    }

    /// Gives `user_id` a new secret calendar feed token, replacing (and so
    /// revoking) any earlier one. The token is returned once and stored hashed.
    pub async fn renew_calendar_feed(&self, actor: Option<i64>, user_id: i64) -> Result<String> {
        self.ensure_exists("user_id", Table::Users, Some(user_id))
            .await?;
        let token = random_hex(24);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE
                 SET token_hash = excluded.token_hash, created_at = excluded.created_at",
        )
        .bind(user_id)
        .bind(hash_token(&token))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "calendar_feed.renewed",
            "user",
            Some(user_id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The feed behind a secret token: the owner's name and their
    /// appointments from 90 days ago on, cancelled ones included so calendar
    /// programs remove them. `None` for a token that is not (or no longer) valid.
    pub async fn calendar_feed(&self, token: &str) -> Result<Option<(String, Vec<Appointment>)>> {
        let owner: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.name, u.active FROM calendar_feeds f JOIN users u ON u.id = f.user_id
             WHERE f.token_hash = $1",
        )
        .bind(hash_token(token))
        .fetch_optional(self.reader())
        .await?;
        // A person who left loses their feed with their account.
        let Some((user_id, name, _)) = owner.filter(|(_, _, active)| *active != 0) else {
            return Ok(None);
        };
        let rows: Vec<AppointmentRow> = sqlx::query_as(&format!(
            "{APPOINTMENT_SELECT} WHERE owner_id = $1 AND starts_at >= $2
             ORDER BY starts_at, id LIMIT $3"
        ))
        .bind(user_id)
        .bind(now_ms() - FEED_HISTORY_MS)
        .bind(FEED_LIMIT)
        .fetch_all(self.reader())
        .await?;
        let appointments = rows
            .into_iter()
            .map(appointment_from_row)
            .collect::<Result<_>>()?;
        Ok(Some((name, appointments)))
    }
}
