//! The inquiry page: the inquiry as received and every decision with its
//! reasons, and the timeline of what happened to it.

use super::{Chrome, Viewer, failure, message, render, when};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use baton_core::decision::Reason;
use baton_core::intake::raw_text;

pub fn router() -> Router<AppState> {
    Router::new().route("/inquiries/{id}", get(page))
}

/// One decision as shown.
struct Shown {
    title: &'static str,
    value: String,
    summary: String,
    reasons: Vec<Reason>,
}

#[derive(Template)]
#[template(path = "inquiry.html")]
struct InquiryPage {
    title: String,
    chrome: Option<Chrome>,
    id: i64,
    status: String,
    received_at: String,
    channel: String,
    origin: String,
    queue: Option<String>,
    assignee: Option<String>,
    error: Option<String>,
    decisions: Vec<Shown>,
    timeline: Vec<(String, String)>,
    raw: String,
}

async fn page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    let view = match state.db.inquiry(id).await {
        Ok(view) => view,
        Err(e) => return failure(Some(&viewer), e),
    };
    let front_of_funnel = super::moderation::MODERATORS.contains(&viewer.role());
    let in_my_queue = match &view.queue {
        Some(slug) => match state.db.is_queue_member(slug, viewer.id()).await {
            Ok(member) => member,
            Err(e) => return failure(Some(&viewer), e),
        },
        None => false,
    };
    if !front_of_funnel && view.assignee_id != Some(viewer.id()) && !in_my_queue {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not in your queues",
            format!("Inquiry {id} belongs to another team's work."),
        );
    }
    let decisions = view
        .decisions
        .iter()
        .filter_map(|d| {
            let (title, summary) = match d.kind.as_str() {
                "moderation" => (
                    "Spam check",
                    format!("spam score {:.2}", d.score.unwrap_or_default()),
                ),
                "intent" => (
                    "Intent",
                    format!("confidence {:.0}%", d.score.unwrap_or_default() * 100.0),
                ),
                "score" => ("Score", format!("{} of 100", d.score.unwrap_or_default())),
                "route" => ("Routing", "which rule chose the queue".to_string()),
                _ => return None,
            };
            Some(Shown {
                title,
                value: d.value.clone().unwrap_or_else(|| "no queue".into()),
                summary: format!("{summary} · {}", d.version),
                reasons: d.reasons.clone(),
            })
        })
        .collect();
    let mut timeline = vec![(when(view.received_at), "received".to_string())];
    if let Some(item) = view.work_item_id
        && let Ok(history) = state.db.work_item_history(item).await
    {
        timeline.extend(
            history
                .into_iter()
                .map(|h| (when(h.at), format!("{}: {}", h.action, h.reason))),
        );
    }
    let assignee = match view.assignee_id {
        Some(user) => state.db.user(user).await.ok().map(|u| u.name),
        None => None,
    };
    render(
        StatusCode::OK,
        &InquiryPage {
            title: format!("Inquiry {id}"),
            chrome: Some(Chrome::for_viewer(&viewer)),
            id,
            status: view.status.to_string(),
            received_at: when(view.received_at),
            channel: view.channel.to_string(),
            origin: view.origin.clone(),
            queue: view.queue.clone(),
            assignee,
            error: view.error.clone(),
            decisions,
            timeline,
            raw: raw_text(&view.raw).into_owned(),
        },
    )
}
