//! The moderation queue: quarantined inquiries with the reasons they were
//! held; release or confirm each, or many ticked at once.

use super::session::{ButtonForm, csrf_refused};
use super::{Chrome, Viewer, failure, message, render, when};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
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
        .route("/moderation/decide", post(decide_ticked))
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
    view: ModerationView,
}

/// What the page says besides the held inquiries.
struct ModerationView {
    /// Every box ticked: "select all" without JavaScript.
    all_ticked: bool,
    /// What the last decision on many did.
    notice: Option<String>,
    /// Why a decision on many did nothing.
    problem: Option<String>,
}

/// The page's address options: tick every box, or report what a decision
/// on many did.
#[derive(Deserialize)]
struct PageQuery {
    select: Option<String>,
    released: Option<usize>,
    confirmed: Option<usize>,
    skipped: Option<usize>,
}

impl PageQuery {
    fn notice(&self) -> Option<String> {
        let done = match (self.released, self.confirmed) {
            (Some(n), _) => format!("Released {}.", inquiries(n)),
            (None, Some(n)) => format!("Confirmed {} as spam.", inquiries(n)),
            (None, None) => return None,
        };
        Some(match self.skipped.unwrap_or(0) {
            0 => done,
            n => format!(
                "{done} {} no longer waiting, left as they were.",
                inquiries(n)
            ),
        })
    }
}

fn inquiries(n: usize) -> String {
    match n {
        1 => "1 inquiry".into(),
        n => format!("{n} inquiries"),
    }
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

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Response {
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let view = ModerationView {
        all_ticked: query.select.as_deref() == Some("all"),
        notice: query.notice(),
        problem: None,
    };
    show(&state, &viewer, StatusCode::OK, view).await
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    view: ModerationView,
) -> Response {
    let items = match state.db.held_inquiries(PAGE_ITEMS).await {
        Ok(held) => held
            .into_iter()
            .map(|held| Held {
                id: held.id,
                received_at: when(held.received_at),
                reasons: held.reasons.into_iter().map(|r| r.text).collect(),
            })
            .collect(),
        Err(e) => return failure(Some(viewer), e),
    };
    let chrome = Chrome::for_viewer(viewer);
    render(
        status,
        &ModerationPage {
            title: "Moderation".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            items,
            view,
        },
    )
}

async fn release(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ButtonForm>,
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
    Form(form): Form<ButtonForm>,
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

/// Releases or confirms every ticked inquiry, each recorded exactly as a
/// single decision; an inquiry someone else decided meanwhile is skipped.
async fn decide_ticked(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !viewer.csrf_in(&fields) {
        return csrf_refused();
    }
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let ids: Vec<i64> = fields
        .iter()
        .filter(|(key, _)| key == "id")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let decision = fields.iter().find(|(key, _)| key == "decision");
    let release = match decision.map(|(_, value)| value.as_str()) {
        Some("release") => true,
        Some("confirm") => false,
        _ => return refuse_ticked(&state, &viewer, "Choose release or confirm spam.").await,
    };
    if ids.is_empty() {
        return refuse_ticked(&state, &viewer, "Tick at least one inquiry first.").await;
    }
    let (mut done, mut skipped) = (0, 0);
    for id in ids {
        let decided = if release {
            state
                .db
                .release_inquiry(viewer.id(), id, "")
                .await
                .map(drop)
        } else {
            state.db.confirm_spam(viewer.id(), id, "").await
        };
        match decided {
            Ok(()) => done += 1,
            Err(baton_db::DbError::Conflict { .. } | baton_db::DbError::NotFound(_)) => {
                skipped += 1
            }
            Err(e) => return failure(Some(&viewer), e),
        }
    }
    let verb = if release { "released" } else { "confirmed" };
    Redirect::to(&format!("/moderation?{verb}={done}&skipped={skipped}")).into_response()
}

async fn refuse_ticked(state: &AppState, viewer: &Viewer, problem: &str) -> Response {
    let view = ModerationView {
        all_ticked: false,
        notice: None,
        problem: Some(problem.into()),
    };
    show(state, viewer, StatusCode::UNPROCESSABLE_ENTITY, view).await
}
