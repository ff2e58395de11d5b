//! API tokens over the API: listing and revoking them.

use super::{Order, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::users::ApiToken;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list))
        .route("/api/v1/tokens/{id}", delete(revoke))
}

/// List working API tokens, newest first: the caller's own, or every one for an owner.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users", params(PageParams),
    responses((status = 200, body = Page<ApiToken>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<ApiToken>>, ApiError> {
    let page = page.parse()?;
    let mut tokens = state.db.api_tokens().await?;
    if caller.role() != Role::Owner {
        tokens.retain(|t| t.holder_id == caller.id());
    }
    Ok(Json(Page::of_all(tokens, Order::NewestFirst, page, |t| {
        t.id
    })))
}

/// Revoke an API token; it stops working at once (owners any, others their own).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let tokens = state.db.api_tokens().await?;
    let token = tokens
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::NotFound(format!("a working API token {id}")))?;
    if token.holder_id != caller.id() {
        caller.require(&[], "revoke another person's API token")?;
    }
    state.db.revoke_api_token(Some(caller.id()), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
