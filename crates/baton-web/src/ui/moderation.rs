//! The moderation queue: quarantined inquiries with the reasons they were
//! held; release or confirm each.

use super::session::csrf_refused;
use super::{Chrome, Viewer, failure, message, render, when};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::Role;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/moderation", get(page))
        .route("/moderation/{id}/release", post(release))
        .route("/moderation/{id}/confirm", post(confirm))
}

/// Roles that moderate the front of the funnel.
pub const MODERATORS: &[Role] = &[Role::Owner, Role::Manager, Role::Marketer, Role::Qualifier];

struct Held {
    id: i64,
    received_at: String,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    items: Vec<Held>,
}

/// Most held inquiries shown at once, oldest first.
const PAGE_ITEMS: i64 = 100;

fn refused(viewer: &Viewer) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not for your role",
        format!("A {} does not moderate inquiries.", viewer.role()),
    )
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let items = match state.db.held_inquiries(PAGE_ITEMS).await {
        Ok(held) => held
            .into_iter()
            .map(|held| Held {
                id: held.id,
                received_at: when(held.received_at),
                reasons: held.reasons.into_iter().map(|r| r.text).collect(),
            })
            .collect(),
        Err(e) => return failure(Some(&viewer), e),
    };
    let chrome = Chrome::for_viewer(&viewer);
    render(
        StatusCode::OK,
        &ModerationPage {
            title: "Moderation".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            items,
        },
    )
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
}

async fn release(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    match state.db.release_inquiry(viewer.id(), id, "").await {
        Ok(_) => Redirect::to("/moderation").into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    match state.db.confirm_spam(viewer.id(), id, "").await {
        Ok(()) => Redirect::to("/moderation").into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}
