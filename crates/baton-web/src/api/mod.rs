//! The JSON API under `/api/v1`: one module per area, each returning its
//! routes; shared pagination and body parsing live here.

pub mod accounts;
pub mod activities;
pub mod appointments;
pub mod call_sheets;
pub mod campaigns;
pub mod charter;
pub mod contacts;
pub mod forecasts;
pub mod forms;
pub mod inquiries;
pub mod leads;
pub mod models;
pub mod opportunities;
mod params;
pub mod queues;
pub mod reports;
pub mod settings;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod work_items;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, MatchedPath, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use baton_core::inquiry::FieldError;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

/// Every API route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(inquiries::router())
        .merge(accounts::router())
        .merge(queues::router())
        .merge(work_items::router())
        .merge(users::router())
        .merge(settings::router())
        .merge(forms::router())
        .merge(webhooks::router())
        .merge(contacts::router())
        .merge(leads::router())
        .merge(campaigns::router())
        .merge(opportunities::router())
        .merge(activities::router())
        .merge(forecasts::router())
        .merge(charter::router())
        .merge(teams::router())
        .merge(tokens::router())
        .merge(appointments::router())
        .merge(call_sheets::router())
        .merge(reports::router())
        .merge(models::router())
        .route_layer(axum::middleware::from_fn(
            crate::openapi::refuse_undocumented_query,
        ))
        .route_layer(axum::middleware::from_fn(refuse_untagged_if_match))
}

/// The one resource with entity tags: the routing rules, changed whole.
const TAGGED: &str = "/api/v1/routing-rules";

/// Refuses with 412 a request whose `If-Match` names a tag on a resource
/// that has none (RFC 9110: a tag that cannot match fails the condition),
/// rather than change what the client meant to guard; `If-Match: *` asks
/// only that the resource exist, which the request finds out anyway.
async fn refuse_untagged_if_match(matched: MatchedPath, request: Request, next: Next) -> Response {
    let tags = request
        .headers()
        .get(header::IF_MATCH)
        .map(|value| value.to_str().unwrap_or_default().trim());
    match tags {
        Some(tags) if tags != "*" && matched.as_str() != TAGGED => crate::error::problem_response(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "If-Match: {tags} cannot match: this resource has no entity tags (only \
                     {TAGGED} has them); send the request without If-Match"
            ),
            vec![],
        ),
        _ => next.run(request).await,
    }
}

/// Most items in one page.
pub const MAX_LIMIT: i64 = 200;
/// Items in a page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;

/// Cursor pagination parameters shared by every list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50). Read as text, so that a
    /// limit that is not a number is refused naming `limit`.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
}

impl PageParams {
    /// The id after which to continue, and the page size.
    pub fn parse(&self) -> Result<(i64, i64), ApiError> {
        let after =
            match self.cursor.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => c.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| {
                    ApiError::field("cursor", "is not a cursor this API gave out")
                })?,
                None => 0,
            };
        let limit = match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            Some(text) => text
                .parse::<i64>()
                .map_err(|_| ApiError::field("limit", format!("`{text}` is not a number")))?,
            None => DEFAULT_LIMIT,
        };
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok((after, limit))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page whose cursor is the id of its last item when it is full.
    pub fn new(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Page<T> {
        let next_cursor = (items.len() as i64 == limit)
            .then(|| items.last().map(|last| id(last).to_string()))
            .flatten();
        Page { items, next_cursor }
    }

    /// A page of a short list read whole (queues, teams, tokens…), in
    /// `order` of `id`: the items past the cursor `after` (0 for the first
    /// page), at most `limit` of them, with a cursor while more follow.
    pub fn of_all(
        mut items: Vec<T>,
        order: Order,
        (after, limit): (i64, i64),
        id: impl Fn(&T) -> i64,
    ) -> Page<T> {
        match order {
            Order::OldestFirst => {
                items.sort_by_key(|item| id(item));
                items.retain(|item| id(item) > after);
            }
            Order::NewestFirst => {
                items.sort_by_key(|item| std::cmp::Reverse(id(item)));
                items.retain(|item| after == 0 || id(item) < after);
            }
        }
        // The whole list is at hand, so a full last page has no cursor.
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = more
            .then(|| items.last().map(|last| id(last).to_string()))
            .flatten();
        Page { items, next_cursor }
    }
}

// How a PATCH reads `null`, field by field, so that it never means "keep"
// by accident: each field says whether it may be emptied. An absent field
// (`#[serde(default)]`) always keeps its value.

/// A field `null` empties: "absent" is `None`, "null" is `Some(None)`.
pub(crate) fn present_or_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Text that may be emptied: `null`, like empty text, clears it (`Some("")`).
pub(crate) fn clearable<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(|text| Some(text.unwrap_or_default()))
}

/// A field that cannot be emptied: `null` is refused, not read as "keep".
pub(crate) fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom("cannot be null: leave the field out to keep its value")
        })
}

/// Which way a list runs.
#[derive(Debug, Clone, Copy)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// A JSON object body whose errors are problem documents naming the field.
/// What is wrong with it is answered only when the handler takes it with
/// [`JsonBody::read`], after its role check: a caller without the role is
/// refused whatever they sent.
pub struct JsonBody<T>(Result<T, ApiError>);

impl<T> JsonBody<T> {
    /// The body, or the problem with it.
    pub fn read(self) -> Result<T, ApiError> {
        self.0
    }
}

/// A JSON array body, read like [`JsonBody`].
pub struct JsonList<T>(Result<Vec<T>, ApiError>);

impl<T> JsonList<T> {
    /// The body, or the problem with it.
    pub fn read(self) -> Result<Vec<T>, ApiError> {
        self.0
    }
}

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(JsonBody(read_json(req, state, Shape::Object).await))
    }
}

impl<T, S> FromRequest<S> for JsonList<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(JsonList(read_json(req, state, Shape::Array).await))
    }
}

/// What the top of a JSON body must be. Serde would otherwise fill a
/// struct from an array, field by field in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Array,
}

async fn read_json<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    shape: Shape,
) -> Result<T, ApiError> {
    require_json(req.headers())?;
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|e| json_problem(JsonRejection::BytesRejection(e)))?;
    require_shape(&body, shape)?;
    refuse_nul(&body)?;
    axum::Json::<T>::from_bytes(&body)
        .map(|axum::Json(value)| value)
        .map_err(|rejection| match rejection {
            // serde reports a value of the wrong kind for an enum (`1`,
            // `null`) as a syntax error; the body is JSON, so it is the
            // field that is wrong.
            JsonRejection::JsonSyntaxError(e)
                if serde_json::from_slice::<IgnoredAny>(&body).is_ok() =>
            {
                field_problem(without_position(
                    &source_text(&e).replace("expected value", "has the wrong type"),
                ))
            }
            other => json_problem(other),
        })
}

/// What a rejection's source says, else its own text.
fn source_text(e: &(impl std::error::Error + ?Sized)) -> String {
    e.source().map_or_else(|| e.to_string(), |s| s.to_string())
}

/// Refuses a body that is not declared as JSON (`application/json` or an
/// `application/…+json` type, in any letter case) with 415.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let is_json = media_type.is_some_and(|t| {
        t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"))
    });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::Invalid {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            detail: "send the body as JSON with `Content-Type: application/json`".into(),
            params: vec![],
        })
    }
}

/// Refuses a body whose top is not the expected shape, naming `body`.
/// Bodies that are not JSON at all are left to the parser's message.
pub fn require_shape(body: &[u8], shape: Shape) -> Result<(), ApiError> {
    let (opening, expected) = match shape {
        Shape::Object => (b'{', "a JSON object"),
        Shape::Array => (b'[', "a JSON array"),
    };
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(first) if *first != opening && serde_json::from_slice::<IgnoredAny>(body).is_ok() => {
            Err(ApiError::field("body", format!("must be {expected}")))
        }
        _ => Ok(()),
    }
}

/// Refuses text holding the NUL character (`\u0000`), naming each place:
/// PostgreSQL cannot store it, and no person types it.
pub fn refuse_nul(body: &[u8]) -> Result<(), ApiError> {
    // Only a body with the escape is read twice.
    if !body.windows(5).any(|w| w == b"u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(());
    };
    let mut places = Vec::new();
    nul_at(&value, String::new(), &mut places);
    if places.is_empty() {
        return Ok(());
    }
    Err(ApiError::fields(
        places
            .into_iter()
            .map(|path| {
                let field = if path.is_empty() {
                    "body".to_string()
                } else {
                    path
                };
                FieldError::new(field, "must not contain the NUL character (\\u0000)")
            })
            .collect(),
    ))
}

/// Where in `value` text holds NUL, as field paths like `fields.x` or
/// `[0].name`, added to `places` (an object's keys in their order).
fn nul_at(value: &serde_json::Value, path: String, places: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => places.push(path),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_at(item, format!("{path}[{i}]"), places);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                if key.contains('\0') {
                    places.push(join(key));
                } else {
                    nul_at(item, join(key), places);
                }
            }
        }
        _ => {}
    }
}

/// Turns a JSON rejection into a problem that says what and where.
fn json_problem(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => field_problem(without_position(
            &std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text()),
        )),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(format!(
            "the body is not valid JSON: {}",
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.body_text())
        )),
        JsonRejection::BytesRejection(e) => match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::Invalid {
                status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                detail: format!(
                    "the request body is larger than {} bytes",
                    crate::MAX_BODY_BYTES
                ),
                params: vec![],
            },
            _ => ApiError::bad_request(e.body_text()),
        },
        other => ApiError::bad_request(other.body_text()),
    }
}

/// A value's problem without the parser's " at line 1 column 16": the
/// problem names the field, which says more to whoever sent it.
pub(crate) fn without_position(detail: &str) -> &str {
    match detail.rsplit_once(" at line ") {
        Some((problem, position))
            if position
                .split_once(" column ")
                .is_some_and(|(line, column)| {
                    line.parse::<u64>().is_ok() && column.parse::<u64>().is_ok()
                }) =>
        {
            problem
        }
        _ => detail,
    }
}

/// A problem naming the field a deserialising error is about: its text
/// reads "path: problem", or names the field in backquotes.
fn field_problem(detail: &str) -> ApiError {
    let quoted = detail
        .split('`')
        .nth(1)
        .filter(|_| detail.contains("unknown field") || detail.contains("missing field"));
    let path = detail
        .split_once(": ")
        .map(|(path, _)| path)
        .filter(|p| !p.is_empty() && !p.contains(' ') && *p != ".");
    // A field missing inside an element is named with the element's
    // path, as `[0].name`; an unknown field's path already ends in it.
    let field = match (quoted, path) {
        (Some(name), Some(path)) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_string()
        }
        (Some(name), Some(path)) => format!("{path}.{name}"),
        (Some(name), None) => name.to_string(),
        (None, Some(path)) => path.to_string(),
        (None, None) => "body".to_string(),
    };
    // The problem names the field itself; the reason need not.
    let reason = path
        .and_then(|path| detail.strip_prefix(&format!("{path}: ")))
        .unwrap_or(detail);
    ApiError::field(&field, in_words(reason))
}

/// A parser's reason in the words of whoever sent the value: "invalid type:
/// string \"many\", expected i64" is "must be a whole number, not the text
/// \"many\"", and "unknown variant `zz`, expected one of `a`, `b`" is "`zz`
/// is not one of: a, b". Other reasons are kept as they are.
pub(crate) fn in_words(reason: &str) -> String {
    if let Some((value, expected)) = reason
        .strip_prefix("unknown variant ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        let choices = expected
            .trim_start_matches("one of ")
            .replace('`', "")
            .replace(" or ", ", ");
        return format!("{value} is not one of: {choices}");
    }
    let Some((given, expected)) = reason
        .strip_prefix("invalid type: ")
        .or_else(|| reason.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    else {
        return reason.to_string();
    };
    let wanted = match expected {
        "i64" | "i32" | "i16" | "isize" => "a whole number".to_string(),
        "u64" | "u32" | "usize" => "a whole number, 0 or more".to_string(),
        "u8" => "a whole number from 0 to 255".to_string(),
        "u16" => "a whole number from 0 to 65535".to_string(),
        "f64" | "f32" => "a number".to_string(),
        "a string" => "text".to_string(),
        "a boolean" => "true or false".to_string(),
        "a sequence" => "a list".to_string(),
        "a map" | "struct" => "an object".to_string(),
        other => other.to_string(),
    };
    let given = match given.split_once(' ') {
        Some(("string", text)) => format!("the text {text}"),
        Some((_, value)) => value.replace('`', ""),
        None => match given {
            "sequence" => "a list".to_string(),
            "map" => "an object".to_string(),
            other => other.to_string(),
        },
    };
    format!("must be {wanted}, not {given}")
}

#[cfg(test)]
mod tests {
    use super::in_words;

    #[test]
    fn a_parsers_reasons_are_put_in_words() {
        for (reason, words) in [
            (
                "invalid type: string \"many\", expected i64",
                "must be a whole number, not the text \"many\"",
            ),
            (
                "invalid value: integer `-5`, expected u8",
                "must be a whole number from 0 to 255, not -5",
            ),
            (
                "invalid type: sequence, expected a string",
                "must be text, not a list",
            ),
            (
                "unknown variant `zz`, expected one of `a`, `b`, `c`",
                "`zz` is not one of: a, b, c",
            ),
            (
                "unknown variant `x`, expected `day` or `week`",
                "`x` is not one of: day, week",
            ),
            ("must be between 1 and 100", "must be between 1 and 100"),
        ] {
            assert_eq!(in_words(reason), words, "{reason}");
        }
    }
}
