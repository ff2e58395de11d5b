//! Accountability reports over the API: forecast accuracy, activity against
//! revenue, and focus, where owners and managers see everyone and anyone
//! else only their own line; and the owner's numbers, for owners and
//! managers only: the funnel with time in stage, the marketing ↔ sales
//! hand-over, lead quality and revenue against forecast.

use super::params;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use baton_core::calendar::Quarter;
use baton_core::domain::Role;
use baton_db::reports::{
    AccuracyGroup, ActivityReport, FocusReport, ForecastAccuracyReport, FunnelReport,
    HandoverReport, LeadQualityReport, OwnLines, Period, RevenuePlanReport,
};
use serde::Deserialize;

/// The report routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/forecast-accuracy", get(forecast_accuracy))
        .route(
            "/api/v1/reports/activity-vs-revenue",
            get(activity_vs_revenue),
        )
        .route("/api/v1/reports/focus", get(focus))
        .route("/api/v1/reports/funnel", get(funnel))
        .route("/api/v1/reports/handover", get(handover))
        .route("/api/v1/reports/lead-quality", get(lead_quality))
        .route(
            "/api/v1/reports/revenue-vs-forecast",
            get(revenue_vs_forecast),
        )
}

/// The whole report for owners and managers, the caller's own lines for anyone else.
fn visible<R: OwnLines>(caller: &Caller, report: R) -> R {
    if caller.sees_everything() {
        report
    } else {
        report.only_person(caller.id())
    }
}

/// Which quarter and breakdown.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccuracyQuery {
    /// Like `2026-Q3`. Read here rather than by the extractor, so that a
    /// missing one is named like any wrong value.
    #[param(required = true, nullable = false)]
    pub quarter: Option<String>,
    /// person (default), team or campaign; team and campaign for owners and
    /// managers only.
    pub group: Option<String>,
}

/// Forecast against actual for the quarter, per person, team or campaign:
/// error, accuracy, bias, the trend over the last four quarters, smoke (too
/// high two quarters in a row beyond the tolerance) and a leaderboard.
#[utoipa::path(get, path = "/api/v1/reports/forecast-accuracy", tag = "reports",
    params(AccuracyQuery),
    responses((status = 200, body = ForecastAccuracyReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn forecast_accuracy(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AccuracyQuery>,
) -> Result<Json<ForecastAccuracyReport>, ApiError> {
    let quarter = quarter(query.quarter.as_deref())?;
    let group = params::one_of("group", query.group.as_deref())?.unwrap_or(AccuracyGroup::Person);
    if group != AccuracyGroup::Person {
        caller.require(&[Role::Manager], "read reports by team or campaign")?;
    }
    let report = state.db.forecast_accuracy(quarter, group).await?;
    Ok(Json(visible(&caller, report)))
}

/// The quarter a query names, required.
fn quarter(text: Option<&str>) -> Result<Quarter, ApiError> {
    match text.map(str::trim) {
        None | Some("") => Err(ApiError::field("quarter", "say which, like 2026-Q3")),
        Some(text) => Quarter::parse(text).map_err(|e| ApiError::field("quarter", e)),
    }
}

/// The days a report covers.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day, like `2026-07-01`, in the organisation's time zone.
    #[param(required = true, nullable = false)]
    pub from: Option<String>,
    /// Last day, included.
    #[param(required = true, nullable = false)]
    pub to: Option<String>,
}

impl PeriodQuery {
    fn period(&self) -> Result<Period, ApiError> {
        let day = |field: &str, value: Option<&str>| {
            params::day(field, value)?
                .ok_or_else(|| ApiError::field(field, "say which day, like 2026-07-01"))
        };
        let from = day("from", self.from.as_deref())?;
        let to = day("to", self.to.as_deref())?;
        Ok(Period::new(from, to)?)
    }
}

/// Per person and period: activities by type, revenue won, revenue and
/// opportunities per activity, and who is busy without results.
#[utoipa::path(get, path = "/api/v1/reports/activity-vs-revenue", tag = "reports",
    params(PeriodQuery),
    responses((status = 200, body = ActivityReport), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn activity_vs_revenue(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<ActivityReport>, ApiError> {
    let report = state.db.activity_report(query.period()?).await?;
    Ok(Json(visible(&caller, report)))
}

/// Per person and period: the share of their activities the charter gives
/// to another function, and the queue that work belongs in.
#[utoipa::path(get, path = "/api/v1/reports/focus", tag = "reports",
    params(PeriodQuery),
    responses((status = 200, body = FocusReport), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn focus(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<FocusReport>, ApiError> {
    let report = state.db.focus_report(query.period()?).await?;
    Ok(Json(visible(&caller, report)))
}

/// What the owner's numbers are read for.
const OWNERS_NUMBERS: &[Role] = &[Role::Manager];

/// Which quarter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarterQuery {
    /// Like `2026-Q3`.
    #[param(required = true, nullable = false)]
    pub quarter: Option<String>,
}

/// The funnel of the leads that arrived in the period: the leads that
/// reached each stage, the conversion from the stage before, and the
/// median days leads stayed in each stage. Owners and managers only.
#[utoipa::path(get, path = "/api/v1/reports/funnel", tag = "reports",
    params(PeriodQuery),
    responses((status = 200, body = FunnelReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn funnel(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<FunnelReport>, ApiError> {
    caller.require(OWNERS_NUMBERS, "read the funnel")?;
    Ok(Json(state.db.funnel_report(query.period()?).await?))
}

/// Marketing ↔ sales SLA compliance for the quarter: MQLs delivered
/// against the lead forecasts per campaign and channel, and how sales
/// answered the leads handed over (on time, median hours to accept or
/// reject, rejection reasons). Owners and managers only.
#[utoipa::path(get, path = "/api/v1/reports/handover", tag = "reports",
    params(QuarterQuery),
    responses((status = 200, body = HandoverReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn handover(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QuarterQuery>,
) -> Result<Json<HandoverReport>, ApiError> {
    caller.require(OWNERS_NUMBERS, "read the hand-over report")?;
    let quarter = quarter(query.quarter.as_deref())?;
    Ok(Json(state.db.handover_report(quarter).await?))
}

/// Lead quality by source and by campaign for the leads that arrived in
/// the period: acceptance, conversion to customer, revenue, cost per lead
/// and return on cost. Owners and managers only.
#[utoipa::path(get, path = "/api/v1/reports/lead-quality", tag = "reports",
    params(PeriodQuery),
    responses((status = 200, body = LeadQualityReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn lead_quality(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<LeadQualityReport>, ApiError> {
    caller.require(OWNERS_NUMBERS, "read lead quality")?;
    Ok(Json(state.db.lead_quality_report(query.period()?).await?))
}

/// Revenue won against the revenue forecast, by quarter over the last
/// four quarters up to the one asked for and by month. Owners and
/// managers only.
#[utoipa::path(get, path = "/api/v1/reports/revenue-vs-forecast", tag = "reports",
    params(QuarterQuery),
    responses((status = 200, body = RevenuePlanReport), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn revenue_vs_forecast(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QuarterQuery>,
) -> Result<Json<RevenuePlanReport>, ApiError> {
    caller.require(OWNERS_NUMBERS, "read revenue against forecast")?;
    let quarter = quarter(query.quarter.as_deref())?;
    Ok(Json(state.db.revenue_plan_report(quarter).await?))
}
