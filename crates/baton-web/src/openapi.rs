//! The OpenAPI document, generated from the handlers' annotations.

use crate::AppState;
use crate::api;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baton API", description = "Inquiries kept, moderated, triaged, scored and routed; queues and work items; accounts, contacts, leads, opportunities, campaigns, activities, forecasts, appointments, call sheets, the charter, teams and webhooks; accountability reports; the learned models."),
    paths(
        api::inquiries::create, api::inquiries::list, api::inquiries::show,
        api::inquiries::release, api::inquiries::confirm_spam, api::inquiries::correct,
        api::accounts::create, api::accounts::list, api::accounts::show,
        api::queues::list, api::queues::show, api::queues::change, api::queues::add_member,
        api::queues::change_member, api::queues::remove_member,
        api::queues::rules, api::queues::replace_rules,
        api::work_items::list, api::work_items::show, api::work_items::accept, api::work_items::reject,
        api::work_items::reassign, api::work_items::take,
        api::users::me, api::users::list, api::users::create,
        api::settings::show, api::settings::change,
        api::forms::list, api::forms::show, api::forms::create, api::forms::update,
        api::webhooks::create, api::webhooks::list, api::webhooks::deliveries, api::webhooks::update,
        api::users::update, api::tokens::list, api::tokens::revoke,
        api::contacts::list, api::contacts::show, api::contacts::create, api::contacts::update,
        api::leads::list, api::leads::show, api::leads::change_stage,
        api::campaigns::list, api::campaigns::show, api::campaigns::create,
        api::opportunities::list, api::opportunities::show, api::opportunities::create,
        api::opportunities::update,
        api::activities::list, api::activities::create,
        api::forecasts::submit, api::forecasts::list, api::forecasts::show, api::forecasts::actuals,
        api::charter::current, api::charter::versions, api::charter::version, api::charter::replace,
        api::teams::list, api::teams::create,
        api::appointments::list, api::appointments::create, api::appointments::one,
        api::appointments::change, api::appointments::renew_feed,
        api::call_sheets::generate, api::call_sheets::list, api::call_sheets::one,
        api::call_sheets::complete, api::call_sheets::completion,
        api::reports::forecast_accuracy, api::reports::activity_vs_revenue, api::reports::focus,
        api::models::list, api::models::activate,
        api::reports::funnel, api::reports::handover, api::reports::lead_quality,
        api::reports::revenue_vs_forecast,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
