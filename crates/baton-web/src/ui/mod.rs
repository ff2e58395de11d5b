//! The web pages: server-rendered HTML that works without JavaScript, one
//! module per area. Every page checks who is signed in; every form carries
//! the session's CSRF token.

mod account;
mod accounts;
mod appointments;
mod auth;
mod call_sheets;
mod campaigns;
mod charter;
mod charts;
mod contacts;
mod dashboard;
mod forecasts;
mod forms;
mod inquiries;
mod lead_list;
mod leads;
mod lists;
mod moderation;
mod opportunities;
mod opportunity_lists;
mod people;
mod queues;
mod reports;
mod session;
mod settings;
mod work;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use baton_core::inquiry::FieldError;
pub use session::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/work") }))
        .merge(auth::router())
        .merge(work::router())
        .merge(inquiries::router())
        .merge(moderation::router())
        .merge(queues::router())
        .merge(settings::router())
        .merge(people::router())
        .merge(charter::router())
        .merge(leads::router())
        .merge(opportunities::router())
        .merge(forecasts::router())
        .merge(forms::router())
        .merge(dashboard::router())
        .merge(reports::router())
        .merge(call_sheets::router())
        .merge(account::router())
        .merge(accounts::router())
        .merge(contacts::router())
        .merge(opportunity_lists::router())
        .merge(campaigns::router())
        .merge(lead_list::router())
}

/// The frame around every page for a signed-in person.
pub struct Chrome {
    pub name: String,
    pub role: String,
    pub csrf: String,
    pub links: Vec<(&'static str, &'static str)>,
}

impl Chrome {
    fn for_viewer(viewer: &Viewer) -> Chrome {
        let mut links = vec![("/work", "My work"), ("/call-sheets", "Call sheets")];
        if lead_list::LINKED.contains(&viewer.role()) {
            links.push(("/leads", "Leads"));
        }
        links.extend([("/accounts", "Accounts"), ("/contacts", "Contacts")]);
        if opportunity_lists::LINKED.contains(&viewer.role()) {
            links.push(("/opportunities", "Opportunities"));
        }
        if campaigns::LINKED.contains(&viewer.role()) {
            links.push(("/campaigns", "Campaigns"));
        }
        if forecasts::LINKED.contains(&viewer.role()) {
            links.push(("/forecasts", "Forecasts"));
        }
        if dashboard::READERS.contains(&viewer.role()) {
            links.push(("/dashboard", "Dashboard"));
            links.push(("/reports", "Reports"));
        }
        if forms::EDITORS.contains(&viewer.role()) {
            links.push(("/forms", "Forms"));
        }
        if moderation::MODERATORS.contains(&viewer.role()) {
            links.push(("/moderation", "Moderation"));
        }
        if queues::EDITORS.contains(&viewer.role()) {
            links.push(("/queues", "Queues"));
        }
        links.push(("/charter", "Charter"));
        if settings::READERS.contains(&viewer.role()) {
            links.push(("/settings", "Settings"));
        }
        Chrome {
            name: viewer.session.user.name.clone(),
            role: viewer.role().to_string(),
            csrf: viewer.session.csrf_token.clone(),
            links,
        }
    }
}

/// One labelled input or choice of a form, with the value kept as typed
/// and its error beside it (`field_partial.html`).
pub struct Field {
    pub name: &'static str,
    /// The element's id: the name, or `filter-` and the name in a list's
    /// filters, so that a filter and a form field of one name on a page
    /// stay apart.
    pub id: String,
    pub label: &'static str,
    /// The input type; unused for a choice.
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    /// (value, label) of a choice's options; empty for an input.
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    /// What a browser or password manager may fill in, such as
    /// `new-password`.
    pub autocomplete: Option<&'static str>,
}

impl Field {
    fn input(name: &'static str, label: &'static str, kind: &'static str, value: &str) -> Field {
        Field {
            name,
            id: name.to_string(),
            label,
            kind,
            value: value.to_string(),
            required: true,
            options: Vec::new(),
            error: None,
            autocomplete: None,
        }
    }

    fn choice(
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
        value: &str,
    ) -> Field {
        Field {
            options,
            ..Field::input(name, label, "", value)
        }
    }

    fn optional(self) -> Field {
        Field {
            required: false,
            ..self
        }
    }

    fn filled_with(self, autocomplete: &'static str) -> Field {
        Field {
            autocomplete: Some(autocomplete),
            ..self
        }
    }

    /// The field with its element's id made `form-` and its name, for a
    /// page where two forms have a field of the same name: ids are one
    /// each on a page, and a label names its own field.
    fn in_form(self, form: &str) -> Field {
        Field {
            id: format!("{form}-{}", self.name),
            ..self
        }
    }
}

/// Puts a refused form's problem beside the field it names, or beside the
/// first field when it names none of them; a field refused twice shows both.
fn place_error(fields: &mut [Field], field: &str, problem: String) {
    let problem = shown_problem(&problem);
    let at = fields.iter().position(|f| f.name == field).unwrap_or(0);
    if let Some(field) = fields.get_mut(at) {
        field.error = Some(match field.error.take() {
            Some(earlier) => format!("{earlier}; {problem}"),
            None => problem,
        });
    }
}

/// A problem as a page shows it: one quoting a long value it refused is cut
/// short, since the field beside it holds the value already.
fn shown_problem(problem: &str) -> String {
    baton_core::text::shortened(problem, 300)
}

/// Puts each of a refused form's problems beside its field.
fn place_errors(fields: &mut [Field], problems: Vec<FieldError>) {
    for FieldError { field, problem } in problems {
        place_error(fields, &field, problem);
    }
}

/// A refusal's problems as one sentence, for a form with one place to
/// show them.
fn problems_text(problems: Vec<FieldError>) -> String {
    problems
        .into_iter()
        .map(|p| shown_problem(&p.problem))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A refused form: each field refused with its problem; any other failure
/// stays an error.
fn refusal(error: baton_db::DbError) -> Result<Vec<FieldError>, baton_db::DbError> {
    error.field_problems()
}

/// `problem`, found by the page, with what storage says of the form's
/// other values in `checked`: every problem of a form is named at once.
fn refused_with<T>(checked: baton_db::Result<T>, problem: FieldError) -> baton_db::DbError {
    refused_with_all(checked, vec![problem])
}

/// [`refused_with`] for several problems the page found.
fn refused_with_all<T>(checked: baton_db::Result<T>, found: Vec<FieldError>) -> baton_db::DbError {
    let mut problems = checked
        .err()
        .and_then(|e| e.field_problems().ok())
        .unwrap_or_default();
    problems.extend(found);
    baton_db::DbError::InvalidFields(problems)
}

/// Text a person typed, `None` when they left the field empty.
pub(super) fn typed(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// The value typed in `field`, `None` when it was left empty; one that does
/// not read is added to `problems`.
pub(super) fn parsed<T: std::str::FromStr>(
    field: &str,
    text: &str,
    problems: &mut Vec<FieldError>,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    match typed(text)?.parse() {
        Ok(value) => Some(value),
        Err(e) => {
            problems.push(FieldError::new(field, format!("`{}`: {e}", text.trim())));
            None
        }
    }
}

/// `text` as a whole number, or none when it is blank; a problem naming
/// `field` goes to `problems` when it is not one.
pub(super) fn whole_number(field: &str, text: &str, problems: &mut Vec<FieldError>) -> Option<i64> {
    let text = typed(text)?;
    match text.parse::<i64>() {
        Ok(value) => Some(value),
        Err(e) => {
            let problem = match e.kind() {
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                    format!("`{text}` is too large a number")
                }
                _ => format!("`{text}` is not a whole number"),
            };
            problems.push(FieldError::new(field, problem));
            None
        }
    }
}

/// An amount in minor units for people: `1234.50 EUR`.
fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", plain_amount(minor, currency))
}

/// An amount in minor units as a number in major units, `1234.50`, for a
/// CSV whose heading or next column names the currency. An unknown
/// currency's amount stays in minor units.
fn plain_amount(minor: i64, currency: &str) -> String {
    match baton_core::money::Currency::parse(currency) {
        Ok(code) => baton_core::money::format_minor(minor, &code),
        Err(_) => minor.to_string(),
    }
}

/// A share as a whole percentage, or a dash when there is none.
fn percent(share: Option<f64>) -> String {
    share.map_or("—".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// `n` things, in the singular for one: `1 deal`, `3 deals`.
fn counted(n: impl Into<i64>, one: &str, many: &str) -> String {
    match n.into() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// A lead's score with its grade, as every page writes it: `65 (B)`.
fn score_and_grade(score: impl std::fmt::Display, grade: baton_core::domain::Grade) -> String {
    format!("{score} ({})", grade.as_str().to_uppercase())
}

/// Renders a template, or a plain error page if rendering fails.
fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be shown",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    title: String,
    message: String,
    chrome: Option<Chrome>,
}

/// A page that only says something: refusals, missing things, failures.
fn message(status: StatusCode, viewer: Option<&Viewer>, title: &str, message: String) -> Response {
    render(
        status,
        &MessagePage {
            title: title.to_string(),
            message,
            chrome: viewer.map(Chrome::for_viewer),
        },
    )
}

/// A page for a request the framework refused before any handler ran: an
/// unknown address, a method the address does not take, a path or form
/// that does not parse. `detail` is the framework's own explanation.
pub(crate) fn refused_request(status: StatusCode, detail: &str) -> Response {
    // A form without its CSRF field is refused like one with a wrong value.
    if detail.contains("missing field `csrf`") {
        return session::csrf_refused();
    }
    // An address whose id does not parse names nothing that exists.
    let status = if detail.starts_with("Invalid URL") {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    let (title, text) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            "There is nothing at this address. Check the link, or start again from your work.".to_string(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not here",
            "This address does not take that kind of request. Go back and use the page's own buttons.".to_string(),
        ),
        _ if detail.is_empty() => ("That did not work", "The request was not understood.".to_string()),
        _ => ("That did not work", format!("The request was not understood: {detail}")),
    };
    message(status, None, title, text)
}

/// The page that refuses `viewer` something their role does not do:
/// "A hunter does not {what}."
fn not_for_your_role(viewer: &Viewer, what: &str) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not for your role",
        format!("{} does not {what}.", viewer.role().a_person(true)),
    )
}

/// A storage error as a page; internals go to the log only.
fn failure(viewer: Option<&Viewer>, error: baton_db::DbError) -> Response {
    match error {
        baton_db::DbError::NotFound(what) => message(
            StatusCode::NOT_FOUND,
            viewer,
            "Not found",
            format!("{what} does not exist."),
        ),
        baton_db::DbError::Invalid { problem, .. } => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            viewer,
            "That did not work",
            problem,
        ),
        refused @ baton_db::DbError::InvalidFields(_) => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            viewer,
            "That did not work",
            refused.to_string(),
        ),
        // Someone or something changed it first: 409, as the API answers.
        baton_db::DbError::Conflict { problem, .. } => {
            message(StatusCode::CONFLICT, viewer, "That did not work", problem)
        }
        baton_db::DbError::Contended => message(
            StatusCode::CONFLICT,
            viewer,
            "That did not work",
            baton_db::DbError::Contended.to_string(),
        ),
        baton_db::DbError::Forbidden(problem) => {
            message(StatusCode::FORBIDDEN, viewer, "Not yours to do", problem)
        }
        other => {
            let reference = baton_core::auth::random_hex(6);
            tracing::error!(%reference, error = %other, "page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                viewer,
                "Something went wrong",
                format!("Something went wrong on our side; reference {reference}."),
            )
        }
    }
}

/// A stored time for people: UTC, to the minute.
/// A moment as pages show it: in `zone` (the organisation's), named.
fn when(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}
