//! Activities over the API: logging work and listing it.

use super::{JsonBody, Page, PageParams, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::activities::{Activity, ActivityFilter, NewActivity};
use jiff::civil::Date;
use serde::Deserialize;

/// The activity routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/activities", get(list).post(create))
}

/// Filters for the activity list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Who did it: a user id, or `me`; others than yourself for owners and managers only.
    pub user: Option<String>,
    /// Activity type slug.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_slug: Option<String>,
    /// First day, `YYYY-MM-DD`, in the organisation's time zone like every report.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: Option<String>,
}

/// The start of `day` in `zone`, in milliseconds; `field` names it in errors.
fn start_of(field: &str, day: Date, zone: &jiff::tz::TimeZone) -> Result<i64, ApiError> {
    day.to_zoned(zone.clone())
        .map(|t| t.timestamp().as_millisecond())
        .map_err(|e| ApiError::field(field, e.to_string()))
}

/// List activities in the order they were logged. Owners and managers see
/// everyone's; everyone else their own.
#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivityQuery, PageParams),
    responses((status = 200, body = Page<Activity>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ActivityQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Activity>>, ApiError> {
    let asked = params::person(&caller, "user", query.user.as_deref())?;
    let (from, to) = params::days(query.from.as_deref(), query.to.as_deref())?;
    let zone = state.db.time_zone().await?;
    let until = to
        .map(|to| {
            let next = to
                .tomorrow()
                .map_err(|e| ApiError::field("to", e.to_string()))?;
            start_of("to", next, &zone)
        })
        .transpose()?;
    let type_slug = query
        .type_slug
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(slug) = &type_slug {
        state.db.known_activity_type(slug).await?;
    }
    let filter = ActivityFilter {
        user_id: params::own_unless_manager(&caller, asked, "activities")?,
        type_slug,
        from: from.map(|d| start_of("from", d, &zone)).transpose()?,
        until,
        lead_id: None,
    };
    let (after, limit) = page.parse()?;
    let items = state.db.activities(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |a: &Activity| a.id)))
}

/// An activity to log.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityIn {
    /// An activity type slug of the charter in force.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub type_slug: String,
    /// RFC 3339, like 2026-07-31T14:30:00Z; now when absent.
    pub occurred_at: Option<String>,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    /// Who did it: the caller when absent; someone else for owners and managers only.
    pub user_id: Option<i64>,
}

/// Refuses a lead or deal the caller may not see: work is logged and
/// scheduled only against the caller's own (any, for owners and managers).
pub(super) async fn ensure_visible_subjects(
    state: &AppState,
    caller: &Caller,
    lead: Option<i64>,
    opportunity: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(lead) = lead {
        super::leads::visible_lead(state, caller, lead)
            .await
            .map_err(|e| e.named_if_missing("lead_id"))?;
    }
    if let Some(opportunity) = opportunity {
        super::opportunities::visible(state, caller, opportunity)
            .await
            .map_err(|e| e.named_if_missing("opportunity_id"))?;
    }
    Ok(())
}

/// Log an activity about a contact, account, lead or opportunity.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityIn,
    responses((status = 201, body = Activity), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<ActivityIn>,
) -> Result<(StatusCode, Json<Activity>), ApiError> {
    let input = input.read()?;
    let user_id = input.user_id.unwrap_or(caller.id());
    if user_id != caller.id() {
        caller.require(&[Role::Manager], "log activities for someone else")?;
    }
    ensure_visible_subjects(&state, &caller, input.lead_id, input.opportunity_id).await?;
    let activity = state
        .db
        .create_activity(
            Some(caller.id()),
            &NewActivity {
                type_slug: input.type_slug,
                user_id,
                occurred_at: input.occurred_at,
                contact_id: input.contact_id,
                account_id: input.account_id,
                lead_id: input.lead_id,
                opportunity_id: input.opportunity_id,
                outcome: input.outcome,
                notes: input.notes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(activity)))
}
