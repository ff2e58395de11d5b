//! People and API tokens, for the owner: add a person, change their role,
//! let them sign in or not; issue a token (shown once) and revoke one.

use super::session::{ButtonForm, csrf_refused};
use super::{Chrome, Field, Viewer, failure, message, place_error, refusal, render, when};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::Role;
use baton_db::users::{NewUser, UserChange};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/people", get(people).post(add_person))
        .route("/settings/people/{id}", post(change_person))
        .route("/settings/tokens", get(tokens).post(issue_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
}

/// Only the owner manages people and tokens, as the API has it.
pub const EDITORS: &[Role] = &[Role::Owner];

/// Managers may read who works here and in which role.
pub const READERS: &[Role] = &[Role::Owner, Role::Manager];

fn refused(viewer: &Viewer) -> Response {
    message(
        StatusCode::FORBIDDEN,
        Some(viewer),
        "Not for your role",
        format!(
            "A {} does not manage people or API tokens; the owner does.",
            viewer.role()
        ),
    )
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.to_string(), r.to_string()))
        .collect()
}

/// A person as listed, with a refused change to them kept.
struct Person {
    id: i64,
    name: String,
    email: String,
    role: String,
    active: bool,
    is_viewer: bool,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    can_edit: bool,
    people: Vec<Person>,
    roles: Vec<(String, String)>,
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
}

/// What went wrong on the page: a new person's field, or a change to someone.
enum Refused {
    NewPerson(String, String),
    Change(i64, String),
}

async fn show_people(
    state: &AppState,
    viewer: &Viewer,
    typed: &NewPerson,
    refused: Option<Refused>,
) -> Response {
    let users = match state.db.users().await {
        Ok(users) => users,
        Err(e) => return failure(Some(viewer), e),
    };
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
        StatusCode::OK
    };
    let mut change_problem = None;
    match refused {
        Some(Refused::NewPerson(field, problem)) => place_error(&mut fields, &field, problem),
        Some(Refused::Change(id, problem)) => change_problem = Some((id, problem)),
        None => {}
    }
    let people = users
        .into_iter()
        .map(|user| Person {
            problem: change_problem
                .as_ref()
                .filter(|(id, _)| *id == user.id)
                .map(|(_, problem)| problem.clone()),
            is_viewer: user.id == viewer.id(),
            id: user.id,
            name: user.name,
            email: user.email,
            role: user.role.to_string(),
            active: user.active,
        })
        .collect();
    render(
        status,
        &PeoplePage {
            title: "People".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            can_edit: EDITORS.contains(&viewer.role()),
            people,
            roles: role_options(),
            fields,
        },
    )
}

async fn people(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !READERS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let typed = NewPerson {
        role: Role::Hunter.to_string(),
        ..NewPerson::default()
    };
    show_people(&state, &viewer, &typed, None).await
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
            let refused = Refused::NewPerson("role".into(), format!("{e}"));
            return show_people(&state, &viewer, &form, Some(refused)).await;
        }
    };
    let created = state
        .db
        .create_user(NewUser {
            email: &form.email,
            name: &form.name,
            role,
            password: Some(form.password.as_str()).filter(|p| !p.is_empty()),
        })
        .await;
    match created.map_err(refusal) {
        Ok(_) => Redirect::to("/settings/people").into_response(),
        Err(Ok((field, problem))) => {
            let refused = Refused::NewPerson(field, problem);
            show_people(&state, &viewer, &form, Some(refused)).await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct PersonChange {
    csrf: String,
    role: Option<String>,
    /// `true` lets the person sign in again, `false` stops them.
    active: Option<bool>,
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
    let role = match form.role.as_deref().map(str::parse::<Role>).transpose() {
        Ok(role) => role,
        Err(e) => {
            let refused = Refused::Change(id, e.to_string());
            return show_people(&state, &viewer, &NewPerson::default(), Some(refused)).await;
        }
    };
    let change = UserChange {
        role,
        active: form.active,
        ..UserChange::default()
    };
    match state
        .db
        .update_user(viewer.id(), id, &change)
        .await
        .map_err(refusal)
    {
        Ok(_) => Redirect::to("/settings/people").into_response(),
        Err(Ok((_, problem))) => {
            let refused = Refused::Change(id, problem);
            show_people(&state, &viewer, &NewPerson::default(), Some(refused)).await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

/// A working token as listed.
struct ListedToken {
    id: i64,
    name: String,
    holder: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
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
}

async fn show_tokens(
    state: &AppState,
    viewer: &Viewer,
    typed: &NewToken,
    error: Option<(String, String)>,
    issued: Option<String>,
) -> Response {
    let (tokens, users) = match tokio::try_join!(state.db.api_tokens(), state.db.users()) {
        Ok(both) => both,
        Err(e) => return failure(Some(viewer), e),
    };
    let holders = users
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.email.clone(), format!("{} ({})", u.name, u.email)))
        .collect();
    let holder = if typed.holder.is_empty() {
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
        StatusCode::OK
    };
    if let Some((field, problem)) = error {
        place_error(&mut fields, &field, problem);
    }
    let tokens = tokens
        .into_iter()
        .map(|t| ListedToken {
            id: t.id,
            name: t.name,
            holder: format!("{} ({})", t.holder, t.holder_email),
            created: when(t.created_at),
            last_used: t.last_used_at.map(when).unwrap_or_else(|| "never".into()),
        })
        .collect();
    render(
        status,
        &TokensPage {
            title: "API tokens".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            tokens,
            fields,
            issued,
        },
    )
}

async fn tokens(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    show_tokens(&state, &viewer, &NewToken::default(), None, None).await
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
    let issued = match state.db.user_by_email(&form.holder).await {
        Ok(holder) if holder.active => {
            state
                .db
                .create_api_token(Some(viewer.id()), holder.id, &form.name)
                .await
        }
        Ok(_) | Err(baton_db::DbError::NotFound(_)) => Err(baton_db::DbError::invalid(
            "holder",
            "choose a person who may sign in",
        )),
        Err(e) => Err(e),
    };
    match issued.map_err(refusal) {
        Ok(token) => show_tokens(&state, &viewer, &NewToken::default(), None, Some(token)).await,
        Err(Ok(error)) => show_tokens(&state, &viewer, &form, Some(error), None).await,
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ButtonForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    match state.db.revoke_api_token(viewer.id(), id).await {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}
