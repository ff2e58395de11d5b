//! Scheduling an appointment with a decision maker, from the lead page and
//! the opportunity page: which decision maker, when (in the organisation's
//! time zone), for how long, and who meets them. People schedule their own
//! appointments; managers anyone's.

use super::{Field, Viewer, place_errors};
use crate::AppState;
use baton_core::calendar::parse_local_time;
use baton_core::inquiry::FieldError;
use baton_db::DbError;
use baton_db::appointments::{Appointment, AppointmentFilter, NewAppointment};
use baton_db::contacts::ContactFilter;
use serde::Deserialize;

/// Decision makers offered at most: an account with more is listed by its first ones.
const CONTACTS_SHOWN: i64 = 200;
/// The length of an appointment unless another is given.
const DEFAULT_MINUTES: &str = "30";

/// The appointment form as typed.
#[derive(Deserialize, Default)]
pub struct AppointmentForm {
    pub csrf: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    owner_id: String,
}

/// What an appointment is about: the lead or deal and its account and contact.
pub struct Subject {
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
}

impl Subject {
    /// Where its decision makers are flagged: the contact's page, else
    /// the account's contacts, else every contact.
    pub fn decision_makers_page(&self) -> String {
        match (self.contact_id, self.account_id) {
            (Some(contact), _) => format!("/contacts/{contact}"),
            (None, Some(account)) => format!("/contacts?account={account}"),
            (None, None) => "/contacts".to_string(),
        }
    }
}

/// Most appointments listed on a lead's or a deal's page.
const BOOKED_SHOWN: i64 = 50;

/// The appointments about `subject`'s deal (or, without one, its lead),
/// soonest first, as (when, what, status).
pub async fn booked(
    state: &AppState,
    viewer: &Viewer,
    subject: &Subject,
) -> baton_db::Result<Vec<(String, String, String)>> {
    // As over the API: one's own appointments, managers everyone's.
    let filter = AppointmentFilter {
        owner_id: viewer.limited_to(),
        opportunity_id: subject.opportunity_id,
        lead_id: subject
            .opportunity_id
            .is_none()
            .then_some(subject.lead_id)
            .flatten(),
        ..Default::default()
    };
    if filter.opportunity_id.is_none() && filter.lead_id.is_none() {
        return Ok(Vec::new());
    }
    let mut booked = state.db.appointments(&filter, 0, BOOKED_SHOWN).await?;
    booked.sort_by_key(|a| a.starts_at);
    Ok(booked
        .into_iter()
        .map(|a| (viewer.when(a.starts_at), a.title, a.status.to_string()))
        .collect())
}

/// The form's fields, with a refused form's values and problem; empty when
/// no decision maker is known to meet.
pub async fn fields(
    state: &AppState,
    viewer: &Viewer,
    subject: &Subject,
    refused: Option<(AppointmentForm, Vec<FieldError>)>,
) -> baton_db::Result<Vec<Field>> {
    let mut contacts = match subject.account_id {
        Some(account) => {
            let filter = ContactFilter {
                account_id: Some(account),
                email: None,
            };
            state.db.contacts(&filter, 0, CONTACTS_SHOWN).await?
        }
        None => Vec::new(),
    };
    if let Some(id) = subject
        .contact_id
        .filter(|id| !contacts.iter().any(|c| c.id == *id))
    {
        contacts.push(state.db.contact(id).await?);
    }
    let decision_makers: Vec<(String, String)> = contacts
        .into_iter()
        .filter(|c| c.decision_maker)
        .map(|c| {
            let name = c
                .name
                .or(c.email)
                .unwrap_or_else(|| format!("contact {}", c.id));
            let title = c.title.map(|t| format!(", {t}")).unwrap_or_default();
            (c.id.to_string(), format!("{name}{title}"))
        })
        .collect();
    if decision_makers.is_empty() {
        return Ok(Vec::new());
    }
    let owners: Vec<(String, String)> = if viewer.role().is_manager() {
        state
            .db
            .users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.role)))
            .collect()
    } else {
        vec![(viewer.id().to_string(), viewer.session.user.name.clone())]
    };
    let typed = refused.as_ref().map(|(form, _)| form);
    let me = viewer.id().to_string();
    let mut fields = vec![
        Field::choice(
            "contact_id",
            "Decision maker",
            decision_makers,
            typed.map_or("", |f| f.contact_id.as_str()),
        ),
        Field::input(
            "starts_at",
            "When",
            "datetime-local",
            typed.map_or("", |f| f.starts_at.as_str()),
        ),
        Field::input(
            "minutes",
            "Minutes",
            "number",
            typed.map_or(DEFAULT_MINUTES, |f| f.minutes.as_str()),
        ),
        Field::choice(
            "owner_id",
            "Who meets them",
            owners,
            typed.map_or(me.as_str(), |f| f.owner_id.as_str()),
        ),
    ];
    if let Some((_, problems)) = refused {
        place_errors(&mut fields, problems);
    }
    Ok(fields)
}

/// A number the form requires in `field`.
fn number(field: &str, text: &str, what: &str) -> baton_db::Result<i64> {
    text.trim()
        .parse()
        .map_err(|_| DbError::invalid(field, format!("choose {what}")))
}

/// Schedules the appointment the form describes about `subject`.
pub async fn schedule(
    state: &AppState,
    viewer: &Viewer,
    subject: &Subject,
    form: &AppointmentForm,
) -> baton_db::Result<Appointment> {
    let contact_id = number("contact_id", &form.contact_id, "the decision maker");
    let owner_id = number("owner_id", &form.owner_id, "who meets them").and_then(|owner| {
        if owner != viewer.id() && !viewer.role().is_manager() {
            return Err(DbError::invalid(
                "owner_id",
                "only managers schedule appointments for someone else",
            ));
        }
        Ok(owner)
    });
    // The form gives a wall-clock time: it is read in the organisation's
    // zone, which the session brought along and the pages show times in.
    let zone = &viewer.session.time_zone;
    let starts_at = match form.starts_at.trim() {
        "" => Err(DbError::invalid("starts_at", "give a day and a time")),
        raw => parse_local_time(raw, zone).map_err(|e| DbError::invalid("starts_at", e)),
    };
    let minutes = number("minutes", &form.minutes, "how many minutes it lasts")
        .and_then(baton_db::appointments::checked_minutes);
    let (contact_id, owner_id, starts_at, minutes) =
        match (contact_id, owner_id, starts_at, minutes) {
            (Ok(contact), Ok(owner), Ok(starts), Ok(minutes)) => (contact, owner, starts, minutes),
            (contact, owner, starts, minutes) => {
                let mut problems = Vec::new();
                for refused in [contact.err(), owner.err(), starts.err(), minutes.err()]
                    .into_iter()
                    .flatten()
                {
                    problems.extend(refused.field_problems()?);
                }
                return Err(DbError::InvalidFields(problems));
            }
        };
    state
        .db
        .create_appointment(
            Some(viewer.id()),
            &NewAppointment {
                owner_id,
                contact_id,
                account_id: subject.account_id,
                lead_id: subject.lead_id,
                opportunity_id: subject.opportunity_id,
                starts_at: starts_at.timestamp().to_string(),
                minutes: Some(minutes),
                ..Default::default()
            },
        )
        .await
}
