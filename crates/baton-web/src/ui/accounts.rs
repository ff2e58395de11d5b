//! The companies Baton sells to: the account list (tier, status, open work,
//! revenue won) and each account's page with its contacts, leads and deals.
//! Everyone signed in reads accounts, as over the API; open work and
//! revenue count only a person's own queues and deals unless they see
//! everything.

use super::contacts::contact_table;
use super::lists::{
    Cell, Column, ListRequest, ListSpec, ListView, ListWithForm, Output, Table, answer_new_record,
    choices, csv,
};
use super::opportunity_lists::{deal_cells, deal_table};
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, failure, money, not_for_your_role, parsed, place_errors,
    refused_with_all, render, typed, whole_number,
};
use crate::AppState;
use crate::api::accounts::ACCOUNT_EDITORS;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use baton_core::domain::{AccountStatus, Role, Tier};
use baton_core::inquiry::FieldError;
use baton_db::accounts::{
    Account, AccountChange, AccountLine, AccountListFilter, AccountSort, HeldBy, NewAccount,
};
use baton_db::contacts::{ContactListFilter, ContactSort};
use baton_db::leads::LeadFilter;
use baton_db::listing::{Direction, Window};
use baton_db::opportunities::{OpportunityListFilter, OpportunitySort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list).post(create))
        .route("/accounts.csv", get(list))
        .route("/accounts/{id}", get(detail).post(change))
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

/// Whether the viewer adds accounts, as over the API.
fn may_add(viewer: &Viewer) -> bool {
    let role = viewer.role();
    role == Role::Owner || ACCOUNT_EDITORS.contains(&role)
}

/// A new account as typed.
#[derive(Deserialize, Default)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    /// The parameters of the list the form was sent from.
    #[serde(default)]
    back: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    employees: String,
}

impl AccountForm {
    fn fields(&self) -> Vec<Field> {
        let tier = if self.tier.is_empty() {
            "c"
        } else {
            &self.tier
        };
        let status = if self.status.is_empty() {
            "suspect"
        } else {
            &self.status
        };
        account_fields(
            &self.name,
            Field::input("domain", "Domain (acme.com)", "text", &self.domain).optional(),
            (tier, status),
            (&self.industry, &self.employees),
        )
    }

    /// The account typed, held by the person adding it if they sell, and
    /// each field that does not read (left out of the account).
    fn new_account(&self, viewer: &Viewer) -> (NewAccount, Vec<FieldError>) {
        let mut problems = Vec::new();
        let tier = parsed("tier", &self.tier, &mut problems);
        let status = parsed("status", &self.status, &mut problems);
        let employees = whole_number("employees", &self.employees, &mut problems);
        let account = NewAccount {
            name: self.name.clone(),
            domains: typed(&self.domain).into_iter().collect(),
            status,
            tier,
            industry: typed(&self.industry),
            employees,
            owner_id: viewer.role().sells().then(|| viewer.id()),
        };
        (account, problems)
    }
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    show(
        &state,
        &viewer,
        output,
        &request,
        &AccountForm::default(),
        None,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<AccountForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !may_add(&viewer) {
        return not_for_your_role(
            &viewer,
            "add accounts; those who sell, qualify or market do",
        );
    }
    let stored = match form.new_account(&viewer) {
        (new, problems) if problems.is_empty() => state
            .db
            .create_account(Some(viewer.id()), &new)
            .await
            .map(|account| format!("/accounts/{}", account.id)),
        // Every problem at once: what storage says of the fields that read.
        (new, problems) => Err(refused_with_all(
            state.db.checked_account(&new).await,
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

/// The list as `request` narrows it, with the form for a new account as
/// `typed` holds it and the problems that refused it, if any.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &AccountForm,
    refused: Option<Vec<FieldError>>,
) -> Response {
    let filter = AccountListFilter {
        tier: request.one_of("tier"),
        status: request.one_of("status"),
        search: request.search(),
        viewer: viewer.limited_to(),
    };
    let window = request.window::<AccountSort>(output);
    let listed = match state.db.account_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(viewer), e),
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
                companies, with the form below, or through the API (POST /api/v1/accounts) \
                and CSV import.",
        note: scope_note(viewer),
        views: Vec::new(),
    };
    let rows: Vec<Vec<Cell>> = listed.rows.into_iter().map(cells).collect();
    if output == Output::Csv {
        return csv(viewer, request, &spec, rows);
    }
    let fields = may_add(viewer).then(|| typed.fields());
    let list = ListView::new(request, spec, filters, &window, listed.total, rows.len());
    let page = ListWithForm::new(viewer, request, list, rows, "account", fields, refused);
    render(request.status(), &page)
}

/// An account's fields as typed, its domains in `domains`: the new
/// account's form and an account's change form alike.
fn account_fields(
    name: &str,
    domains: Field,
    (tier, status): (&str, &str),
    (industry, employees): (&str, &str),
) -> Vec<Field> {
    let named = |all: &mut dyn Iterator<Item = &'static str>| {
        all.map(|v| (v.to_string(), v.to_string())).collect()
    };
    vec![
        Field::input("name", "Name", "text", name),
        domains,
        Field::choice(
            "tier",
            "Tier",
            named(&mut Tier::ALL.iter().map(|t| t.as_str())),
            tier,
        ),
        Field::choice(
            "status",
            "Status",
            named(&mut AccountStatus::ALL.iter().map(|s| s.as_str())),
            status,
        ),
        Field::input("industry", "Industry", "text", industry).optional(),
        Field::input("employees", "Employees", "number", employees).optional(),
    ]
}

/// A change to an account as typed on its page.
#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// Every domain it claims, separated by commas.
    #[serde(default)]
    domains: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    employees: String,
    /// Who holds it; offered to managers only, absent from others' forms.
    #[serde(default)]
    owner_id: Option<String>,
}

impl ChangeForm {
    /// The form filled in with the account as it is.
    fn of(account: &Account) -> ChangeForm {
        ChangeForm {
            csrf: String::new(),
            name: account.name.clone(),
            domains: account.domains.join(", "),
            tier: account.tier.as_str().to_string(),
            status: account.status.as_str().to_string(),
            industry: account.industry.clone().unwrap_or_default(),
            employees: account.employees.map(|e| e.to_string()).unwrap_or_default(),
            owner_id: Some(
                account
                    .owner_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            ),
        }
    }

    fn fields(&self) -> Vec<Field> {
        let domains = Field::input(
            "domains",
            "Domains (acme.com, acme.io)",
            "text",
            &self.domains,
        );
        account_fields(
            &self.name,
            domains.optional(),
            (&self.tier, &self.status),
            (&self.industry, &self.employees),
        )
    }

    /// The change typed, and each field that does not read; a holder only
    /// from a manager's form.
    fn change(&self, manager: bool) -> (AccountChange, Vec<FieldError>) {
        let mut problems = Vec::new();
        let owner_id = match self.owner_id.as_deref().map(str::trim) {
            Some("") if manager => Some(None),
            Some(id) if manager => id.parse::<i64>().map_or_else(
                |_| {
                    problems.push(FieldError::new("owner_id", "choose who holds the account"));
                    None
                },
                |id| Some(Some(id)),
            ),
            _ => None,
        };
        let change = AccountChange {
            name: Some(self.name.clone()),
            status: parsed("status", &self.status, &mut problems),
            tier: parsed("tier", &self.tier, &mut problems),
            industry: Some(typed(&self.industry)),
            employees: Some(whole_number("employees", &self.employees, &mut problems)),
            owner_id,
            domains: Some(self.domains.split(',').filter_map(typed).collect()),
        };
        (change, problems)
    }
}

/// Whether the viewer changes this account, as over the API: managers
/// any, those who add accounts the ones they hold or nobody holds.
fn may_change(viewer: &Viewer, account: &Account) -> bool {
    viewer.role().is_manager()
        || (may_add(viewer) && account.owner_id.is_none_or(|owner| owner == viewer.id()))
}

#[derive(Template)]
#[template(path = "account_detail.html")]
struct AccountDetail {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    id: i64,
    /// Empty when the viewer may not change the account.
    change_fields: Vec<Field>,
    facts: Vec<(&'static str, String)>,
    revenue: String,
    note: Option<String>,
    tables: Vec<Table>,
}

/// Rows shown in each table of the page; the lists hold the rest.
const SHOWN: i64 = 25;

async fn detail(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match account_page(&state, &viewer, id, None).await {
        Ok(response) => response,
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ChangeForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let account = match state.db.account(id).await {
        Ok(account) => account,
        Err(e) => return failure(Some(&viewer), e),
    };
    if !may_change(&viewer, &account) {
        return not_for_your_role(&viewer, "change this account; its holder or a manager does");
    }
    let changed = match form.change(viewer.role().is_manager()) {
        (change, problems) if problems.is_empty() => state
            .db
            .update_account(
                Some(viewer.id()),
                id,
                &change,
                HeldBy::for_caller(viewer.role().is_manager(), account.owner_id),
            )
            .await
            .map(drop),
        // Every problem at once: what storage says of the fields that read.
        (change, problems) => Err(refused_with_all(
            state.db.checked_account(&change.over(&account)).await,
            problems,
        )),
    };
    let problems = match changed.map_err(|e| e.renamed("domain", "domains").field_problems()) {
        Ok(()) => return Redirect::to(&format!("/accounts/{id}")).into_response(),
        Err(Ok(problems)) => problems,
        Err(Err(e)) => return failure(Some(&viewer), e),
    };
    match account_page(&state, &viewer, id, Some((form, problems))).await {
        Ok(response) => response,
        Err(e) => failure(Some(&viewer), e),
    }
}

/// The account's page; with `refused`, its change form as typed with each
/// problem beside its field, answered 422.
async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    refused: Option<(ChangeForm, Vec<FieldError>)>,
) -> baton_db::Result<Response> {
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
    // One more than shown tells whether there are more.
    let (account, line, contacts, mut leads, deals) = tokio::try_join!(
        state.db.account(id),
        state.db.account_line(id, viewer.limited_to()),
        state.db.contact_list(&contact_filter, &by_name),
        state.db.leads(&lead_filter, 0, SHOWN + 1),
        state.db.opportunity_list(&deal_filter, &closing_last),
    )?;
    let more_leads = leads.len() as i64 > SHOWN;
    leads.truncate(SHOWN as usize);
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
            more: more_leads.then(|| {
                (
                    format!("/leads?account={id}"),
                    "All of this account's leads".to_string(),
                )
            }),
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
    let mut change_fields = Vec::new();
    if may_change(viewer, &account) {
        let shown = ChangeForm::of(&account);
        let typed = refused.as_ref().map_or(&shown, |(typed, _)| typed);
        change_fields = typed.fields();
        // Managers hand an account to a seller at work, or to nobody.
        if viewer.role().is_manager() {
            let sellers = std::iter::once((String::new(), "Nobody".to_string()))
                .chain(
                    state
                        .db
                        .users()
                        .await?
                        .into_iter()
                        .filter(|p| p.active && p.role.sells())
                        .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.role))),
                )
                .collect();
            let holder = typed.owner_id.clone().unwrap_or_default();
            change_fields.push(Field::choice("owner_id", "Held by", sellers, &holder).optional());
        }
    }
    let status = match refused {
        Some((_, problems)) => {
            place_errors(&mut change_fields, problems);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        None => StatusCode::OK,
    };
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
        status,
        &AccountDetail {
            title: account.name,
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            id,
            change_fields,
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
