//! The people at accounts: the contact list and each contact's page with
//! their deals. Everyone signed in reads contacts, as over the API; deals
//! show as on the opportunity list, everyone's or one's own. Those who edit
//! contacts over the API flag decision makers on the page.

use super::lists::{Cell, Column, ListRequest, ListSpec, Output, Rows, Table, choices, respond};
use super::opportunity_lists::{deal_cells, deal_table};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, message, render};
use crate::AppState;
use crate::api::contacts::CONTACT_EDITORS;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use baton_core::domain::Role;
use baton_db::contacts::{ContactChange, ContactLine, ContactListFilter, ContactSort};
use baton_db::listing::{Direction, Window};
use baton_db::opportunities::{OpportunityListFilter, OpportunitySort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts.csv", get(list))
        .route("/contacts/{id}", get(detail))
        .route("/contacts/{id}/decision-maker", post(flag_decision_maker))
}

const COLUMNS: &[Column] = &[
    Column::sorted("Name", "name"),
    Column::sorted("E-mail", "email"),
    Column::unsorted("Phone"),
    Column::sorted("Title", "title"),
    Column::sorted("Account", "account"),
    Column::unsorted("Decision maker"),
];

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A contact's name, or what stands for it when none is known.
fn contact_name(line: &ContactLine) -> String {
    line.contact
        .name
        .clone()
        .unwrap_or_else(|| format!("Contact {}", line.contact.id))
}

fn cells(line: ContactLine) -> Vec<Cell> {
    let name = contact_name(&line);
    let contact = line.contact;
    vec![
        Cell::link(name, format!("/contacts/{}", contact.id)),
        Cell::text(contact.email.unwrap_or_default()),
        Cell::text(contact.phone.unwrap_or_default()),
        Cell::text(contact.title.unwrap_or_default()),
        match (line.account_name, contact.account_id) {
            (Some(account), Some(id)) => Cell::link(account, format!("/accounts/{id}")),
            _ => Cell::text(""),
        },
        Cell::text(yes_no(contact.decision_maker)),
    ]
}

/// A record page's table of contacts, in the list's columns.
pub fn contact_table(lines: Vec<ContactLine>, more: Option<(String, String)>) -> Table {
    Table {
        title: "Contacts",
        heads: COLUMNS.iter().map(|c| c.label).collect(),
        rows: lines.into_iter().map(cells).collect(),
        more,
        empty: "No contacts here yet; they are added with the inquiries people send.",
    }
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let filter = ContactListFilter {
        account_id: request.id("account"),
        decision_maker: request.yes_no("decision_maker"),
        search: request.search(),
    };
    let window = request.window::<ContactSort>(output);
    let listed = match state.db.contact_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(&viewer), e),
    };
    let mut filters = vec![
        Field::choice(
            "decision_maker",
            "Decision maker",
            choices("Either", ["yes", "no"]),
            request.get("decision_maker"),
        )
        .optional(),
    ];
    // Shown when asked for, also when what was asked does not read, so
    // that its problem has a place.
    let account = request.get("account");
    if !account.is_empty() {
        filters.push(Field::input("account", "Account id", "text", account).optional());
    }
    let spec = ListSpec {
        title: "Contacts",
        path: "/contacts",
        columns: COLUMNS,
        search_label: "Search name, e-mail or company",
        empty: "There are no contacts yet. They are added with the inquiries people send, or \
                through the API (POST /api/v1/contacts) and CSV import.",
        note: None,
        views: Vec::new(),
    };
    let rows = Rows {
        total: listed.total,
        rows: listed.rows.into_iter().map(cells).collect(),
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

#[derive(Template)]
#[template(path = "contact_detail.html")]
struct ContactDetail {
    title: String,
    chrome: Option<Chrome>,
    id: i64,
    decision_maker: bool,
    /// The viewer edits contacts, so may flag a decision maker.
    can_flag: bool,
    csrf: String,
    facts: Vec<(&'static str, String)>,
    account: Option<(i64, String)>,
    table: Table,
}

/// Deals shown on the page; the list holds the rest.
const SHOWN: i64 = 25;

async fn detail(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match contact_page(&state, &viewer, id).await {
        Ok(response) => response,
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn contact_page(state: &AppState, viewer: &Viewer, id: i64) -> baton_db::Result<Response> {
    let contact = state.db.contact(id).await?;
    let account = match contact.account_id {
        Some(account) => Some((account, state.db.account(account).await?.name)),
        None => None,
    };
    let deals = state
        .db
        .opportunity_list(
            &OpportunityListFilter {
                contact_id: Some(id),
                owner_id: viewer.limited_to(),
                ..Default::default()
            },
            &Window::first(OpportunitySort::ExpectedClose, Direction::Descending, SHOWN),
        )
        .await?;
    let facts = vec![
        ("E-mail", contact.email.clone().unwrap_or_default()),
        ("Phone", contact.phone.clone().unwrap_or_default()),
        ("Title", contact.title.clone().unwrap_or_default()),
        ("Decision maker", yes_no(contact.decision_maker).to_string()),
    ];
    let chrome = Chrome::for_viewer(viewer);
    Ok(render(
        StatusCode::OK,
        &ContactDetail {
            title: contact
                .name
                .clone()
                .unwrap_or_else(|| format!("Contact {id}")),
            id,
            decision_maker: contact.decision_maker,
            can_flag: may_edit(viewer),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            facts,
            account,
            table: deal_table(
                "Opportunities",
                deals.rows.into_iter().map(deal_cells).collect(),
                None,
            ),
        },
    ))
}

/// Those who edit contacts over the API edit them here.
fn may_edit(viewer: &Viewer) -> bool {
    let role = viewer.role();
    role == Role::Owner || CONTACT_EDITORS.contains(&role)
}

#[derive(Deserialize)]
struct FlagForm {
    csrf: String,
    decision_maker: bool,
}

/// Flags the contact as a decision maker, or no longer one; appointments
/// are booked with decision makers.
async fn flag_decision_maker(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<FlagForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !may_edit(&viewer) {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not yours to do",
            format!("A {} does not edit contacts.", viewer.role()),
        );
    }
    let change = ContactChange {
        decision_maker: Some(form.decision_maker),
        ..Default::default()
    };
    match state
        .db
        .update_contact(Some(viewer.id()), id, &change)
        .await
    {
        Ok(_) => Redirect::to(&format!("/contacts/{id}")).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<ContactSort>(COLUMNS);
    }
}
