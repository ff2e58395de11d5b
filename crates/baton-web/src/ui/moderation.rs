//! The moderation queue: quarantined inquiries with who sent what and the
//! reasons they were held, filtered, searched, sorted, paged and exported
//! like every list; release or confirm each, or many ticked at once.

use super::lists::{Cell, Column, ListRequest, ListSpec, ListView, Output, back_to, choices};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, not_for_your_role, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::{Channel, Role};
use baton_db::intake::{HeldFilter, HeldInquiry, HeldSort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/moderation", get(page))
        .route("/moderation.csv", get(page))
        .route("/moderation/{id}/release", post(release))
        .route("/moderation/{id}/confirm", post(confirm))
        .route("/moderation/decide", post(decide_ticked))
}

/// Roles that moderate the front of the funnel.
pub const MODERATORS: &[Role] = &[Role::Owner, Role::Manager, Role::Marketer, Role::Qualifier];

const COLUMNS: &[Column] = &[
    Column::unsorted("Inquiry"),
    Column::unsorted("Channel"),
    Column::unsorted("Sender"),
    Column::unsorted("Message"),
    Column::sorted("Received", "received"),
    Column::sorted("Spam score", "score"),
    Column::unsorted("Why it was held"),
];

/// One held inquiry: what the list shows, and the id its controls decide.
struct Held {
    id: i64,
    cells: Vec<Cell>,
}

fn held(item: HeldInquiry, viewer: &Viewer) -> Held {
    Held {
        id: item.id,
        cells: vec![
            Cell::link(
                format!("Inquiry {}", item.id),
                format!("/inquiries/{}", item.id),
            ),
            Cell::text(item.channel),
            Cell::text(item.sender),
            Cell::text(item.excerpt),
            Cell::text(viewer.when(item.received_at)),
            Cell::text(
                item.spam_score
                    .map(|s| format!("{s:.2}"))
                    .unwrap_or_default(),
            ),
            Cell::text(
                item.reasons
                    .into_iter()
                    .map(|r| r.text)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ],
    }
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    items: Vec<Held>,
    view: ModerationView,
}

/// What the page says besides the held inquiries.
struct ModerationView {
    /// Every box on the page ticked: "select all" without JavaScript.
    all_ticked: bool,
    /// This page with every box ticked, or with none.
    tick_all: String,
    clear_ticks: String,
    /// The list's parameters, so a decision returns to it.
    back: String,
    /// What the last decision on many did.
    notice: Option<String>,
    /// Why a decision on many did nothing.
    problem: Option<String>,
}

/// The address parameters that report a decision or tick the page; the
/// list's own parameters are the others.
const NOT_THE_LIST: &[(&str, &str)] = &[
    ("released", ""),
    ("confirmed", ""),
    ("skipped", ""),
    ("select", ""),
];

/// A decision on one inquiry, from a button of the list.
#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
    /// The parameters of the list the form was sent from.
    #[serde(default)]
    back: String,
}

/// What a decision on many did, as its redirect reports it.
fn notice(request: &ListRequest) -> Option<String> {
    let done = match (request.count("released"), request.count("confirmed")) {
        (Some(0), _) | (None, Some(0)) => String::new(),
        (Some(n), _) => format!("Released {}. ", inquiries(n)),
        (None, Some(n)) => format!("Confirmed {} as spam. ", inquiries(n)),
        (None, None) => return None,
    };
    let skipped = match request.count("skipped").unwrap_or(0) {
        0 => String::new(),
        1 => "1 inquiry was no longer waiting: someone had decided it; left as it was.".into(),
        n => format!(
            "{n} inquiries were no longer waiting: someone had decided them; left as they were."
        ),
    };
    Some(format!("{done}{skipped}").trim_end().to_string())
}

fn inquiries(n: usize) -> String {
    match n {
        1 => "1 inquiry".into(),
        n => format!("{n} inquiries"),
    }
}

fn refused(viewer: &Viewer) -> Response {
    not_for_your_role(viewer, "moderate inquiries")
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !MODERATORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let request = ListRequest::parse(raw.as_deref());
    show(&state, &viewer, output, &request, StatusCode::OK, None).await
}

/// The queue as `request` filters it; `problem` says why a decision on
/// many did nothing.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    // The list's own links (sorting, pages, the export) leave the ticks and
    // the last decision's report behind. Its filters are read from it, so
    // that a filter that does not read is named beside its field.
    let list_request = ListRequest::parse(Some(&request.query(NOT_THE_LIST)));
    let (received_from, received_to) = list_request.days("received_from", "received_to");
    let filter = HeldFilter {
        channel: list_request.one_of::<Channel>("channel"),
        received_from,
        received_to,
        search: list_request.search(),
    };
    // A filter that did not read makes the page a refusal too.
    let status = if list_request.status().is_success() {
        status
    } else {
        list_request.status()
    };
    let window = list_request.window::<HeldSort>(output);
    let listed = match state.db.held_inquiries(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(viewer), e),
    };
    let total = listed.total;
    let items: Vec<Held> = listed
        .rows
        .into_iter()
        .map(|item| held(item, viewer))
        .collect();
    let spec = ListSpec {
        title: "Moderation",
        path: "/moderation",
        columns: COLUMNS,
        search_label: "Search sender or message",
        empty: "No inquiry is waiting for moderation. Inquiries the spam rules suspect \
                wait here until someone releases them or confirms them as spam.",
        note: Some(
            "Suspected spam waits here, never deleted. Release a real inquiry to route it; \
             confirm spam to keep it out of every queue."
                .to_string(),
        ),
        views: Vec::new(),
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            &list_request,
            &spec,
            items.into_iter().map(|h| h.cells).collect(),
        );
    }
    let filters = vec![
        Field::choice(
            "channel",
            "Channel",
            choices("Any channel", Channel::ALL.iter().map(|c| c.as_str())),
            request.get("channel"),
        )
        .optional(),
        Field::input(
            "received_from",
            "Received from",
            "date",
            request.get("received_from"),
        )
        .optional(),
        Field::input(
            "received_to",
            "Received to",
            "date",
            request.get("received_to"),
        )
        .optional(),
    ];
    let view = ModerationView {
        all_ticked: request.get("select") == "all",
        tick_all: request.link(
            "/moderation",
            &[NOT_THE_LIST, &[("select", "all")]].concat(),
        ),
        clear_ticks: request.link("/moderation", NOT_THE_LIST),
        back: request.query(NOT_THE_LIST),
        notice: notice(request),
        problem,
    };
    let chrome = Chrome::for_viewer(viewer);
    render(
        status,
        &ModerationPage {
            title: "Moderation".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            list: ListView::new(&list_request, spec, filters, &window, total, items.len()),
            items,
            view,
        },
    )
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
    decide(&state, &viewer, &[id], true, &form.back).await
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
    decide(&state, &viewer, &[id], false, &form.back).await
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
    let back = fields
        .iter()
        .find(|(key, _)| key == "back")
        .map_or("", |(_, value)| value.as_str());
    let ids: Vec<i64> = fields
        .iter()
        .filter(|(key, _)| key == "id")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let decision = fields.iter().find(|(key, _)| key == "decision");
    let release = match decision.map(|(_, value)| value.as_str()) {
        Some("release") => true,
        Some("confirm") => false,
        _ => return refuse_ticked(&state, &viewer, back, "Choose release or confirm spam.").await,
    };
    if ids.is_empty() {
        return refuse_ticked(&state, &viewer, back, "Tick at least one inquiry first.").await;
    }
    decide(&state, &viewer, &ids, release, back).await
}

/// Releases or confirms `ids`, then goes back to the list the form was sent
/// from, saying how many were decided and how many someone else had
/// decided meanwhile.
async fn decide(
    state: &AppState,
    viewer: &Viewer,
    ids: &[i64],
    release: bool,
    back: &str,
) -> Response {
    let (mut done, mut skipped) = (0, 0);
    for &id in ids {
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
            Err(e) => return failure(Some(viewer), e),
        }
    }
    let verb = if release { "released" } else { "confirmed" };
    let (done, skipped) = (done.to_string(), skipped.to_string());
    Redirect::to(&back_to(
        "/moderation",
        back,
        &[(verb, done.as_str()), ("skipped", skipped.as_str())],
    ))
    .into_response()
}

/// The list the form was sent from, with why the decision on many did nothing.
async fn refuse_ticked(state: &AppState, viewer: &Viewer, back: &str, problem: &str) -> Response {
    show(
        state,
        viewer,
        Output::Page,
        &ListRequest::parse(Some(back)),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(problem.into()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<HeldSort>(COLUMNS);
    }
}
