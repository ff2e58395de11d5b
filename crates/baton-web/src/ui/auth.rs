//! Signing in and out, and setting up the first owner.

use super::session::{cleared_cookie, csrf_refused, from_another_site, session_cookie};
use super::{Chrome, Field, Viewer, failure, place_errors, refusal, render};
use crate::AppState;
use crate::limits::Client;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::inquiry::FieldError;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/setup", get(setup_page).post(setup))
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    title: String,
    chrome: Option<Chrome>,
    email: String,
    error: Option<String>,
    /// The page asked for before signing in, to go back to.
    next: Option<String>,
}

impl SignInPage {
    fn new(email: String, error: Option<String>, next: Option<String>) -> SignInPage {
        SignInPage {
            title: "Sign in".into(),
            chrome: None,
            email,
            error,
            next,
        }
    }
}

/// The page to go back to after signing in, when it is one of Baton's
/// own: a path, never another site (`//evil.example`, `/\evil.example`),
/// whatever a link someone sent says.
fn back_to_page(next: Option<String>) -> Option<String> {
    next.filter(|next| {
        next.starts_with('/')
            && !next.starts_with("//")
            && !next.contains('\\')
            && next.len() <= 2_000
            && !next.chars().any(|c| c.is_control() || c.is_whitespace())
    })
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

async fn sign_in_page(State(state): State<AppState>, Query(query): Query<SignInQuery>) -> Response {
    match state.db.has_no_users().await {
        Ok(true) => Redirect::to("/setup").into_response(),
        Ok(false) => render(
            StatusCode::OK,
            &SignInPage::new(String::new(), None, back_to_page(query.next)),
        ),
        Err(e) => failure(None, e),
    }
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if from_another_site(&headers, &state.options.base_url) {
        return csrf_refused();
    }
    // Only failures count, so a busy office behind one address signs in
    // freely: each attempt is counted before the password is checked (so
    // parallel guesses are counted too) and given back when it succeeds.
    if let Err(wait) = state.sign_in_limiter.check(&client) {
        let error =
            format!("Too many failed attempts from your address; try again in {wait} seconds.");
        let page = render(
            StatusCode::TOO_MANY_REQUESTS,
            &SignInPage::new(form.email, Some(error), back_to_page(form.next)),
        );
        return crate::error::retry_after(page, wait);
    }
    // Guesses spread over many addresses are counted for the account too,
    // known or not, so the answer says nothing of which accounts exist.
    // Past its limit the account is closed only to the addresses that
    // failed on it: closing it to everyone would let anyone lock anyone
    // out. No address is longer than 254 characters: a longer key would
    // only spend memory.
    let account: String = form.email.trim().to_lowercase().chars().take(254).collect();
    let tried_here = (account.clone(), client);
    let account_counted = match state.sign_in_account_limiter.check(&account) {
        Ok(()) => true,
        Err(_) if state.sign_in_failures.counted(&tried_here) == 0 => false,
        Err(wait) => {
            state.sign_in_limiter.give_back(&client);
            let error =
                format!("Too many failed attempts for this account; try again in {wait} seconds.");
            let page = render(
                StatusCode::TOO_MANY_REQUESTS,
                &SignInPage::new(form.email, Some(error), back_to_page(form.next)),
            );
            return crate::error::retry_after(page, wait);
        }
    };
    // Counted before the check, as above; the limit is the account's.
    let _ = state.sign_in_failures.check(&tried_here);
    let user = match state.db.check_password(&form.email, &form.password).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            let error = "That e-mail and password do not match.".to_string();
            return render(
                StatusCode::UNAUTHORIZED,
                &SignInPage::new(form.email, Some(error), back_to_page(form.next)),
            );
        }
        Err(e) => return failure(None, e),
    };
    state.sign_in_limiter.give_back(&client);
    state.sign_in_failures.give_back(&tried_here);
    if account_counted {
        state.sign_in_account_limiter.give_back(&account);
    }
    match state.db.create_session(user.id).await {
        Ok(token) => {
            let secure = state.options.base_url.starts_with("https://");
            (
                [(SET_COOKIE, session_cookie(&token, secure))],
                Redirect::to(back_to_page(form.next).as_deref().unwrap_or("/work")),
            )
                .into_response()
        }
        Err(e) => failure(None, e),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
    /// Present when the person signs out on every device.
    #[serde(default)]
    everywhere: Option<String>,
}

async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match state
        .db
        .close_session(&viewer.token, form.everywhere.is_some())
        .await
    {
        Ok(()) => ([cleared_cookie()], Redirect::to("/sign-in")).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    title: String,
    chrome: Option<Chrome>,
    fields: Vec<Field>,
}

#[derive(Deserialize, Default)]
struct SetupForm {
    name: String,
    email: String,
    password: String,
}

fn setup_form(form: &SetupForm, error: Option<Vec<FieldError>>) -> SetupPage {
    let mut fields = vec![
        Field::input("name", "Your name", "text", &form.name),
        Field::input("email", "E-mail", "email", &form.email),
        // A password is never sent back to the browser.
        Field::input(
            "password",
            "Password (at least 10 characters)",
            "password",
            "",
        ),
    ];
    if let Some(problems) = error {
        place_errors(&mut fields, problems);
    }
    SetupPage {
        title: "Set up Baton".into(),
        chrome: None,
        fields,
    }
}

async fn setup_page(State(state): State<AppState>) -> Response {
    match state.db.has_no_users().await {
        Ok(true) => render(StatusCode::OK, &setup_form(&SetupForm::default(), None)),
        Ok(false) => Redirect::to("/sign-in").into_response(),
        Err(e) => failure(None, e),
    }
}

async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    if from_another_site(&headers, &state.options.base_url) {
        return csrf_refused();
    }
    match state.db.has_no_users().await {
        Ok(true) => {}
        Ok(false) => return Redirect::to("/sign-in").into_response(),
        Err(e) => return failure(None, e),
    }
    let created = state
        .db
        .create_first_owner(&form.email, &form.name, &form.password)
        .await;
    match created {
        // Somebody set Baton up first.
        Ok(None) => Redirect::to("/sign-in").into_response(),
        Ok(Some(user)) => match state.db.create_session(user.id).await {
            Ok(token) => {
                let secure = state.options.base_url.starts_with("https://");
                (
                    [(SET_COOKIE, session_cookie(&token, secure))],
                    Redirect::to("/work"),
                )
                    .into_response()
            }
            Err(e) => failure(None, e),
        },
        Err(e) => match refusal(e) {
            Ok(problems) => render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &setup_form(&form, Some(problems)),
            ),
            Err(e) => failure(None, e),
        },
    }
}
