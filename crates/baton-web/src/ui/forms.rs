//! The forms page: the public inquiry forms with their address, a preview
//! and the snippet to embed each elsewhere; a new form in one step.

use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, message, place_error, refusal, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use baton_core::domain::Role;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/forms", get(page).post(create))
}

/// Roles that publish forms.
pub const EDITORS: &[Role] = &[Role::Owner, Role::Marketer];

/// One form as listed.
struct Listed {
    name: String,
    slug: String,
    url: String,
    campaign: String,
    active: bool,
    snippet: String,
}

#[derive(Template)]
#[template(path = "forms.html")]
struct FormsPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    forms: Vec<Listed>,
    fields: Vec<Field>,
}

#[derive(Deserialize, Default)]
struct NewForm {
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    thank_you: String,
}

fn refused(viewer: &Viewer) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not for your role",
        format!(
            "A {} does not publish forms; owners and marketers do.",
            viewer.role()
        ),
    )
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    typed: &NewForm,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let forms = match state.db.forms().await {
        Ok(forms) => forms,
        Err(e) => return failure(Some(viewer), e),
    };
    let base = state.options.base_url.trim_end_matches('/');
    let forms = forms
        .into_iter()
        .map(|form| Listed {
            url: format!("{base}/f/{}", form.slug),
            snippet: crate::forms::embed_snippet(&form, base),
            campaign: form.campaign.clone().unwrap_or_default(),
            name: form.name,
            slug: form.slug,
            active: form.active,
        })
        .collect();
    let mut fields = vec![
        Field::input("name", "Name", "text", &typed.name),
        Field::input(
            "slug",
            "Address (lowercase letters, digits and dashes)",
            "text",
            &typed.slug,
        ),
        Field::input("thank_you", "Thank-you message", "text", &typed.thank_you).optional(),
    ];
    if let Some((field, problem)) = error {
        place_error(&mut fields, &field, problem);
    }
    render(
        status,
        &FormsPage {
            title: "Forms".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            forms,
            fields,
        },
    )
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    show(&state, &viewer, &NewForm::default(), None, StatusCode::OK).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let created = state
        .db
        .create_form(
            Some(viewer.id()),
            form.slug.trim(),
            &form.name,
            &form.thank_you,
        )
        .await;
    match created {
        Ok(_) => Redirect::to("/forms").into_response(),
        Err(e) => match refusal(e) {
            Ok(error) => {
                show(
                    &state,
                    &viewer,
                    &form,
                    Some(error),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => failure(Some(&viewer), e),
        },
    }
}
