//! The organisation's settings over the API: time zone, business hours,
//! currency, scoring points and moderation weights.

use super::JsonBody;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::settings::{Organisation, OrganisationChange};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/settings", get(show).put(change))
}

/// Read the settings (owners and managers).
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = Organisation), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Organisation>, ApiError> {
    caller.require(&[Role::Manager], "read the organisation's settings")?;
    Ok(Json(state.db.organisation().await?))
}

/// Change the settings (owners): absent fields stay as they are, a group
/// changes only the fields it names, and `null` puts a field of a group back
/// to its default.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = OrganisationChange,
    responses((status = 200, body = Organisation), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<OrganisationChange>,
) -> Result<Json<Organisation>, ApiError> {
    caller.require(&[], "change the organisation's settings")?;
    let input = input.read()?;
    Ok(Json(
        state.db.change_organisation(caller.id(), &input).await?,
    ))
}
