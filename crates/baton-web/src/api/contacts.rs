//! Contacts over the API.

use super::{JsonBody, Page, PageParams, params};
use super::{clearable, not_null, present_or_null};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use baton_core::domain::Role;
use baton_db::contacts::{Contact, ContactChange, ContactFilter, NewContact};
use serde::Deserialize;

/// The contact routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts", get(list).post(create))
        .route("/api/v1/contacts/{id}", get(show).patch(update))
}

/// Roles that add and edit contacts: everyone who talks to customers.
pub const CONTACT_EDITORS: &[Role] = &[
    Role::Manager,
    Role::Marketer,
    Role::Qualifier,
    Role::Hunter,
    Role::Farmer,
    Role::Service,
];

/// A new contact: a name, an e-mail address or a phone number at least.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    pub name: Option<String>,
    /// Unique among contacts, whatever its case.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub account_id: Option<i64>,
    #[serde(default)]
    pub decision_maker: bool,
}

/// Add a contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactIn,
    responses((status = 201, body = Contact), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    input: JsonBody<ContactIn>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    caller.require(CONTACT_EDITORS, "add contacts")?;
    let input = input.read()?;
    let contact = state
        .db
        .create_contact(
            Some(caller.id()),
            &NewContact {
                name: input.name,
                email: input.email,
                phone: input.phone,
                title: input.title,
                account_id: input.account_id,
                decision_maker: input.decision_maker,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// Read a contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = i64, Path, description = "Contact id")),
    responses((status = 200, body = Contact), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(state.db.contact(id).await?))
}

/// Filters for the contact list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Contacts of this account (an id).
    pub account_id: Option<String>,
    /// The contact with this e-mail address, whatever its case.
    pub email: Option<String>,
}

/// List contacts, oldest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery, PageParams),
    responses((status = 200, body = Page<Contact>)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<ContactQuery>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Contact>>, ApiError> {
    let (after, limit) = page.parse()?;
    let filter = ContactFilter {
        account_id: params::id("account_id", query.account_id.as_deref())?,
        email: query.email,
    };
    let items = state.db.contacts(&filter, after, limit).await?;
    Ok(Json(Page::new(items, limit, |c: &Contact| c.id)))
}

/// Changes to a contact; absent fields stay as they are, `null` or empty
/// text clears.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default, deserialize_with = "clearable")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "clearable")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "clearable")]
    pub title: Option<String>,
    /// `null` detaches the contact from its account.
    #[serde(default, deserialize_with = "present_or_null")]
    #[schema(value_type = Option<i64>)]
    pub account_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub decision_maker: Option<bool>,
}

/// Change a contact's name, phone, title, account or decision-maker flag.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactPatch,
    params(("id" = i64, Path, description = "Contact id")),
    responses((status = 200, body = Contact), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ContactPatch>,
) -> Result<Json<Contact>, ApiError> {
    caller.require(CONTACT_EDITORS, "edit contacts")?;
    let input = input.read()?;
    let change = ContactChange {
        name: input.name,
        phone: input.phone,
        title: input.title,
        account_id: input.account_id,
        decision_maker: input.decision_maker,
    };
    Ok(Json(
        state
            .db
            .update_contact(Some(caller.id()), id, &change)
            .await?,
    ))
}
