//! The pipeline: the opportunity list and the board of deals by stage with
//! each stage's amounts summed. As over the API, owners and managers see
//! every deal and may pick an owner; everyone else sees their own deals
//! and is refused someone else's.

use super::lists::{
    Cell, Column, FilterForm, ListRequest, ListSpec, Output, Rows, Table, choices, respond,
};
use super::{Chrome, Field, Viewer, failure, message, money, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use baton_core::domain::{ForecastCategory, OpportunityStage, Role};
use baton_db::listing::{Direction, Window};
use baton_db::opportunities::{OpportunityLine, OpportunityListFilter, OpportunitySort};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/opportunities", get(list))
        .route("/opportunities.csv", get(list))
        .route("/opportunities/board", get(board))
}

/// Roles whose menu links the pipeline: the people who own deals and
/// those who see everyone's. Others may open it, and see their own deals.
pub const LINKED: &[Role] = &[Role::Owner, Role::Manager, Role::Hunter, Role::Farmer];

const COLUMNS: &[Column] = &[
    Column::sorted("Opportunity", "name"),
    Column::sorted("Account", "account"),
    Column::sorted("Owner", "owner"),
    Column::sorted("Stage", "stage"),
    Column::sorted("Amount", "amount").of_amounts(),
    Column::sorted("Probability", "probability"),
    Column::unsorted("Forecast"),
    Column::sorted("Expected close", "expected_close"),
];

/// A deal as a row of [`COLUMNS`].
pub fn deal_cells(line: OpportunityLine) -> Vec<Cell> {
    let deal = line.deal;
    vec![
        Cell::link(deal.name, format!("/opportunities/{}", deal.id)),
        match (line.account_name, deal.account_id) {
            (Some(name), Some(id)) => Cell::link(name, format!("/accounts/{id}")),
            _ => Cell::text(""),
        },
        Cell::text(line.owner_name.unwrap_or_default()),
        Cell::text(deal.stage.as_str()),
        Cell::amount(deal.amount_minor, &deal.currency),
        Cell::share(deal.probability, 100),
        Cell::text(deal.forecast_category.as_str()),
        Cell::text(deal.expected_close.unwrap_or_default()),
    ]
}

/// A record page's table of deals, in the list's columns.
pub fn deal_table(
    title: &'static str,
    rows: Vec<Vec<Cell>>,
    more: Option<(String, String)>,
) -> Table {
    Table {
        title,
        heads: COLUMNS.iter().map(|c| c.label).collect(),
        rows,
        more,
        empty: "No deals here that you may see.",
    }
}

/// The page for a person who sees only their own deals asking for someone
/// else's.
fn not_yours(viewer: &Viewer) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not your deals",
        format!(
            "{} sees only their own deals; owners and managers see everyone's.",
            viewer.role().a_person(true)
        ),
    )
}

/// The filter the address asks for, within the deals the viewer may see;
/// none when a person who sees only their own asks for someone else's.
fn filter(viewer: &Viewer, request: &ListRequest) -> Option<OpportunityListFilter> {
    let asked = request.id("owner");
    let owner_id = match (viewer.limited_to(), asked) {
        (Some(own), Some(other)) if other != own => return None,
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    Some(OpportunityListFilter {
        owner_id,
        stage: request.one_of("stage"),
        forecast_category: request.one_of("forecast"),
        account_id: request.id("account"),
        contact_id: None,
        search: request.search(),
    })
}

/// The filter fields; the owner only for people who may pick one.
async fn fields(
    state: &AppState,
    viewer: &Viewer,
    request: &ListRequest,
    with_stage: bool,
) -> baton_db::Result<Vec<Field>> {
    let mut fields = Vec::new();
    if with_stage {
        fields.push(
            Field::choice(
                "stage",
                "Stage",
                choices(
                    "Any stage",
                    OpportunityStage::ALL.iter().map(|s| s.as_str()),
                ),
                request.get("stage"),
            )
            .optional(),
        );
    }
    fields.push(
        Field::choice(
            "forecast",
            "Forecast category",
            choices(
                "Any category",
                ForecastCategory::ALL.iter().map(|c| c.as_str()),
            ),
            request.get("forecast"),
        )
        .optional(),
    );
    if viewer.limited_to().is_none() {
        let mut owners = vec![(String::new(), "Anyone".to_string())];
        owners.extend(
            state
                .db
                .users()
                .await?
                .into_iter()
                .filter(|u| u.active)
                .map(|u| (u.id.to_string(), u.name)),
        );
        fields.push(Field::choice("owner", "Owner", owners, request.get("owner")).optional());
    }
    if !request.get("account").is_empty() {
        fields
            .push(Field::input("account", "Account id", "text", request.get("account")).optional());
    }
    Ok(fields)
}

fn scope_note(viewer: &Viewer) -> Option<String> {
    viewer.limited_to().map(|_| "Your own deals.".to_string())
}

/// What to say when there is no deal to show: someone who sees only their
/// own is not told there are none at all.
fn no_deals(viewer: &Viewer) -> &'static str {
    match viewer.limited_to() {
        Some(_) => "You hold no deals yet.",
        None => {
            "No deals yet. Convert a qualified lead from its page, or open one through the \
             API (POST /api/v1/opportunities)."
        }
    }
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let Some(filter) = filter(&viewer, &request) else {
        return not_yours(&viewer);
    };
    let window = request.window::<OpportunitySort>(output);
    let (listed, filters) = match tokio::try_join!(
        state.db.opportunity_list(&filter, &window),
        fields(&state, &viewer, &request, true)
    ) {
        Ok(both) => both,
        Err(e) => return failure(Some(&viewer), e),
    };
    let spec = ListSpec {
        title: "Opportunities",
        path: "/opportunities",
        columns: COLUMNS,
        search_label: "Search deal or company",
        empty: no_deals(&viewer),
        note: scope_note(&viewer),
        views: vec![(
            // The board lays every stage side by side, so a stage filter
            // does not go with it.
            request.link(
                "/opportunities/board",
                &[("sort", ""), ("dir", ""), ("page", ""), ("stage", "")],
            ),
            "Board by stage",
        )],
    };
    let rows = Rows {
        total: listed.total,
        rows: listed.rows.into_iter().map(deal_cells).collect(),
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

/// Deals shown in each column of the board, largest first.
const CARDS: i64 = 10;

struct Card {
    id: i64,
    name: String,
    account: String,
    amount: String,
}

struct StageColumn {
    stage: &'static str,
    deals: i64,
    /// The sum per currency.
    totals: Vec<String>,
    cards: Vec<Card>,
    /// The list of every deal of the stage, when there are more.
    more: Option<String>,
}

impl StageColumn {
    fn deal_count(&self) -> String {
        super::counted(self.deals, "deal", "deals")
    }
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    title: String,
    chrome: Option<Chrome>,
    note: Option<String>,
    list: String,
    form: FilterForm,
    narrowed: bool,
    /// No deal in any stage.
    empty: bool,
    /// What to say when there is no deal at all.
    nothing: &'static str,
    columns: Vec<StageColumn>,
}

async fn board(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let Some(mut filter) = filter(&viewer, &request) else {
        return not_yours(&viewer);
    };
    // Every stage is a column of its own: none is filtered out unseen.
    filter.stage = None;
    match board_columns(&state, &request, &filter).await {
        Ok(columns) => match fields(&state, &viewer, &request, false).await {
            Ok(fields) => render(
                request.status(),
                &BoardPage {
                    title: "Pipeline board".into(),
                    chrome: Some(Chrome::for_viewer(&viewer)),
                    note: scope_note(&viewer),
                    list: request.link("/opportunities", &[]),
                    narrowed: request.narrowed(&fields),
                    form: FilterForm {
                        action: "/opportunities/board",
                        search_label: "Search deal or company",
                        search: request.search(),
                        fields,
                        kept: Vec::new(),
                    },
                    empty: columns.iter().all(|c| c.deals == 0),
                    nothing: no_deals(&viewer),
                    columns,
                },
            ),
            Err(e) => failure(Some(&viewer), e),
        },
        Err(e) => failure(Some(&viewer), e),
    }
}

/// Each stage with its totals and largest deals.
async fn board_columns(
    state: &AppState,
    request: &ListRequest,
    filter: &OpportunityListFilter,
) -> baton_db::Result<Vec<StageColumn>> {
    let totals = state.db.stage_totals(filter).await?;
    let largest = Window::first(OpportunitySort::Amount, Direction::Descending, CARDS);
    let mut columns = Vec::new();
    for stage in OpportunityStage::ALL {
        let of_stage: Vec<_> = totals.iter().filter(|t| t.stage == *stage).collect();
        let deals = of_stage.iter().map(|t| t.deals).sum();
        let cards = if deals == 0 {
            Vec::new()
        } else {
            let stage_filter = OpportunityListFilter {
                stage: Some(*stage),
                ..filter.clone()
            };
            state
                .db
                .opportunity_list(&stage_filter, &largest)
                .await?
                .rows
                .into_iter()
                .map(|line| Card {
                    id: line.deal.id,
                    amount: money(line.deal.amount_minor, &line.deal.currency),
                    name: line.deal.name,
                    account: line.account_name.unwrap_or_default(),
                })
                .collect()
        };
        columns.push(StageColumn {
            stage: stage.as_str(),
            deals,
            totals: of_stage
                .iter()
                .map(|t| money(t.amount_minor, &t.currency))
                .collect(),
            cards,
            more: (deals > CARDS).then(|| {
                request.link(
                    "/opportunities",
                    &[
                        ("stage", stage.as_str()),
                        ("sort", "amount"),
                        ("dir", "desc"),
                    ],
                )
            }),
        });
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<OpportunitySort>(COLUMNS);
    }
}
