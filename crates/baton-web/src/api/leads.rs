//! Leads over the API: lists by stage, owner and queue, a lead with its stage
//! history, and moving a lead to another stage with a reason.

use super::{JsonBody, Page, PageParams, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::domain::Stage;
use baton_db::leads::{Lead, LeadFilter, StageChange};
use serde::{Deserialize, Serialize};

/// The lead routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/leads", get(list))
        .route("/api/v1/leads/{id}", get(show))
        .route("/api/v1/leads/{id}/stage", post(change_stage))
}

/// Filters for the lead list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// new, nurture, mql, sal, sql, opportunity, customer or disqualified.
    pub stage: Option<String>,
    /// Owner's user id, or `me`.
    pub owner: Option<String>,
    /// Queue id or slug of the lead's latest work item.
    pub queue: Option<String>,
}

/// List leads, oldest first. Owners and managers see every lead; everyone
/// else sees the leads they own and those with work in their queues.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(LeadQuery, PageParams),
    responses((status = 200, body = Page<Lead>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<LeadQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Lead>>, ApiError> {
    let mut filter = LeadFilter {
        stage: params::one_of("stage", query.stage.as_deref())?,
        owner_id: params::person(&caller, "owner", query.owner.as_deref())?,
        ..LeadFilter::default()
    };
    filter.queue_id = params::member_queue(&state, &caller, query.queue.as_deref()).await?;
    if !caller.sees_everything() {
        filter.visible_to = Some(caller.id());
    }
    let (after, limit) = page.parse()?;
    let items = state.db.leads(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |l: &Lead| l.id)))
}

/// A lead with every stage it went through.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeadOut {
    #[serde(flatten)]
    pub lead: Lead,
    pub stage_history: Vec<StageChange>,
}

/// The lead, if the caller may see it.
pub(crate) async fn visible_lead(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Lead, ApiError> {
    let lead = state.db.lead(id).await?;
    if !caller.sees_everything() && !state.db.lead_visible_to(id, caller.id()).await? {
        return Err(ApiError::Forbidden(format!(
            "lead {id} is neither yours nor in one of your queues"
        )));
    }
    Ok(lead)
}

/// The lead, if the caller may act on it: see [`baton_db::Db::lead_held_by`].
pub(crate) async fn held_lead(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Lead, ApiError> {
    let lead = visible_lead(state, caller, id).await?;
    if !caller.sees_everything() && !state.db.lead_held_by(id, caller.id()).await? {
        return Err(ApiError::Forbidden(format!(
            "lead {id} is held by someone else: its owner, the person assigned its work or a manager acts on it"
        )));
    }
    Ok(lead)
}

/// The lead with its stage history.
async fn with_history(state: &AppState, lead: Lead) -> Result<LeadOut, ApiError> {
    let stage_history = state.db.lead_stage_history(lead.id).await?;
    Ok(LeadOut {
        lead,
        stage_history,
    })
}

/// Read a lead and its stage history.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads",
    params(("id" = i64, Path, description = "Lead id")),
    responses((status = 200, body = LeadOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<LeadOut>, ApiError> {
    let lead = visible_lead(&state, &caller, id).await?;
    Ok(Json(with_history(&state, lead).await?))
}

/// Where a lead goes, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageIn {
    pub stage: Stage,
    /// Required: every move is explained, a disqualification above all.
    pub reason: String,
}

/// Move a lead to another stage, with a reason. A lead brought back from
/// disqualified gets new work in the queue of its new stage.
#[utoipa::path(post, path = "/api/v1/leads/{id}/stage", tag = "leads", request_body = StageIn,
    params(("id" = i64, Path, description = "Lead id")),
    responses((status = 200, body = LeadOut), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change_stage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<StageIn>,
) -> Result<Json<LeadOut>, ApiError> {
    let input = input.read()?;
    held_lead(&state, &caller, id).await?;
    let lead = state
        .db
        .move_lead(caller.id(), id, input.stage, &input.reason)
        .await?;
    Ok(Json(with_history(&state, lead).await?))
}
