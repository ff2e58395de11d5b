//! Intake over the API, and reading an inquiry with every decision and its reasons.

use super::{JsonBody, Page, PageParams};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::AppendHeaders;
use axum::routing::{get, post};
use axum::{Json, Router};
use baton_core::decision::Reason;
use baton_core::domain::{Channel, InquiryStatus, Intent, Role, Stage};
use baton_core::inquiry::{Inquiry, InquiryInput};
use baton_core::intake::{content_hash, raw_text};
use baton_db::intake::{InquiryView, RawInquiry, Stored, StoredDecision};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inquiries", post(create).get(list))
        .route("/api/v1/inquiries/{id}", get(show).patch(correct))
        .route("/api/v1/inquiries/{id}/release", post(release))
        .route("/api/v1/inquiries/{id}/confirm-spam", post(confirm_spam))
        .route("/api/v1/inquiries/{id}/report-spam", post(report_spam))
}

/// Tells the client its `Prefer: respond-async` was honoured (RFC 7240).
fn respond_async_applied() -> (&'static str, String) {
    ("preference-applied", "respond-async".to_string())
}

/// Longest idempotency key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// What intake decided, returned when an inquiry is submitted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: i64,
    /// `true` when the idempotency key was seen before and nothing new was stored.
    pub repeat: bool,
    pub status: InquiryStatus,
    pub intent: Option<String>,
    pub score: Option<u8>,
    pub queue: Option<String>,
    pub assignee_id: Option<i64>,
    pub work_item_id: Option<i64>,
    pub lead_id: Option<i64>,
    /// The earlier inquiry this one repeats word for word (same sender, same
    /// message, within a day) while its work is open: this one joined that
    /// work, and no new lead or work item was made.
    pub repeat_of: Option<i64>,
    /// Where to read the inquiry with its reasons.
    pub href: String,
}

/// Submit an inquiry. It is stored exactly as sent before anything else
/// happens; then it is moderated, matched, triaged, scored and routed.
/// With `Prefer: respond-async` the answer comes once the inquiry is stored
/// (202, status `received`) and processing follows; read the decisions at
/// `href`.
#[utoipa::path(post, path = "/api/v1/inquiries", tag = "inquiries",
    request_body = InquiryInput,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body returns the first result and stores nothing new; the same key with another body is refused"),
        ("Prefer" = Option<String>, Header, description = "`respond-async`: answer once stored, before processing (RFC 7240)"),
    ),
    responses(
        (status = 201, description = "Stored and processed", body = Receipt),
        (status = 202, description = "Stored; processing follows (with `Prefer: respond-async`)", body = Receipt),
        (status = 200, description = "A repeat of an earlier idempotency key", body = Receipt),
        (status = 400, description = "Not JSON", body = crate::error::Problem),
        (status = 415, description = "Not sent as `application/json`", body = crate::error::Problem),
        (status = 422, description = "A field is wrong, or the idempotency key was used for another body; each is named", body = crate::error::Problem),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<
    (
        StatusCode,
        AppendHeaders<Vec<(&'static str, String)>>,
        Json<Receipt>,
    ),
    ApiError,
> {
    super::require_json(&headers)?;
    let input = parse_input(&body)?;
    let inquiry = Inquiry::parse(&input).map_err(ApiError::fields)?;
    let mut keys = headers.get_all("idempotency-key").iter();
    let idempotency_key = match keys.next() {
        Some(_) if keys.next().is_some() => {
            return Err(ApiError::field(
                "Idempotency-Key",
                "is given more than once; give it once",
            ));
        }
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| {
                    (1..=MAX_IDEMPOTENCY_KEY).contains(&k.len())
                        && k.bytes().all(|b| b.is_ascii_graphic())
                })
                .ok_or_else(|| {
                    ApiError::field(
                        "Idempotency-Key",
                        format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
                    )
                })?;
            // Keys are scoped to the caller, so clients cannot collide.
            Some(format!("{}:{key}", caller.id()))
        }
        None => None,
    };
    let raw = RawInquiry {
        channel: Channel::Api,
        origin: format!("api:{}", caller.0.email),
        raw: body.to_vec(),
        idempotency_key,
        content_hash: content_hash(&inquiry),
    };
    let respond_async = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("respond-async"));
    let accepted = if respond_async {
        state.intake.acknowledge(raw).await
    } else {
        state.intake.submit(raw).await
    }
    .map_err(ApiError::Internal)?;
    let id = accepted.stored.id();
    let href = format!("/api/v1/inquiries/{id}");
    match (accepted.stored, accepted.outcome) {
        (Stored::New(_), None) if respond_async => Ok((
            StatusCode::ACCEPTED,
            AppendHeaders(vec![respond_async_applied(), ("location", href.clone())]),
            Json(Receipt {
                id,
                repeat: false,
                status: InquiryStatus::Received,
                intent: None,
                score: None,
                queue: None,
                assignee_id: None,
                work_item_id: None,
                lead_id: None,
                repeat_of: None,
                href,
            }),
        )),
        (Stored::New(_), Some(o)) => Ok((
            StatusCode::CREATED,
            AppendHeaders(vec![("location", href.clone())]),
            Json(Receipt {
                id,
                repeat: false,
                status: o.status,
                intent: o.intent.map(|i| i.to_string()),
                score: o.score,
                queue: o.queue,
                assignee_id: o.assignee_id,
                work_item_id: o.work_item_id,
                lead_id: o.lead_id,
                repeat_of: o.repeat_of,
                href,
            }),
        )),
        (stored, _) => {
            // A repeat, or processing that will be retried: report what is stored.
            let view = state.db.inquiry(id).await?;
            if matches!(stored, Stored::Repeat(_)) && !same_json(&view.raw, &body) {
                // Answering with the first inquiry would tell the client a
                // different one was stored when it was not.
                return Err(ApiError::field(
                    "Idempotency-Key",
                    format!(
                        "was used for inquiry {id} with a different body; send a new key for a new inquiry"
                    ),
                ));
            }
            let status = if matches!(stored, Stored::New(_)) {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let intent = view
                .decisions
                .iter()
                .find(|d| d.kind == "intent")
                .and_then(|d| d.value.clone());
            let score = view
                .decisions
                .iter()
                .find(|d| d.kind == "score")
                .and_then(|d| d.score)
                .map(|s| s as u8);
            // A new inquiry is where the answer says; a repeat was created before.
            let location = (status == StatusCode::CREATED).then(|| ("location", href.clone()));
            Ok((
                status,
                AppendHeaders(location.into_iter().collect()),
                Json(Receipt {
                    id,
                    repeat: matches!(stored, Stored::Repeat(_)),
                    status: view.status,
                    intent,
                    score,
                    queue: view.queue,
                    assignee_id: view.assignee_id,
                    work_item_id: view.work_item_id,
                    lead_id: view.lead_id,
                    repeat_of: view.repeat_of,
                    href,
                }),
            ))
        }
    }
}

/// Whether two bodies hold the same JSON, whatever the order of keys or the
/// spacing.
fn same_json(stored: &[u8], sent: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(stored),
        serde_json::from_slice::<serde_json::Value>(sent),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => stored == sent,
    }
}

/// Parses the JSON body, naming the field and what was expected when it is wrong.
fn parse_input(body: &[u8]) -> Result<InquiryInput, ApiError> {
    if std::str::from_utf8(body).is_err() {
        return Err(ApiError::bad_request("the body is not valid UTF-8"));
    }
    super::require_shape(body, super::Shape::Object)?;
    super::refuse_nul(body)?;
    serde_json::from_slice::<InquiryInput>(body).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                let message = e.to_string();
                let field = message
                    .split('`')
                    .nth(1)
                    .filter(|_| {
                        message.starts_with("unknown field") || message.starts_with("missing field")
                    })
                    .map(str::to_string)
                    .or_else(|| field_at(body, e.column()))
                    .unwrap_or_else(|| "body".to_string());
                ApiError::field(&field, super::in_words(super::without_position(&message)))
            }
            _ => ApiError::bad_request(format!("the body is not valid JSON: {e}")),
        }
    })
}

/// The JSON key whose value ends near `column` on the first line, for
/// errors like "invalid type: integer, expected a string".
fn field_at(body: &[u8], column: usize) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let line = text.lines().next()?;
    let before = &line[..column.min(line.len())];
    let key_end = before.rfind("\":")?;
    let key_start = before[..key_end].rfind('"')?;
    Some(before[key_start + 1..key_end].to_string())
}

/// Is it spam: `score` in [0, 1], quarantined at or above the threshold.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModerationOut {
    pub verdict: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub version: String,
}

/// What the person wants, with the confidence in [0, 1].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IntentOut {
    pub value: String,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    pub version: String,
}

/// How promising the lead is: 0–100 and its grade.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreOut {
    pub value: u8,
    pub grade: String,
    pub reasons: Vec<Reason>,
    pub version: String,
}

/// Which queue routing chose, and by which rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoutingOut {
    pub queue: Option<String>,
    pub reasons: Vec<Reason>,
}

/// The assignee of an inquiry's work item, and why they hold it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
    /// The reason recorded when the item last went to them, e.g. the
    /// queue's strategy that picked them.
    pub reason: Option<String>,
}

/// An inquiry as received, with every decision and its reasons.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InquiryOut {
    pub id: i64,
    /// UTC milliseconds since 1970, like every time in the API.
    pub received_at: i64,
    pub channel: Channel,
    pub origin: String,
    /// The payload exactly as received: JSON for API and import payloads,
    /// text for forms and e-mail (bytes that are not UTF-8, as in an e-mail
    /// in ISO-8859-1, read as Latin-1: one character per byte, none lost).
    #[schema(value_type = Value)]
    pub raw: Box<serde_json::value::RawValue>,
    pub status: InquiryStatus,
    pub error: Option<String>,
    pub moderation: Option<ModerationOut>,
    pub intent: Option<IntentOut>,
    pub score: Option<ScoreOut>,
    pub routing: Option<RoutingOut>,
    pub stage: Option<Stage>,
    pub queue: Option<String>,
    pub work_item_id: Option<i64>,
    pub assignee: Option<Person>,
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub lead_id: Option<i64>,
    /// The earlier inquiry this one repeats word for word; its work is this one's.
    pub repeat_of: Option<i64>,
    /// Decisions a later one of the same kind replaced (a person's
    /// correction or release, processing again), oldest first.
    pub superseded: Vec<StoredDecision>,
}

async fn to_out(state: &AppState, view: InquiryView) -> Result<InquiryOut, ApiError> {
    // JSON payloads are given byte for byte (key order, number forms and
    // all), not parsed and written again; the rest as text.
    let text = raw_text(&view.raw);
    let json = match view.channel {
        Channel::Api | Channel::Import | Channel::Manual => serde_json::from_str(&text).ok(),
        Channel::Form | Channel::Email => None,
    };
    let raw = match json {
        Some(json) => json,
        None => {
            serde_json::value::to_raw_value(&text).map_err(|e| ApiError::Internal(e.to_string()))?
        }
    };
    let decision = |kind: &str| view.decisions.iter().find(|d| d.kind == kind);
    let moderation = decision("moderation").map(|d| ModerationOut {
        verdict: d.value.clone().unwrap_or_default(),
        score: d.score.unwrap_or_default(),
        reasons: d.reasons.clone(),
        version: d.version.clone(),
    });
    let intent = decision("intent").map(|d| IntentOut {
        value: d.value.clone().unwrap_or_default(),
        confidence: d.score.unwrap_or_default(),
        reasons: d.reasons.clone(),
        version: d.version.clone(),
    });
    let score = decision("score").map(|d| ScoreOut {
        value: d.score.unwrap_or_default() as u8,
        grade: d.value.clone().unwrap_or_default().to_uppercase(),
        reasons: d.reasons.clone(),
        version: d.version.clone(),
    });
    let routing = decision("route").map(|d| RoutingOut {
        queue: d.value.clone(),
        reasons: d.reasons.clone(),
    });
    let assignee = match (view.assignee_id, view.work_item_id) {
        (Some(id), Some(item)) => {
            let user = state.db.user(id).await?;
            let history = state.db.work_item_history(item).await?;
            // Why they hold it: the last time it was handed to them, not a
            // later note on the item (a repeat of the message, say).
            let reason = history
                .into_iter()
                .rev()
                .find(|entry| {
                    entry.to_user_id == Some(id)
                        && matches!(
                            entry.action.as_str(),
                            "assigned" | "reassigned" | "escalated"
                        )
                })
                .map(|entry| entry.reason);
            Some(Person {
                id,
                name: user.name,
                email: user.email,
                reason,
            })
        }
        _ => None,
    };
    Ok(InquiryOut {
        id: view.id,
        received_at: view.received_at,
        channel: view.channel,
        origin: view.origin.clone(),
        raw,
        status: view.status,
        error: view.error.clone(),
        moderation,
        intent,
        score,
        routing,
        stage: view.stage,
        queue: view.queue.clone(),
        work_item_id: view.work_item_id,
        assignee,
        contact_id: view.contact_id,
        account_id: view.account_id,
        lead_id: view.lead_id,
        repeat_of: view.repeat_of,
        superseded: view.superseded,
    })
}

/// Roles that work the front of the funnel and see every inquiry.
const INTAKE_ROLES: &[Role] = &[Role::Manager, Role::Marketer, Role::Qualifier];

/// Read one inquiry with its raw payload and every decision.
#[utoipa::path(get, path = "/api/v1/inquiries/{id}", tag = "inquiries",
    params(("id" = i64, Path, description = "Inquiry id")),
    responses((status = 200, body = InquiryOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<InquiryOut>, ApiError> {
    let view = state.db.inquiry(id).await?;
    let allowed = caller
        .require(INTAKE_ROLES, "read other people's inquiries")
        .is_ok()
        || view.assignee_id == Some(caller.id())
        || match &view.queue {
            Some(slug) => state.db.is_queue_member(slug, caller.id()).await?,
            None => false,
        };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "inquiry {id} is not in your queues; a {} sees only their own work",
            caller.role()
        )));
    }
    Ok(Json(to_out(&state, view).await?))
}

/// Filters for the inquiry list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InquiryFilter {
    /// received, processed, needs_attention, quarantined or spam.
    pub status: Option<String>,
}

/// One line of the inquiry list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InquiryLine {
    pub id: i64,
    /// UTC milliseconds since 1970, like every time in the API.
    pub received_at: i64,
    pub channel: Channel,
    pub status: InquiryStatus,
    pub lead_id: Option<i64>,
}

/// List inquiries, oldest first.
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "inquiries",
    params(InquiryFilter, PageParams),
    responses((status = 200, body = Page<InquiryLine>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<InquiryFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<InquiryLine>>, ApiError> {
    caller.require(INTAKE_ROLES, "list every inquiry")?;
    let status = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<InquiryStatus>)
        .transpose()
        .map_err(|e| ApiError::field("status", e.to_string()))?;
    let (after, limit) = page.parse()?;
    let items = state
        .db
        .inquiries(status, after, limit)
        .await?
        .into_iter()
        .map(|s| InquiryLine {
            id: s.id,
            received_at: s.received_at,
            channel: s.channel,
            status: s.status,
            lead_id: s.lead_id,
        })
        .collect();
    Ok(Json(Page::new(items, limit, |l: &InquiryLine| l.id)))
}

/// A moderator's note on a release or confirmation.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationIn {
    #[serde(default)]
    pub note: String,
}

/// What a moderator says of an inquiry.
#[derive(Debug, Clone, Copy)]
enum Word {
    /// Quarantined, but ham.
    Release,
    /// Quarantined, and spam.
    Confirm,
    /// Got past moderation, but spam.
    Report,
}

/// Records a moderator's word on inquiry `id`, with the note the body
/// carries, and answers with the inquiry as it now stands.
async fn moderate(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: JsonBody<ModerationIn>,
    word: Word,
) -> Result<Json<InquiryOut>, ApiError> {
    caller.require(INTAKE_ROLES, "moderate inquiries")?;
    let note = input.read()?.note;
    let (db, moderator) = (&state.db, caller.id());
    match word {
        Word::Release => {
            db.release_inquiry(moderator, id, &note).await?;
        }
        Word::Confirm => db.confirm_spam(moderator, id, &note).await?,
        Word::Report => db.report_spam(moderator, id, &note).await?,
    }
    Ok(Json(to_out(state, db.inquiry(id).await?).await?))
}

/// Release a quarantined inquiry: it is processed as ham and routed.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/release", tag = "inquiries", request_body = ModerationIn,
    params(("id" = i64, Path, description = "Inquiry id")),
    responses((status = 200, body = InquiryOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ModerationIn>,
) -> Result<Json<InquiryOut>, ApiError> {
    moderate(&state, &caller, id, input, Word::Release).await
}

/// Confirm a quarantined inquiry as spam; it is kept, out of every queue.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/confirm-spam", tag = "inquiries", request_body = ModerationIn,
    params(("id" = i64, Path, description = "Inquiry id")),
    responses((status = 200, body = InquiryOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn confirm_spam(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ModerationIn>,
) -> Result<Json<InquiryOut>, ApiError> {
    moderate(&state, &caller, id, input, Word::Confirm).await
}

/// A person's correction of what an inquiry is about.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIn {
    pub intent: Intent,
    #[serde(default)]
    pub note: String,
}

/// Correct an inquiry's intent. The correction is kept as a decision with
/// the caller's name, carried to its lead, and taught to the intent model
/// at its next training. When the routing rules send the corrected intent
/// to another queue, the open work item moves there and is assigned by that
/// queue's strategy, and the lead follows the work: moved to a sales queue,
/// an inquiry without a lead gets one at that queue's stage; moved to
/// service or operations, the work leaves its lead, which is disqualified if
/// it was still at a routing stage (nurture, new, MQL). A repeat, which
/// joined the work of the inquiry it repeats, is refused (409): that
/// inquiry's intent is the one to correct.
#[utoipa::path(patch, path = "/api/v1/inquiries/{id}", tag = "inquiries", request_body = CorrectionIn,
    params(("id" = i64, Path, description = "Inquiry id")),
    responses((status = 200, body = InquiryOut), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<CorrectionIn>,
) -> Result<Json<InquiryOut>, ApiError> {
    caller.require(INTAKE_ROLES, "correct an inquiry's intent")?;
    let input = input.read()?;
    state
        .db
        .correct_intent(caller.id(), id, input.intent, &input.note)
        .await?;
    Ok(Json(to_out(&state, state.db.inquiry(id).await?).await?))
}

/// Confirm as spam an inquiry that got past moderation (processed): it is
/// kept, out of every queue; its lead, if not yet in a deal, is
/// disqualified and its open work marked done. The spam model learns from
/// it at its next training.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/report-spam", tag = "inquiries", request_body = ModerationIn,
    params(("id" = i64, Path, description = "Inquiry id")),
    responses((status = 200, body = InquiryOut), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn report_spam(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    input: JsonBody<ModerationIn>,
) -> Result<Json<InquiryOut>, ApiError> {
    moderate(&state, &caller, id, input, Word::Report).await
}
