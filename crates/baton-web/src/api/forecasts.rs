//! Forecasts over the API: submitting a new version, reading the versions
//! and each version's lines against their actuals.

use super::{JsonBody, Page, PageParams, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastKind, Role};
use baton_db::forecasts::{Forecast, ForecastFilter, NewForecast, NewForecastLine};
use baton_db::reports::LineActual;
use baton_db::users::User;
use serde::Deserialize;

/// The forecast routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/forecasts", get(list).post(submit))
        .route("/api/v1/forecasts/{id}", get(show))
        .route("/api/v1/forecasts/{id}/actuals", get(actuals))
}

/// A forecast submission.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastIn {
    /// revenue (sales) or leads (marketing).
    pub kind: ForecastKind,
    /// Like `2026-Q3`.
    pub quarter: String,
    /// Whose forecast: the caller when absent; a manager may submit for
    /// their team, an owner for anyone.
    pub user_id: Option<i64>,
    pub note: Option<String>,
    pub lines: Vec<NewForecastLine>,
}

fn quarter(value: &str) -> Result<Quarter, ApiError> {
    Quarter::parse(value).map_err(|e| ApiError::field("quarter", e))
}

/// How many quarters past the current one may be forecast: two years.
const QUARTERS_AHEAD: usize = 8;

/// Refuses a quarter that has ended (its actuals are known: a forecast for
/// it would be judged against what it already saw) or lies beyond
/// [`QUARTERS_AHEAD`], which is a typo rather than a plan.
pub(crate) fn forecastable(quarter: Quarter, today: jiff::civil::Date) -> Result<Quarter, String> {
    let current = Quarter::containing(today);
    let last = std::iter::successors(Some(current), |q| Some(q.next()))
        .nth(QUARTERS_AHEAD)
        .unwrap_or(current);
    if quarter < current {
        Err(format!(
            "{quarter} has ended: forecast {current} or a later quarter"
        ))
    } else if quarter > last {
        Err(format!(
            "{quarter} is more than two years ahead: forecast up to {last}"
        ))
    } else {
        Ok(quarter)
    }
}

/// The person whose forecast the caller submits: themselves; as a manager,
/// someone they manage or who shares their team; as an owner, anyone.
async fn forecaster(
    state: &AppState,
    caller: &Caller,
    user_id: Option<i64>,
) -> Result<User, ApiError> {
    let Some(user_id) = user_id.filter(|id| *id != caller.id()) else {
        return Ok(caller.0.clone());
    };
    caller.require(&[Role::Manager], "submit forecasts for someone else")?;
    let person = state
        .db
        .user(user_id)
        .await
        .map_err(|_| ApiError::field("user_id", format!("there is no user {user_id}")))?;
    let same_team = person.team_id.is_some() && person.team_id == caller.0.team_id;
    if caller.role() == Role::Owner || same_team || person.manager_id == Some(caller.id()) {
        Ok(person)
    } else {
        Err(ApiError::Forbidden(format!(
            "{} is not in your team; a manager submits forecasts for their own team",
            person.email
        )))
    }
}

/// Submit a forecast: a new, immutable version for the person, kind and
/// quarter. Hunters and farmers forecast revenue, marketers leads, managers
/// and owners either.
#[utoipa::path(post, path = "/api/v1/forecasts", tag = "forecasts", request_body = ForecastIn,
    responses((status = 201, body = Forecast), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<ForecastIn>,
) -> Result<(StatusCode, Json<Forecast>), ApiError> {
    let input = input.read()?;
    let kind = input.kind;
    caller.require(kind.submitters(), &format!("submit {kind} forecasts"))?;
    let quarter = forecastable(quarter(&input.quarter)?, state.db.today().await?)
        .map_err(|reason| ApiError::field("quarter", reason))?;
    let person = forecaster(&state, &caller, input.user_id).await?;
    if !kind.submitters().contains(&person.role) {
        return Err(ApiError::field(
            "user_id",
            format!("{} does not forecast {kind}", person.role.a_person(false)),
        ));
    }
    // A line's actual is its deal's revenue: only deals the caller may see.
    for (index, line) in input.lines.iter().enumerate() {
        if let Some(deal) = line.opportunity_id {
            super::opportunities::visible(&state, &caller, deal)
                .await
                .map_err(|e| e.named_if_missing(&format!("lines[{index}].opportunity_id")))?;
        }
    }
    let forecast = state
        .db
        .submit_forecast(&NewForecast {
            user_id: person.id,
            submitted_by: caller.id(),
            kind,
            quarter,
            note: input.note,
            lines: input.lines,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(forecast)))
}

/// Filters for the forecast list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Whose forecasts: a user id, or `me`; others than yourself for owners and managers only.
    pub user: Option<String>,
    /// Like `2026-Q3`.
    pub quarter: Option<String>,
    /// revenue or leads.
    pub kind: Option<String>,
}

/// List forecast versions with their lines and totals, newest first.
#[utoipa::path(get, path = "/api/v1/forecasts", tag = "forecasts", params(ForecastQuery, PageParams),
    responses((status = 200, body = Page<Forecast>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ForecastQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Forecast>>, ApiError> {
    let asked = params::person(&caller, "user", query.user.as_deref())?;
    let filter = ForecastFilter {
        user_id: params::own_unless_manager(&caller, asked, "forecasts")?,
        quarter: query
            .quarter
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(quarter)
            .transpose()?,
        kind: params::one_of("kind", query.kind.as_deref())?,
    };
    let (before, limit) = page.parse()?;
    let items = state.db.forecasts(&filter, before, limit).await?;
    Ok(Json(Page::new(items, limit, |f: &Forecast| f.id)))
}

/// Read one forecast version.
#[utoipa::path(get, path = "/api/v1/forecasts/{id}", tag = "forecasts",
    params(("id" = i64, Path, description = "Forecast id")),
    responses((status = 200, body = Forecast), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Forecast>, ApiError> {
    Ok(Json(visible_forecast(&state, &caller, id).await?))
}

/// Forecast `id`, if the caller may read it: owners and managers any,
/// everyone else their own.
async fn visible_forecast(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Forecast, ApiError> {
    let forecast = state.db.forecast(id).await?;
    if caller.sees_everything() || forecast.user_id == caller.id() {
        Ok(forecast)
    } else {
        Err(ApiError::Forbidden(format!(
            "forecast {id} is someone else's; a {} sees only their own",
            caller.role()
        )))
    }
}

/// Each line of a forecast version against what the data shows in its
/// quarter: revenue won from the deal or account a line names (from the
/// forecaster's own deals, unless they are a manager or owner); leads, MQLs
/// and revenue from the campaign or channel a lead line names.
#[utoipa::path(get, path = "/api/v1/forecasts/{id}/actuals", tag = "forecasts",
    params(("id" = i64, Path, description = "Forecast id")),
    responses((status = 200, body = Vec<LineActual>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn actuals(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<LineActual>>, ApiError> {
    let forecast = visible_forecast(&state, &caller, id).await?;
    Ok(Json(state.db.forecast_line_actuals(&forecast).await?))
}
