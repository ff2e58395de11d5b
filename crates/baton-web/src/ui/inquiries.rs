//! The inquiry page: what the person wrote, the inquiry as received, every
//! decision with its reasons, and the timeline of what happened to it.

use super::session::csrf_refused;
use super::{Chrome, Viewer, failure, message, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baton_core::decision::Reason;
use baton_core::domain::InquiryStatus;
use baton_core::inquiry::Inquiry;
use baton_core::intake::{raw_text, read};
use baton_db::work_items::{WorkEvent, WorkOf};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inquiries/{id}", get(page))
        .route("/inquiries/{id}/spam", post(report_spam))
}

/// One decision as shown.
struct Shown {
    title: &'static str,
    value: String,
    summary: String,
    reasons: Vec<Reason>,
}

impl Shown {
    /// A reason's weight as people read it: points whole, shares to three
    /// decimals.
    fn weight(reason: &Reason) -> String {
        if reason.weight.fract() == 0.0 {
            format!("{:.0}", reason.weight)
        } else {
            format!("{:.3}", reason.weight)
        }
    }
}

/// What the person wrote, read as the pipeline reads it: (label, value)
/// of the fields they filled in, the message last.
fn what_they_wrote(inquiry: &Inquiry) -> Vec<(String, String)> {
    let mut said: Vec<(String, String)> = [
        ("Name", inquiry.name.clone()),
        ("E-mail", inquiry.email.as_ref().map(ToString::to_string)),
        (
            "Phone",
            inquiry.phone.as_ref().map(|p| p.as_str().to_string()),
        ),
        ("Company", inquiry.company.clone()),
        ("Title", inquiry.title.clone()),
        ("Source", inquiry.source.clone()),
        ("Campaign", inquiry.campaign.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label.to_string(), v)))
    .collect();
    said.extend(inquiry.fields.iter().map(|(name, value)| {
        let value = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        (name.clone(), value)
    }));
    said.push(("Message".to_string(), inquiry.message.clone()));
    said
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
    /// The earlier inquiry whose open work this repeat joined.
    repeat_of: Option<i64>,
    decisions: Vec<Shown>,
    /// Decisions later ones replaced, oldest first: (when, what, why).
    superseded: Vec<(String, String, String)>,
    timeline: Vec<(String, String)>,
    /// (label, value) of what the person wrote; empty when it does not read.
    said: Vec<(String, String)>,
    /// The lead it became, when the viewer may open it.
    lead_link: Option<String>,
    /// It got past moderation and the viewer moderates: the form that
    /// confirms it as spam, with the CSRF token.
    spam_form: Option<String>,
    raw: String,
}

/// A line of work history as read on a page: "rejected in hunters by Hal
/// Hunter: no budget", "reassigned in qualification to Hal Hunter by Omar
/// Haddad: …".
pub fn work_event(event: &WorkEvent) -> String {
    let by = event
        .actor
        .as_ref()
        .map(|name| format!(" by {name}"))
        .unwrap_or_default();
    // Assignments name their holder in their reason already.
    let to = match (&event.to, event.action.as_str()) {
        (Some(name), "reassigned") => format!(" to {name}"),
        _ => String::new(),
    };
    format!(
        "{} in {}{to}{by}: {}",
        event.action, event.queue, event.reason
    )
}

#[derive(Deserialize)]
struct SpamForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// A moderator confirms as spam an inquiry that got past moderation: it
/// leaves the funnel, and the spam model learns from their word.
async fn report_spam(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<SpamForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !super::moderation::MODERATORS.contains(&viewer.role()) {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not yours to do",
            format!(
                "{} does not moderate inquiries.",
                viewer.role().a_person(true)
            ),
        );
    }
    match state.db.report_spam(viewer.id(), id, &form.note).await {
        Ok(()) => Redirect::to(&format!("/inquiries/{id}")).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
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
                "intent" => ("Intent", format!("confidence {}", super::percent(d.score))),
                "score" => ("Score", format!("{} of 100", d.score.unwrap_or_default())),
                "route" => ("Routing", "which rule chose the queue".to_string()),
                _ => return None,
            };
            let value = d.value.clone().unwrap_or_else(|| "no queue".into());
            Some(Shown {
                title,
                // A grade is written as a capital everywhere: `B`.
                value: if d.kind == "score" {
                    value.to_uppercase()
                } else {
                    value
                },
                summary: format!("{summary} · {}", d.version),
                reasons: d.reasons.clone(),
            })
        })
        .collect();
    let superseded = view
        .superseded
        .iter()
        .map(|d| {
            let what = format!(
                "{} {}{} · {}",
                d.kind,
                d.value.clone().unwrap_or_else(|| "none".into()),
                d.score.map(|s| format!(" ({s:.2})")).unwrap_or_default(),
                d.version
            );
            let why = d
                .reasons
                .iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            (viewer.when(d.created_at), what, why)
        })
        .collect();
    let mut timeline = vec![(viewer.when(view.received_at), "received".to_string())];
    // A repeat's work is its first inquiry's.
    let work_of = WorkOf::Inquiry(view.repeat_of.unwrap_or(id));
    match state.db.work_history(work_of).await {
        Ok(history) => timeline.extend(history.iter().map(|e| (viewer.when(e.at), work_event(e)))),
        Err(e) => return failure(Some(&viewer), e),
    }
    let lead_link = match view.lead_id {
        Some(lead) if viewer.role().is_manager() => Some(format!("/leads/{lead}")),
        Some(lead) => match state.db.lead_visible_to(lead, viewer.id()).await {
            Ok(true) => Some(format!("/leads/{lead}")),
            Ok(false) => None,
            Err(e) => return failure(Some(&viewer), e),
        },
        None => None,
    };
    // Read as intake read it: a value the form replaced does not hide
    // what the person wrote, and a forward counts from the staff only.
    let reading = tokio::try_join!(
        state.db.form_attribution(&view.origin),
        state.db.staff_for(std::iter::once(view.channel))
    );
    let (form, staff) = match reading {
        Ok(reading) => reading,
        Err(e) => return failure(Some(&viewer), e),
    };
    let said = read(view.channel, &view.raw, form.as_ref(), &staff)
        .map(|(inquiry, _)| what_they_wrote(&inquiry))
        .unwrap_or_default();
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
            received_at: viewer.when(view.received_at),
            channel: view.channel.to_string(),
            origin: view.origin.clone(),
            queue: view.queue.clone(),
            assignee,
            error: view.error.clone(),
            repeat_of: view.repeat_of,
            decisions,
            superseded,
            timeline,
            said,
            lead_link,
            spam_form: (front_of_funnel && view.status == InquiryStatus::Processed)
                .then(|| viewer.session.csrf_token.clone()),
            raw: raw_text(&view.raw).into_owned(),
        },
    )
}
