//! Work items over the API: a person's queue, take, accept, reject, reassign, done.

use super::{JsonBody, Page, PageParams, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::domain::{Role, WorkStatus};
use baton_db::work_items::{HistoryEntry, WorkFilter, WorkItem};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/work-items", get(list))
        .route("/api/v1/work-items/{id}", get(show))
        .route("/api/v1/work-items/{id}/accept", post(accept))
        .route("/api/v1/work-items/{id}/reject", post(reject))
        .route("/api/v1/work-items/{id}/reassign", post(reassign))
        .route("/api/v1/work-items/{id}/take", post(take))
        .route("/api/v1/work-items/{id}/done", post(done))
}

/// Filters for the work item list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkQuery {
    /// Queue id or slug.
    pub queue: Option<String>,
    /// Assignee's user id, or `me`.
    pub assignee: Option<String>,
    /// unassigned, assigned, accepted, rejected or done.
    pub status: Option<String>,
}

/// List work items. Owners and managers see every queue; everyone else sees
/// their own items and the items of queues they belong to.
#[utoipa::path(get, path = "/api/v1/work-items", tag = "work items", params(WorkQuery, PageParams),
    responses((status = 200, body = Page<WorkItem>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<WorkQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<WorkItem>>, ApiError> {
    let filter = WorkFilter {
        queue_id: params::member_queue(&state, &caller, query.queue.as_deref()).await?,
        assignee_id: params::person(&caller, "assignee", query.assignee.as_deref())?,
        status: params::one_of::<WorkStatus>("status", query.status.as_deref())?,
        member_of: (!caller.sees_everything()).then(|| caller.id()),
        ..WorkFilter::default()
    };
    let (after, limit) = page.parse()?;
    let items = state.db.work_items(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |w: &WorkItem| w.id)))
}

/// A work item with its assignment history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkItemOut {
    #[serde(flatten)]
    pub item: WorkItem,
    pub history: Vec<HistoryEntry>,
}

/// The item, if the caller may see it.
async fn visible_item(state: &AppState, caller: &Caller, id: i64) -> Result<WorkItem, ApiError> {
    let item = state.db.work_item(id).await?;
    if caller.sees_everything() || item.assignee_id == Some(caller.id()) {
        return Ok(item);
    }
    if state.db.is_queue_member(&item.queue, caller.id()).await? {
        return Ok(item);
    }
    Err(ApiError::Forbidden(format!(
        "work item {id} is in {}, which is not your queue",
        item.queue
    )))
}

/// Read a work item and its history.
#[utoipa::path(get, path = "/api/v1/work-items/{id}", tag = "work items",
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItemOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<WorkItemOut>, ApiError> {
    let item = visible_item(&state, &caller, id).await?;
    let history = state.db.work_item_history(id).await?;
    Ok(Json(WorkItemOut { item, history }))
}

/// Accept an item assigned to you.
#[utoipa::path(post, path = "/api/v1/work-items/{id}/accept", tag = "work items",
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItem), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<WorkItem>, ApiError> {
    visible_item(&state, &caller, id).await?;
    Ok(Json(state.db.accept_work_item(caller.id(), id).await?))
}

/// Take an item waiting unassigned in one of your queues. Refused when you
/// are away or at your cap in that queue; 409 when someone took it first.
#[utoipa::path(post, path = "/api/v1/work-items/{id}/take", tag = "work items",
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn take(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<WorkItem>, ApiError> {
    visible_item(&state, &caller, id).await?;
    Ok(Json(state.db.take_work_item(caller.id(), id).await?))
}

/// Why an item is sent back.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIn {
    pub reason: String,
}

/// Reject an item with a reason; a lead not yet in a deal goes back to nurture.
#[utoipa::path(post, path = "/api/v1/work-items/{id}/reject", tag = "work items", request_body = RejectIn,
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItem), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<RejectIn>,
) -> Result<Json<WorkItem>, ApiError> {
    let input = input.read()?;
    let item = visible_item(&state, &caller, id).await?;
    if item.assignee_id != Some(caller.id()) && !caller.sees_everything() {
        return Err(ApiError::Forbidden(
            "only the assignee or a manager can reject a work item".into(),
        ));
    }
    Ok(Json(
        state
            .db
            .reject_work_item(caller.id(), id, &input.reason)
            .await?,
    ))
}

/// What was done, for the item's history.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneIn {
    /// Optional; kept in the item's history.
    #[serde(default)]
    pub note: String,
}

/// Mark an item you hold done (managers: anyone's). A lead's work is also
/// marked done on its own when the lead becomes a deal, a customer or
/// disqualified.
#[utoipa::path(post, path = "/api/v1/work-items/{id}/done", tag = "work items", request_body = DoneIn,
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItem), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn done(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<DoneIn>,
) -> Result<Json<WorkItem>, ApiError> {
    let item = visible_item(&state, &caller, id).await?;
    if item.assignee_id != Some(caller.id()) && !caller.sees_everything() {
        return Err(ApiError::Forbidden(
            "only the assignee or a manager can mark a work item done".into(),
        ));
    }
    let input = input.read()?;
    Ok(Json(
        state
            .db
            .finish_work_item(caller.id(), id, &input.note)
            .await?,
    ))
}

/// Who takes the item over.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignIn {
    pub email: String,
    /// Why the item changes hands; not blank.
    pub reason: String,
}

/// Give an item to someone else: managers, or the assignee handing it on.
#[utoipa::path(post, path = "/api/v1/work-items/{id}/reassign", tag = "work items", request_body = ReassignIn,
    params(("id" = i64, Path, description = "Work item id")),
    responses((status = 200, body = WorkItem), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn reassign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ReassignIn>,
) -> Result<Json<WorkItem>, ApiError> {
    let input = input.read()?;
    let item = visible_item(&state, &caller, id).await?;
    if item.assignee_id != Some(caller.id())
        && caller
            .require(&[Role::Manager], "reassign others' work")
            .is_err()
    {
        return Err(ApiError::Forbidden(
            "only the assignee or a manager can reassign a work item".into(),
        ));
    }
    let to = state.db.user_by_email(&input.email).await.map_err(|_| {
        ApiError::field("email", format!("no user with the e-mail {}", input.email))
    })?;
    Ok(Json(
        state
            .db
            .reassign_work_item(caller.id(), id, to.id, &input.reason)
            .await
            .map_err(|e| e.renamed("assignee_id", "email"))?,
    ))
}
