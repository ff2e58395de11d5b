//! The campaign list: channel, cost, dates and the leads each brought,
//! with a new campaign in one step for those who run them; and each
//! campaign's page: what its leads have become, what they cost and won,
//! and the leads themselves. Everyone signed in reads campaigns, as over
//! the API.

use super::lists::{
    Cell, Column, ListRequest, ListSpec, ListView, ListWithForm, Output, Pagination, Table, choices,
};
use super::reports::ratio;
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, dashboard, failure, lead_list, money, not_for_your_role, percent,
    place_errors, refusal, render, typed,
};
use crate::AppState;
use crate::api::campaigns::CAMPAIGN_EDITORS;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use baton_core::domain::Role;
use baton_core::inquiry::FieldError;
use baton_core::money::Decimal;
use baton_db::campaigns::{
    CampaignChange, CampaignLine, CampaignListFilter, CampaignSort, NewCampaign,
};
use baton_db::leads::{LeadListFilter, LeadSort};
use baton_db::reports::CampaignQuality;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list).post(create))
        .route("/campaigns.csv", get(list))
        .route("/campaigns/{id}", get(detail).post(change))
}

/// Roles whose menu links the campaigns: the people who run them and those
/// who judge them. Others may open the list too.
pub const LINKED: &[Role] = &[Role::Owner, Role::Manager, Role::Marketer];

const COLUMNS: &[Column] = &[
    Column::sorted("Campaign", "name"),
    Column::sorted("Channel", "channel"),
    Column::sorted("Cost", "cost").of_amounts(),
    Column::sorted("Starts", "starts_on"),
    Column::sorted("Ends", "ends_on"),
    Column::sorted("Leads", "leads"),
];

fn cells(line: CampaignLine) -> Vec<Cell> {
    let campaign = line.campaign;
    vec![
        Cell::link(campaign.name, format!("/campaigns/{}", campaign.id)),
        Cell::text(campaign.channel),
        Cell::amount(campaign.cost_minor, &campaign.currency),
        Cell::text(campaign.starts_on.unwrap_or_default()),
        Cell::text(campaign.ends_on.unwrap_or_default()),
        Cell::text(line.leads.to_string()),
    ]
}

/// Unknown names shown on the list; the rest are counted.
const UNKNOWN_SHOWN: usize = 5;

/// What the list says of campaign names inquiries gave that no campaign
/// has: those leads count for no campaign until one by that name exists.
fn unknown_note(unknown: &[(String, i64)]) -> Option<String> {
    if unknown.is_empty() {
        return None;
    }
    let leads = |n: i64| {
        if n == 1 {
            "1 lead".to_string()
        } else {
            format!("{n} leads")
        }
    };
    let mut named: Vec<String> = unknown
        .iter()
        .take(UNKNOWN_SHOWN)
        .map(|(name, n)| format!("\u{201c}{name}\u{201d} ({})", leads(*n)))
        .collect();
    if unknown.len() > UNKNOWN_SHOWN {
        named.push(format!("{} more", unknown.len() - UNKNOWN_SHOWN));
    }
    Some(format!(
        "Inquiries named campaigns that do not exist: {}. Their leads count for no campaign; \
         add a campaign by that name and they count for it.",
        named.join(", ")
    ))
}

fn refused(viewer: &Viewer) -> Response {
    not_for_your_role(
        viewer,
        "add or change campaigns; marketers, managers and owners do",
    )
}

/// Whether the viewer adds and changes campaigns.
fn may_edit(viewer: &Viewer) -> bool {
    let role = viewer.role();
    role == Role::Owner || CAMPAIGN_EDITORS.contains(&role)
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
        &CampaignForm::default(),
        None,
    )
    .await
}

/// The list as `request` narrows it, with the form for a new campaign as
/// `typed` holds it and the problem that refused it, if any.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &CampaignForm,
    refused: Option<Vec<FieldError>>,
) -> Response {
    let channel = request.get("channel");
    let filter = CampaignListFilter {
        channel: (!channel.is_empty()).then(|| channel.to_string()),
        search: request.search(),
    };
    let window = request.window::<CampaignSort>(output);
    // The names no campaign has are for those who add campaigns, as over the API.
    let unknown = async {
        if may_edit(viewer) {
            state.db.unknown_campaign_names().await
        } else {
            Ok(Vec::new())
        }
    };
    let (listed, channels, unknown) = match tokio::try_join!(
        state.db.campaign_list(&filter, &window),
        state.db.campaign_channels(),
        unknown
    ) {
        Ok(all) => all,
        Err(e) => return failure(Some(viewer), e),
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
        empty: "There are no campaigns yet. Marketers and managers add them here or through \
                the API (POST /api/v1/campaigns); forms and inquiries then count their leads.",
        note: unknown_note(&unknown),
        views: Vec::new(),
    };
    let rows: Vec<Vec<Cell>> = listed.rows.into_iter().map(cells).collect();
    if output == Output::Csv {
        return super::lists::csv(viewer, request, &spec, rows);
    }
    let fields = may_edit(viewer).then(|| typed.fields(NEW_CURRENCY));
    let status = match &refused {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => request.status(),
    };
    let list = ListView::new(request, spec, filters, &window, listed.total, rows.len());
    let page = ListWithForm::new(viewer, request, list, rows, "campaign", fields, refused);
    render(status, &page)
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CampaignForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !may_edit(&viewer) {
        return refused(&viewer);
    }
    let created = state
        .db
        .create_campaign(Some(viewer.id()), &form.new_campaign())
        .await;
    match created {
        Ok(campaign) => Redirect::to(&format!("/campaigns/{}", campaign.id)).into_response(),
        Err(e) => match refusal(e) {
            Ok(problem) => {
                let request = ListRequest::parse(Some(&form.back));
                show(
                    &state,
                    &viewer,
                    Output::Page,
                    &request,
                    &form,
                    Some(problem),
                )
                .await
            }
            Err(e) => failure(Some(&viewer), e),
        },
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    title: String,
    chrome: Option<Chrome>,
    facts: Vec<(&'static str, String)>,
    /// (stage, leads at it now), in the stages' order.
    stages: Vec<(&'static str, i64)>,
    /// What its leads won against what it cost, for those who read the
    /// lead quality report.
    figures: Option<Vec<(&'static str, String)>>,
    currency: String,
    leads: Table,
    pagination: Pagination,
    note: Option<String>,
    id: i64,
    csrf: String,
    /// The campaign's fields to change, for those who may.
    edit: Vec<Field>,
    /// A change was refused: the form opens on its problem.
    edit_refused: bool,
}

/// The values a campaign's form shows: as typed when a change was refused,
/// else as stored.
#[derive(Deserialize, Default)]
struct CampaignForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    back: String,
}

impl CampaignForm {
    /// The form's fields, for a new campaign or a change to one; `currency`
    /// labels the currency, which each reads differently when left empty.
    fn fields(&self, currency: &'static str) -> Vec<Field> {
        vec![
            Field::input("name", "Name", "text", &self.name),
            Field::input(
                "channel",
                "Channel (a slug: webinar, event, ads, email…)",
                "text",
                &self.channel,
            ),
            Field::input("cost", "Cost", "text", &self.cost).optional(),
            Field::input("currency", currency, "text", &self.currency).optional(),
            Field::input("starts_on", "Starts", "date", &self.starts_on).optional(),
            Field::input("ends_on", "Ends", "date", &self.ends_on).optional(),
        ]
    }

    /// What was typed as a new campaign, empty fields left to their defaults.
    fn new_campaign(&self) -> NewCampaign {
        NewCampaign {
            name: self.name.clone(),
            channel: self.channel.clone(),
            cost: typed(&self.cost).map(Decimal),
            currency: typed(&self.currency),
            starts_on: typed(&self.starts_on),
            ends_on: typed(&self.ends_on),
        }
    }
}

/// A new campaign's currency label.
const NEW_CURRENCY: &str = "Currency (the organisation's when empty)";
/// A changed campaign's: an empty field keeps its currency.
const KEPT_CURRENCY: &str = "Currency (kept when empty)";

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    match campaign_page(&state, &viewer, id, raw.as_deref(), None).await {
        Ok(response) => response,
        Err(e) => failure(Some(&viewer), e),
    }
}

/// Changes the campaign as its page's form says, then shows it; a refused
/// change shows the page again with what was typed and the problem.
async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CampaignForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !may_edit(&viewer) {
        return refused(&viewer);
    }
    let new = form.new_campaign();
    let change = CampaignChange {
        name: Some(new.name),
        channel: Some(new.channel),
        cost: Some(new.cost.unwrap_or_else(|| Decimal("0".into()))),
        currency: new.currency,
        starts_on: Some(new.starts_on),
        ends_on: Some(new.ends_on),
    };
    let outcome = match state
        .db
        .update_campaign(Some(viewer.id()), id, &change)
        .await
    {
        Ok(_) => return Redirect::to(&format!("/campaigns/{id}")).into_response(),
        Err(e) => refusal(e),
    };
    let shown = match outcome {
        Ok(problem) => campaign_page(&state, &viewer, id, None, Some((&form, problem))).await,
        Err(e) => Err(e),
    };
    shown.unwrap_or_else(|e| failure(Some(&viewer), e))
}

/// The lead quality report's figures for the whole campaign.
fn figures(quality: &CampaignQuality, opportunities: i64) -> Vec<(&'static str, String)> {
    let row = &quality.row;
    let amount =
        |minor: Option<i64>| minor.map_or_else(|| "—".to_string(), |m| money(m, &quality.currency));
    vec![
        ("MQLs", row.mqls.to_string()),
        (
            "Accepted by sales",
            format!(
                "{} ({} of MQLs)",
                row.accepted,
                percent(row.acceptance_rate)
            ),
        ),
        ("Became customers", row.customers.to_string()),
        ("Opportunities opened", opportunities.to_string()),
        ("Revenue won", amount(Some(row.won_revenue_minor))),
        ("Cost per lead", amount(row.cost_per_lead_minor)),
        ("Return on cost", ratio(row.return_on_cost)),
    ]
}

async fn campaign_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    query: Option<&str>,
    refused: Option<(&CampaignForm, Vec<FieldError>)>,
) -> baton_db::Result<Response> {
    let campaign = state.db.campaign(id).await?;
    let (status, edit) = match (may_edit(viewer), refused) {
        (false, _) => (StatusCode::OK, Vec::new()),
        (true, Some((typed, problems))) => {
            let mut fields = typed.fields(KEPT_CURRENCY);
            place_errors(&mut fields, problems);
            (StatusCode::UNPROCESSABLE_ENTITY, fields)
        }
        (true, None) => {
            let stored = CampaignForm {
                name: campaign.name.clone(),
                channel: campaign.channel.clone(),
                cost: campaign.cost.clone(),
                currency: campaign.currency.clone(),
                starts_on: campaign.starts_on.clone().unwrap_or_default(),
                ends_on: campaign.ends_on.clone().unwrap_or_default(),
                ..CampaignForm::default()
            };
            (StatusCode::OK, stored.fields(KEPT_CURRENCY))
        }
    };
    let request = ListRequest::parse(query);
    let window = request.window::<LeadSort>(Output::Page);
    let filter = LeadListFilter {
        campaign_id: Some(id),
        visible_to: viewer.limited_to(),
        ..Default::default()
    };
    let quality = async {
        if dashboard::READERS.contains(&viewer.role()) {
            state.db.campaign_quality(&campaign).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (pipeline, quality, listed) = tokio::try_join!(
        state.db.campaign_pipeline(id),
        quality,
        state.db.lead_list(&filter, &window),
    )?;
    let all_leads: i64 = pipeline.by_stage.iter().map(|(_, leads)| leads).sum();
    let path = format!("/campaigns/{id}");
    let pagination = Pagination::new(
        &request,
        &path,
        window.offset,
        listed.rows.len(),
        listed.total,
    );
    let leads = Table {
        title: "Its leads",
        heads: lead_list::COLUMNS.iter().map(|c| c.label).collect(),
        rows: listed
            .rows
            .into_iter()
            .map(|line| lead_list::cells(line, viewer))
            .collect(),
        more: None,
        empty: if all_leads == 0 {
            "This campaign has brought no leads yet."
        } else if pagination.total == 0 {
            "None of its leads is yours or has work in your queues."
        } else {
            "No leads on this page."
        },
    };
    let runs = match (&campaign.starts_on, &campaign.ends_on) {
        (Some(starts), Some(ends)) => format!("{starts} to {ends}"),
        (Some(starts), None) => format!("from {starts}, still running"),
        (None, Some(ends)) => format!("until {ends}"),
        (None, None) => String::new(),
    };
    let facts = vec![
        ("Channel", campaign.channel.clone()),
        ("Cost", money(campaign.cost_minor, &campaign.currency)),
        ("Runs", runs),
        ("Leads", all_leads.to_string()),
    ];
    Ok(render(
        status,
        &CampaignPage {
            id,
            csrf: viewer.session.csrf_token.clone(),
            edit_refused: status == StatusCode::UNPROCESSABLE_ENTITY,
            edit,
            title: campaign.name.clone(),
            chrome: Some(Chrome::for_viewer(viewer)),
            facts,
            stages: pipeline
                .by_stage
                .iter()
                .map(|(stage, leads)| (stage.as_str(), *leads))
                .collect(),
            figures: quality
                .as_ref()
                .map(|quality| figures(quality, pipeline.opportunities)),
            currency: quality.map(|q| q.currency).unwrap_or_default(),
            leads,
            pagination,
            note: viewer.limited_to().map(|_| {
                "The leads listed are those you own or whose work is in your queues.".to_string()
            }),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<CampaignSort>(COLUMNS);
    }
}
