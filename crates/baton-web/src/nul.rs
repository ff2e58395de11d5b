//! Text holding the NUL character is refused before any handler reads it,
//! in a query string or a submitted page form, naming the parameter: no
//! person types it, PostgreSQL cannot store or compare it, and a page
//! would send it on raw. JSON bodies are checked where the API reads them
//! (`api::refuse_nul`); hosted forms check each field as intake reads it.

use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const PROBLEM: &str = "must not contain the NUL character";

/// The middleware: answers 422 naming the first parameter that holds NUL,
/// as a problem document under `/api/` and as a page elsewhere.
pub async fn refuse_nul_text(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_api = path.starts_with("/api/");
    let refuse = |name: &str| {
        if is_api {
            ApiError::field(name, PROBLEM).into_response()
        } else {
            crate::ui::refused_request(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("`{name}` {PROBLEM}"),
            )
        }
    };
    let query = request.uri().query().unwrap_or_default().as_bytes();
    if let Some(name) = holding_nul(query) {
        return refuse(&name);
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form || path.starts_with("/f/") {
        return next.run(request).await;
    }
    // The body is read once, under the body limit of the layers outside,
    // and handed on whole.
    let (parts, body) = request.into_parts();
    let bytes = match Bytes::from_request(Request::new(body), &()).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(name) = holding_nul(&bytes) {
        return refuse(&name);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The name of the first pair of url-encoded `text` whose name or value
/// holds NUL, written `%00` or sent raw.
fn holding_nul(text: &[u8]) -> Option<String> {
    // Most text holds neither, and is not decoded.
    let encoded = text.windows(3).any(|w| w == b"%00");
    if !encoded && !text.contains(&0) {
        return None;
    }
    form_urlencoded::parse(text)
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\\0"))
}
