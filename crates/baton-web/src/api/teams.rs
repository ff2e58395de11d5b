//! Teams over the API.

use super::{JsonBody, Order, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::{Function, Role};
use baton_db::teams::Team;
use serde::Deserialize;

/// The team routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/teams", get(list).post(create))
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
