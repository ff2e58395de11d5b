//! Accounts over the API.

use super::{JsonBody, Page, PageParams, not_null, present_or_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::{AccountStatus, Role, Tier};
use baton_db::accounts::{Account, AccountChange, HeldBy, NewAccount};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", get(list).post(create))
        .route("/api/v1/accounts/{id}", get(show).patch(update))
}

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    pub name: String,
    /// The account's main domain; more can be given in `domains`.
    pub domain: Option<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    pub status: Option<AccountStatus>,
    pub tier: Option<Tier>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    /// Who holds it: a hunter, farmer, manager or owner; someone else than
    /// the caller for owners and managers only. Left out, the caller holds
    /// it if they sell.
    pub owner_id: Option<i64>,
}

/// Roles that create and edit accounts.
pub(crate) const ACCOUNT_EDITORS: &[Role] = &[
    Role::Manager,
    Role::Qualifier,
    Role::Hunter,
    Role::Farmer,
    Role::Marketer,
];

/// Create an account.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = AccountIn,
    responses((status = 201, body = Account), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<AccountIn>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    caller.require(ACCOUNT_EDITORS, "create accounts")?;
    let input = input.read()?;
    if input.owner_id.is_some_and(|owner| owner != caller.id()) {
        caller.require(&[Role::Manager], "create accounts held by someone else")?;
    }
    let mut domains: Vec<String> = input.domain.into_iter().collect();
    domains.extend(input.domains);
    let account = state
        .db
        .create_account(
            Some(caller.id()),
            &NewAccount {
                name: input.name,
                domains,
                status: input.status,
                tier: input.tier,
                industry: input.industry,
                employees: input.employees,
                // Held by whoever adds it if they sell, as on the page.
                owner_id: input
                    .owner_id
                    .or_else(|| caller.role().sells().then(|| caller.id())),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// A change to an account: only the fields given change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub status: Option<AccountStatus>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub tier: Option<Tier>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub employees: Option<Option<i64>>,
    /// Who holds it: a hunter, farmer, manager or owner; someone else than
    /// the caller for owners and managers only; `null` for nobody.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    /// Every domain it claims, replacing those it claimed.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub domains: Option<Vec<String>>,
}

/// Change an account. Managers change any; others those they hold, or that
/// nobody holds, and hand them to no one but themselves.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", request_body = AccountPatch,
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = Account), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<AccountPatch>,
) -> Result<Json<Account>, ApiError> {
    caller.require(ACCOUNT_EDITORS, "change accounts")?;
    let input = input.read()?;
    let account = state.db.account(id).await?;
    if account.owner_id.is_some_and(|owner| owner != caller.id()) {
        caller.require(&[Role::Manager], "change an account someone else holds")?;
    }
    let held_by = HeldBy::for_caller(caller.role().is_manager(), account.owner_id);
    if input
        .owner_id
        .is_some_and(|owner| owner.is_some_and(|owner| owner != caller.id()))
    {
        caller.require(&[Role::Manager], "hand an account to someone else")?;
    }
    let change = AccountChange {
        name: input.name,
        status: input.status,
        tier: input.tier,
        industry: input.industry,
        employees: input.employees,
        owner_id: input.owner_id,
        domains: input.domains,
    };
    Ok(Json(
        state
            .db
            .update_account(Some(caller.id()), id, &change, held_by)
            .await
            .map_err(|e| e.renamed("domain", "domains"))?,
    ))
}

/// Read an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = Account), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(state.db.account(id).await?))
}

/// Filters for the account list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    /// suspect, prospect or customer.
    pub status: Option<String>,
}

/// List accounts, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(AccountFilter, PageParams),
    responses((status = 200, body = Page<Account>)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(filter): Query<AccountFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Account>>, ApiError> {
    let status = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<AccountStatus>)
        .transpose()
        .map_err(|e| ApiError::field("status", e.to_string()))?;
    let (after, limit) = page.parse()?;
    let items = state.db.accounts(status, after, limit).await?;
    Ok(Json(Page::new(items, limit, |a: &Account| a.id)))
}
