//! The companies Baton sells to: the account list (tier, status, open work,
//! revenue won) and each account's page with its contacts, leads and deals.
//! Everyone signed in reads accounts, as over the API; open work and
//! revenue count only a person's own queues and deals unless they see
//! everything.

use super::contacts::contact_table;
use super::lists::{Cell, Column, ListRequest, ListSpec, Output, Rows, Table, choices, respond};
use super::opportunity_lists::{deal_cells, deal_table};
use super::{Chrome, Field, Viewer, failure, money, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use baton_core::domain::{AccountStatus, Tier};
use baton_db::accounts::{AccountLine, AccountListFilter, AccountSort};
use baton_db::contacts::{ContactListFilter, ContactSort};
use baton_db::leads::LeadFilter;
use baton_db::listing::{Direction, Window};
use baton_db::opportunities::{OpportunityListFilter, OpportunitySort};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list))
        .route("/accounts.csv", get(list))
        .route("/accounts/{id}", get(detail))
}

const COLUMNS: &[Column] = &[
    Column::sorted("Account", "name"),
    Column::unsorted("Domain"),
    Column::sorted("Tier", "tier"),
    Column::sorted("Status", "status"),
    Column::sorted("Open work", "open_work"),
    Column::sorted("Revenue won", "revenue_won").of_amounts(),
];

/// The line under a heading that says whose figures these are.
fn scope_note(viewer: &Viewer) -> Option<String> {
    viewer.limited_to().map(|_| {
        "Open work counts the items in your queues; revenue counts your own won deals.".into()
    })
}

fn cells(line: AccountLine) -> Vec<Cell> {
    // The page says what the sum leaves out; the CSV holds the sum alone.
    let mut revenue = Cell::amount(line.revenue_won, &line.currency);
    revenue.text = revenue_won(&line);
    vec![
        Cell::link(line.name, format!("/accounts/{}", line.id)),
        Cell::text(line.domain.unwrap_or_default()),
        Cell::text(line.tier.as_str().to_uppercase()),
        Cell::text(line.status.as_str()),
        Cell::text(line.open_work.to_string()),
        revenue,
    ]
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let filter = AccountListFilter {
        tier: request.one_of("tier"),
        status: request.one_of("status"),
        search: request.search(),
        viewer: viewer.limited_to(),
    };
    let window = request.window::<AccountSort>(output);
    let listed = match state.db.account_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(&viewer), e),
    };
    let filters = vec![
        Field::choice(
            "tier",
            "Tier",
            choices("Any tier", Tier::ALL.iter().map(|t| t.as_str())),
            request.get("tier"),
        )
        .optional(),
        Field::choice(
            "status",
            "Status",
            choices("Any status", AccountStatus::ALL.iter().map(|s| s.as_str())),
            request.get("status"),
        )
        .optional(),
    ];
    let spec = ListSpec {
        title: "Accounts",
        path: "/accounts",
        columns: COLUMNS,
        search_label: "Search name or domain",
        empty: "There are no accounts yet. They are added when inquiries arrive from new \
                companies, or through the API (POST /api/v1/accounts) and CSV import.",
        note: scope_note(&viewer),
        views: Vec::new(),
    };
    let rows = Rows {
        total: listed.total,
        rows: listed.rows.into_iter().map(cells).collect(),
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

#[derive(Template)]
#[template(path = "account_detail.html")]
struct AccountDetail {
    title: String,
    chrome: Option<Chrome>,
    facts: Vec<(&'static str, String)>,
    revenue: String,
    note: Option<String>,
    tables: Vec<Table>,
}

/// Rows shown in each table of the page; the lists hold the rest.
const SHOWN: i64 = 25;

async fn detail(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match account_page(&state, &viewer, id).await {
        Ok(response) => response,
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn account_page(state: &AppState, viewer: &Viewer, id: i64) -> baton_db::Result<Response> {
    let contact_filter = ContactListFilter {
        account_id: Some(id),
        ..Default::default()
    };
    let lead_filter = LeadFilter {
        account_id: Some(id),
        visible_to: viewer.limited_to(),
        ..Default::default()
    };
    let deal_filter = OpportunityListFilter {
        account_id: Some(id),
        owner_id: viewer.limited_to(),
        ..Default::default()
    };
    let by_name = Window::first(ContactSort::Name, Direction::Ascending, SHOWN);
    let closing_last = Window::first(OpportunitySort::ExpectedClose, Direction::Descending, SHOWN);
    let (account, line, contacts, leads, deals) = tokio::try_join!(
        state.db.account(id),
        state.db.account_line(id, viewer.limited_to()),
        state.db.contact_list(&contact_filter, &by_name),
        state.db.leads(&lead_filter, 0, SHOWN),
        state.db.opportunity_list(&deal_filter, &closing_last),
    )?;
    let owner = match account.owner_id {
        Some(owner) => state.db.user(owner).await?.name,
        None => "nobody".into(),
    };
    let tables = vec![
        contact_table(
            contacts.rows,
            (contacts.total > SHOWN).then(|| {
                (
                    format!("/contacts?account={id}"),
                    format!("All {} contacts", contacts.total),
                )
            }),
        ),
        Table {
            title: "Leads",
            heads: vec!["Lead", "Stage", "Score", "Queue"],
            more: None,
            rows: leads
                .into_iter()
                .map(|lead| {
                    vec![
                        Cell::link(format!("Lead {}", lead.id), format!("/leads/{}", lead.id)),
                        Cell::text(lead.stage.as_str()),
                        Cell::text(super::score_and_grade(lead.score, lead.grade)),
                        Cell::text(lead.queue.unwrap_or_default()),
                    ]
                })
                .collect(),
            empty: "No leads from this account that you work on.",
        },
        deal_table(
            "Opportunities",
            deals.rows.into_iter().map(deal_cells).collect(),
            (deals.total > SHOWN).then(|| {
                (
                    format!("/opportunities?account={id}"),
                    format!("All {} opportunities", deals.total),
                )
            }),
        ),
    ];
    let facts = vec![
        ("Status", account.status.to_string()),
        ("Tier", account.tier.as_str().to_uppercase()),
        ("Industry", account.industry.unwrap_or_default()),
        (
            "Employees",
            account.employees.map(|e| e.to_string()).unwrap_or_default(),
        ),
        ("Domains", account.domains.join(", ")),
        ("Owner", owner),
        ("Open work", line.open_work.to_string()),
    ];
    Ok(render(
        StatusCode::OK,
        &AccountDetail {
            title: account.name,
            chrome: Some(Chrome::for_viewer(viewer)),
            revenue: revenue_won(&line),
            note: scope_note(viewer),
            facts,
            tables,
        },
    ))
}

/// The revenue won in the organisation's currency, saying how many wins in
/// other currencies it leaves out.
fn revenue_won(line: &AccountLine) -> String {
    let won = money(line.revenue_won, &line.currency);
    match line.won_in_other_currencies {
        0 => won,
        1 => format!("{won}, and 1 deal won in another currency"),
        n => format!("{won}, and {n} deals won in other currencies"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<AccountSort>(COLUMNS);
    }
}
