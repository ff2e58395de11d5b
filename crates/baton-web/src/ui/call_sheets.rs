//! Call sheets in the browser: make today's or this week's sheet, call down
//! it marking each line done with its outcome (which logs the call), print
//! it; the sheets listed, searched, filtered, sorted, paged and exported
//! like every list; and, for managers, completion by person and week.

use super::lists::{Cell, Column, ListRequest, ListSpec, ListView, Output, Rows, choices};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, message, money, refusal, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::SheetPeriod;
use baton_core::inquiry::FieldError;
use baton_db::call_sheets::{
    CallLine, CallOutcome, CallSheet, CallSheetFilter, SheetCompletion, SheetLine, SheetSort,
    default_call_type,
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/call-sheets", get(list).post(make))
        .route("/call-sheets.csv", get(list))
        .route("/call-sheets/{id}", get(sheet))
        .route("/call-sheets/{id}/print", get(print))
        .route("/call-sheets/{id}/lines/{line}/done", post(done))
}

/// Weeks of completion shown to managers.
const RECENT_WEEKS: i64 = 4;

const COLUMNS: &[Column] = &[
    Column::sorted("Sheet", "date"),
    Column::sorted("Person", "person"),
    Column::unsorted("Calls"),
    Column::unsorted("Done"),
    Column::sorted("Completion", "completion"),
];

#[derive(Template)]
#[template(path = "call_sheets.html")]
struct ListPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    rows: Vec<Vec<Cell>>,
    /// Managers only: completion by person and week.
    completion: Option<Vec<SheetCompletion>>,
}

/// A line as shown: the call, its figures in words, and an open line's error.
struct ShownLine {
    line: CallLine,
    link: Option<String>,
    due: String,
    value: String,
    last_touch: String,
    /// What was typed into a refused line, so nothing is typed twice.
    typed: Option<DoneForm>,
    /// The refusal's field (outcome, type or notes) and problem.
    /// Each refused field of the line, with its problem.
    errors: Vec<(String, String)>,
}

impl ShownLine {
    /// The problem to show beside `field`, if the line was refused for it.
    fn error_on(&self, field: &str) -> Option<String> {
        let on_field: Vec<&str> = self
            .errors
            .iter()
            .filter(|(on, _)| on == field)
            .map(|(_, problem)| problem.as_str())
            .collect();
        (!on_field.is_empty()).then(|| on_field.join("; "))
    }

    fn typed_outcome(&self) -> &str {
        self.typed.as_ref().map_or("", |form| form.outcome.as_str())
    }

    fn typed_notes(&self) -> &str {
        self.typed.as_ref().map_or("", |form| form.notes.as_str())
    }

    /// The activity type to preselect: the one chosen before a refusal.
    fn typed_type<'a>(&'a self, default: &'a str) -> &'a str {
        self.typed
            .as_ref()
            .map_or(default, |form| form.type_slug.as_str())
    }
}

/// A line marked done that was refused: the form as typed and the problem.
struct Refused {
    /// 422 for what was typed, 409 for a line done meanwhile.
    status: StatusCode,
    line: i64,
    form: DoneForm,
    problems: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "call_sheet.html")]
struct SheetPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    sheet: CallSheet,
    lines: Vec<ShownLine>,
    /// (slug, name) of the charter's activity types.
    types: Vec<(String, String)>,
    /// The type chosen at first: what a call is logged as unless named.
    default_type: String,
    done: usize,
}

impl SheetPage {
    /// `2 of 5 calls done`.
    fn progress(&self) -> String {
        let calls = super::counted(self.sheet.lines.len() as i64, "call", "calls");
        format!("{} of {calls} done", self.done)
    }
}

impl PrintPage {
    fn calls(&self) -> String {
        super::counted(self.sheet.lines.len() as i64, "call", "calls")
    }
}

#[derive(Template)]
#[template(path = "call_sheet_print.html")]
struct PrintPage {
    title: String,
    sheet: CallSheet,
    person: String,
    lines: Vec<ShownLine>,
}

fn cells(line: SheetLine) -> Vec<Cell> {
    let sheet = line.sheet;
    vec![
        Cell::link(
            format!("The {} of {}", sheet.period, sheet.starts_on),
            format!("/call-sheets/{}", sheet.id),
        ),
        Cell::text(line.person),
        Cell::text(sheet.lines.to_string()),
        Cell::text(sheet.done.to_string()),
        Cell::share(sheet.done, sheet.lines),
    ]
}

/// The sheets the viewer may see: their own, or anyone's for owners and
/// managers, who may pick a person; with managers' completion by week.
async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    let request = ListRequest::parse(raw.as_deref());
    let manager = viewer.role().is_manager();
    let person = request.id("person");
    let (from, to) = request.days("from", "to");
    let filter = CallSheetFilter {
        user_id: if manager { person } else { Some(viewer.id()) },
        period: request.one_of::<SheetPeriod>("period"),
        from,
        to,
    };
    let window = request.window::<SheetSort>(output);
    let listed = match state
        .db
        .call_sheet_list(&filter, &request.search(), &window)
        .await
    {
        Ok(listed) => listed,
        Err(e) => return failure(Some(&viewer), e),
    };
    let spec = ListSpec {
        title: "Call sheets",
        path: "/call-sheets",
        columns: COLUMNS,
        search_label: "Search the calls' subjects",
        empty: "No call sheets yet. Make today's or this week's with the buttons above; \
                making one again keeps the calls already done.",
        note: (!manager).then(|| "Your own sheets.".to_string()),
        views: Vec::new(),
    };
    let rows = Rows {
        total: listed.total,
        rows: listed.rows.into_iter().map(cells).collect(),
    };
    if output == Output::Csv {
        return super::lists::csv(&viewer, &request, &spec, rows.rows);
    }
    let built = async {
        if !manager {
            return Ok((Vec::new(), None));
        }
        let today = state.db.today().await?;
        let weeks_back = today
            .checked_sub(jiff::Span::new().weeks(RECENT_WEEKS - 1))
            .unwrap_or(today);
        let (people, report) = tokio::try_join!(
            state.db.users(),
            state.db.call_sheet_completion(weeks_back, today, None)
        )?;
        Ok::<_, baton_db::DbError>((people, Some(report.rows)))
    };
    let (people, completion) = match built.await {
        Ok(both) => both,
        Err(e) => return failure(Some(&viewer), e),
    };
    let mut filters = Vec::new();
    if manager {
        let mut choices = vec![(String::new(), "Anyone".to_string())];
        choices.extend(people.into_iter().map(|u| (u.id.to_string(), u.name)));
        filters.push(Field::choice("person", "Person", choices, request.get("person")).optional());
    }
    filters.extend([
        Field::choice(
            "period",
            "Period",
            choices(
                "Day or week",
                [SheetPeriod::Day.as_str(), SheetPeriod::Week.as_str()],
            ),
            request.get("period"),
        )
        .optional(),
        Field::input("from", "From", "date", request.get("from")).optional(),
        Field::input("to", "To", "date", request.get("to")).optional(),
    ]);
    let chrome = Chrome::for_viewer(&viewer);
    render(
        request.status(),
        &ListPage {
            title: "Call sheets".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            list: ListView::new(
                &request,
                spec,
                filters,
                &window,
                rows.total,
                rows.rows.len(),
            ),
            rows: rows.rows,
            completion,
        },
    )
}

#[derive(Deserialize)]
struct MakeForm {
    csrf: String,
    period: String,
}

async fn make(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<MakeForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(period) = form.period.parse::<SheetPeriod>() else {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&viewer),
            "That did not work",
            "Choose a day's or a week's sheet.".into(),
        );
    };
    let made = async {
        let today = state.db.today().await?;
        state
            .db
            .generate_call_sheet(Some(viewer.id()), viewer.id(), period, today)
            .await
    };
    match made.await {
        Ok((sheet, _)) => Redirect::to(&format!("/call-sheets/{}", sheet.id)).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

/// The sheet `id` if the viewer may see it: their own, or anyone's for
/// owners and managers; otherwise the page to answer with.
async fn visible(state: &AppState, viewer: &Viewer, id: i64) -> Result<CallSheet, Response> {
    let sheet = state
        .db
        .call_sheet(id)
        .await
        .map_err(|e| failure(Some(viewer), e))?;
    if sheet.user_id != viewer.id() && !viewer.role().is_manager() {
        return Err(message(
            StatusCode::FORBIDDEN,
            Some(viewer),
            "Not yours",
            "A call sheet is seen by its person and their managers only.".into(),
        ));
    }
    Ok(sheet)
}

/// The lines of `sheet` as shown, a refused line with what was typed and
/// the problem beside its field.
fn shown(sheet: &CallSheet, mut refused: Option<Refused>, viewer: &Viewer) -> Vec<ShownLine> {
    sheet
        .lines
        .iter()
        .map(|line| {
            let refusal = refused.take_if(|r| r.line == line.id);
            ShownLine {
                link: match (line.lead_id, line.opportunity_id) {
                    (_, Some(deal)) => Some(format!("/opportunities/{deal}")),
                    (Some(lead), None) => Some(format!("/leads/{lead}")),
                    (None, None) => None,
                },
                due: line.due_at.map(|at| viewer.when(at)).unwrap_or_default(),
                value: match (line.value_minor, line.currency.as_deref()) {
                    (Some(minor), Some(currency)) => money(minor, currency),
                    _ => String::new(),
                },
                last_touch: line
                    .last_touch_at
                    .map_or_else(|| "never".into(), |at| viewer.when(at)),
                // A problem with no field of its own on the line goes
                // beside the outcome.
                errors: refusal.as_ref().map_or_else(Vec::new, |r| {
                    r.problems
                        .iter()
                        .map(|p| {
                            let field = match p.field.as_str() {
                                "type" | "notes" => p.field.clone(),
                                _ => "outcome".to_string(),
                            };
                            (field, p.problem.clone())
                        })
                        .collect()
                }),
                typed: refusal.map(|r| r.form),
                line: line.clone(),
            }
        })
        .collect()
}

async fn render_sheet(
    state: &AppState,
    viewer: &Viewer,
    sheet: CallSheet,
    refused: Option<Refused>,
) -> Response {
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.status);
    let (charter, person) =
        match tokio::try_join!(state.db.current_charter(), state.db.user(sheet.user_id)) {
            Ok(read) => read,
            Err(e) => return failure(Some(viewer), e),
        };
    let default_type = default_call_type(&charter.activity_types, person.role.function())
        .unwrap_or_default()
        .to_string();
    let chrome = Chrome::for_viewer(viewer);
    render(
        status,
        &SheetPage {
            title: format!("Call sheet for the {} of {}", sheet.period, sheet.starts_on),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            lines: shown(&sheet, refused, viewer),
            done: sheet.lines.iter().filter(|l| l.done_at.is_some()).count(),
            sheet,
            types: charter
                .activity_types
                .into_iter()
                .map(|t| (t.slug, t.name))
                .collect(),
            default_type,
        },
    )
}

async fn sheet(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match visible(&state, &viewer, id).await {
        Ok(sheet) => render_sheet(&state, &viewer, sheet, None).await,
        Err(page) => page,
    }
}

async fn print(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    let sheet = match visible(&state, &viewer, id).await {
        Ok(sheet) => sheet,
        Err(page) => return page,
    };
    let person = match state.db.user(sheet.user_id).await {
        Ok(user) => user.name,
        Err(e) => return failure(Some(&viewer), e),
    };
    render(
        StatusCode::OK,
        &PrintPage {
            title: format!("Calls for the {} of {}", sheet.period, sheet.starts_on),
            lines: shown(&sheet, None, &viewer),
            person,
            sheet,
        },
    )
}

#[derive(Deserialize)]
struct DoneForm {
    csrf: String,
    outcome: String,
    #[serde(rename = "type", default)]
    type_slug: String,
    #[serde(default)]
    notes: String,
}

async fn done(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, line)): Path<(i64, i64)>,
    Form(form): Form<DoneForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let sheet = match visible(&state, &viewer, id).await {
        Ok(sheet) => sheet,
        Err(page) => return page,
    };
    let call = CallOutcome {
        outcome: form.outcome.clone(),
        type_slug: Some(form.type_slug.clone()),
        notes: Some(form.notes.clone()),
    };
    let result = state
        .db
        .complete_call_line(Some(viewer.id()), &sheet, line, &call)
        .await;
    let status = match &result {
        Err(baton_db::DbError::Conflict { .. }) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let refused = match result.map_err(refusal) {
        Ok(_) => return Redirect::to(&format!("/call-sheets/{id}#line-{line}")).into_response(),
        Err(Ok(problems)) => Refused {
            status,
            line,
            form,
            problems,
        },
        Err(Err(e)) => return failure(Some(&viewer), e),
    };
    render_sheet(&state, &viewer, sheet, Some(refused)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<SheetSort>(COLUMNS);
    }
}
