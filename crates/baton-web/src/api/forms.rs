//! Public forms over the API: list, create, and the snippet that embeds one.

use super::{JsonBody, Order, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::forms::Form;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/forms", get(list).post(create))
        .route("/api/v1/forms/{slug}", get(show).patch(update))
}

/// A form with where it lives and how to embed it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FormOut {
    #[serde(flatten)]
    pub form: Form,
    /// The hosted page.
    pub url: String,
    /// Plain HTML to paste into another site; it posts to the hosted form.
    pub embed_html: String,
}

fn describe(state: &AppState, form: Form) -> FormOut {
    let base = state.options.base_url.trim_end_matches('/');
    FormOut {
        url: format!("{base}/f/{}", form.slug),
        embed_html: crate::forms::embed_snippet(&form, base),
        form,
    }
}

/// Who reads and publishes forms besides owners, as on the forms page.
const PUBLISHERS: &[Role] = &[Role::Manager, Role::Marketer];

/// List forms in the order they were made (owners, managers and marketers).
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms", params(PageParams),
    responses((status = 200, body = Page<FormOut>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<FormOut>>, ApiError> {
    caller.require(PUBLISHERS, "read the forms")?;
    let page = page.parse()?;
    let forms = state.db.forms().await?;
    let forms = forms.into_iter().map(|f| describe(&state, f)).collect();
    Ok(Json(Page::of_all(
        forms,
        Order::OldestFirst,
        page,
        |f: &FormOut| f.form.id,
    )))
}

/// Read a form with its embed snippet (owners, managers and marketers).
#[utoipa::path(get, path = "/api/v1/forms/{slug}", tag = "forms",
    params(("slug" = String, Path, description = "Form slug")),
    responses((status = 200, body = FormOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<FormOut>, ApiError> {
    caller.require(PUBLISHERS, "read the forms")?;
    let form = state.db.form(&slug).await?;
    Ok(Json(describe(&state, form)))
}

/// A new form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormIn {
    /// 1–60 lowercase letters, digits and dashes: the form lives at `/f/{slug}`.
    pub slug: String,
    pub name: String,
    /// Shown after a submission; a friendly default when empty.
    #[serde(default)]
    pub thank_you: String,
    /// The campaign, by name, that every submission is credited to; without
    /// one, a `campaign` field the page sends names it.
    #[serde(default)]
    pub campaign: Option<String>,
    /// The source every submission is given (routing rules may match it);
    /// without one, a `source` field the page sends names it.
    #[serde(default)]
    pub source: Option<String>,
}

/// Create a form (marketers and managers).
#[utoipa::path(post, path = "/api/v1/forms", tag = "forms", request_body = FormIn,
    responses((status = 201, body = FormOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<FormIn>,
) -> Result<(StatusCode, Json<FormOut>), ApiError> {
    caller.require(PUBLISHERS, "create forms")?;
    let input = input.read()?;
    let form = state
        .db
        .create_form(
            Some(caller.id()),
            input.slug.trim(),
            &input.name,
            &input.thank_you,
            input.campaign.as_deref(),
            input.source.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(describe(&state, form))))
}

/// What can change on a form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormPatch {
    /// `false` closes the form to submissions, `true` opens it again.
    pub active: bool,
}

/// Close a form to submissions or open it again (marketers and managers).
#[utoipa::path(patch, path = "/api/v1/forms/{slug}", tag = "forms", request_body = FormPatch,
    params(("slug" = String, Path, description = "Form slug")),
    responses((status = 200, body = FormOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    input: JsonBody<FormPatch>,
) -> Result<Json<FormOut>, ApiError> {
    caller.require(PUBLISHERS, "close or open forms")?;
    let input = input.read()?;
    let form = state.db.form(&slug).await?;
    state
        .db
        .set_form_open(Some(caller.id()), form.id, input.active)
        .await?;
    Ok(Json(describe(
        &state,
        Form {
            active: input.active,
            ..form
        },
    )))
}
