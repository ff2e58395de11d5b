//! Call sheets over the API: generating a day's or week's calls, marking
//! them done with an outcome, and completion by person and week.

use super::{JsonBody, Page, PageParams, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::domain::{Role, SheetPeriod};
use baton_db::call_sheets::{
    CallLine, CallOutcome, CallSheet, CallSheetFilter, CallSheetSummary, CompletionReport, Made,
};
use serde::Deserialize;

/// The call sheet routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/call-sheets", get(list).post(generate))
        .route("/api/v1/call-sheets/{id}", get(one))
        .route("/api/v1/call-sheets/{id}/lines/{line}/done", post(complete))
        .route("/api/v1/reports/call-sheet-completion", get(completion))
}

/// A sheet to make.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSheetIn {
    /// `day` or `week`.
    pub period: SheetPeriod,
    /// A day the sheet covers, `YYYY-MM-DD`; today (organisation time) when absent.
    pub date: Option<String>,
    /// Whose sheet: the caller when absent; someone else for owners and managers only.
    pub user_id: Option<i64>,
}

/// Make (or refresh) a call sheet: open work items by SLA due time, then
/// deals and leads by score, value and time since the last touch. Lines
/// already done stay. 201 for a new sheet, 200 for one refreshed.
#[utoipa::path(post, path = "/api/v1/call-sheets", tag = "call sheets", request_body = CallSheetIn,
    responses((status = 201, body = CallSheet), (status = 200, body = CallSheet, description = "The sheet there was, refreshed"),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn generate(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<CallSheetIn>,
) -> Result<(StatusCode, Json<CallSheet>), ApiError> {
    let input = input.read()?;
    let user_id = input.user_id.unwrap_or(caller.id());
    if user_id != caller.id() {
        caller.require(&[Role::Manager], "make call sheets for someone else")?;
    }
    let date = match params::day("date", input.date.as_deref())? {
        Some(date) => date,
        None => state.db.today().await?,
    };
    let (sheet, made) = state
        .db
        .generate_call_sheet(Some(caller.id()), user_id, input.period, date)
        .await?;
    let status = match made {
        Made::New => StatusCode::CREATED,
        Made::Refreshed => StatusCode::OK,
    };
    Ok((status, Json(sheet)))
}

/// Filters for the sheet list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallSheetQuery {
    /// Whose sheets: a user id, or `me`; others than yourself for owners and managers only.
    pub user: Option<String>,
    /// `day` or `week`.
    pub period: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: Option<String>,
}

/// List call sheets with their counts of lines and lines done.
#[utoipa::path(get, path = "/api/v1/call-sheets", tag = "call sheets",
    params(CallSheetQuery, PageParams),
    responses((status = 200, body = Page<CallSheetSummary>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CallSheetQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<CallSheetSummary>>, ApiError> {
    let asked = params::person(&caller, "user", query.user.as_deref())?;
    let (from, to) = params::days(query.from.as_deref(), query.to.as_deref())?;
    let filter = CallSheetFilter {
        user_id: params::own_unless_manager(&caller, asked, "call sheets")?,
        period: params::one_of("period", query.period.as_deref())?,
        from,
        to,
    };
    let (after, limit) = page.parse()?;
    let items = state.db.call_sheets(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |s: &CallSheetSummary| s.id)))
}

/// The sheet `id` if the caller may see it: their own, or anyone's for
/// owners and managers.
pub async fn visible_sheet(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<CallSheet, ApiError> {
    let sheet = state.db.call_sheet(id).await?;
    params::own_unless_manager(caller, Some(sheet.user_id), "call sheets")?;
    Ok(sheet)
}

/// One call sheet with its lines in order.
#[utoipa::path(get, path = "/api/v1/call-sheets/{id}", tag = "call sheets",
    params(("id" = i64, Path, description = "Call sheet id")),
    responses((status = 200, body = CallSheet), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<CallSheet>, ApiError> {
    Ok(Json(visible_sheet(&state, &caller, id).await?))
}

/// How a call went.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallOutcomeIn {
    /// What happened, e.g. "left a message" or "meeting booked".
    pub outcome: String,
    /// An activity type of the charter; `call` when absent.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub type_slug: Option<String>,
    pub notes: Option<String>,
}

/// Mark a line done; the activity is logged with its outcome.
#[utoipa::path(post, path = "/api/v1/call-sheets/{id}/lines/{line}/done", tag = "call sheets",
    params(("id" = i64, Path, description = "Call sheet id"), ("line" = i64, Path, description = "Line id")),
    request_body = CallOutcomeIn,
    responses((status = 200, body = CallLine), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, line)): Path<(i64, i64)>,
    input: JsonBody<CallOutcomeIn>,
) -> Result<Json<CallLine>, ApiError> {
    let input = input.read()?;
    let sheet = visible_sheet(&state, &caller, id).await?;
    let line = state
        .db
        .complete_call_line(
            Some(caller.id()),
            &sheet,
            line,
            &CallOutcome {
                outcome: input.outcome,
                type_slug: input.type_slug,
                notes: input.notes,
            },
        )
        .await?;
    Ok(Json(line))
}

/// Weeks to report on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletionQuery {
    /// First day, `YYYY-MM-DD`; its week is included. Four weeks ago when absent.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, included. Today when absent.
    pub to: Option<String>,
    /// One person: a user id, or `me`; others than yourself for owners and managers only.
    pub user: Option<String>,
}

/// Lines and lines done per person and week; managers see everyone, others themselves.
#[utoipa::path(get, path = "/api/v1/reports/call-sheet-completion", tag = "call sheets",
    params(CompletionQuery),
    responses((status = 200, body = CompletionReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn completion(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CompletionQuery>,
) -> Result<Json<CompletionReport>, ApiError> {
    let asked = params::person(&caller, "user", query.user.as_deref())?;
    let user_id = params::own_unless_manager(&caller, asked, "call sheet completion")?;
    let to = match params::day("to", query.to.as_deref())? {
        Some(to) => to,
        None => state.db.today().await?,
    };
    let from = match params::day("from", query.from.as_deref())? {
        Some(from) => from,
        None => to
            .checked_sub(jiff::Span::new().weeks(4))
            .map_err(|e| ApiError::field("to", e.to_string()))?,
    };
    Ok(Json(
        state.db.call_sheet_completion(from, to, user_id).await?,
    ))
}
