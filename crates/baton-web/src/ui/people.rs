//! People and API tokens, for the owner: add a person, change their role,
//! let them sign in or not, in a list searched, filtered, sorted, paged
//! and exported like every list; issue a token (shown once) and revoke one,
//! in a list of tokens like it, whose export never holds a secret.

use super::lists::{Cell, Column, ListRequest, ListSpec, ListView, Output, back_to, yes_no_filter};
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, failure, not_for_your_role, place_errors, problems_text, refusal,
    refused_with, render,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::Role;
use baton_core::inquiry::FieldError;
use baton_db::users::{NewUser, PeopleFilter, PersonSort, TokenFilter, TokenSort, UserChange};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/people", get(people).post(add_person))
        .route("/settings/people.csv", get(people))
        .route("/settings/people/{id}", post(change_person))
        .route("/settings/tokens", get(tokens).post(issue_token))
        .route("/settings/tokens.csv", get(tokens))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// Only the owner manages people and tokens, as the API has it.
pub const EDITORS: &[Role] = &[Role::Owner];

/// Managers may read who works here and in which role.
pub const READERS: &[Role] = &[Role::Owner, Role::Manager];

fn refused(viewer: &Viewer) -> Response {
    not_for_your_role(viewer, "manage people or API tokens; the owner does")
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.to_string(), r.to_string()))
        .collect()
}

const COLUMNS: &[Column] = &[
    Column::sorted("Person", "name"),
    Column::unsorted("E-mail"),
    Column::sorted("Role", "role"),
    Column::sorted("Team", "team"),
    Column::unsorted("Access"),
    Column::sorted("Added", "added"),
];

/// A person as listed, with a refused change to them kept.
struct Person {
    id: i64,
    name: String,
    email: String,
    role: String,
    team: String,
    /// The team's id as the team choice gives it, empty for none.
    team_id: String,
    active: bool,
    added: String,
    is_viewer: bool,
    problem: Option<String>,
}

impl Person {
    /// The person as a row of the CSV export, under [`COLUMNS`].
    fn cells(self) -> Vec<Cell> {
        let access = if self.active {
            "signs in"
        } else {
            "deactivated"
        };
        vec![
            Cell::text(self.name),
            Cell::text(self.email),
            Cell::text(self.role),
            Cell::text(self.team),
            Cell::text(access),
            Cell::text(self.added),
        ]
    }
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    can_edit: bool,
    list: ListView,
    /// The list's parameters, so a change returns to it.
    back: String,
    people: Vec<Person>,
    roles: Vec<(String, String)>,
    /// Each team's id and name, first "No team".
    teams: Vec<(String, String)>,
    fields: Vec<Field>,
}

#[derive(Deserialize, Default)]
struct NewPerson {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// The list's parameters, so a refusal shows the same list.
    #[serde(default)]
    back: String,
}

/// What went wrong on the page: a new person's field, or a change to someone.
enum Refused {
    NewPerson(Vec<FieldError>),
    Change(i64, String),
}

/// The list of people as `request` narrows it, as a page with the form to
/// add someone, or as CSV.
async fn show_people(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &NewPerson,
    refused: Option<Refused>,
) -> Response {
    let filter = PeopleFilter {
        role: request.one_of::<Role>("role"),
        team_id: request.id("team"),
        active: request.yes_no("active"),
        search: request.search(),
    };
    let window = request.window::<PersonSort>(output);
    let (listed, teams) =
        match tokio::try_join!(state.db.person_list(&filter, &window), state.db.teams()) {
            Ok(both) => both,
            Err(e) => return failure(Some(viewer), e),
        };
    let mut change_problem = None;
    let mut fields = vec![
        Field::input("name", "Name", "text", &typed.name),
        Field::input("email", "E-mail", "email", &typed.email),
        Field::choice("role", "Role", role_options(), &typed.role),
        // A refused password is never sent back to the browser.
        Field::input(
            "password",
            "Password (at least 10 characters; leave empty for API-only access)",
            "password",
            "",
        )
        .optional(),
    ];
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        request.status()
    };
    match refused {
        Some(Refused::NewPerson(problems)) => place_errors(&mut fields, problems),
        Some(Refused::Change(id, problem)) => change_problem = Some((id, problem)),
        None => {}
    }
    let total = listed.total;
    let people: Vec<Person> = listed
        .rows
        .into_iter()
        .map(|line| Person {
            problem: change_problem
                .as_ref()
                .filter(|(id, _)| *id == line.user.id)
                .map(|(_, problem)| problem.clone()),
            is_viewer: line.user.id == viewer.id(),
            id: line.user.id,
            name: line.user.name,
            email: line.user.email,
            role: line.user.role.to_string(),
            team: line.team.unwrap_or_default(),
            team_id: line.user.team_id.map(|t| t.to_string()).unwrap_or_default(),
            active: line.user.active,
            added: viewer.when(line.created_at),
        })
        .collect();
    let spec = ListSpec {
        title: "People",
        path: "/settings/people",
        columns: COLUMNS,
        search_label: "Search name or e-mail",
        empty: "Nobody here yet. The owner adds people with the form below;                 each one signs in with their e-mail and password.",
        note: None,
        views: Vec::new(),
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            request,
            &spec,
            people.into_iter().map(Person::cells).collect(),
        );
    }
    let named_teams: Vec<(String, String)> = teams
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect();
    let mut team_choices = vec![(String::new(), "Any team".to_string())];
    team_choices.extend(named_teams.iter().cloned());
    let mut teams = vec![(String::new(), "No team".to_string())];
    teams.extend(named_teams);
    let mut role_choices = vec![(String::new(), "Any role".to_string())];
    role_choices.extend(role_options());
    let filters = vec![
        Field::choice("role", "Role", role_choices, request.get("role")).optional(),
        Field::choice("team", "Team", team_choices, request.get("team")).optional(),
        yes_no_filter(
            request,
            "active",
            "Access",
            ["Anyone", "Signs in", "Deactivated"],
        ),
    ];
    let list = ListView::new(request, spec, filters, &window, total, people.len());
    render(
        status,
        &PeoplePage {
            title: "People".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            can_edit: EDITORS.contains(&viewer.role()),
            list,
            back: request.query(&[]),
            people,
            roles: role_options(),
            teams,
            fields,
        },
    )
}

async fn people(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !READERS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let typed = NewPerson {
        role: Role::Hunter.to_string(),
        ..NewPerson::default()
    };
    let request = ListRequest::parse(raw.as_deref());
    show_people(&state, &viewer, output, &request, &typed, None).await
}

async fn add_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewPerson>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let role: Role = match form.role.parse() {
        Ok(role) => role,
        Err(e) => {
            // Every problem at once: the others, read as any role would have them.
            let mut problems = NewUser {
                email: &form.email,
                name: &form.name,
                role: Role::Hunter,
                password: Some(form.password.as_str()).filter(|p| !p.is_empty()),
            }
            .checked()
            .err()
            .and_then(|e| e.field_problems().ok())
            .unwrap_or_default();
            problems.push(FieldError::new("role", e.to_string()));
            let refused = Refused::NewPerson(problems);
            return show_people(
                &state,
                &viewer,
                Output::Page,
                &ListRequest::parse(Some(&form.back)),
                &form,
                Some(refused),
            )
            .await;
        }
    };
    let created = state
        .db
        .create_user_by(
            Some(viewer.id()),
            NewUser {
                email: &form.email,
                name: &form.name,
                role,
                password: Some(form.password.as_str()).filter(|p| !p.is_empty()),
            },
        )
        .await;
    match created.map_err(refusal) {
        Ok(_) => Redirect::to("/settings/people").into_response(),
        Err(Ok(problems)) => {
            let refused = Refused::NewPerson(problems);
            show_people(
                &state,
                &viewer,
                Output::Page,
                &ListRequest::parse(Some(&form.back)),
                &form,
                Some(refused),
            )
            .await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct PersonChange {
    csrf: String,
    role: Option<String>,
    /// A team's id, or empty for none; absent leaves the team as it is.
    team: Option<String>,
    /// `true` lets the person sign in again, `false` stops them.
    active: Option<bool>,
    /// The parameters of the list the form was sent from.
    #[serde(default)]
    back: String,
}

async fn change_person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<PersonChange>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let back = ListRequest::parse(Some(&form.back));
    let team = match form.team.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(team) => team
            .parse::<i64>()
            .map(|team| Some(Some(team)))
            .map_err(|_| format!("`{team}` is not a team")),
    };
    let role = form
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| e.to_string());
    let (role, team_id) = match (role, team) {
        (Ok(role), Ok(team)) => (role, team),
        (Err(e), _) | (_, Err(e)) => {
            let refused = Refused::Change(id, e);
            return show_people(
                &state,
                &viewer,
                Output::Page,
                &back,
                &NewPerson::default(),
                Some(refused),
            )
            .await;
        }
    };
    let change = UserChange {
        role,
        team_id,
        active: form.active,
        ..UserChange::default()
    };
    match state
        .db
        .update_user(viewer.id(), id, &change)
        .await
        .map_err(refusal)
    {
        Ok(_) => Redirect::to(&back.link("/settings/people", &[])).into_response(),
        Err(Ok(problems)) => {
            let refused = Refused::Change(id, problems_text(problems));
            show_people(
                &state,
                &viewer,
                Output::Page,
                &back,
                &NewPerson::default(),
                Some(refused),
            )
            .await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

const TOKEN_COLUMNS: &[Column] = &[
    Column::sorted("Token", "name"),
    Column::unsorted("For"),
    Column::sorted("Issued", "created"),
    Column::sorted("Last used", "used"),
    Column::unsorted("Revoked"),
];

/// A token as listed: never its secret, which only its holder has.
struct ListedToken {
    id: i64,
    name: String,
    holder: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

impl ListedToken {
    /// The token as a row of the CSV export, under [`TOKEN_COLUMNS`].
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::text(self.name),
            Cell::text(self.holder),
            Cell::text(self.created),
            Cell::text(self.last_used),
            Cell::text(self.revoked.unwrap_or_default()),
        ]
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    /// The list's parameters, so a revocation returns to it.
    back: String,
    tokens: Vec<ListedToken>,
    fields: Vec<Field>,
    /// A token just issued: shown this once, never stored in clear.
    issued: Option<String>,
}

#[derive(Deserialize, Default)]
struct NewToken {
    csrf: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    name: String,
    /// The list's parameters, so the page after shows the same list.
    #[serde(default)]
    back: String,
}

/// The list of tokens as `request` narrows it, as a page with the form to
/// issue one, or as CSV.
async fn show_tokens(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &NewToken,
    error: Option<Vec<FieldError>>,
    issued: Option<String>,
) -> Response {
    let filter = TokenFilter {
        holder_id: request.id("person"),
        active: request.yes_no("active"),
        search: request.search(),
    };
    let window = request.window::<TokenSort>(output);
    let (listed, users) =
        match tokio::try_join!(state.db.token_list(&filter, &window), state.db.users()) {
            Ok(both) => both,
            Err(e) => return failure(Some(viewer), e),
        };
    let total = listed.total;
    let tokens: Vec<ListedToken> = listed
        .rows
        .into_iter()
        .map(|line| ListedToken {
            id: line.token.id,
            name: line.token.name,
            holder: format!("{} ({})", line.token.holder, line.token.holder_email),
            created: viewer.when(line.token.created_at),
            last_used: line
                .token
                .last_used_at
                .map(|at| viewer.when(at))
                .unwrap_or_else(|| "never".into()),
            revoked: line.revoked_at.map(|at| viewer.when(at)),
        })
        .collect();
    let spec = ListSpec {
        title: "API tokens",
        path: "/settings/tokens",
        columns: TOKEN_COLUMNS,
        search_label: "Search token or person",
        empty: "No API token yet. Issue one with the form below for the person \
                a program acts as; it is shown once, so copy it then.",
        note: None,
        views: Vec::new(),
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            request,
            &spec,
            tokens.into_iter().map(ListedToken::cells).collect(),
        );
    }
    let mut person_choices = vec![(String::new(), "Anyone".to_string())];
    person_choices.extend(users.iter().map(|u| (u.id.to_string(), u.name.clone())));
    let filters = vec![
        Field::choice("person", "For", person_choices, request.get("person")).optional(),
        yes_no_filter(request, "active", "State", ["Any", "Works", "Revoked"]),
    ];
    let holders = std::iter::once((String::new(), "Choose a person".to_string()))
        .chain(
            users
                .into_iter()
                .filter(|u| u.active)
                .map(|u| (u.email.clone(), format!("{} ({})", u.name, u.email))),
        )
        .collect();
    // A new form is for oneself; a refused one keeps what was chosen, none
    // included, so that sending it again issues nothing to anyone unasked.
    let holder = if typed.holder.is_empty() && error.is_none() {
        &viewer.session.user.email
    } else {
        &typed.holder
    };
    let mut fields = vec![
        Field::choice("holder", "For", holders, holder),
        Field::input("name", "What it is for", "text", &typed.name),
    ];
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        request.status()
    };
    if let Some(problems) = error {
        place_errors(&mut fields, problems);
    }
    let list = ListView::new(request, spec, filters, &window, total, tokens.len());
    render(
        status,
        &TokensPage {
            title: "API tokens".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            list,
            back: request.query(&[]),
            tokens,
            fields,
            issued,
        },
    )
}

async fn tokens(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let request = ListRequest::parse(raw.as_deref());
    show_tokens(
        &state,
        &viewer,
        output,
        &request,
        &NewToken::default(),
        None,
        None,
    )
    .await
}

async fn issue_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewToken>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let request = ListRequest::parse(Some(&form.back));
    let issued = match state.db.user_by_email(&form.holder).await {
        Ok(holder) if holder.active => {
            state
                .db
                .create_api_token(Some(viewer.id()), holder.id, &form.name)
                .await
        }
        Ok(_) | Err(baton_db::DbError::NotFound(_)) => Err(refused_with(
            baton_db::users::token_name(&form.name),
            FieldError::new("holder", "choose a person who may sign in"),
        )),
        Err(e) => Err(e),
    };
    let (typed, error, issued) = match issued.map_err(refusal) {
        Ok(token) => (NewToken::default(), None, Some(token)),
        Err(Ok(error)) => (form, Some(error), None),
        Err(Err(e)) => return failure(Some(&viewer), e),
    };
    show_tokens(
        &state,
        &viewer,
        Output::Page,
        &request,
        &typed,
        error,
        issued,
    )
    .await
}

#[derive(Deserialize)]
struct Revocation {
    csrf: String,
    /// The parameters of the list the token was revoked from.
    #[serde(default)]
    back: String,
}

async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<Revocation>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    match state.db.revoke_api_token(Some(viewer.id()), id).await {
        Ok(()) => Redirect::to(&back_to("/settings/tokens", &form.back, &[])).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<PersonSort>(COLUMNS);
        super::super::lists::assert_sorts_known::<TokenSort>(TOKEN_COLUMNS);
    }
}
