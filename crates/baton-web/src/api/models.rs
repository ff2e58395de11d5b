//! The learned models over the API: every stored version with its held-out
//! metrics, and the owner's choice of which version of a task is active.

use super::{JsonBody, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_core::learn::train::Task;
use baton_db::models::ModelVersion;
use serde::{Deserialize, Serialize};

/// The model routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/models", get(list))
        .route("/api/v1/models/{id}/activate", post(activate))
}

/// A stored version of a task's model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelOut {
    pub id: i64,
    pub task: Task,
    /// Counts up from 1 within the task.
    pub version: i64,
    /// When it was trained, in UTC milliseconds since 1970.
    pub trained_at: i64,
    pub training_rows: i64,
    /// How it did on the held-out rows when it was trained, beside the
    /// version that was active then.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// Whether intake uses it now; at most one version of a task is.
    pub active: bool,
}

impl From<ModelVersion> for ModelOut {
    fn from(model: ModelVersion) -> ModelOut {
        ModelOut {
            id: model.id,
            task: model.task,
            version: model.version,
            trained_at: model.trained_at,
            training_rows: model.training_rows,
            metrics: model.metrics,
            active: model.active,
        }
    }
}

/// Which task the caller means to switch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationIn {
    /// Must be the model's own task.
    pub task: Task,
}

/// List every stored model version, in the order they were trained
/// (owners and managers).
#[utoipa::path(get, path = "/api/v1/models", tag = "models", params(PageParams),
    responses((status = 200, body = Page<ModelOut>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<ModelOut>>, ApiError> {
    caller.require(&[Role::Manager], "read the models")?;
    let (after, limit) = page.parse()?;
    let models = state.db.models(after, limit).await?;
    let items = models.into_iter().map(ModelOut::from).collect();
    Ok(Json(Page::new(items, limit, |model: &ModelOut| model.id)))
}

/// Make a model version the active one of its task (owners). The body
/// names the task, and a model of another task is refused.
#[utoipa::path(post, path = "/api/v1/models/{id}/activate", tag = "models", request_body = ActivationIn,
    params(("id" = i64, Path, description = "Model id")),
    responses((status = 200, body = ModelOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ActivationIn>,
) -> Result<Json<ModelOut>, ApiError> {
    caller.require(&[], "activate a model")?;
    let input = input.read()?;
    let model = state
        .db
        .activate_model_by_id(caller.id(), id, input.task)
        .await?;
    Ok(Json(model.into()))
}
