//! Opportunities over the API: a rep's pipeline, opening deals and moving
//! them on to won or lost.

use super::{JsonBody, Page, PageParams, clearable, not_null, params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::{ForecastCategory, OpportunityStage, Role};
use baton_core::money::Decimal;
use baton_db::opportunities::{NewOpportunity, Opportunity, OpportunityChange, OpportunityFilter};
use serde::Deserialize;

/// The opportunity routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/opportunities", get(list).post(create))
        .route("/api/v1/opportunities/{id}", get(show).patch(update))
}

/// Roles that open and work deals.
const SELLERS: &[Role] = &[Role::Manager, Role::Hunter, Role::Farmer];

/// Filters for the opportunity list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpportunityQuery {
    /// Owner's user id, or `me`; others than yourself for owners and managers only.
    pub owner: Option<String>,
    /// prospecting, engaging, proposal, negotiation, won or lost.
    pub stage: Option<String>,
    /// Deals of this account (an id).
    pub account_id: Option<String>,
}

/// List opportunities, oldest first. Owners and managers see every deal;
/// everyone else their own.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "opportunities",
    params(OpportunityQuery, PageParams),
    responses((status = 200, body = Page<Opportunity>), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<OpportunityQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Opportunity>>, ApiError> {
    let asked = params::person(&caller, "owner", query.owner.as_deref())?;
    let filter = OpportunityFilter {
        owner_id: params::own_unless_manager(&caller, asked, "opportunities")?,
        stage: params::one_of("stage", query.stage.as_deref())?,
        account_id: params::id("account_id", query.account_id.as_deref())?,
        lead_id: None,
    };
    let (after, limit) = page.parse()?;
    let items = state.db.opportunities(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |o: &Opportunity| o.id)))
}

/// The deal, if the caller may see it.
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Opportunity, ApiError> {
    let opportunity = state.db.opportunity(id).await?;
    if caller.sees_everything() || opportunity.owner_id == Some(caller.id()) {
        Ok(opportunity)
    } else {
        Err(ApiError::Forbidden(format!(
            "opportunity {id} is not yours; a {} sees only their own deals",
            caller.role()
        )))
    }
}

/// Read an opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "opportunities",
    params(("id" = i64, Path, description = "Opportunity id")),
    responses((status = 200, body = Opportunity), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Opportunity>, ApiError> {
    Ok(Json(visible(&state, &caller, id).await?))
}

/// A new opportunity.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityIn {
    pub name: String,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// The lead it came from; the lead moves to the opportunity stage. A
    /// disqualified lead is refused (409) until it is brought back.
    pub lead_id: Option<i64>,
    /// Who holds it: the caller when absent; someone else (a hunter,
    /// farmer, manager or owner) for owners and managers only.
    pub owner_id: Option<i64>,
    pub product: Option<String>,
    /// In the currency's major units, like "12000.00".
    pub amount: Decimal,
    /// Three uppercase letters; the organisation's currency when absent.
    pub currency: Option<String>,
    /// prospecting when absent; a new deal cannot start won or lost.
    pub stage: Option<OpportunityStage>,
    /// 0 to 100; the stage's default when absent.
    pub probability: Option<i64>,
    /// The stage's default when absent.
    pub forecast_category: Option<ForecastCategory>,
    /// `YYYY-MM-DD`.
    pub expected_close: Option<String>,
}

/// Open an opportunity (hunters, farmers and managers).
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "opportunities", request_body = OpportunityIn,
    responses((status = 201, body = Opportunity), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<OpportunityIn>,
) -> Result<(StatusCode, Json<Opportunity>), ApiError> {
    caller.require(SELLERS, "open opportunities")?;
    let input = input.read()?;
    let owner_id = input.owner_id.unwrap_or(caller.id());
    if owner_id != caller.id() {
        caller.require(&[Role::Manager], "open opportunities for someone else")?;
    }
    // Opening a deal moves its lead on, which only the lead's holder may do.
    if let Some(lead) = input.lead_id {
        super::leads::held_lead(&state, &caller, lead)
            .await
            .map_err(|e| e.named_if_missing("lead_id"))?;
    }
    let opportunity = state
        .db
        .create_opportunity(
            Some(caller.id()),
            &NewOpportunity {
                name: input.name,
                account_id: input.account_id,
                contact_id: input.contact_id,
                lead_id: input.lead_id,
                owner_id,
                product: input.product,
                amount: input.amount,
                currency: input.currency,
                stage: input.stage,
                probability: input.probability,
                forecast_category: input.forecast_category,
                expected_close: input.expected_close,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(opportunity)))
}

/// Changes to an opportunity; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityPatch {
    /// A new stage brings its default probability and category unless given;
    /// won or lost closes the deal today.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub stage: Option<OpportunityStage>,
    /// In the deal's currency's major units.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub amount: Option<Decimal>,
    /// 0 to 100.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub probability: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub forecast_category: Option<ForecastCategory>,
    /// `YYYY-MM-DD`; `null` or empty text clears it.
    #[serde(default, deserialize_with = "clearable")]
    pub expected_close: Option<String>,
    /// Required to lose a deal; allowed when winning it.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub close_reason: Option<String>,
    /// Hands the deal, and its lead, to another hunter, farmer, manager or
    /// owner at work (managers only).
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub owner_id: Option<i64>,
}

/// Move a deal on: stage, amount, probability, category, expected close,
/// who holds it. Winning it makes its account and lead customers.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "opportunities", request_body = OpportunityPatch,
    params(("id" = i64, Path, description = "Opportunity id")),
    responses((status = 200, body = Opportunity), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<OpportunityPatch>,
) -> Result<Json<Opportunity>, ApiError> {
    caller.require(SELLERS, "change opportunities")?;
    let input = input.read()?;
    visible(&state, &caller, id).await?;
    if input.owner_id.is_some_and(|owner| owner != caller.id()) {
        caller.require(&[Role::Manager], "hand a deal to someone else")?;
    }
    let change = OpportunityChange {
        stage: input.stage,
        amount: input.amount,
        probability: input.probability,
        forecast_category: input.forecast_category,
        expected_close: input.expected_close,
        close_reason: input.close_reason,
        owner_id: input.owner_id,
    };
    Ok(Json(
        state
            .db
            .update_opportunity(Some(caller.id()), id, &change)
            .await?,
    ))
}
