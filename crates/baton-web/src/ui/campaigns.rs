//! The campaign list: channel, cost, dates and the leads each brought.
//! Everyone signed in reads campaigns, as over the API.

use super::lists::{Cell, Column, ListRequest, ListSpec, Output, Rows, choices, respond};
use super::{Field, Viewer, failure, money};
use crate::AppState;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use baton_core::domain::Role;
use baton_db::campaigns::{CampaignLine, CampaignListFilter, CampaignSort};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaigns.csv", get(list))
}

/// Roles whose menu links the campaigns: the people who run them and those
/// who judge them. Others may open the list too.
pub const LINKED: &[Role] = &[Role::Owner, Role::Manager, Role::Marketer];

const COLUMNS: &[Column] = &[
    Column {
        label: "Campaign",
        sort: Some("name"),
    },
    Column {
        label: "Channel",
        sort: Some("channel"),
    },
    Column {
        label: "Cost",
        sort: Some("cost"),
    },
    Column {
        label: "Starts",
        sort: Some("starts_on"),
    },
    Column {
        label: "Ends",
        sort: Some("ends_on"),
    },
    Column {
        label: "Leads",
        sort: Some("leads"),
    },
];

fn cells(line: CampaignLine) -> Vec<Cell> {
    let campaign = line.campaign;
    vec![
        Cell::text(campaign.name),
        Cell::text(campaign.channel),
        Cell::text(money(campaign.cost_minor, &campaign.currency)),
        Cell::text(campaign.starts_on.unwrap_or_default()),
        Cell::text(campaign.ends_on.unwrap_or_default()),
        Cell::text(line.leads.to_string()),
    ]
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let channel = request.get("channel");
    let filter = CampaignListFilter {
        channel: (!channel.is_empty()).then(|| channel.to_string()),
        search: request.search(),
    };
    let window = request.window::<CampaignSort>(output);
    let (listed, channels) = match tokio::try_join!(
        state.db.campaign_list(&filter, &window),
        state.db.campaign_channels()
    ) {
        Ok(both) => both,
        Err(e) => return failure(Some(&viewer), e),
    };
    let filters = vec![
        Field::choice(
            "channel",
            "Channel",
            choices("Any channel", channels.iter().map(String::as_str)),
            channel,
        )
        .optional(),
    ];
    let spec = ListSpec {
        title: "Campaigns",
        path: "/campaigns",
        columns: COLUMNS,
        search_label: "Search name or channel",
        empty: "There are no campaigns yet. Marketers and managers create them through the API \
                (POST /api/v1/campaigns); forms and inquiries then count their leads.",
        note: None,
        views: Vec::new(),
    };
    let rows = Rows {
        total: listed.total,
        rows: listed.rows.into_iter().map(cells).collect(),
    };
    respond(&viewer, &request, spec, filters, &window, rows, output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<CampaignSort>(COLUMNS);
    }
}
