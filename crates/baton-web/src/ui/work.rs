//! My work: the open items assigned to me and those waiting unassigned in my
//! queues, the most overdue first, with take, accept, done and reject in one click;
//! filtered, searched, sorted, paged and exported like every list.

use super::lists::{
    Cell, Column, ListRequest, ListSpec, ListView, Output, Rows, back_to, choices, respond,
    yes_no_filter,
};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, message, money, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::{AppointmentStatus, Intent, WorkStatus};
use baton_db::appointments::AppointmentFilter;
use baton_db::now_ms;
use baton_db::opportunities::OpportunityFilter;
use baton_db::work_items::{DeskFilter, DeskLine, DeskScope, DeskSort, KeptFrom, ON_DESK, WAITING};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/work", get(page))
        .route("/work.csv", get(page))
        .route("/work/all", get(all_work))
        .route("/work/all.csv", get(all_work))
        .route("/work/calendar-feed", post(calendar_feed))
        .route("/work/{id}/accept", post(accept))
        .route("/work/{id}/reject", post(reject))
        .route("/work/{id}/take", post(take))
        .route("/work/{id}/done", post(done))
}

/// My work's columns, then any `extra` ones.
macro_rules! desk_columns {
    ($($extra:expr),*) => {
        &[
            Column::unsorted("Lead"),
            Column::unsorted("Inquiry"),
            Column::unsorted("Contact"),
            Column::unsorted("Company"),
            Column::unsorted("Queue"),
            Column::unsorted("Status"),
            Column::unsorted("Intent"),
            Column::sorted("Score", "score"),
            Column::sorted("Received", "received"),
            Column::sorted("First touch due", "due"),
            Column::unsorted("SLA"),
            $($extra),*
        ]
    };
}

const COLUMNS: &[Column] = desk_columns!();

/// All open work: My work's columns, and who holds each item.
const ALL_COLUMNS: &[Column] = desk_columns!(Column::unsorted("Assignee"));

/// One line of My work: what the list shows, and what may be done with it.
struct Line {
    id: i64,
    cells: Vec<Cell>,
    /// Waiting unassigned in one of my queues: taken, not accepted or rejected.
    waiting: bool,
    /// Why I may not take it, waiting in a queue where I am away or at my cap.
    kept_from: Option<&'static str>,
    can_accept: bool,
    /// Why its rejection was refused, shown beside the reason.
    reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    notice: Option<String>,
    /// Why the last action was refused.
    refused: Option<String>,
    list: ListView,
    /// The list's parameters, so accepting or rejecting returns to it.
    back: String,
    items: Vec<Line>,
    /// My open deals: (id, name, stage, amount, expected close).
    deals: Vec<(i64, String, String, String, String)>,
    /// My coming appointments: (when, title, location).
    appointments: Vec<(String, String, String)>,
}

/// "overdue by 3 h" or "due in 40 min", for a due time against now.
fn countdown(due: i64, now: i64) -> (String, bool) {
    let minutes = (due - now).abs() / 60_000;
    let span = if minutes >= 48 * 60 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes >= 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    };
    if due < now {
        (format!("overdue by {span}"), true)
    } else {
        (format!("due in {span}"), false)
    }
}

/// The SLA that binds an item now, against now: the first touch until it
/// is made, then the resolution. True when that one is overdue.
fn sla(item: &DeskLine, now: i64) -> (String, bool) {
    match item.first_touched_at {
        None => countdown(item.first_touch_due_at, now),
        Some(touched) => {
            let first = if touched <= item.first_touch_due_at {
                "touched in time"
            } else {
                "touched late"
            };
            let (resolution, late) = countdown(item.resolution_due_at, now);
            (format!("{first}; resolution {resolution}"), late)
        }
    }
}

fn line(item: DeskLine, now: i64, viewer: &Viewer, kept: &[(String, KeptFrom)]) -> Line {
    let kept_from = kept
        .iter()
        .find(|(slug, _)| *slug == item.queue)
        .map(|(_, why)| match why {
            KeptFrom::Away => "You are marked away in this queue",
            KeptFrom::Full => "You are at your cap: finish some of your work to take more",
        });
    Line {
        id: item.id,
        waiting: item.status == WAITING,
        kept_from,
        can_accept: item.status == WorkStatus::Assigned,
        reason_error: None,
        cells: cells(item, now, viewer),
    }
}

/// An item's cells under [`COLUMNS`].
fn cells(item: DeskLine, now: i64, viewer: &Viewer) -> Vec<Cell> {
    let (due, late) = sla(&item, now);
    let lead = match item.lead_id {
        Some(lead) => Cell::link(format!("Lead {lead}"), format!("/leads/{lead}")),
        None => Cell::text(""),
    };
    let inquiry = match item.inquiry_id {
        Some(inquiry) => Cell::link(
            format!("Inquiry {inquiry}"),
            format!("/inquiries/{inquiry}"),
        ),
        None => Cell::text(""),
    };
    let contact = if item.contact.is_empty() {
        item.email
    } else {
        item.contact
    };
    vec![
        lead,
        inquiry,
        Cell::text(contact),
        Cell::text(item.company),
        Cell::text(item.queue),
        Cell::text(item.status.as_str()),
        Cell::text(item.intent.map(|i| i.as_str()).unwrap_or_default()),
        Cell::text(item.score.map(|s| s.to_string()).unwrap_or_default()),
        Cell::text(viewer.when(item.received_at)),
        Cell::text(viewer.when(item.first_touch_due_at)),
        Cell::text(due).marked_if(late, "overdue"),
    ]
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    show(&state, &viewer, output, &request, None).await
}

/// Most open deals shown.
const PAGE_DEALS: i64 = 200;

/// Most coming appointments shown.
const PAGE_APPOINTMENTS: i64 = 50;

/// What My work says above the list: news, or why an action was refused.
enum Notice {
    Said(String),
    /// Refused, about the item with this id when the problem is its reason.
    Refused(StatusCode, String, Option<i64>),
}

/// My work as `request` filters it, with `notice` above it.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    notice: Option<Notice>,
) -> Response {
    let now = now_ms();
    let filter = desk_filter(DeskScope::Person(viewer.id()), request, now);
    let window = request.window::<DeskSort>(output);
    let (listed, queues, kept) = match tokio::try_join!(
        state.db.desk(&filter, &window),
        state.db.desk_queues(viewer.id()),
        state.db.kept_from_taking(viewer.id())
    ) {
        Ok(all) => all,
        Err(e) => return failure(Some(viewer), e),
    };
    let total = listed.total;
    let items: Vec<Line> = listed
        .rows
        .into_iter()
        .map(|item| {
            let mut shown = line(item, now, viewer, &kept);
            if let Some(Notice::Refused(_, problem, Some(id))) = &notice
                && *id == shown.id
            {
                shown.reason_error = Some(problem.clone());
            }
            shown
        })
        .collect();
    let spec = ListSpec {
        title: "My work",
        path: "/work",
        columns: COLUMNS,
        search_label: "Search contact name, e-mail or company",
        empty: if viewer.role().is_manager() {
            "Nothing is assigned to you or waiting in a queue of yours. Every queue's open \
             work is under All open work."
        } else {
            "Nothing is waiting for you. New inquiries routed to your queues appear here, \
             the most overdue first."
        },
        note: Some(
            "The open items assigned to you, and those waiting unassigned in your queues."
                .to_string(),
        ),
        views: if viewer.role().is_manager() {
            vec![("/work/all".to_string(), "All open work")]
        } else {
            Vec::new()
        },
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            request,
            &spec,
            items.into_iter().map(|l| l.cells).collect(),
        );
    }
    let filters = desk_filter_fields(request, queues, "waiting in my queues");
    let list = ListView::new(request, spec, filters, &window, total, items.len());
    let mine = OpportunityFilter {
        owner_id: Some(viewer.id()),
        ..Default::default()
    };
    let deals = match state.db.opportunities(&mine, 0, PAGE_DEALS).await {
        Ok(deals) => deals
            .into_iter()
            .filter(|deal| !deal.stage.is_closed())
            .map(|deal| {
                (
                    deal.id,
                    deal.name,
                    deal.stage.to_string(),
                    money(deal.amount_minor, &deal.currency),
                    deal.expected_close.unwrap_or_default(),
                )
            })
            .collect(),
        Err(e) => return failure(Some(viewer), e),
    };
    let coming = AppointmentFilter {
        owner_id: Some(viewer.id()),
        from: Some(now),
        until: None,
        status: Some(AppointmentStatus::Scheduled),
        ..Default::default()
    };
    let appointments = match state.db.appointments(&coming, 0, PAGE_APPOINTMENTS).await {
        Ok(mut appointments) => {
            appointments.sort_by_key(|a| a.starts_at);
            appointments
                .into_iter()
                .map(|a| {
                    let at = viewer.when(a.starts_at);
                    (at, a.title, a.location.unwrap_or_default())
                })
                .collect()
        }
        Err(e) => return failure(Some(viewer), e),
    };
    let chrome = Chrome::for_viewer(viewer);
    let (status, notice, refused) = match notice {
        None => (request.status(), None, None),
        Some(Notice::Said(text)) => (request.status(), Some(text), None),
        Some(Notice::Refused(status, problem, _)) => (status, None, Some(problem)),
    };
    render(
        status,
        &WorkPage {
            title: "My work".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            notice,
            refused,
            list,
            back: request.query(&[]),
            items,
            deals,
            appointments,
        },
    )
}

/// What a desk list (My work, All open work) is filtered by, as `request` asks.
fn desk_filter(scope: DeskScope, request: &ListRequest, now: i64) -> DeskFilter {
    DeskFilter {
        scope,
        queue_id: request.id("queue"),
        status: request.one_of::<WorkStatus>("status"),
        overdue: request.yes_no("overdue"),
        now,
        intent: request.one_of::<Intent>("intent"),
        search: request.search(),
    }
}

/// A desk list's filters: one of `queues` (id, name), the status (work
/// waiting unassigned called `waiting`), lateness and intent.
fn desk_filter_fields(
    request: &ListRequest,
    queues: Vec<(i64, String)>,
    waiting: &str,
) -> Vec<Field> {
    let mut queue_choices = vec![(String::new(), "Any queue".to_string())];
    queue_choices.extend(queues.into_iter().map(|(id, name)| (id.to_string(), name)));
    let mut statuses = choices("Any status", ON_DESK.iter().map(|s| s.as_str()));
    statuses.push((WAITING.as_str().to_string(), waiting.to_string()));
    vec![
        Field::choice("queue", "Queue", queue_choices, request.get("queue")).optional(),
        Field::choice("status", "Status", statuses, request.get("status")).optional(),
        yes_no_filter(request, "overdue", "SLA", ["Any", "Overdue", "Not overdue"]),
        Field::choice(
            "intent",
            "Intent",
            choices("Any intent", Intent::ALL.iter().map(|i| i.as_str())),
            request.get("intent"),
        )
        .optional(),
    ]
}

/// Every queue's open work, for owners and managers to oversee: who holds
/// what, and what waits or runs late; filtered, sorted, paged and exported
/// like My work.
async fn all_work(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !viewer.role().is_manager() {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not for your role",
            format!(
                "{} sees their own work under My work; owners and managers see every queue's.",
                viewer.role().a_person(true)
            ),
        );
    }
    let request = ListRequest::parse(raw.as_deref());
    let now = now_ms();
    let filter = desk_filter(DeskScope::Everyone, &request, now);
    let window = request.window::<DeskSort>(output);
    let (listed, queues) =
        match tokio::try_join!(state.db.desk(&filter, &window), state.db.queues()) {
            Ok(both) => both,
            Err(e) => return failure(Some(&viewer), e),
        };
    let rows = listed
        .rows
        .into_iter()
        .map(|item| {
            let assignee = Cell::text(item.assignee.clone());
            let mut cells = cells(item, now, &viewer);
            cells.push(assignee);
            cells
        })
        .collect();
    let queues = queues.into_iter().map(|q| (q.id, q.name)).collect();
    let filters = desk_filter_fields(&request, queues, "waiting unassigned");
    let spec = ListSpec {
        title: "All open work",
        path: "/work/all",
        columns: ALL_COLUMNS,
        search_label: "Search contact name, e-mail or company",
        empty: "No work is open in any queue. Inquiries routed to a queue appear here until \
                they are done, rejected or turned into deals.",
        note: Some(
            "Every open item in every queue, the most overdue first; open a lead to hand its work on."
                .to_string(),
        ),
        views: vec![("/work".to_string(), "My work")],
    };
    let rows = Rows {
        total: listed.total,
        rows,
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

/// Gives the viewer a new calendar feed address, shown once; the old one stops working.
async fn calendar_feed(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ActionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match state
        .db
        .renew_calendar_feed(Some(viewer.id()), viewer.id())
        .await
    {
        Ok(token) => {
            let url = format!(
                "{}{}",
                state.options.base_url.trim_end_matches('/'),
                crate::calendar::feed_path(&token)
            );
            let notice = format!(
                "Subscribe to {url} in your calendar program. Keep it private: anyone with it can read your appointments. Any earlier address no longer works."
            );
            show(
                &state,
                &viewer,
                Output::Page,
                &ListRequest::parse(None),
                Some(Notice::Said(notice)),
            )
            .await
        }
        Err(e) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    /// What was done, for the item's history (marking it done).
    #[serde(default)]
    note: String,
    /// The parameters of the list the form was sent from.
    #[serde(default)]
    back: String,
}

async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match state.db.accept_work_item(viewer.id(), id).await {
        Ok(_) => Redirect::to(&back_to("/work", &form.back, &[])).into_response(),
        Err(e) => refused(&state, &viewer, &form, e, None).await,
    }
}

/// Takes an item waiting in one of the viewer's queues.
async fn take(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match state.db.take_work_item(viewer.id(), id).await {
        Ok(_) => Redirect::to(&back_to("/work", &form.back, &[])).into_response(),
        Err(e) => refused(&state, &viewer, &form, e, None).await,
    }
}

async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(refused) = held_by_viewer(&state, &viewer, id, &form, "reject").await {
        return refused;
    }
    match state
        .db
        .reject_work_item(viewer.id(), id, &form.reason)
        .await
    {
        Ok(_) => Redirect::to(&back_to("/work", &form.back, &[])).into_response(),
        Err(e) => refused(&state, &viewer, &form, e, Some(id)).await,
    }
}

/// Marks an item the viewer holds done.
async fn done(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(refused) = held_by_viewer(&state, &viewer, id, &form, "mark done").await {
        return refused;
    }
    match state.db.finish_work_item(viewer.id(), id, &form.note).await {
        Ok(_) => Redirect::to(&back_to("/work", &form.back, &[])).into_response(),
        Err(e) => refused(&state, &viewer, &form, e, None).await,
    }
}

/// My work again, as the form was sent from, with why its action did
/// not land above the list, and beside the reason of item `rejected` when
/// that was what was wrong; the failure page for any other error.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    form: &ActionForm,
    error: baton_db::DbError,
    rejected: Option<i64>,
) -> Response {
    let problem = match error {
        baton_db::DbError::Invalid { field, problem } => {
            let item = rejected.filter(|_| field == "reason");
            Notice::Refused(StatusCode::UNPROCESSABLE_ENTITY, problem, item)
        }
        baton_db::DbError::Conflict { problem, .. } => {
            Notice::Refused(StatusCode::CONFLICT, problem, None)
        }
        other => return failure(Some(viewer), other),
    };
    let request = ListRequest::parse(Some(&form.back));
    show(state, viewer, Output::Page, &request, Some(problem)).await
}

/// Refuses a form without its CSRF token, or about an item that is
/// neither the viewer's nor theirs to `act` on as a manager.
async fn held_by_viewer(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    form: &ActionForm,
    act: &str,
) -> Result<(), Response> {
    if !viewer.csrf_ok(&form.csrf) {
        return Err(csrf_refused());
    }
    let item = state
        .db
        .work_item(id)
        .await
        .map_err(|e| failure(Some(viewer), e))?;
    if super::leads::may_hand_on(viewer, &item) {
        return Ok(());
    }
    Err(super::message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not yours",
        format!("Only the assignee or a manager can {act} a work item."),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<DeskSort>(COLUMNS);
    }

    #[test]
    fn the_sla_shown_is_the_first_touch_until_it_is_made_then_the_resolution() {
        let hour = 3_600_000;
        let item = |first_touched_at| DeskLine {
            id: 1,
            lead_id: None,
            inquiry_id: None,
            queue: "hunters".into(),
            status: WorkStatus::Accepted,
            first_touch_due_at: 2 * hour,
            first_touched_at,
            resolution_due_at: 48 * hour,
            received_at: 0,
            intent: None,
            score: None,
            contact: String::new(),
            email: String::new(),
            company: String::new(),
            assignee: String::new(),
        };
        assert_eq!(
            sla(&item(None), 5 * hour),
            ("overdue by 3 h".to_string(), true)
        );
        assert_eq!(
            sla(&item(Some(hour)), 5 * hour),
            ("touched in time; resolution due in 43 h".to_string(), false)
        );
        assert_eq!(
            sla(&item(Some(3 * hour)), 50 * hour),
            ("touched late; resolution overdue by 2 h".to_string(), true)
        );
    }

    #[test]
    fn countdowns_read_naturally() {
        let hour = 3_600_000;
        assert_eq!(countdown(0, 3 * hour), ("overdue by 3 h".to_string(), true));
        assert_eq!(
            countdown(40 * 60_000, 0),
            ("due in 40 min".to_string(), false)
        );
        assert_eq!(
            countdown(0, 72 * hour),
            ("overdue by 3 days".to_string(), true)
        );
    }
}
