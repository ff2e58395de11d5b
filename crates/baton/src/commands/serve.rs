//! `baton serve`.

use super::open;
use crate::cli::{DatabaseArgs, ServeArgs};
use crate::failure::Failure;
use crate::output::say;
use baton_web::ServeOptions;
use baton_web::webhooks::Reach;
use std::net::SocketAddr;

pub async fn serve(database: &DatabaseArgs, args: &ServeArgs) -> Result<(), Failure> {
    // Opening the embedded database shares its folder's lock until the
    // server stops, so that no restore replaces it meanwhile.
    let base_url = match &args.base_url {
        Some(given) => checked_base_url(given)?,
        None => default_base_url(args.listen),
    };
    let db = open(database).await?;
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            db.close().await;
            return Err(Failure::runtime(format!(
                "cannot serve on {}: {error}",
                args.listen
            )));
        }
    };
    if db.has_no_users().await? {
        say!("Open {base_url}/setup to create the first owner in the browser, or:");
        say!("{}", first_run_instructions(database));
    } else if !db.has_active_owner().await? {
        say!("{}", no_owner_instructions(database));
    }
    say!(
        "Baton serves {base_url} (listening on {}); stop it with Ctrl-C",
        args.listen
    );
    let options = ServeOptions {
        base_url,
        background_jobs: !args.no_background_jobs,
        // Peers are compared as plain IPv4 where they are IPv4 mapped into IPv6.
        trusted_proxies: args
            .trusted_proxy
            .iter()
            .map(|ip| ip.to_canonical())
            .collect(),
        connections_per_client: args.connections_per_client as usize,
        webhook_reach: if args.webhooks_to_private_networks {
            Reach::AnyNetwork
        } else {
            Reach::Public
        },
        ..ServeOptions::default()
    };
    let served = baton_web::run(db.clone(), listener, options).await;
    db.close().await;
    served.map_err(|error| Failure::runtime(format!("serving on {} stopped: {error}", args.listen)))
}

/// `--base-url` as links are written with it: `http://` or `https://` and
/// a host, without a trailing slash.
fn checked_base_url(given: &str) -> Result<String, Failure> {
    let trimmed = given.trim().trim_end_matches('/');
    let (scheme, host) = trimmed.split_once("://").unwrap_or_default();
    let scheme = scheme.to_ascii_lowercase();
    let host = if matches!(scheme.as_str(), "http" | "https") {
        host
    } else {
        ""
    };
    let host_name = host.split(['/', ':']).next().unwrap_or_default();
    if host_name.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Failure::bad_input(format!(
            "--base-url `{given}` is not an address like https://baton.example.com: \
             it is where links in e-mails, calendar feeds and forms point"
        )));
    }
    Ok(format!("{scheme}://{host}"))
}

/// `http://` and the listen address, with `localhost` for an address that
/// listens everywhere, since 0.0.0.0 is not somewhere a browser can go.
fn default_base_url(listen: SocketAddr) -> String {
    if listen.ip().is_unspecified() {
        format!("http://localhost:{}", listen.port())
    } else {
        format!("http://{listen}")
    }
}

/// How to create the first owner, with the database flags this server was
/// started with so the commands reach the same database.
fn first_run_instructions(database: &DatabaseArgs) -> String {
    let (flags, note) = database_flags(database);
    format!(
        "No one can sign in yet. Create the first owner, then an API token for them:\n\
         \n    baton {flags} user add --email you@example.com --name \"Your Name\" --role owner\
         \n    baton {flags} token add --email you@example.com --name cli\n\
         \nuser add prints a generated password once (or reads one with --password-stdin).{note}\n"
    )
}

/// The database flags of this server for commands to reach the same
/// database, and a note on setting the URL where it is one.
fn database_flags(database: &DatabaseArgs) -> (String, &'static str) {
    // The URL may hold a password, which is never printed.
    match &database.database_url {
        Some(_) => (
            r#"--database-url "$BATON_DATABASE_URL""#.to_string(),
            "\nSet BATON_DATABASE_URL to this server's database URL first \
             (not shown here: it may hold a password).",
        ),
        None => (
            format!(
                "--data-dir {}",
                shell_quoted(&database.data_dir.display().to_string())
            ),
            "",
        ),
    }
}

/// What to do when people exist but none is an active owner, so nobody
/// may add people or change settings.
fn no_owner_instructions(database: &DatabaseArgs) -> String {
    let (flags, _) = database_flags(database);
    format!(
        "Nobody here is an active owner, so nobody can manage people or settings. Add one:\n\
         \n    baton {flags} user add --email you@example.com --name \"Your Name\" --role owner\n"
    )
}

/// `value` as one shell word: as is when it is plain, else in single quotes.
fn shell_quoted(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_base_url_is_an_http_address_with_a_host() {
        for (given, kept) in [
            ("https://baton.example.com/", "https://baton.example.com"),
            ("HTTPS://Baton.example.com", "https://Baton.example.com"),
            ("http://127.0.0.1:7878/crm", "http://127.0.0.1:7878/crm"),
        ] {
            assert_eq!(
                checked_base_url(given).ok().as_deref(),
                Some(kept),
                "{given}"
            );
        }
        for refused in [
            "notaurl",
            "ftp://files.example",
            "https://",
            "https://a b",
            "http:///x",
        ] {
            assert!(checked_base_url(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn first_run_instructions_repeat_the_data_folder_quoted_for_the_shell() {
        let database = DatabaseArgs {
            data_dir: PathBuf::from("/srv/baton data"),
            database_url: None,
        };
        let text = first_run_instructions(&database);
        assert!(text.contains(
            "baton --data-dir '/srv/baton data' user add --email you@example.com \
             --name \"Your Name\" --role owner"
        ));
        assert!(text.contains("baton --data-dir '/srv/baton data' token add"));
    }

    #[test]
    fn first_run_instructions_never_print_the_database_password() {
        let database = DatabaseArgs {
            data_dir: PathBuf::from("./baton-data"),
            database_url: Some("postgres://baton:s3cret@db/baton".into()),
        };
        let text = first_run_instructions(&database);
        assert!(!text.contains("s3cret"));
        assert!(text.contains(r#"baton --database-url "$BATON_DATABASE_URL" user add"#));
    }

    #[test]
    fn an_address_that_listens_everywhere_links_to_localhost() {
        assert_eq!(
            default_base_url("0.0.0.0:7878".parse().unwrap()),
            "http://localhost:7878"
        );
        assert_eq!(
            default_base_url("127.0.0.1:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quoted("./baton-data"), "./baton-data");
        assert_eq!(shell_quoted("it's"), r"'it'\''s'");
    }
}
