//! Errors as RFC 9457 problem JSON: users see what went wrong and which
//! field; internals go to the log with a reference.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use baton_core::inquiry::FieldError;
use baton_db::DbError;
use serde::Serialize;

/// One problem with one field of a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
}

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum ApiError {
    /// 400/422: the request is wrong; each field that is wrong is named.
    Invalid {
        status: StatusCode,
        detail: String,
        params: Vec<InvalidParam>,
    },
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    Conflict {
        field: String,
        detail: String,
    },
    /// 429 with the seconds to wait.
    TooManyRequests(u64),
    /// 500: logged with a reference; the user sees only the reference.
    Internal(String),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::Invalid {
            status: StatusCode::BAD_REQUEST,
            detail: detail.into(),
            params: vec![],
        }
    }

    pub fn field(name: &str, reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        ApiError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: format!("{name}: {reason}"),
            params: vec![InvalidParam {
                name: name.into(),
                reason,
            }],
        }
    }

    /// A thing a request body refers to by `field` that does not exist is
    /// a wrong field (422), not a missing page (404).
    pub fn named_if_missing(self, field: &str) -> ApiError {
        match self {
            ApiError::NotFound(what) => ApiError::field(field, format!("there is no {what}")),
            other => other,
        }
    }

    pub fn fields(errors: Vec<FieldError>) -> ApiError {
        ApiError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            params: errors
                .into_iter()
                .map(|e| InvalidParam {
                    name: e.field,
                    reason: e.problem,
                })
                .collect(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        match e {
            DbError::NotFound(what) => ApiError::NotFound(what),
            DbError::Conflict { field, problem } => ApiError::Conflict {
                field,
                detail: problem,
            },
            DbError::Invalid { field, problem } => ApiError::field(&field, problem),
            DbError::InvalidFields(problems) => ApiError::fields(problems),
            DbError::Forbidden(problem) => ApiError::Forbidden(problem),
            DbError::Contended => ApiError::Conflict {
                field: "body".into(),
                detail: DbError::Contended.to_string(),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail, params) = match self {
            ApiError::Invalid {
                status,
                detail,
                params,
            } => (status, detail, params),
            ApiError::Unauthorized => {
                let mut response = problem_response(
                    StatusCode::UNAUTHORIZED,
                    "send a valid API token as `Authorization: Bearer <token>`".to_string(),
                    vec![],
                );
                // RFC 9110: a 401 names the scheme that would be accepted.
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return response;
            }
            ApiError::Forbidden(detail) => (StatusCode::FORBIDDEN, detail, vec![]),
            ApiError::NotFound(what) => {
                (StatusCode::NOT_FOUND, format!("{what} not found"), vec![])
            }
            ApiError::Conflict { field, detail } => (
                StatusCode::CONFLICT,
                format!("{field}: {detail}"),
                vec![InvalidParam {
                    name: field,
                    reason: detail,
                }],
            ),
            ApiError::TooManyRequests(seconds) => {
                let response = problem_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("slow down: try again in {seconds} s"),
                    vec![],
                );
                return retry_after(response, seconds);
            }
            ApiError::Internal(message) => {
                let reference = baton_core::auth::random_hex(6);
                tracing::error!(%reference, %message, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("something went wrong on our side; reference {reference}"),
                    vec![],
                )
            }
        };
        problem_response(status, detail, params)
    }
}

/// `response` (a 429) saying in its `Retry-After` header how many seconds
/// to wait, as its text says to people.
pub fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Longest explanation a problem carries: a refused value is quoted in it,
/// and a megabyte of value should not come back as a megabyte of error.
const MAX_EXPLANATION_CHARS: usize = 1_000;

/// `text` cut to [`MAX_EXPLANATION_CHARS`], marked where it was cut.
fn shortened(text: String) -> String {
    match text.char_indices().nth(MAX_EXPLANATION_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A problem document response, titled with the status's phrase as RFC
/// 9457 asks of `about:blank` problems; `detail` says what went wrong.
pub fn problem_response(status: StatusCode, detail: String, params: Vec<InvalidParam>) -> Response {
    let body = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail: shortened(detail),
        invalid_params: params
            .into_iter()
            .map(|param| InvalidParam {
                name: param.name,
                reason: shortened(param.reason),
            })
            .collect(),
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Styles are inline in each page; charts are inline SVG.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Security headers on every response; oversized bodies, and under `/api/`
/// every other client error the router or an extractor answered in plain
/// text, answered as problems.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Kept for naming a path parameter that does not parse: a clone of
    // the URI shares its bytes rather than copying the path.
    let uri = request.uri().clone();
    let is_api = uri.path().starts_with("/api/");
    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|v| v != "application/problem+json")
    {
        let detail = format!(
            "the request body is larger than {} bytes",
            crate::MAX_BODY_BYTES
        );
        response = if is_api {
            problem_response(StatusCode::PAYLOAD_TOO_LARGE, detail, vec![])
        } else {
            // Forms and pages are read by people in a browser.
            let body =
                format!("<h1>Too much was sent</h1><p>{detail}: shorten it and send again.</p>");
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                Html(crate::forms::page("Too much was sent", &body)),
            )
                .into_response()
        };
    } else if is_api {
        response = plain_error_as_problem(response, uri.path()).await;
    } else {
        response = plain_error_as_page(response).await;
    }
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Pages run no script and load nothing from elsewhere: should escaping
    // ever slip, a browser still runs nothing injected.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // Served over https, browsers are told to keep to it for a year.
    if state.options.base_url.starts_with("https://") {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages and answers hold people's data and, once, new secrets: none is
    // kept in a browser's or a proxy's cache unless a route says otherwise.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether the response's content type mentions `kind`.
fn content_type_has(response: &Response, kind: &str) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(kind))
}

/// A plain-text response's head and its text, trimmed.
async fn split_plain(response: Response) -> (axum::http::response::Parts, String) {
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    (parts, text)
}

/// The parameter a framework refusal is about: a query parameter that does
/// not deserialize, or an id in the path that does not parse.
fn framework_param(detail: &str, path: &str) -> Option<InvalidParam> {
    if let Some(rest) = detail.strip_prefix("Failed to deserialize query string: ") {
        return rest
            .split_once(": ")
            .filter(|(name, _)| !name.is_empty() && !name.contains(' '))
            .map(|(name, reason)| InvalidParam {
                name: name.to_string(),
                reason: reason.to_string(),
            });
    }
    // One path parameter: "Cannot parse `abc` to a `i64`"; several:
    // "Cannot parse value at index 1 with value `abc` to a `i64`".
    let rest = detail.strip_prefix("Invalid URL: Cannot parse ")?;
    let (index, rest) = match rest.strip_prefix("value at index ") {
        Some(indexed) => {
            let (index, rest) = indexed.split_once(" with value ")?;
            (index.parse().ok()?, rest)
        }
        None => (0, rest),
    };
    let value = rest.strip_prefix('`')?.split_once('`')?.0;
    let name = crate::openapi::path_parameter(path, index).unwrap_or_else(|| "id".to_string());
    Some(InvalidParam {
        reason: format!(
            "`{value}` is not {}",
            if name.ends_with("id") {
                "an id"
            } else {
                "a number"
            }
        ),
        name,
    })
}

/// Copies the headers a refusal keeps when its body is rewritten.
fn keep_headers(from: &axum::http::response::Parts, to: &mut Response) {
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = from.headers.get(&name) {
            to.headers_mut().insert(name, value.clone());
        }
    }
}

/// A client error outside the API that the framework answered in plain
/// text, or with nothing (an unknown address, a wrong method, a path or
/// form that does not parse), as a page for the person in the browser.
async fn plain_error_as_page(response: Response) -> Response {
    let status = response.status();
    if !status.is_client_error() || content_type_has(&response, "html") {
        return response;
    }
    let (parts, text) = split_plain(response).await;
    let mut page = crate::ui::refused_request(status, &text);
    keep_headers(&parts, &mut page);
    page
}

/// A 4xx answered in plain text or with no body (an unknown route, a method
/// not allowed, a path or query that does not parse) as a problem document,
/// keeping the headers that tell the client what to do next. A query
/// parameter that does not parse, or an id in the path, is named.
async fn plain_error_as_problem(response: Response, path: &str) -> Response {
    let status = response.status();
    if !status.is_client_error() || content_type_has(&response, "json") {
        return response;
    }
    let (parts, text) = split_plain(response).await;
    let detail = match (text.is_empty(), status) {
        (false, _) => text,
        (true, StatusCode::NOT_FOUND) => "there is nothing at this address".to_string(),
        (true, StatusCode::METHOD_NOT_ALLOWED) => {
            "this address does not take this method; `Allow` lists those it takes".to_string()
        }
        (true, _) => status.canonical_reason().unwrap_or("error").to_string(),
    };
    // A parameter the framework could not read is named in our words, as
    // a field of the body would be, rather than in the framework's.
    let param = framework_param(&detail, path);
    let detail = match &param {
        Some(param) => format!("{}: {}", param.name, param.reason),
        None => detail,
    };
    let params = param.map_or_else(Vec::new, |param| vec![param]);
    let mut problem = problem_response(status, detail, params);
    keep_headers(&parts, &mut problem);
    problem
}
