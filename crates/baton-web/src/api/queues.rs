//! Queues, their members and the routing rules over the API.

use super::{JsonBody, JsonList, Order, Page, PageParams, not_null, present_or_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use baton_core::domain::{Role, Strategy};
use baton_core::routing::{Rule, fingerprint};
use baton_db::queues::{Member, MemberChange, Queue, QueueChange};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/queues", get(list))
        .route("/api/v1/queues/{id}", get(show).patch(change))
        .route("/api/v1/queues/{id}/members", post(add_member))
        .route(
            "/api/v1/queues/{id}/members/{user_id}",
            patch(change_member).delete(remove_member),
        )
        .route("/api/v1/routing-rules", get(rules).put(replace_rules))
}

/// A queue with its members.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueOut {
    #[serde(flatten)]
    pub queue: Queue,
    pub members: Vec<Member>,
}

/// List queues in the order they were made.
#[utoipa::path(get, path = "/api/v1/queues", tag = "queues", params(PageParams),
    responses((status = 200, body = Page<Queue>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Queue>>, ApiError> {
    let page = page.parse()?;
    let queues = state.db.queues().await?;
    Ok(Json(Page::of_all(queues, Order::OldestFirst, page, |q| {
        q.id
    })))
}

/// Read a queue and its members, by id or slug (owners and managers).
#[utoipa::path(get, path = "/api/v1/queues/{id}", tag = "queues",
    params(("id" = String, Path, description = "Queue id or slug")),
    responses((status = 200, body = QueueOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<QueueOut>, ApiError> {
    // Its members' loads and skills are for those who run the queues.
    caller.require(&[Role::Manager], "read a queue's members")?;
    let queue = state.db.queue(&id).await?;
    let members = state.db.queue_members(queue.id).await?;
    Ok(Json(QueueOut { queue, members }))
}

/// Changes to a queue's routing and service levels; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueuePatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub strategy: Option<Strategy>,
    /// Business minutes to the first touch, at least one.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub first_touch_sla_minutes: Option<i64>,
    /// Business minutes to resolution, at least the first-touch SLA.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub resolution_sla_minutes: Option<i64>,
    /// Slug of the queue a breached item goes to next; `null` stops escalation.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub escalation_queue: Option<Option<String>>,
    /// The manager (or owner) a breach reaches last; `null` leaves it to an owner.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub manager_id: Option<Option<i64>>,
}

/// Change a queue's strategy, SLAs, escalation queue or manager (managers).
#[utoipa::path(patch, path = "/api/v1/queues/{id}", tag = "queues", request_body = QueuePatch,
    params(("id" = String, Path, description = "Queue id or slug")),
    responses((status = 200, body = Queue), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    input: JsonBody<QueuePatch>,
) -> Result<Json<Queue>, ApiError> {
    caller.require(&[Role::Manager], "change queues")?;
    let input = input.read()?;
    let queue = state.db.queue(&id).await?;
    let change = QueueChange {
        strategy: input.strategy,
        first_touch_sla_minutes: input.first_touch_sla_minutes,
        resolution_sla_minutes: input.resolution_sla_minutes,
        escalation_queue: input.escalation_queue,
        manager_id: input.manager_id,
    };
    Ok(Json(
        state
            .db
            .change_queue(Some(caller.id()), queue.id, &change)
            .await?,
    ))
}

/// A person to add to a queue.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub email: String,
}

/// Add a member to the end of a queue (managers).
#[utoipa::path(post, path = "/api/v1/queues/{id}/members", tag = "queues", request_body = MemberIn,
    params(("id" = String, Path, description = "Queue id or slug")),
    responses((status = 201, body = Member), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    input: JsonBody<MemberIn>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    caller.require(&[Role::Manager], "change queue members")?;
    let input = input.read()?;
    let queue = state.db.queue(&id).await?;
    let user = state.db.user_by_email(&input.email).await.map_err(|_| {
        ApiError::field("email", format!("no user with the e-mail {}", input.email))
    })?;
    let member = state
        .db
        .add_queue_member(Some(caller.id()), queue.id, user.id)
        .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Changes to a member; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    /// Most open items; `null` removes the cap.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub capacity: Option<Option<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub weight: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub away: Option<bool>,
}

/// Change a member's capacity, weight, skills or presence (managers).
#[utoipa::path(patch, path = "/api/v1/queues/{id}/members/{user_id}", tag = "queues", request_body = MemberPatch,
    params(("id" = String, Path, description = "Queue id or slug"), ("user_id" = i64, Path, description = "Member's user id")),
    responses((status = 200, body = Member), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, i64)>,
    input: JsonBody<MemberPatch>,
) -> Result<Json<Member>, ApiError> {
    caller.require(&[Role::Manager], "change queue members")?;
    let input = input.read()?;
    let queue = state.db.queue(&id).await?;
    let change = MemberChange {
        capacity: input.capacity,
        weight: input.weight,
        skills: input.skills,
        away: input.away,
    };
    Ok(Json(
        state
            .db
            .update_queue_member(Some(caller.id()), queue.id, user_id, &change)
            .await?,
    ))
}

/// Take a member out of a queue; the work they hold stays theirs (managers).
#[utoipa::path(delete, path = "/api/v1/queues/{id}/members/{user_id}", tag = "queues",
    params(("id" = String, Path, description = "Queue id or slug"), ("user_id" = i64, Path, description = "Member's user id")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user_id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Manager], "change queue members")?;
    let queue = state.db.queue(&id).await?;
    state
        .db
        .remove_queue_member(Some(caller.id()), queue.id, user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The rules with their fingerprint as `ETag`, to send back in `If-Match`.
fn tagged(rules: Vec<Rule>) -> ([(header::HeaderName, String); 1], Json<Vec<Rule>>) {
    (
        [(header::ETAG, format!("\"{}\"", fingerprint(&rules)))],
        Json(rules),
    )
}

/// The entity tags an `If-Match` value lists, each as its opaque text; `None`
/// for `*`, which any current version matches (RFC 9110 §13.1.1). A weak
/// tag keeps its `W/` and so matches nothing, as strong comparison asks.
fn entity_tags(value: &str) -> Option<Vec<&str>> {
    let value = value.trim();
    (value != "*").then(|| {
        value
            .split(',')
            .map(|tag| {
                let tag = tag.trim();
                tag.strip_prefix('"')
                    .and_then(|tag| tag.strip_suffix('"'))
                    .unwrap_or(tag)
            })
            .collect()
    })
}

/// The routing rules in order (owners and managers), tagged with an `ETag`.
#[utoipa::path(get, path = "/api/v1/routing-rules", tag = "queues",
    responses((status = 200, body = Vec<Rule>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Manager], "read the routing rules")?;
    Ok(tagged(state.db.routing_rules().await?))
}

/// Replace the routing rules, in order (managers). With `If-Match` set to
/// the `ETag` the rules were read with, rules changed since are not
/// overwritten: the answer is 409 naming `If-Match`; `*` matches any rules.
#[utoipa::path(put, path = "/api/v1/routing-rules", tag = "queues", request_body = Vec<Rule>,
    params(("If-Match" = Option<String>, Header, description = "The ETag the rules were read with")),
    responses((status = 200, body = Vec<Rule>), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn replace_rules(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    rules: JsonList<Rule>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Manager], "change routing rules")?;
    let rules = rules.read()?;
    let if_match = headers
        .get(header::IF_MATCH)
        .map(|value| value.to_str().unwrap_or_default());
    let based_on = if_match.and_then(entity_tags);
    state
        .db
        .replace_routing_rules(Some(caller.id()), &rules, based_on.as_deref())
        .await
        .map_err(|e| e.renamed("based_on", "If-Match"))?;
    Ok(tagged(state.db.routing_rules().await?))
}
