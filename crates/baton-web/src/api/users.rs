//! People over the API, and who the caller is.

use super::{JsonBody, Page, PageParams, params};
use super::{not_null, present_or_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::users::{NewUser, PeopleFilter, User, UserChange};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(show).patch(update))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = User)), security(("bearer" = [])))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.0)
}

/// Filters of the people list; absent or empty means any.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// owner, manager, marketer, qualifier, hunter, farmer, service or operations.
    pub role: Option<String>,
    /// Members of this team (an id).
    pub team_id: Option<String>,
    /// `true` for those who may sign in, `false` for the deactivated.
    pub active: Option<String>,
}

/// List people, oldest first (owners and managers).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery, PageParams),
    responses((status = 200, body = Page<User>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<UserQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<User>>, ApiError> {
    caller.require(&[Role::Manager], "list people")?;
    let (after, limit) = page.parse()?;
    let filter = PeopleFilter {
        role: params::one_of("role", query.role.as_deref())?,
        team_id: params::id("team_id", query.team_id.as_deref())?,
        active: params::one_of("active", query.active.as_deref())?,
        search: String::new(),
    };
    let items = state.db.user_page(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |u: &User| u.id)))
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
    input: JsonBody<UserIn>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require(&[], "add people")?;
    let input = input.read()?;
    let user = state
        .db
        .create_user_by(
            Some(caller.id()),
            NewUser {
                email: &input.email,
                name: &input.name,
                role: input.role,
                password: input.password.as_deref(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Changes to a person; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// `null` takes the person out of their team.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    /// `null` leaves the person without a manager.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub manager_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub role: Option<Role>,
    /// `false` stops the person from signing in; nobody deactivates themselves.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
}

/// Change a person's team, manager, role or access (owners).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<UserPatch>,
) -> Result<Json<User>, ApiError> {
    caller.require(&[], "change people")?;
    let input = input.read()?;
    let change = UserChange {
        team_id: input.team_id,
        manager_id: input.manager_id,
        role: input.role,
        active: input.active,
    };
    Ok(Json(state.db.update_user(caller.id(), id, &change).await?))
}

/// Read a person (owners and managers, and anyone themselves).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<User>, ApiError> {
    if id != caller.id() {
        caller.require(&[Role::Manager], "read other people")?;
    }
    Ok(Json(state.db.user(id).await?))
}
