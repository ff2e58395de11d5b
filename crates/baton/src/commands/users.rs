//! `baton user add` and `baton token add`.

use super::{closing, open};
use crate::cli::{DatabaseArgs, TokenAddArgs, UserAddArgs};
use crate::failure::Failure;
use crate::output::say;
use baton_core::auth::random_hex;
use baton_db::users::NewUser;
use std::io::BufRead;

pub async fn add_user(database: &DatabaseArgs, args: &UserAddArgs) -> Result<(), Failure> {
    // Read before touching the database, so a bad pipe fails fast.
    let given_password = if args.password_stdin {
        Some(password_from_stdin()?)
    } else {
        None
    };
    let generated_password = given_password.is_none().then(|| random_hex(12));
    let password = given_password.as_deref().or(generated_password.as_deref());
    let new_user = NewUser {
        email: &args.email,
        name: &args.name,
        role: args.role,
        password,
    };
    let user = closing(open(database).await?, async |db| {
        Ok(db.create_user(new_user).await?)
    })
    .await?;
    say!(
        "added {} <{}> as {} (user id {})",
        user.name,
        user.email,
        user.role,
        user.id
    );
    if let Some(password) = generated_password {
        say!("password (shown once; store it or change it after signing in): {password}");
    }
    Ok(())
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
    let (user, token) = closing(open(database).await?, async |db| {
        let user = db.user_by_email(&args.email).await?;
        if !user.active {
            // Its requests would all be refused.
            return Err(Failure::bad_input(format!(
                "{} is deactivated: reactivate them before giving them a token",
                user.email
            )));
        }
        let token = db.create_api_token(None, user.id, &args.name).await?;
        Ok((user, token))
    })
    .await?;
    say!(
        "API token `{}` for {} <{}>; shown once, store it now:",
        args.name.trim(),
        user.name,
        user.email
    );
    say!("{token}");
    Ok(())
}
