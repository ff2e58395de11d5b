//! The signed-in person's own account: changing the password (which signs
//! out every other browser) and signing out everywhere.

use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, place_error, place_errors, refusal, render};
use crate::AppState;
use crate::limits::Client;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(change_password))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    email: String,
    notice: Option<String>,
    fields: Vec<Field>,
}

/// The password form's fields; passwords are never sent back.
fn password_fields() -> Vec<Field> {
    vec![
        Field::input("current", "Current password", "password", "").filled_with("current-password"),
        Field::input(
            "password",
            "New password (10 characters or more)",
            "password",
            "",
        )
        .filled_with("new-password"),
        Field::input("repeat", "New password again", "password", "").filled_with("new-password"),
    ]
}

fn show(
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<String>,
    fields: Vec<Field>,
) -> Response {
    let chrome = Chrome::for_viewer(viewer);
    render(
        status,
        &AccountPage {
            title: "Your account".into(),
            csrf: chrome.csrf.clone(),
            chrome: Some(chrome),
            email: viewer.session.user.email.clone(),
            notice,
            fields,
        },
    )
}

async fn page(viewer: Viewer) -> Response {
    show(&viewer, StatusCode::OK, None, password_fields())
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    password: String,
    repeat: String,
}

async fn change_password(
    State(state): State<AppState>,
    client: Client,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let mut fields = password_fields();
    if form.password != form.repeat {
        place_error(&mut fields, "repeat", "the two new passwords differ".into());
        return show(&viewer, StatusCode::UNPROCESSABLE_ENTITY, None, fields);
    }
    // Guessing the current password is limited as signing in is: each
    // check counts for the address, and only a wrong password keeps its count.
    if let Err(wait) = state.sign_in_limiter.check(&client) {
        let problem =
            format!("too many wrong passwords from your address; try again in {wait} seconds");
        place_error(&mut fields, "current", problem);
        let page = show(&viewer, StatusCode::TOO_MANY_REQUESTS, None, fields);
        return crate::error::retry_after(page, wait);
    }
    let changed = state
        .db
        .change_password(viewer.id(), &viewer.token, &form.current, &form.password)
        .await
        .map_err(refusal);
    let wrong_current =
        matches!(&changed, Err(Ok(problems)) if problems.iter().any(|p| p.field == "current"));
    if !wrong_current {
        state.sign_in_limiter.give_back(&client);
    }
    match changed {
        Ok(()) => show(
            &viewer,
            StatusCode::OK,
            Some("Your password is changed; every other browser is signed out.".into()),
            password_fields(),
        ),
        Err(Ok(problems)) => {
            place_errors(&mut fields, problems);
            show(&viewer, StatusCode::UNPROCESSABLE_ENTITY, None, fields)
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}
