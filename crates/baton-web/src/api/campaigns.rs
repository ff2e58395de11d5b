//! Campaigns over the API.

use super::{JsonBody, Page, PageParams, not_null, present_or_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_core::money::Decimal;
use baton_db::campaigns::{Campaign, CampaignChange, NewCampaign};
use serde::{Deserialize, Serialize};

/// Roles that create campaigns and see the names no campaign has.
pub const CAMPAIGN_EDITORS: &[Role] = &[Role::Marketer, Role::Manager];

/// The campaign routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns", get(list).post(create))
        .route("/api/v1/campaigns/unknown", get(unknown))
        .route("/api/v1/campaigns/{id}", get(show).patch(update))
}

/// A new campaign.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignIn {
    /// Unique, whatever its case.
    pub name: String,
    /// A slug: email, event, webinar, ads, social, direct_mail, telemarketing…
    pub channel: String,
    /// In the currency's major units, like "1250.50"; zero when absent.
    pub cost: Option<Decimal>,
    /// Three uppercase letters; the organisation's currency when absent.
    pub currency: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: Option<String>,
    /// Last day, `YYYY-MM-DD`, not before `starts_on`.
    pub ends_on: Option<String>,
}

/// Create a campaign (marketers and managers).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignIn,
    responses((status = 201, body = Campaign), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<CampaignIn>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    caller.require(CAMPAIGN_EDITORS, "create campaigns")?;
    let input = input.read()?;
    let campaign = state
        .db
        .create_campaign(
            Some(caller.id()),
            &NewCampaign {
                name: input.name,
                channel: input.channel,
                cost: input.cost,
                currency: input.currency,
                starts_on: input.starts_on,
                ends_on: input.ends_on,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(campaign)))
}

/// Read a campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(state.db.campaign(id).await?))
}

/// Filters for the campaign list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns of this channel.
    pub channel: Option<String>,
}

/// List campaigns, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignQuery, PageParams),
    responses((status = 200, body = Page<Campaign>)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<CampaignQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Campaign>>, ApiError> {
    let (after, limit) = page.parse()?;
    let channel = query
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let items = state.db.campaigns(channel, after, limit).await?;
    Ok(Json(Page::new(items, limit, |c: &Campaign| c.id)))
}

/// Changes to a campaign; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// Unique, whatever its case; the leads that named it become this campaign's.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub channel: Option<String>,
    /// In the currency's major units, like "1250.50".
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub cost: Option<Decimal>,
    /// The cost is read in it: give the cost too when its decimals differ.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub currency: Option<String>,
    /// `YYYY-MM-DD`; `null` clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub starts_on: Option<Option<String>>,
    /// `YYYY-MM-DD`; `null` clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<Option<String>>,
}

/// Change a campaign's name, channel, cost or days (marketers and managers).
#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignPatch,
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<CampaignPatch>,
) -> Result<Json<Campaign>, ApiError> {
    caller.require(CAMPAIGN_EDITORS, "change campaigns")?;
    let input = input.read()?;
    let change = CampaignChange {
        name: input.name,
        channel: input.channel,
        cost: input.cost,
        currency: input.currency,
        starts_on: input.starts_on,
        ends_on: input.ends_on,
    };
    Ok(Json(
        state
            .db
            .update_campaign(Some(caller.id()), id, &change)
            .await?,
    ))
}

/// A campaign name inquiries gave that no campaign has.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnknownCampaign {
    /// As most of its leads spelled it.
    pub name: String,
    /// Leads that named it and so count for no campaign.
    pub leads: i64,
}

/// What inquiries named that no campaign is: a summary, like a report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnknownCampaigns {
    /// Most leads first.
    pub names: Vec<UnknownCampaign>,
}

/// Campaign names inquiries gave that no campaign has, with their leads,
/// most first. A campaign created by that name, in any case, claims them.
#[utoipa::path(get, path = "/api/v1/campaigns/unknown", tag = "campaigns",
    responses((status = 200, body = UnknownCampaigns), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn unknown(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UnknownCampaigns>, ApiError> {
    caller.require(CAMPAIGN_EDITORS, "see unknown campaign names")?;
    let names = state
        .db
        .unknown_campaign_names()
        .await?
        .into_iter()
        .map(|(name, leads)| UnknownCampaign { name, leads })
        .collect();
    Ok(Json(UnknownCampaigns { names }))
}
