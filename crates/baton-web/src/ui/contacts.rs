//! The people at accounts: the contact list and each contact's page with
//! their deals. Everyone signed in reads contacts, as over the API; deals
//! show as on the opportunity list, everyone's or one's own. Those who edit
//! contacts over the API flag decision makers on the page.

use super::lists::{
    Cell, Column, ListRequest, ListSpec, ListView, ListWithForm, Output, Table, answer_new_record,
    choices, csv,
};
use super::opportunity_lists::{deal_cells, deal_table};
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, failure, message, not_for_your_role, refused_with_all, render, typed,
    whole_number,
};
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
use baton_core::inquiry::FieldError;
use baton_db::contacts::{ContactChange, ContactLine, ContactListFilter, ContactSort, NewContact};
use baton_db::listing::{Direction, Window};
use baton_db::opportunities::{OpportunityListFilter, OpportunitySort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list).post(create))
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

/// Whether the viewer adds contacts, as over the API.
fn may_add(viewer: &Viewer) -> bool {
    let role = viewer.role();
    role == Role::Owner || CONTACT_EDITORS.contains(&role)
}

/// A new contact as typed.
#[derive(Deserialize, Default)]
struct ContactForm {
    #[serde(default)]
    csrf: String,
    /// The parameters of the list the form was sent from.
    #[serde(default)]
    back: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    decision_maker: String,
}

impl ContactForm {
    fn fields(&self) -> Vec<Field> {
        let flagged = if self.decision_maker.is_empty() {
            "no"
        } else {
            &self.decision_maker
        };
        vec![
            Field::input("name", "Name", "text", &self.name).optional(),
            Field::input("email", "E-mail", "email", &self.email).optional(),
            Field::input("phone", "Phone", "tel", &self.phone).optional(),
            Field::input("title", "Title", "text", &self.title).optional(),
            Field::input("account_id", "Account id", "number", &self.account_id).optional(),
            Field::choice(
                "decision_maker",
                "Decision maker",
                vec![
                    ("no".to_string(), "No".to_string()),
                    ("yes".to_string(), "Yes".to_string()),
                ],
                flagged,
            ),
        ]
    }

    /// The contact typed, and each field that does not read (left out of
    /// the contact).
    fn new_contact(&self) -> (NewContact, Vec<FieldError>) {
        let mut problems = Vec::new();
        let account_id = whole_number("account_id", &self.account_id, &mut problems);
        if !matches!(self.decision_maker.as_str(), "" | "no" | "yes") {
            problems.push(FieldError::new("decision_maker", "choose yes or no"));
        }
        let contact = NewContact {
            name: typed(&self.name),
            email: typed(&self.email),
            phone: typed(&self.phone),
            title: typed(&self.title),
            account_id,
            decision_maker: self.decision_maker == "yes",
        };
        (contact, problems)
    }
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    // A list of one account's people offers to add one there.
    let typed = ContactForm {
        account_id: request.get("account").to_string(),
        ..ContactForm::default()
    };
    show(&state, &viewer, output, &request, &typed, None).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ContactForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !may_add(&viewer) {
        return not_for_your_role(&viewer, "add contacts; those who talk to customers do");
    }
    let stored = match form.new_contact() {
        (new, problems) if problems.is_empty() => state
            .db
            .create_contact(Some(viewer.id()), &new)
            .await
            .map(|contact| format!("/contacts/{}", contact.id)),
        // Every problem at once: what storage says of the fields that read.
        (new, problems) => Err(refused_with_all(
            state.db.checked_contact(&new).await,
            problems,
        )),
    };
    let request = ListRequest::parse(Some(&form.back));
    answer_new_record(&viewer, stored, async |problems| {
        show(
            &state,
            &viewer,
            Output::Page,
            &request,
            &form,
            Some(problems),
        )
        .await
    })
    .await
}

/// The list as `request` narrows it, with the form for a new contact as
/// `typed` holds it and the problems that refused it, if any.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &ContactForm,
    refused: Option<Vec<FieldError>>,
) -> Response {
    let filter = ContactListFilter {
        account_id: request.id("account"),
        decision_maker: request.yes_no("decision_maker"),
        search: request.search(),
    };
    let window = request.window::<ContactSort>(output);
    let listed = match state.db.contact_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(viewer), e),
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
        empty: "There are no contacts yet. They are added with the inquiries people send, \
                with the form below, or through the API (POST /api/v1/contacts) and CSV \
                import.",
        note: None,
        views: Vec::new(),
    };
    let rows: Vec<Vec<Cell>> = listed.rows.into_iter().map(cells).collect();
    if output == Output::Csv {
        return csv(viewer, request, &spec, rows);
    }
    let fields = may_add(viewer).then(|| typed.fields());
    let list = ListView::new(request, spec, filters, &window, listed.total, rows.len());
    let page = ListWithForm::new(viewer, request, list, rows, "contact", fields, refused);
    render(request.status(), &page)
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
            format!("{} does not edit contacts.", viewer.role().a_person(true)),
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
