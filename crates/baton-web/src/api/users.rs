//! People over the API, and who the caller is.

use super::JsonBody;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::users::{NewUser, User};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list).post(create))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = User)), security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.0)
}

/// List people (owners and managers).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::Problem)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    caller.require(&[Role::Manager], "list people")?;
    Ok(Json(state.db.users().await?))
}

/// A new person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// At least 10 characters; without one the person cannot sign in to the web UI yet.
    pub password: Option<String>,
}

/// Add a person (owners).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = User), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<UserIn>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require(&[], "add people")?;
    let user = state
        .db
        .create_user(NewUser {
            email: &input.email,
            name: &input.name,
            role: input.role,
            password: input.password.as_deref(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}
