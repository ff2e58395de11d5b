//! Teams over the API.

use super::{JsonBody, Order, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use baton_core::domain::{Function, Role};
use baton_db::teams::Team;
use serde::Deserialize;

/// The team routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list).post(create))
        .route("/api/v1/teams/{id}", patch(rename).delete(remove))
}

/// A new team.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    /// Unique, whatever its case.
    pub name: String,
    pub function: Function,
}

/// List teams in the order they were made.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", params(PageParams),
    responses((status = 200, body = Page<Team>), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Team>>, ApiError> {
    let page = page.parse()?;
    let teams = state.db.teams().await?;
    Ok(Json(Page::of_all(teams, Order::OldestFirst, page, |t| {
        t.id
    })))
}

/// Create a team (owners and managers).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamIn,
    responses((status = 201, body = Team), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<TeamIn>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    caller.require(&[Role::Manager], "create teams")?;
    let input = input.read()?;
    let team = state
        .db
        .create_team(Some(caller.id()), &input.name, input.function)
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// A team's new name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    /// Unique, whatever its case.
    pub name: String,
}

/// Rename a team (owners and managers).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", request_body = TeamPatch,
    params(("id" = i64, Path, description = "Team id")),
    responses((status = 200, body = Team), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<TeamPatch>,
) -> Result<Json<Team>, ApiError> {
    caller.require(&[Role::Manager], "rename teams")?;
    let input = input.read()?;
    Ok(Json(
        state
            .db
            .rename_team(Some(caller.id()), id, &input.name)
            .await?,
    ))
}

/// Remove a team nobody is in (owners and managers); 409 while people are.
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = i64, Path, description = "Team id")),
    responses((status = 204), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Manager], "remove teams")?;
    state.db.delete_team(Some(caller.id()), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
