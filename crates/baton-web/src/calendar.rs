//! Calendar feeds: each person's appointments as iCalendar at a secret
//! address, for calendar programs that cannot sign in.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use baton_core::domain::AppointmentStatus;
use baton_core::ical::{self, Event};
use baton_db::appointments::Appointment;
use jiff::Timestamp;

/// The calendar feed route.
pub fn router() -> Router<AppState> {
    Router::new().route("/calendar/{file}", get(feed))
}

/// Where the feed behind `token` is served, relative to the base address.
pub fn feed_path(token: &str) -> String {
    format!("/calendar/{token}.ics")
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn event(appointment: &Appointment, installation: &str) -> Event {
    Event {
        uid: format!("appointment-{}-{installation}@baton", appointment.id),
        sequence: appointment.sequence,
        stamp: timestamp(appointment.updated_at),
        starts_at: timestamp(appointment.starts_at),
        ends_at: timestamp(appointment.ends_at),
        summary: appointment.title.clone(),
        description: appointment.notes.clone(),
        location: appointment.location.clone(),
        cancelled: appointment.status == AppointmentStatus::Cancelled,
    }
}

/// The feed for a secret token; an unknown or renewed token is answered as
/// not found, the same as any other wrong address.
async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let not_found = || ApiError::NotFound("calendar feed".into());
    let token = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let (name, appointments) = state.db.calendar_feed(token).await?.ok_or_else(not_found)?;
    // UIDs stay the same whatever address or server gives the feed.
    let installation = state.db.installation().await?;
    let events: Vec<Event> = appointments
        .iter()
        .map(|a| event(a, &installation))
        .collect();
    let body = ical::calendar(&format!("{name} — Baton appointments"), &events);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    ))
}
