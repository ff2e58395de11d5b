//! The web pages: server-rendered HTML that works without JavaScript, one
//! module per area. Every page checks who is signed in; every form carries
//! the session's CSRF token.

mod auth;
mod charter;
mod inquiries;
mod moderation;
mod session;
mod work;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
pub use session::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/work") }))
        .merge(auth::router())
        .merge(work::router())
        .merge(inquiries::router())
        .merge(moderation::router())
        .merge(charter::router())
}

/// The frame around every page for a signed-in person.
pub struct Chrome {
    pub name: String,
    pub role: String,
    pub csrf: String,
    pub links: Vec<(&'static str, &'static str)>,
}

impl Chrome {
    fn for_viewer(viewer: &Viewer) -> Chrome {
        let mut links = vec![("/work", "My work")];
        if moderation::MODERATORS.contains(&viewer.role()) {
            links.push(("/moderation", "Moderation"));
        }
        if charter::READERS.contains(&viewer.role()) {
            links.push(("/charter", "Charter"));
        }
        Chrome {
            name: viewer.session.user.name.clone(),
            role: viewer.role().to_string(),
            csrf: viewer.session.csrf_token.clone(),
            links,
        }
    }
}

/// Renders a template, or a plain error page if rendering fails.
fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    title: String,
    message: String,
    chrome: Option<Chrome>,
}

/// A page that only says something: refusals, missing things, failures.
fn message(status: StatusCode, viewer: Option<&Viewer>, title: &str, message: String) -> Response {
    render(
        status,
        &MessagePage {
            title: title.to_string(),
            message,
            chrome: viewer.map(Chrome::for_viewer),
        },
    )
}

/// A storage error as a page; internals go to the log only.
fn failure(viewer: Option<&Viewer>, error: baton_db::DbError) -> Response {
    match error {
        baton_db::DbError::NotFound(what) => message(
            StatusCode::NOT_FOUND,
            viewer,
            "Not found",
            format!("{what} does not exist."),
        ),
        baton_db::DbError::Invalid { problem, .. }
        | baton_db::DbError::Conflict { problem, .. } => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            viewer,
            "That did not work",
            problem,
        ),
        other => {
            let reference = baton_core::auth::random_hex(6);
            tracing::error!(%reference, error = %other, "page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                viewer,
                "Something went wrong",
                format!("Something went wrong on our side; reference {reference}."),
            )
        }
    }
}

/// A stored time for people: UTC, to the minute.
fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}
