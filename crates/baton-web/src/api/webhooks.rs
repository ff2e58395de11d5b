//! Webhook subscriptions over the API.

use super::{JsonBody, Order, Page, PageParams, not_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::webhooks::{Delivery, Webhook, WebhookChange};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list).post(create))
        .route("/api/v1/webhooks/{id}", patch(update))
        .route("/api/v1/webhooks/{id}/deliveries", get(deliveries))
}

/// A new subscription.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    pub url: String,
    /// inquiry.routed, work_item.sla_breached, lead.stage_changed, forecast.submitted.
    pub events: Vec<String>,
}

/// A created subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Key of the `X-Baton-Signature` HMAC-SHA256 of each body.
    pub secret: String,
}

/// Subscribe a URL to events (owners and managers).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, body = WebhookCreated), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<WebhookIn>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    caller.require(&[Role::Manager], "manage webhooks")?;
    let input = input.read()?;
    let (webhook, secret) = state
        .db
        .create_webhook(caller.id(), &input.url, &input.events)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated { webhook, secret }),
    ))
}

/// List subscriptions in the order they were made (owners and managers).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageParams),
    responses((status = 200, body = Page<Webhook>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Webhook>>, ApiError> {
    caller.require(&[Role::Manager], "manage webhooks")?;
    let page = page.parse()?;
    let webhooks = state.db.webhooks().await?;
    Ok(Json(Page::of_all(
        webhooks,
        Order::OldestFirst,
        page,
        |w| w.id,
    )))
}

/// Deliveries of a subscription, newest first; the cursor pages to older ones.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), PageParams),
    responses((status = 200, body = Page<Delivery>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    caller.require(&[Role::Manager], "manage webhooks")?;
    let (after, limit) = page.parse()?;
    let before = (after > 0).then_some(after);
    let items = state.db.deliveries(id, before, limit).await?;
    Ok(Json(Page::new(items, limit, |d: &Delivery| d.id)))
}

/// What can change on a subscription.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// `false` pauses the subscription (nothing is queued for it, and what
    /// was queued waits), `true` resumes it.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// A new address: deliveries still queued go there.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub url: Option<String>,
    /// The events to deliver from now on.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub events: Option<Vec<String>>,
}

/// Change a subscription's address or events, or pause or resume it
/// (owners and managers); absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, body = Webhook), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<WebhookPatch>,
) -> Result<Json<Webhook>, ApiError> {
    caller.require(&[Role::Manager], "manage webhooks")?;
    let input = input.read()?;
    let change = WebhookChange {
        url: input.url,
        events: input.events,
        active: input.active,
    };
    Ok(Json(
        state.db.change_webhook(caller.id(), id, &change).await?,
    ))
}
