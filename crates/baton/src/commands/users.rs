//! `baton user add|list|password` and `baton token add|list|revoke`.

use super::reports::{Lines, print};
use super::{closing, open};
use crate::cli::{
    DatabaseArgs, ListArgs, TokenAddArgs, TokenRevokeArgs, UserAddArgs, UserPasswordArgs,
};
use crate::failure::Failure;
use crate::output::{self, say};
use baton_core::auth::random_hex;
use baton_db::users::NewUser;
use std::io::BufRead;

/// The password given on stdin, or one generated (the second value) to be
/// printed once. Read before touching the database, so a bad pipe fails fast.
fn new_password(from_stdin: bool) -> Result<(String, Option<String>), Failure> {
    if from_stdin {
        return Ok((password_from_stdin()?, None));
    }
    let generated = random_hex(12);
    Ok((generated.clone(), Some(generated)))
}

pub async fn add_user(database: &DatabaseArgs, args: &UserAddArgs) -> Result<(), Failure> {
    let (password, generated_password) = new_password(args.password_stdin)?;
    let password = Some(password.as_str());
    let new_user = NewUser {
        email: &args.email,
        name: &args.name,
        role: args.role,
        password,
    };
    // Refused before the database is opened, so nothing is made for it.
    new_user.checked()?;
    let (user, owned) = closing(open(database).await?, async |db| {
        let user = db.create_user(new_user).await?;
        Ok((user, db.has_active_owner().await?))
    })
    .await?;
    let added = format!(
        "added {} <{}> as {} (user id {})",
        user.name, user.email, user.role, user.id
    );
    match generated_password {
        None => say!("{added}"),
        Some(password) => output::secret(&[&added, &shown_once(&password)]).map_err(|error| {
            Failure::runtime(format!(
                "{} was added, but their password could not be shown ({error}); \
                 give them one with `baton user password --email {}`",
                user.email, user.email
            ))
        })?,
    }
    if !owned {
        say!(
            "note: nobody here is an active owner yet, so nobody can manage people or settings; \
             add one with `baton user add --email E --name N --role owner`"
        );
    }
    Ok(())
}

/// The line that shows a generated password.
fn shown_once(password: &str) -> String {
    format!("password (shown once; store it or change it after signing in): {password}")
}

/// The first line of stdin without its line ending; anything else on the
/// line, spaces included, is part of the password.
fn password_from_stdin() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| {
            Failure::bad_input(format!("cannot read the password from stdin: {error}"))
        })?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(Failure::bad_input(
            "--password-stdin: stdin held no password (expected it on the first line)",
        ));
    }
    Ok(password.to_string())
}

pub async fn add_token(database: &DatabaseArgs, args: &TokenAddArgs) -> Result<(), Failure> {
    closing(open(database).await?, async |db| {
        let user = db.user_by_email(&args.email).await?;
        if !user.active {
            // Its requests would all be refused.
            return Err(Failure::bad_input(format!(
                "{} is deactivated: reactivate them before giving them a token",
                user.email
            )));
        }
        let token = db.create_api_token(None, user.id, &args.name).await?;
        let heading = format!(
            "API token `{}` for {} <{}>; shown once, store it now:",
            args.name.trim(),
            user.name,
            user.email
        );
        // A token nobody saw would work for whoever finds it later: it is
        // withdrawn rather than left behind.
        if let Err(error) = output::secret(&[&heading, &token]) {
            let withdrawn = match db.withdraw_api_token(&token).await {
                Ok(()) => "so it was withdrawn; nothing works with it".to_string(),
                Err(failed) => format!(
                    "and withdrawing it failed ({failed}): revoke the newest token of {} \
                     with `baton token list` and `baton token revoke --id ID`",
                    user.email
                ),
            };
            return Err(Failure::runtime(format!(
                "the token could not be shown ({error}), {withdrawn}"
            )));
        }
        Ok(())
    })
    .await
}

pub async fn list_users(database: &DatabaseArgs, args: &ListArgs) -> Result<(), Failure> {
    let users = closing(open(database).await?, async |db| Ok(db.users().await?)).await?;
    print(args.format, &users, |users| {
        Ok(Lines {
            header: ["id", "email", "name", "role", "active"]
                .map(String::from)
                .to_vec(),
            rows: users
                .iter()
                .map(|user| {
                    vec![
                        user.id.to_string(),
                        user.email.clone(),
                        user.name.clone(),
                        user.role.to_string(),
                        if user.active { "yes" } else { "no" }.to_string(),
                    ]
                })
                .collect(),
            notes: if users.is_empty() {
                vec![
                    "Nobody can sign in yet: create the first owner with `baton user add --email E --name N --role owner`, or at /setup once `baton serve` runs.".into(),
                ]
            } else {
                Vec::new()
            },
        })
    })
}

pub async fn set_password(database: &DatabaseArgs, args: &UserPasswordArgs) -> Result<(), Failure> {
    let (password, generated) = new_password(args.password_stdin)?;
    closing(open(database).await?, async |db| {
        let user = db.user_by_email(&args.email).await?;
        // A generated password is shown before it is set: one that could
        // not be shown would lock its holder out.
        if let Some(password) = &generated {
            output::secret(&[&shown_once(password)]).map_err(|error| {
                Failure::runtime(format!(
                    "the new password could not be shown ({error}); the old one still works"
                ))
            })?;
        }
        db.set_password(None, user.id, &password)
            .await
            .map_err(|error| match &generated {
                Some(_) => Failure::runtime(format!(
                    "the password shown above was not set ({error}); the old one still works"
                )),
                None => error.into(),
            })?;
        say!(
            "new password set for {} <{}>; they are signed out everywhere",
            user.name,
            user.email
        );
        Ok(())
    })
    .await
}

pub async fn list_tokens(database: &DatabaseArgs, args: &ListArgs) -> Result<(), Failure> {
    let tokens = closing(open(database).await?, async |db| {
        Ok(db.api_tokens().await?)
    })
    .await?;
    let when = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    print(args.format, &tokens, |tokens| {
        Ok(Lines {
            header: ["id", "name", "holder", "created", "last_used"]
                .map(String::from)
                .to_vec(),
            rows: tokens
                .iter()
                .map(|token| {
                    vec![
                        token.id.to_string(),
                        token.name.clone(),
                        token.holder_email.clone(),
                        when(token.created_at),
                        token
                            .last_used_at
                            .map(when)
                            .unwrap_or_else(|| "never".into()),
                    ]
                })
                .collect(),
            notes: if tokens.is_empty() {
                vec!["No API token works now; issue one with `baton token add`.".into()]
            } else {
                Vec::new()
            },
        })
    })
}

pub async fn revoke_token(database: &DatabaseArgs, args: &TokenRevokeArgs) -> Result<(), Failure> {
    closing(open(database).await?, async |db| {
        Ok(db.revoke_api_token(None, args.id).await?)
    })
    .await?;
    say!("API token {} revoked: it no longer works", args.id);
    Ok(())
}
