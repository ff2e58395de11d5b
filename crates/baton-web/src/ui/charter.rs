//! The charter page: the responsibility matrix for owners and managers,
//! editable by the owner; each save is a new version.

use super::session::csrf_refused;
use super::{Chrome, Viewer, failure, message, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use baton_core::domain::{Function, Role};
use baton_core::inquiry::FieldError;
use baton_db::charter::{ActivityType, Charter, version_problems};

pub fn router() -> Router<AppState> {
    Router::new().route("/charter", get(page).post(save))
}

/// One editable row, kept as typed so errors never lose input, with the
/// problem of each of its fields (`slug`, `name`, `function`,
/// `expectation`) that was refused.
#[derive(Clone, Default)]
struct Row {
    slug: String,
    name: String,
    function: String,
    expectation: String,
    errors: Vec<(&'static str, String)>,
}

impl Row {
    /// The problem of one of the row's fields; empty when it has none.
    fn error(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map_or("", |(_, problem)| problem.as_str())
    }
}

#[derive(Template)]
#[template(path = "charter.html")]
struct CharterPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    version: i64,
    note: String,
    editable: bool,
    rows: Vec<Row>,
    functions: Vec<String>,
    draft_note: String,
    /// The note's problem, when it was refused.
    note_error: String,
    /// What a refused save got wrong, one problem a line; each is also
    /// beside its field.
    problems: Vec<String>,
}

fn page_for(
    viewer: &Viewer,
    charter: &Charter,
    rows: Vec<Row>,
    draft_note: String,
    problems: Vec<String>,
) -> CharterPage {
    let chrome = Chrome::for_viewer(viewer);
    CharterPage {
        title: "Charter".into(),
        csrf: chrome.csrf.clone(),
        chrome: Some(chrome),
        version: charter.version.version,
        note: charter.version.note.clone(),
        editable: viewer.role() == Role::Owner,
        rows,
        functions: Function::ALL.iter().map(|f| f.to_string()).collect(),
        draft_note,
        note_error: String::new(),
        problems,
    }
}

/// Everyone reads the charter, as over the API: it says what each
/// function owns and what is expected of it. Only an owner changes it.
async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let charter = match state.db.current_charter().await {
        Ok(charter) => charter,
        Err(e) => return failure(Some(&viewer), e),
    };
    let rows = rows_of(&viewer, &charter);
    render(
        StatusCode::OK,
        &page_for(&viewer, &charter, rows, String::new(), Vec::new()),
    )
}

/// The charter's activities as the page's rows, with an empty row to add
/// one for the one who may.
fn rows_of(viewer: &Viewer, charter: &Charter) -> Vec<Row> {
    let mut rows: Vec<Row> = charter
        .activity_types
        .iter()
        .map(|t| Row {
            slug: t.slug.clone(),
            name: t.name.clone(),
            function: t.function.to_string(),
            expectation: t.expectation.clone(),
            errors: Vec::new(),
        })
        .collect();
    if viewer.role() == Role::Owner {
        rows.push(Row {
            function: Function::Marketing.to_string(),
            ..Row::default()
        });
    }
    rows
}

/// The page's row (counted from 1) and field of a field of the stored
/// activities: `activity_types[4].slug` is row 6's `slug` when the fifth
/// activity kept is the page's sixth row.
fn row_field(field: &str, page_rows: &[usize]) -> Option<(usize, &'static str)> {
    let (index, part) = field
        .strip_prefix("activity_types[")
        .and_then(|rest| rest.split_once("]."))?;
    let row = *index.parse::<usize>().ok().and_then(|i| page_rows.get(i))?;
    let part = ["slug", "name", "function", "expectation"]
        .into_iter()
        .find(|known| *known == part)?;
    Some((row, part))
}

/// A field as the page names it: `Row 6, code`.
fn on_the_page(field: &str, page_rows: &[usize]) -> String {
    match row_field(field, page_rows) {
        Some((row, "slug")) => format!("Row {row}, code"),
        Some((row, part)) => format!("Row {row}, {part}"),
        None => field.to_string(),
    }
}

/// What the charter form sends.
struct Sent {
    csrf: String,
    note: String,
    /// The version the page showed, when it says.
    based_on: Option<i64>,
    rows: Vec<Row>,
}

/// Reads the form: the row fields come as repeated keys, in order.
fn read_form(body: &[u8]) -> Sent {
    let (mut csrf, mut note, mut based_on) = (String::new(), String::new(), None);
    let mut rows: Vec<Row> = Vec::new();
    for (key, value) in form_urlencoded::parse(body) {
        let value = value.trim().to_string();
        match key.as_ref() {
            "csrf" => csrf = value,
            "note" => note = value,
            "based_on" => based_on = value.parse().ok(),
            "slug" => rows.push(Row {
                slug: value,
                ..Row::default()
            }),
            field => {
                if let Some(row) = rows.last_mut() {
                    match field {
                        "name" => row.name = value,
                        "function" => row.function = value,
                        "expectation" => row.expectation = value,
                        _ => {}
                    }
                }
            }
        }
    }
    Sent {
        csrf,
        note,
        based_on,
        rows,
    }
}

async fn save(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> Response {
    let Sent {
        csrf,
        note,
        based_on,
        rows,
    } = read_form(&body);
    if !viewer.csrf_ok(&csrf) {
        return csrf_refused();
    }
    if viewer.role() != Role::Owner {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not for your role",
            format!(
                "{} reads the charter; only an owner changes it.",
                viewer.role().a_person(true)
            ),
        );
    }
    let current = match state.db.current_charter().await {
        Ok(charter) => charter,
        Err(e) => return failure(Some(&viewer), e),
    };
    // Saved from a page that showed an older version, it would undo what
    // was put in force since: the page shows the charter as it is now.
    if let Some(stale) = based_on.filter(|v| *v != current.version.version) {
        let problem = format!(
            "The charter changed since this page showed version {stale}: version {} is in force now, shown below. Make your change again.",
            current.version.version
        );
        return render(
            StatusCode::CONFLICT,
            &page_for(
                &viewer,
                &current,
                rows_of(&viewer, &current),
                note,
                vec![problem],
            ),
        );
    }
    let refuse = |rows: Vec<Row>, refused: Vec<(String, Option<(usize, &'static str)>)>| {
        let mut rows = rows;
        let mut page = page_for(&viewer, &current, Vec::new(), note.clone(), Vec::new());
        // Each problem beside its field too: the row's, or the note's.
        for (problem, at) in refused {
            match at {
                Some((row, field)) => {
                    if let Some(row) = rows.get_mut(row - 1) {
                        let reason = problem
                            .split_once(": ")
                            .map_or(problem.as_str(), |(_, r)| r);
                        row.errors.push((field, reason.to_string()));
                    }
                }
                None if problem.starts_with("note: ") => {
                    page.note_error = problem["note: ".len()..].to_string();
                }
                None => {}
            }
            page.problems.push(problem);
        }
        page.rows = rows;
        render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    // A row without a code is an activity removed, when it names one of the
    // charter's; otherwise its code was forgotten, and nothing typed is dropped.
    let mut types = Vec::with_capacity(rows.len());
    // The page's row of each activity kept, counted from 1.
    let mut page_rows = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let number = index + 1;
        if row.slug.is_empty() {
            let removed = current.activity_types.iter().any(|t| t.name == row.name);
            let blank = row.name.is_empty() && row.expectation.is_empty();
            if !removed && !blank {
                problems.push((
                    format!("Row {number}: give the activity a code"),
                    Some((number, "slug")),
                ));
            }
            continue;
        }
        let Ok(function) = row.function.parse::<Function>() else {
            problems.push((
                format!("Row {number}: `{}` is not a function", row.function),
                Some((number, "function")),
            ));
            continue;
        };
        types.push(ActivityType {
            slug: row.slug.clone(),
            name: row.name.clone(),
            function,
            expectation: row.expectation.clone(),
        });
        page_rows.push(number);
    }
    let named = |p: FieldError| {
        (
            format!("{}: {}", on_the_page(&p.field, &page_rows), p.problem),
            row_field(&p.field, &page_rows),
        )
    };
    if !problems.is_empty() {
        // The rows kept are checked too, so every problem is named at once.
        problems.extend(
            version_problems(&note, &types)
                .into_iter()
                .filter(|p| !types.is_empty() || p.field != "activity_types")
                .map(named),
        );
        return refuse(rows, problems);
    }
    match state
        .db
        .replace_charter(viewer.id(), &note, &types, based_on)
        .await
    {
        Ok(_) => Redirect::to("/charter").into_response(),
        Err(e) => match e.field_problems() {
            Ok(refused) => refuse(rows, refused.into_iter().map(named).collect()),
            Err(e) => failure(Some(&viewer), e),
        },
    }
}
