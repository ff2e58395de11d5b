//! The lead list: every lead with its contact, account, stage, score,
//! source and owner, filtered by campaign among others. As over the API, owners and managers see every lead
//! and may pick an owner; everyone else sees the leads they own or whose
//! work is in their queues.

use super::lists::{Cell, Column, ListRequest, ListSpec, Output, Rows, choices, respond};
use super::{Field, Viewer, failure};
use crate::AppState;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use baton_core::domain::{Grade, Role, Stage};
use baton_db::leads::{LeadLine, LeadListFilter, LeadSort};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/leads", get(list))
        .route("/leads.csv", get(list))
}

/// Roles whose menu links the leads: the people who work them and those
/// who see everyone's. Others may open the list too.
pub const LINKED: &[Role] = &[
    Role::Owner,
    Role::Manager,
    Role::Marketer,
    Role::Qualifier,
    Role::Hunter,
    Role::Farmer,
];

pub(super) const COLUMNS: &[Column] = &[
    Column::sorted("Lead", "contact"),
    Column::sorted("Account", "account"),
    Column::sorted("Stage", "stage"),
    Column::sorted("Score", "score").of_scores(),
    Column::unsorted("Intent"),
    Column::sorted("Source", "source"),
    Column::sorted("Owner", "owner"),
    Column::sorted("Arrived", "created"),
];

pub(super) fn cells(line: LeadLine, viewer: &Viewer) -> Vec<Cell> {
    let name = if line.contact.is_empty() {
        line.email
    } else {
        line.contact
    };
    let name = if name.is_empty() {
        format!("Lead {}", line.id)
    } else {
        name
    };
    vec![
        Cell::link(name, format!("/leads/{}", line.id)),
        Cell::text(line.account),
        Cell::text(line.stage.as_str()),
        Cell::score(line.score, line.grade),
        Cell::text(line.intent.as_str()),
        Cell::text(line.source),
        Cell::text(line.owner),
        Cell::text(viewer.when(line.created_at)),
    ]
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let filter = LeadListFilter {
        stage: request.one_of::<Stage>("stage"),
        grade: request.one_of::<Grade>("grade"),
        source: Some(request.get("source").to_string()).filter(|s| !s.is_empty()),
        owner_id: request.id("owner"),
        campaign_id: request.id("campaign"),
        account_id: request.id("account"),
        visible_to: viewer.limited_to(),
        search: request.search(),
    };
    let window = request.window::<LeadSort>(output);
    // Only people who may pick an owner need the list of people.
    let people = async {
        match viewer.limited_to() {
            Some(_) => Ok(Vec::new()),
            None => state.db.users().await,
        }
    };
    let (listed, sources, campaigns, people) = match tokio::try_join!(
        state.db.lead_list(&filter, &window),
        state.db.lead_sources(),
        state.db.campaign_names(),
        people
    ) {
        Ok(all) => all,
        Err(e) => return failure(Some(&viewer), e),
    };
    let mut filters = vec![
        Field::choice(
            "stage",
            "Stage",
            choices("Any stage", Stage::ALL.iter().map(|s| s.as_str())),
            request.get("stage"),
        )
        .optional(),
        Field::choice(
            "grade",
            "Grade",
            choices("Any grade", Grade::ALL.iter().map(|g| g.as_str())),
            request.get("grade"),
        )
        .optional(),
        Field::choice(
            "source",
            "Source",
            choices("Any source", sources.iter().map(String::as_str)),
            request.get("source"),
        )
        .optional(),
    ];
    let mut campaign_choices = vec![(String::new(), "Any campaign".to_string())];
    campaign_choices.extend(
        campaigns
            .into_iter()
            .map(|(id, name)| (id.to_string(), name)),
    );
    filters.push(
        Field::choice(
            "campaign",
            "Campaign",
            campaign_choices,
            request.get("campaign"),
        )
        .optional(),
    );
    // One account's leads, from its page.
    let account = request.get("account");
    if !account.is_empty() {
        filters.push(Field::input("account", "Account id", "text", account).optional());
    }
    if viewer.limited_to().is_none() {
        let mut owners = vec![(String::new(), "Anyone".to_string())];
        owners.extend(
            people
                .into_iter()
                .filter(|u| u.active)
                .map(|u| (u.id.to_string(), u.name)),
        );
        filters.push(Field::choice("owner", "Owner", owners, request.get("owner")).optional());
    }
    let spec = ListSpec {
        title: "Leads",
        path: "/leads",
        columns: COLUMNS,
        search_label: "Search name, e-mail or account",
        // Someone who sees only some leads is not told there are none at all.
        empty: match viewer.limited_to() {
            Some(_) => "No lead is yours or has work in your queues yet.",
            None => {
                "No leads yet. Publish a form (Forms), post inquiries to the API \
                 (POST /api/v1/inquiries) or import them (baton import inquiries FILE.csv); \
                 each one routed to a sales or marketing queue becomes a lead."
            }
        },
        note: viewer
            .limited_to()
            .map(|_| "The leads you own or whose work is in your queues.".to_string()),
        views: Vec::new(),
    };
    let rows = Rows {
        total: listed.total,
        rows: listed
            .rows
            .into_iter()
            .map(|line| cells(line, &viewer))
            .collect(),
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<LeadSort>(COLUMNS);
    }
}
