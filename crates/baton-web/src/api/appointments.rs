//! Appointments over the API: scheduling meetings with decision makers,
//! changing them, and the secret address of one's calendar feed.

use super::{JsonBody, Page, PageParams, clearable, not_null, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::domain::{AppointmentStatus, Role};
use baton_db::appointments::{Appointment, AppointmentChange, AppointmentFilter, NewAppointment};
use serde::{Deserialize, Serialize};

/// The appointment routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/appointments", get(list).post(create))
        .route("/api/v1/appointments/{id}", get(one).patch(change))
        .route("/api/v1/calendar-feed", post(renew_feed))
}

/// Filters for the appointment list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// Whose appointments: a user id, or `me`; others than yourself for owners and managers only.
    pub owner: Option<String>,
    /// Starting at or after, RFC 3339.
    pub from: Option<String>,
    /// Starting before, RFC 3339.
    pub to: Option<String>,
    /// scheduled, held or cancelled.
    pub status: Option<String>,
}

/// A time named in a query, as UTC milliseconds.
fn time(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|_| {
                    ApiError::field(
                        field,
                        format!("`{v}` is not a time like 2026-07-31T14:30:00Z"),
                    )
                })
        })
        .transpose()
}

/// List appointments. Owners and managers see everyone's; everyone else their own.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments",
    params(AppointmentQuery, PageParams),
    responses((status = 200, body = Page<Appointment>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AppointmentQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Appointment>>, ApiError> {
    let asked = params::person(&caller, "owner", query.owner.as_deref())?;
    let (from, until) = (
        time("from", query.from.as_deref())?,
        time("to", query.to.as_deref())?,
    );
    if let (Some(from), Some(until)) = (from, until)
        && until < from
    {
        return Err(ApiError::field("to", "is before `from`"));
    }
    let filter = AppointmentFilter {
        owner_id: params::own_unless_manager(&caller, asked, "appointments")?,
        from,
        until,
        status: params::one_of("status", query.status.as_deref())?,
        ..Default::default()
    };
    let (after, limit) = page.parse()?;
    let items = state.db.appointments(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |a: &Appointment| a.id)))
}

/// An appointment to schedule.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentIn {
    /// A contact flagged as decision maker.
    pub contact_id: i64,
    /// RFC 3339, like 2026-07-31T14:30:00Z.
    pub starts_at: String,
    /// RFC 3339; `minutes` after the start when absent.
    pub ends_at: Option<String>,
    /// Length in minutes, instead of `ends_at` (default 30).
    pub minutes: Option<i64>,
    /// "Meeting with <contact>" when absent.
    pub title: Option<String>,
    /// The contact's account when absent.
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub location: Option<String>,
    pub notes: Option<String>,
    /// Who meets the contact: the caller when absent; someone else for owners and managers only.
    pub owner_id: Option<i64>,
}

/// Schedule an appointment with a decision maker.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = AppointmentIn,
    responses((status = 201, body = Appointment), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<AppointmentIn>,
) -> Result<(StatusCode, Json<Appointment>), ApiError> {
    let input = input.read()?;
    let owner_id = input.owner_id.unwrap_or(caller.id());
    if owner_id != caller.id() {
        caller.require(&[Role::Manager], "schedule appointments for someone else")?;
    }
    super::activities::ensure_visible_subjects(
        &state,
        &caller,
        input.lead_id,
        input.opportunity_id,
    )
    .await?;
    let appointment = state
        .db
        .create_appointment(
            Some(caller.id()),
            &NewAppointment {
                owner_id,
                contact_id: input.contact_id,
                account_id: input.account_id,
                lead_id: input.lead_id,
                opportunity_id: input.opportunity_id,
                title: input.title,
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                minutes: input.minutes,
                location: input.location,
                notes: input.notes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(appointment)))
}

/// The appointment `id` if the caller may see it: their own, or anyone's
/// for owners and managers.
async fn visible(state: &AppState, caller: &Caller, id: i64) -> Result<Appointment, ApiError> {
    let appointment = state.db.appointment(id).await?;
    params::own_unless_manager(caller, Some(appointment.owner_id), "appointments")?;
    Ok(appointment)
}

/// One appointment.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses((status = 200, body = Appointment), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Appointment>, ApiError> {
    Ok(Json(visible(&state, &caller, id).await?))
}

/// Changes to an appointment; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    /// RFC 3339; moving the start keeps the length unless `ends_at` is given.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub ends_at: Option<String>,
    /// `null` or empty text clears it.
    #[serde(default, deserialize_with = "clearable")]
    pub location: Option<String>,
    /// `null` or empty text clears it.
    #[serde(default, deserialize_with = "clearable")]
    pub notes: Option<String>,
    /// scheduled, held or cancelled.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<AppointmentStatus>,
}

/// Reschedule, rename, cancel or mark an appointment held.
#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = AppointmentPatch,
    responses((status = 200, body = Appointment), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<AppointmentPatch>,
) -> Result<Json<Appointment>, ApiError> {
    let input = input.read()?;
    visible(&state, &caller, id).await?;
    let appointment = state
        .db
        .change_appointment(
            Some(caller.id()),
            id,
            &AppointmentChange {
                title: input.title,
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                location: input.location,
                notes: input.notes,
                status: input.status,
            },
        )
        .await?;
    Ok(Json(appointment))
}

/// The secret address of a calendar feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    /// Subscribe to this address in a calendar program; anyone who has it
    /// can read the feed, so keep it private. Shown once.
    pub url: String,
}

/// Give the caller a new calendar feed address; the old one stops working.
#[utoipa::path(post, path = "/api/v1/calendar-feed", tag = "appointments",
    responses((status = 201, body = CalendarFeed)),
    security(("bearer" = [])))]
pub async fn renew_feed(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<CalendarFeed>), ApiError> {
    let token = state
        .db
        .renew_calendar_feed(Some(caller.id()), caller.id())
        .await?;
    let url = format!(
        "{}{}",
        state.options.base_url.trim_end_matches('/'),
        crate::calendar::feed_path(&token)
    );
    Ok((StatusCode::CREATED, Json(CalendarFeed { url })))
}
