//! The OpenAPI document, generated from the handlers' annotations.

use crate::AppState;
use crate::api;
use crate::error::ApiError;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::Response as Answer;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baton API", description = "Inquiries kept, moderated, triaged, scored and routed; queues and work items; accounts, contacts, leads, opportunities, campaigns, activities, forecasts, appointments, call sheets, the charter, teams and webhooks; accountability reports; the learned models."),
    paths(
        api::inquiries::create, api::inquiries::list, api::inquiries::show,
        api::inquiries::release, api::inquiries::confirm_spam, api::inquiries::report_spam,
        api::inquiries::correct,
        api::accounts::create, api::accounts::list, api::accounts::show, api::accounts::update,
        api::queues::list, api::queues::show, api::queues::change, api::queues::add_member,
        api::queues::change_member, api::queues::remove_member,
        api::queues::rules, api::queues::replace_rules,
        api::work_items::list, api::work_items::show, api::work_items::accept, api::work_items::reject,
        api::work_items::reassign, api::work_items::take, api::work_items::done,
        api::users::me, api::users::list, api::users::create,
        api::settings::show, api::settings::change,
        api::forms::list, api::forms::show, api::forms::create, api::forms::update,
        api::webhooks::create, api::webhooks::list, api::webhooks::deliveries, api::webhooks::update,
        api::users::show, api::users::update, api::tokens::list, api::tokens::revoke,
        api::contacts::list, api::contacts::show, api::contacts::create, api::contacts::update,
        api::leads::list, api::leads::show, api::leads::change_stage,
        api::campaigns::list, api::campaigns::show, api::campaigns::create, api::campaigns::update, api::campaigns::unknown,
        api::opportunities::list, api::opportunities::show, api::opportunities::create,
        api::opportunities::update,
        api::activities::list, api::activities::create,
        api::forecasts::submit, api::forecasts::list, api::forecasts::show, api::forecasts::actuals,
        api::charter::current, api::charter::versions, api::charter::version, api::charter::replace,
        api::teams::list, api::teams::create, api::teams::rename, api::teams::remove,
        api::appointments::list, api::appointments::create, api::appointments::one,
        api::appointments::change, api::appointments::renew_feed,
        api::call_sheets::generate, api::call_sheets::list, api::call_sheets::one,
        api::call_sheets::complete, api::call_sheets::completion,
        api::reports::forecast_accuracy, api::reports::activity_vs_revenue, api::reports::focus,
        api::models::list, api::models::activate,
        api::reports::funnel, api::reports::handover, api::reports::lead_quality,
        api::reports::revenue_vs_forecast,
    ),
    modifiers(&BearerAuth, &CommonAnswers),
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

/// Answers that whole kinds of operations give besides their own, added
/// here once rather than on each handler: 422 everywhere (a query
/// parameter the operation does not document is refused), 401 where a
/// token is needed, 400, 413 and 415 where a body is read, 400 and 404
/// where a path names a record (an id that does not parse, or no such one),
/// 409 on every write (on PostgreSQL, a change made at the same moment can
/// turn one back). Every answer gets the description
/// OpenAPI requires, and problems are typed `application/problem+json`, as
/// they are sent. Operation ids, the handlers' names (`list`, `show`…),
/// are made unique by their resource: `accounts_list`.
struct CommonAnswers;

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let names_a_record = path.contains('{');
            let resource = path
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap_or_default()
                .replace('-', "_");
            let operations = [
                (false, &mut item.get),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.delete),
                (true, &mut item.patch),
            ];
            for (writes, operation) in operations {
                let Some(operation) = operation else { continue };
                if let Some(id) = &mut operation.operation_id
                    && *id != resource
                {
                    *id = format!("{resource}_{id}");
                }
                let mut common = vec![422];
                if operation.security.is_some() {
                    common.push(401);
                }
                if operation.request_body.is_some() {
                    common.extend([400, 413, 415]);
                }
                if names_a_record {
                    common.extend([400, 404]);
                }
                if writes {
                    common.push(409);
                }
                let answers = &mut operation.responses.responses;
                for code in common {
                    answers
                        .entry(code.to_string())
                        .or_insert_with(|| RefOr::T(Answer::default()));
                }
                for (code, answer) in answers.iter_mut() {
                    if let RefOr::T(answer) = answer {
                        describe(code, answer);
                    }
                }
            }
        }
    }
}

/// Fills in an answer's description, and a problem's type and schema.
fn describe(code: &str, answer: &mut Answer) {
    let status = code.parse().ok().and_then(|c| StatusCode::from_u16(c).ok());
    if answer.description.is_empty() {
        answer.description = match code {
            "400" => "The body is not JSON or not of the expected shape, or an id in the \
                      path is not a number"
                .to_string(),
            "401" => "No valid bearer token".to_string(),
            "403" => "The caller's role may not do this".to_string(),
            "404" => "No such record".to_string(),
            "409" => "It conflicts with the record as it is now, or with a change made at \
                      the same moment (read again and retry)"
                .to_string(),
            "413" => "The body is too large".to_string(),
            "415" => "The body is not application/json".to_string(),
            "422" => "A value or query parameter is refused; the problem names it".to_string(),
            _ => status
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Answer")
                .to_string(),
        };
    }
    if status.is_some_and(|s| s.is_client_error()) {
        let problem = answer
            .content
            .shift_remove("application/json")
            .unwrap_or_else(|| {
                RefOr::T(
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
            });
        answer
            .content
            .entry("application/problem+json".to_string())
            .or_insert(problem);
    }
}

/// The document, built from the annotations once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The document as served, written once.
static DOCUMENT_JSON: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&*DOCUMENT).expect("the OpenAPI document serialises"));

/// The query parameters each operation documents, by method and path as
/// the router matches it (`get /api/v1/accounts`).
static DOCUMENTED_QUERIES: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut documented = HashMap::new();
    for (path, item) in &DOCUMENT.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let names = operation
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
                    _ => None,
                })
                .collect();
            documented.insert(format!("{method} {path}"), names);
        }
    }
    documented
});

/// The name of the `index`th parameter (from 0) in the documented path
/// that `path` matches: `user_id` for index 1 of `/api/v1/queues/2/members/x`.
pub fn path_parameter(path: &str, index: usize) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    DOCUMENT.paths.paths.keys().find_map(|template| {
        let pattern: Vec<&str> = template.split('/').collect();
        let matches = pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p.starts_with('{') || p == s);
        matches.then(|| {
            pattern
                .iter()
                .filter_map(|p| p.strip_prefix('{')?.strip_suffix('}'))
                .nth(index)
                .map(str::to_string)
        })?
    })
}

/// Refuses, naming it, a query parameter the operation does not document,
/// given twice or given empty: a filter misspelled, not offered or without
/// its value would otherwise be ignored, and the whole list returned as if
/// it had been applied.
pub async fn refuse_undocumented_query(
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    if query.is_empty() {
        return next.run(request).await;
    }
    let key = format!("{} {}", request.method(), matched.as_str());
    let known = DOCUMENTED_QUERIES.get(&key);
    let mut seen = std::collections::HashSet::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(known) = known
            && !known.iter().any(|k| *k == name)
        {
            let offered = if known.is_empty() {
                "it takes none".to_string()
            } else {
                format!("it takes {}", known.join(", "))
            };
            return ApiError::field(
                &name,
                format!("is not a parameter of this request; {offered}"),
            )
            .into_response();
        }
        // Each parameter takes one value: of two, neither would be the answer.
        if !seen.insert(name.clone()) {
            return ApiError::field(&name, "is given more than once; give it once").into_response();
        }
        // A filter with no value would list everything, as if it had been
        // applied (a script's unset variable, say). An empty cursor is the
        // first page, as a paging loop starts.
        if value.trim().is_empty() && name != "cursor" {
            return ApiError::field(&name, "is empty; leave it out to mean any").into_response();
        }
    }
    next.run(request).await
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                DOCUMENT_JSON.as_str(),
            )
        }),
    )
}
