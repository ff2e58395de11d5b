//! Teams over the API.

use super::JsonBody;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::State;
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

/// List teams by name.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = Vec<Team>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(state.db.teams().await?))
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
