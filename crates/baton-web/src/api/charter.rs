//! The charter over the API: the version in force, its history, and the
//! owner's changes, each a new version.

use super::{JsonBody, Order, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use baton_db::charter::{ActivityType, Charter, CharterVersion};
use serde::Deserialize;

/// The charter routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/charter", get(current).put(replace))
        .route("/api/v1/charter/versions", get(versions))
        .route("/api/v1/charter/versions/{version}", get(version))
}

/// The charter in force, with its activity types.
#[utoipa::path(get, path = "/api/v1/charter", tag = "charter",
    responses((status = 200, body = Charter)), security(("bearer" = [])))]
pub async fn current(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Charter>, ApiError> {
    Ok(Json(state.db.current_charter().await?))
}

/// Every version of the charter, newest first; the cursor pages to older ones.
#[utoipa::path(get, path = "/api/v1/charter/versions", tag = "charter", params(PageParams),
    responses((status = 200, body = Page<CharterVersion>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<CharterVersion>>, ApiError> {
    let page = page.parse()?;
    let versions = state.db.charter_versions().await?;
    Ok(Json(Page::of_all(
        versions,
        Order::NewestFirst,
        page,
        |v| v.version,
    )))
}

/// One version of the charter, with its activity types.
#[utoipa::path(get, path = "/api/v1/charter/versions/{version}", tag = "charter",
    params(("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = Charter), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    _caller: Caller,
    Path(version): Path<i64>,
) -> Result<Json<Charter>, ApiError> {
    Ok(Json(state.db.charter(version).await?))
}

/// A new charter: the complete set of activity types and why it changed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CharterIn {
    pub note: String,
    pub activity_types: Vec<ActivityType>,
    /// The version this change was made from: when given, the change is
    /// refused (409) if another version was put in force since, so that
    /// it cannot undo that one unseen.
    #[serde(default)]
    #[schema(nullable = false)]
    pub based_on: Option<i64>,
}

/// Put a new version of the charter in force (owners only).
#[utoipa::path(put, path = "/api/v1/charter", tag = "charter", request_body = CharterIn,
    responses((status = 200, body = Charter), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<CharterIn>,
) -> Result<Json<Charter>, ApiError> {
    caller.require(&[], "change the charter")?;
    let input = input.read()?;
    Ok(Json(
        state
            .db
            .replace_charter(
                caller.id(),
                &input.note,
                &input.activity_types,
                input.based_on,
            )
            .await?,
    ))
}
