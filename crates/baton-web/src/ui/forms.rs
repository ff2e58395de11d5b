//! The forms page: the public inquiry forms with their address, a preview,
//! the snippet to embed each elsewhere and how many inquiries each brought,
//! searched, filtered, sorted, paged and exported like every list; a new
//! form in one step.

use super::lists::{Cell, Column, ListRequest, ListSpec, ListView, Output, back_to, yes_no_filter};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, not_for_your_role, place_errors, refusal, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::Role;
use baton_core::inquiry::FieldError;
use baton_db::forms::{FormFilter, FormSort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forms", get(page).post(create))
        .route("/forms.csv", get(page))
        .route("/forms/{id}/open", post(set_open))
}

/// Roles that publish forms, as over the API.
pub const EDITORS: &[Role] = &[Role::Owner, Role::Manager, Role::Marketer];

const COLUMNS: &[Column] = &[
    Column::sorted("Form", "name"),
    Column::unsorted("Public address"),
    Column::unsorted("Campaign"),
    Column::unsorted("Source"),
    Column::unsorted("State"),
    Column::sorted("Submissions", "submissions"),
    Column::sorted("Created", "created"),
];

/// One form as listed.
struct Listed {
    id: i64,
    name: String,
    slug: String,
    url: String,
    campaign: String,
    source: String,
    active: bool,
    submissions: i64,
    created: String,
    snippet: String,
}

impl Listed {
    /// The form as a row of the CSV export, under [`COLUMNS`].
    fn cells(self) -> Vec<Cell> {
        let state = if self.active { "open" } else { "closed" };
        vec![
            Cell::text(self.name),
            Cell::text(self.url),
            Cell::text(self.campaign),
            Cell::text(self.source),
            Cell::text(state),
            Cell::text(self.submissions.to_string()),
            Cell::text(self.created),
        ]
    }
}

#[derive(Template)]
#[template(path = "forms.html")]
struct FormsPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    /// The list's parameters, so closing or opening a form returns to it.
    back: String,
    forms: Vec<Listed>,
    fields: Vec<Field>,
}

#[derive(Deserialize, Default)]
struct NewForm {
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    thank_you: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    source: String,
    /// The list's parameters, so a refusal shows the same list.
    #[serde(default)]
    back: String,
}

fn refused(viewer: &Viewer) -> Response {
    not_for_your_role(viewer, "publish forms; owners, managers and marketers do")
}

/// The list of forms as `request` narrows it, as a page with the form to
/// publish one, or as CSV.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &NewForm,
    error: Option<Vec<FieldError>>,
) -> Response {
    let filter = FormFilter {
        active: request.yes_no("open"),
        search: request.search(),
    };
    let window = request.window::<FormSort>(output);
    let listed = match state.db.form_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(viewer), e),
    };
    let base = state.options.base_url.trim_end_matches('/');
    let total = listed.total;
    let forms: Vec<Listed> = listed
        .rows
        .into_iter()
        .map(|line| Listed {
            id: line.form.id,
            url: format!("{base}/f/{}", line.form.slug),
            snippet: crate::forms::embed_snippet(&line.form, base),
            campaign: line.form.campaign.clone().unwrap_or_default(),
            source: line.form.source.clone().unwrap_or_default(),
            name: line.form.name,
            slug: line.form.slug,
            active: line.form.active,
            submissions: line.submissions,
            created: viewer.when(line.created_at),
        })
        .collect();
    let spec = ListSpec {
        title: "Forms",
        path: "/forms",
        columns: COLUMNS,
        search_label: "Search name or address",
        empty: "No form yet. Publish one with the form below; it gets a page \
                of its own and a snippet to put on another site.",
        note: None,
        views: Vec::new(),
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            request,
            &spec,
            forms.into_iter().map(Listed::cells).collect(),
        );
    }
    let filters = vec![yes_no_filter(
        request,
        "open",
        "State",
        ["Any", "Open", "Closed"],
    )];
    let mut fields = vec![
        Field::input("name", "Name", "text", &typed.name),
        Field::input(
            "slug",
            "Address (lowercase letters, digits and dashes)",
            "text",
            &typed.slug,
        ),
        Field::input("thank_you", "Thank-you message", "text", &typed.thank_you).optional(),
        Field::input(
            "campaign",
            "Campaign credited with every submission",
            "text",
            &typed.campaign,
        )
        .optional(),
        Field::input(
            "source",
            "Source given to every submission (routing rules may match it)",
            "text",
            &typed.source,
        )
        .optional(),
    ];
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        request.status()
    };
    if let Some(problems) = error {
        place_errors(&mut fields, problems);
    }
    let list = ListView::new(request, spec, filters, &window, total, forms.len());
    render(
        status,
        &FormsPage {
            title: "Forms".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            list,
            back: request.query(&[]),
            forms,
            fields,
        },
    )
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let request = ListRequest::parse(raw.as_deref());
    show(&state, &viewer, output, &request, &NewForm::default(), None).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let created = state
        .db
        .create_form(
            Some(viewer.id()),
            form.slug.trim(),
            &form.name,
            &form.thank_you,
            Some(&form.campaign),
            Some(&form.source),
        )
        .await;
    match created {
        Ok(_) => Redirect::to("/forms").into_response(),
        Err(e) => match refusal(e) {
            Ok(error) => {
                show(
                    &state,
                    &viewer,
                    Output::Page,
                    &ListRequest::parse(Some(&form.back)),
                    &form,
                    Some(error),
                )
                .await
            }
            Err(e) => failure(Some(&viewer), e),
        },
    }
}

#[derive(Deserialize)]
struct OpenOrClose {
    csrf: String,
    /// `1` opens the form, `0` closes it.
    open: u8,
    /// The parameters of the list the form was changed from.
    #[serde(default)]
    back: String,
}

/// Closes a form to submissions (a form drawing spam, a campaign that has
/// ended) or opens it again.
async fn set_open(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<OpenOrClose>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    match state
        .db
        .set_form_open(Some(viewer.id()), id, form.open != 0)
        .await
    {
        Ok(()) => Redirect::to(&back_to("/forms", &form.back, &[])).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<FormSort>(COLUMNS);
    }
}
