//! My work: the items on my desk, the most overdue first, with accept and
//! reject in one click.

use super::session::csrf_refused;
use super::{Chrome, Viewer, failure, money, render, when};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::{AppointmentStatus, WorkStatus};
use baton_db::appointments::AppointmentFilter;
use baton_db::now_ms;
use baton_db::opportunities::OpportunityFilter;
use baton_db::work_items::WorkFilter;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/work", get(page))
        .route("/work/calendar-feed", post(calendar_feed))
        .route("/work/{id}/accept", post(accept))
        .route("/work/{id}/reject", post(reject))
}

/// One line of My work.
struct Line {
    id: i64,
    inquiry_id: Option<i64>,
    lead_id: Option<i64>,
    queue: String,
    status: String,
    due: String,
    overdue: bool,
    can_accept: bool,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    notice: Option<String>,
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

/// Most open items shown; the oldest due come first.
const PAGE_ITEMS: i64 = 200;

async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    show(&state, &viewer, None).await
}

/// Most coming appointments shown.
const PAGE_APPOINTMENTS: i64 = 50;

/// My work, with `notice` above it.
async fn show(state: &AppState, viewer: &Viewer, notice: Option<String>) -> Response {
    let mut lines = Vec::new();
    for status in [WorkStatus::Assigned, WorkStatus::Accepted] {
        let filter = WorkFilter {
            assignee_id: Some(viewer.id()),
            status: Some(status),
            ..Default::default()
        };
        match state.db.work_items(&filter, 0, PAGE_ITEMS).await {
            Ok(items) => lines.extend(items),
            Err(e) => return failure(Some(viewer), e),
        }
    }
    lines.sort_by_key(|item| item.first_touch_due_at);
    let now = now_ms();
    let items = lines
        .into_iter()
        .map(|item| {
            let (due, overdue) = countdown(item.first_touch_due_at, now);
            Line {
                id: item.id,
                inquiry_id: item.inquiry_id,
                lead_id: item.lead_id,
                queue: item.queue,
                status: item.status.to_string(),
                due,
                overdue: overdue && item.first_touched_at.is_none(),
                can_accept: item.status == WorkStatus::Assigned,
            }
        })
        .collect();
    let mine = OpportunityFilter {
        owner_id: Some(viewer.id()),
        ..Default::default()
    };
    let deals = match state.db.opportunities(&mine, 0, PAGE_ITEMS).await {
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
    };
    let appointments = match state.db.appointments(&coming, 0, PAGE_APPOINTMENTS).await {
        Ok(mut appointments) => {
            appointments.sort_by_key(|a| a.starts_at);
            appointments
                .into_iter()
                .map(|a| (when(a.starts_at), a.title, a.location.unwrap_or_default()))
                .collect()
        }
        Err(e) => return failure(Some(viewer), e),
    };
    let chrome = Chrome::for_viewer(viewer);
    render(
        StatusCode::OK,
        &WorkPage {
            title: "My work".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            notice,
            items,
            deals,
            appointments,
        },
    )
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
            show(&state, &viewer, Some(notice)).await
        }
        Err(e) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
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
        Ok(_) => Redirect::to("/work").into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn reject(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let item = match state.db.work_item(id).await {
        Ok(item) => item,
        Err(e) => return failure(Some(&viewer), e),
    };
    if !super::leads::may_hand_on(&viewer, &item) {
        return super::message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not yours",
            "Only the assignee or a manager can reject a work item.".into(),
        );
    }
    match state
        .db
        .reject_work_item(viewer.id(), id, &form.reason)
        .await
    {
        Ok(_) => Redirect::to("/work").into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::countdown;

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
