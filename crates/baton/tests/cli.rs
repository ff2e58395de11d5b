//! The `baton` binary end to end, on a fresh database per test: the embedded
//! SQLite database by default, PostgreSQL when `TEST_DATABASE_URL` is set
//! (each test then gets its own schema). Backup and restore are SQLite's own
//! and always run on it.

mod support;

use baton_core::domain::OpportunityStage;
use baton_core::money::Decimal;
use baton_db::opportunities::NewOpportunity;
use baton_db::testing::TestDb;
use baton_db::testing::scenario::accountability;
use baton_db::{Db, DbOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use support::TempDir;

/// The binary pointed at one database, with a folder for the test's files.
struct Baton {
    database_flags: Vec<String>,
    files: TempDir,
    /// The PostgreSQL schema the commands use, dropped with the test.
    schema: Option<TestDb>,
}

impl Baton {
    /// A fresh database on the backend the suite runs on.
    fn new() -> Baton {
        let files = TempDir::new();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = fresh_postgres_schema();
                Baton {
                    database_flags: vec!["--database-url".into(), schema.options.url.clone()],
                    files,
                    schema: Some(schema),
                }
            }
            _ => Baton {
                database_flags: Self::sqlite_flags(&files.join("data")),
                files,
                schema: None,
            },
        }
    }

    /// A database holding nothing yet, on the backend the suite runs on: a
    /// data folder without one, or a PostgreSQL schema without tables.
    fn empty() -> Baton {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = postgres_schema(TestDb::unmigrated());
                Baton {
                    database_flags: vec!["--database-url".into(), schema.options.url.clone()],
                    files: TempDir::new(),
                    schema: Some(schema),
                }
            }
            _ => Baton::sqlite(),
        }
    }

    /// A fresh embedded database, whatever the suite runs on.
    fn sqlite() -> Baton {
        let files = TempDir::new();
        Baton {
            database_flags: Self::sqlite_flags(&files.join("data")),
            files,
            schema: None,
        }
    }

    fn sqlite_flags(data_dir: &Path) -> Vec<String> {
        vec!["--data-dir".into(), data_dir.display().to_string()]
    }

    /// Writes a file into the test's folder and returns its path.
    fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.files.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, "")
    }

    /// The command `baton` with the database flags and `args`, the
    /// environment's database and logging settings left out.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command
            .args(&self.database_flags)
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("BATON_DATA_DIR")
            .env_remove("BATON_DATABASE_URL");
        command
    }

    /// Runs a command whose reader goes away before it prints, as
    /// `| head -0` would.
    fn run_without_reader(&self, args: &[&str]) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Fills the database with the hand-checked accountability scenario.
    fn with_scenario(&self) {
        self.with_database(async |db| {
            accountability(db).await;
        });
    }

    /// Runs `work` on the database the commands use, opened and closed here.
    fn with_database<T>(&self, work: impl AsyncFnOnce(&Db) -> T) -> T {
        let options = match self.database_flags.as_slice() {
            [flag, url] if flag == "--database-url" => DbOptions::url(url.clone()),
            [_, dir] => DbOptions::sqlite_in(Path::new(dir)).unwrap(),
            flags => panic!("unexpected database flags {flags:?}"),
        };
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = Db::open(&options).await.unwrap();
            db.ensure_defaults().await.unwrap();
            let done = work(&db).await;
            db.close().await;
            done
        })
    }

    /// A server started on the database, and what it said up to the line
    /// that says it serves.
    fn serving(&self) -> (std::process::Child, String) {
        let mut server = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(&self.database_flags)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-background-jobs"])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut said = String::new();
        let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
        while !said.contains("Baton serves") {
            let mut line = String::new();
            assert!(
                std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
                "{said}"
            );
            said.push_str(&line);
        }
        (server, said)
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "baton {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

/// A PostgreSQL URL whose search path is a new, migrated schema.
fn fresh_postgres_schema() -> TestDb {
    postgres_schema(TestDb::new())
}

/// The schema `made` makes, its connections closed for the commands.
fn postgres_schema(made: impl Future<Output = baton_db::Result<TestDb>>) -> TestDb {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let test_db = made.await.unwrap();
        test_db.db.close().await;
        test_db
    })
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const OWNER: &[&str] = &[
    "user",
    "add",
    "--email",
    "ann@acme.example",
    "--name",
    "Ann Lee",
    "--role",
    "owner",
    "--password-stdin",
];

#[test]
fn user_add_takes_the_password_from_stdin_and_token_add_prints_the_token_last() {
    let baton = Baton::new();
    let output = baton.run_with_stdin(OWNER, "correct horse battery\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let added = stdout(&output);
    assert!(
        added.contains("Ann Lee <ann@acme.example> as owner"),
        "{added}"
    );
    assert!(
        !added.contains("password"),
        "a given password is not echoed: {added}"
    );

    let issued = baton.ok(&[
        "token",
        "add",
        "--email",
        "ANN@acme.example",
        "--name",
        "cli",
    ]);
    let token = issued.lines().last().unwrap();
    assert!(token.starts_with("bt_") && !token.contains(' '), "{issued}");
}

#[test]
fn an_owner_who_lost_the_password_gets_a_new_one_and_tokens_are_listed_and_revoked() {
    let baton = Baton::new();
    baton.run_with_stdin(OWNER, "correct horse battery\n");
    baton.ok(&[
        "token",
        "add",
        "--email",
        "ann@acme.example",
        "--name",
        "cli",
    ]);
    let earlier = baton.with_database(async |db| {
        let user = db.user_by_email("ann@acme.example").await.unwrap();
        db.create_session(user.id).await.unwrap()
    });

    let output = baton.run_with_stdin(
        &[
            "user",
            "password",
            "--email",
            "ann@acme.example",
            "--password-stdin",
        ],
        "a brand new passphrase\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("signed out everywhere"));
    baton.with_database(async |db| {
        let old = db.check_password("ann@acme.example", "correct horse battery");
        assert!(old.await.unwrap().is_none());
        let new = db.check_password("ann@acme.example", "a brand new passphrase");
        assert!(new.await.unwrap().is_some());
        assert!(db.session(&earlier).await.unwrap().is_none(), "signed out");
    });
    let short = baton.run_with_stdin(
        &[
            "user",
            "password",
            "--email",
            "ann@acme.example",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(2), "{}", stderr(&short));

    let users = baton.ok(&["user", "list", "--format", "csv"]);
    assert_eq!(
        users.lines().collect::<Vec<_>>(),
        [
            "id,email,name,role,active",
            "1,ann@acme.example,Ann Lee,owner,yes"
        ]
    );
    let tokens = baton.ok(&["token", "list", "--format", "csv"]);
    let line = tokens.lines().nth(1).unwrap();
    assert!(line.starts_with("1,cli,ann@acme.example,"), "{tokens}");
    assert!(line.ends_with(",never"), "{tokens}");
    baton.ok(&["token", "revoke", "--id", "1"]);
    assert!(
        baton
            .ok(&["token", "list"])
            .contains("No API token works now")
    );
    let again = baton.run(&["token", "revoke", "--id", "1"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
}

#[test]
fn user_add_without_a_password_prints_a_generated_one() {
    let baton = Baton::new();
    let added = baton.ok(&[
        "user",
        "add",
        "--email",
        "bo@acme.example",
        "--name",
        "Bo",
        "--role",
        "hunter",
    ]);
    let password = added
        .lines()
        .find_map(|line| line.split_once("password").map(|(_, rest)| rest))
        .and_then(|rest| rest.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no password printed: {added}"));
    assert_eq!(password.len(), 24, "{added}");
}

#[test]
fn user_add_rejects_a_short_password_and_an_unknown_role_as_bad_input() {
    let baton = Baton::new();
    let short = baton.run_with_stdin(OWNER, "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(stderr(&short).contains("error: password: must have at least 10"));

    let unknown_role = baton.run(&[
        "user",
        "add",
        "--email",
        "x@acme.example",
        "--name",
        "X",
        "--role",
        "boss",
    ]);
    assert_eq!(unknown_role.status.code(), Some(2));
    assert!(stderr(&unknown_role).contains("unknown role `boss`"));

    // Refused as a whole, it makes no database where there was none.
    let fresh = Baton::sqlite();
    let bad_email = fresh.run(&[
        "user", "add", "--email", "bad", "--name", "X", "--role", "owner",
    ]);
    assert_eq!(bad_email.status.code(), Some(2));
    assert!(
        stderr(&bad_email).contains("email"),
        "{}",
        stderr(&bad_email)
    );
    assert!(!fresh.files.join("data").join("baton.db").exists());
}

#[test]
fn token_add_for_an_unknown_person_fails_clearly() {
    let empty = Baton::empty();
    for command in [&["token", "list"][..], &["user", "list"]] {
        let nothing = empty.run(command);
        assert_eq!(nothing.status.code(), Some(2));
        let option = match empty.schema {
            Some(_) => "--database-url",
            None => "--data-dir",
        };
        assert!(
            stderr(&nothing).contains(&format!("holds no Baton database: check {option}")),
            "{}",
            stderr(&nothing)
        );
    }
    // Nothing was made: a second look finds nothing either.
    let again = empty.run(&["user", "list"]);
    assert!(stderr(&again).contains("holds no Baton database"));
    let baton = Baton::new();
    baton.ok(&["migrate"]);
    let output = baton.run(&[
        "token",
        "add",
        "--email",
        "nobody@acme.example",
        "--name",
        "cli",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("error: user nobody@acme.example not found"));
}

#[test]
fn token_add_for_a_deactivated_person_is_refused() {
    let baton = Baton::new();
    let added = baton.run_with_stdin(OWNER, "correct horse battery\n");
    assert!(added.status.success(), "{}", stderr(&added));
    baton.ok(&[
        "user",
        "add",
        "--email",
        "bo@acme.example",
        "--name",
        "Bo",
        "--role",
        "hunter",
    ]);
    baton.with_database(async |db| {
        let owner = db.user_by_email("ann@acme.example").await.unwrap();
        let bo = db.user_by_email("bo@acme.example").await.unwrap();
        let change = baton_db::users::UserChange {
            active: Some(false),
            ..Default::default()
        };
        db.update_user(owner.id, bo.id, &change).await.unwrap();
    });
    let output = baton.run(&[
        "token",
        "add",
        "--email",
        "bo@acme.example",
        "--name",
        "cli",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("bo@acme.example is deactivated"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_import_run_again_processes_what_a_stopped_run_stored_and_left() {
    let baton = Baton::new();
    let csv = baton.file(
        "leads.csv",
        b"Full name,E-mail,Company,Message\n\
          Ann Lee,ann@acme.example,Acme,We need a quote for 40 seats\n\
          Spam Bot,winner@mailinator.com,,Claim your free prize now www.a.biz www.b.biz www.c.biz\n",
    );
    assert!(baton.run(&["import", "inquiries", &csv]).status.success());
    // As an import stopped between storing a batch and processing it leaves it.
    let held = baton.with_database(async |db| {
        let (id,): (i64,) = sqlx::query_as("SELECT id FROM inquiries WHERE status = 'quarantined'")
            .fetch_one(db.reader())
            .await
            .unwrap();
        sqlx::query("DELETE FROM decisions WHERE inquiry_id = $1")
            .bind(id)
            .execute(db.writer())
            .await
            .unwrap();
        sqlx::query("UPDATE inquiries SET status = 'received', processed_at = NULL WHERE id = $1")
            .bind(id)
            .execute(db.writer())
            .await
            .unwrap();
        id
    });
    let again = baton.run(&["import", "inquiries", &csv]);
    assert!(again.status.success(), "{}", stderr(&again));
    let out = stdout(&again);
    assert!(out.contains("2 rows imported before: skipped"), "{out}");
    assert!(
        out.contains("1 of them stored by an import that stopped were processed now"),
        "{out}"
    );
    let status = baton.with_database(async |db| {
        let (status,): (String,) = sqlx::query_as("SELECT status FROM inquiries WHERE id = $1")
            .bind(held)
            .fetch_one(db.reader())
            .await
            .unwrap();
        status
    });
    assert_eq!(status, "quarantined");
}

#[test]
fn csv_import_stores_the_good_rows_and_reports_the_bad_ones_by_row() {
    let baton = Baton::new();
    let csv = baton.file(
        "leads.csv",
        b"Full name,E-mail,Company,Message\n\
          Ann Lee,ann@acme.example,Acme,\"We need a quote\nfor 40 seats\"\n\
          Bo Berg,not-an-address,Berg AB,Hello\n\
          Cy Chu,cy@chu.example,Chu Ltd,Pricing?\n\
          Di Dee,di@dee.example,Dee,Call me,unexpected\n\
          Ed Eng,ed@eng.example,Eng Inc,Demo please\n",
    );
    let output = baton.run(&["import", "inquiries", &csv, "--source", "tradeshow"]);
    let errors = stderr(&output);
    // A partial import has an exit code of its own.
    assert_eq!(output.status.code(), Some(3), "{errors}");
    assert_eq!(
        stdout(&output).lines().next(),
        Some("imported 3 inquiries, 2 rows rejected (see above)")
    );
    assert!(
        errors.contains("error: 2 rows rejected (see above); the others were imported"),
        "{errors}"
    );
    assert!(
        errors.contains("row 2 (line 4): email: `not-an-address` is not an e-mail address"),
        "{errors}"
    );
    assert!(
        errors.contains("row 4 (line 6): has 5 columns, the header has 4"),
        "{errors}"
    );
    assert_eq!(baton.ok(&["reprocess"]), "no inquiries are waiting\n");

    // The same file again: every good row is recognised, nothing is stored twice.
    let again = baton.run(&["import", "inquiries", &csv, "--source", "tradeshow"]);
    let out = stdout(&again);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(
        out.starts_with("imported 0 inquiries, 2 rows rejected"),
        "{out}"
    );
    assert!(out.contains("3 rows imported before: skipped"), "{out}");
    assert!(
        stderr(&again).contains("2 rows rejected (see above); the others were stored already"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_quote_never_closed_fails_its_row_and_the_rows_after_it_are_kept() {
    let baton = Baton::new();
    let csv = baton.file(
        "leads.csv",
        b"name,email,message\r\n\
          Ann,ann@acme.example,Hi\r\n\
          Leo,leo@acme.example,\"unclosed\r\n\
          Mia,mia@acme.example,fine\r\n\
          Dan,dan@acme.example,hi\r\n",
    );
    let output = baton.run(&["import", "inquiries", &csv]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{errors}");
    assert_eq!(
        stdout(&output).lines().next(),
        Some("imported 3 inquiries, 1 row rejected (see above)")
    );
    assert!(
        errors.contains("row 2 (line 3): a quote opened on line 3 is never closed"),
        "{errors}"
    );
}

#[test]
fn csv_dry_run_checks_without_storing() {
    let baton = Baton::new();
    let csv = baton.file(
        "one.csv",
        b"email;message\nann@acme.example;Hi\nann@acme.example;Hi\n",
    );
    let dry_run = ["import", "inquiries", &csv, "--delimiter", ";", "--dry-run"];
    let checked = baton.ok(&dry_run);
    assert_eq!(
        checked,
        "would import 1 inquiry, 0 rows rejected\n\
         1 row the same as an earlier one in the file: would be skipped\n"
    );
    let imported = baton.ok(&["import", "inquiries", &csv, "--delimiter", ";"]);
    assert!(imported.starts_with("imported 1 inquiry,"), "{imported}");
    assert!(
        imported.contains("1 row the same as an earlier one in the file: skipped"),
        "{imported}"
    );
    // Checked again, the file is what a second import would find: all stored.
    let checked = baton.ok(&dry_run);
    assert!(
        checked.starts_with("would import 0 inquiries")
            && checked.contains("1 row imported before: would be skipped"),
        "{checked}"
    );
}

#[test]
fn a_record_import_that_rejects_some_rows_keeps_the_others_and_exits_with_3() {
    let baton = Baton::new();
    let mapping = baton.file(
        "accounts.toml",
        b"records = \"accounts\"\n[columns]\nname = \"account\"\nemployees = \"employees\"\n",
    );
    let csv = baton.file(
        "accounts.csv",
        b"account,employees\nAcme,120\nBeta,many\nGamma,40\n",
    );
    // A dry run says the same and stores nothing: the import after it creates.
    let dry = baton.run(&[
        "import",
        "accounts",
        &csv,
        "--mapping",
        &mapping,
        "--dry-run",
    ]);
    assert_eq!(dry.status.code(), Some(3), "{}", stderr(&dry));
    assert!(
        stderr(&dry).contains("error: 1 row rejected; the other accounts would be imported"),
        "{}",
        stderr(&dry)
    );
    assert!(
        stdout(&dry).contains(
            "accounts (dry run, nothing stored): 3 rows read; 2 would be created, 0 would be updated"
        ),
        "{}",
        stdout(&dry)
    );
    if baton.schema.is_none() {
        let data = baton.files.join("data");
        assert!(
            !data.join("baton.db").exists(),
            "a dry run makes no database where there was none"
        );
    }
    let output = baton.run(&["import", "accounts", &csv, "--mapping", &mapping]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{errors}");
    assert!(errors.contains("row 2 (line 3)"), "{errors}");
    assert!(
        errors.contains("error: 1 row rejected; the other accounts were imported"),
        "{errors}"
    );
    assert!(
        stdout(&output).contains("2 created, 0 updated, 0 unchanged, 1 rejected"),
        "{}",
        stdout(&output)
    );

    let clean = baton.file("clean.csv", b"account,employees\nDelta,7\n");
    let report = baton.ok(&[
        "import",
        "accounts",
        &clean,
        "--mapping",
        &mapping,
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["dry_run"], false, "{report}");

    // A file separated by semicolons is named, and read with --delimiter.
    let semicolons = baton.file("semi.csv", b"account;employees\nEpsilon;12\n");
    let refused = baton.run(&["import", "accounts", &semicolons, "--mapping", &mapping]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("which `;` split into several (--delimiter ';')"),
        "{}",
        stderr(&refused)
    );
    let read = baton.ok(&[
        "import",
        "accounts",
        &semicolons,
        "--mapping",
        &mapping,
        "--delimiter",
        ";",
    ]);
    assert!(read.contains("1 created"), "{read}");
}

#[test]
fn an_unusable_csv_file_fails_with_code_2_and_says_why() {
    let baton = Baton::new();
    let csv = baton.file("leads.csv", b"name,email\nAnn,ann@acme.example\n");
    let missing = baton.run(&["import", "inquiries", &csv, "--map", "message=Notes"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("column `Notes` (from message=Notes) is not in the header"),
        "{}",
        stderr(&missing)
    );

    let semicolons = baton.file("semi.csv", b"name;email\nAnn;ann@acme.example\n");
    let split = baton.run(&["import", "inquiries", &semicolons]);
    assert_eq!(split.status.code(), Some(2));
    assert!(
        stderr(&split).contains("separated by `;`; give that as the delimiter (--delimiter ';')"),
        "{}",
        stderr(&split)
    );
    baton.ok(&["import", "inquiries", &semicolons, "--delimiter", ";"]);

    let absent = baton.run(&["import", "inquiries", "/nonexistent/leads.csv"]);
    assert_eq!(absent.status.code(), Some(2));
    assert!(stderr(&absent).contains("error: cannot read /nonexistent/leads.csv"));

    let all_bad = baton.file("bad.csv", b"name,email\nAnn,nope\n");
    let rejected = baton.run(&["import", "inquiries", &all_bad]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(stderr(&rejected).contains("error: no rows could be imported"));
}

#[test]
fn mbox_import_stores_each_message() {
    let baton = Baton::new();
    let mbox = baton.file(
        "inbox.mbox",
        b"From ann@acme.example Mon Jan  6 09:00:00 2025\n\
          From: Ann Lee <ann@acme.example>\n\
          Subject: Quote for 40 seats\n\
          \n\
          Could you send us a quote?\n\
          \n\
          From bo@berg.example Mon Jan  6 10:00:00 2025\n\
          From: Bo Berg <bo@berg.example>\n\
          Subject: Invoice 1234\n\
          \n\
          Our invoice looks wrong.\n",
    );
    let imported = baton.ok(&["import", "email", &mbox]);
    assert_eq!(
        imported.lines().next(),
        Some("imported 2 inquiries, 0 messages rejected")
    );

    let empty = baton.file("empty.eml", b"\n\n");
    let refused = baton.run(&["import", "email", &empty]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("the file is empty: expected an e-mail message"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn an_imported_forward_is_credited_onward_only_when_one_of_the_staff_sent_it() {
    let baton = Baton::new();
    baton.ok(&[
        "user",
        "add",
        "--email",
        "Sam@Sales.example",
        "--name",
        "Sam",
        "--role",
        "hunter",
    ]);
    let forward = |from: &str| {
        format!(
            "From: {from}\n\
             Subject: Fwd: Contract\n\
             \n\
             ---------- Forwarded message ---------\n\
             From: Ann Lee <ann@customer.example>\n\
             \n\
             Please send the renewal quote to the address below.\n"
        )
    };
    let mbox = format!(
        "From sam@sales.example Mon Jan  6 09:00:00 2025\n{}\n\
         From mallory@elsewhere.example Mon Jan  6 10:00:00 2025\n{}",
        forward("Sam <sam@sales.example>"),
        forward("Mallory <mallory@elsewhere.example>"),
    );
    let mbox = baton.file("inbox.mbox", mbox.as_bytes());
    let imported = baton.ok(&["import", "email", &mbox]);
    assert!(imported.starts_with("imported 2 inquiries"), "{imported}");

    let senders = baton.with_database(async |db| {
        let mut senders = Vec::new();
        for inquiry in db.inquiries(None, 0, 10).await.unwrap() {
            let view = db.inquiry(inquiry.id).await.unwrap();
            let contact = db.contact(view.contact_id.unwrap()).await.unwrap();
            senders.push(contact.email.unwrap());
        }
        senders
    });
    assert_eq!(
        senders,
        ["ann@customer.example", "mallory@elsewhere.example"],
        "a stranger's forward is their own message"
    );
}

#[test]
fn demo_fills_a_new_database_and_refuses_one_with_people() {
    let baton = Baton::new();
    // Counts out of range are refused before any database is made.
    let embedded = Baton::sqlite();
    for args in [
        &["demo", "--inquiries", "0"][..],
        &["generate", "--leads", "0"],
        &["generate", "--quarters", "201"],
    ] {
        let refused = embedded.run(args);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
    assert!(!embedded.files.join("data").exists(), "no data folder made");

    let filled = baton.ok(&["demo", "--inquiries", "50"]);
    assert!(filled.contains(", 50 inquiries, "), "{filled}");
    assert!(
        filled.contains("owner@demo.baton.example") && filled.contains("demo-password"),
        "{filled}"
    );
    let again = baton.run(&["demo"]);
    assert_eq!(again.status.code(), Some(2), "refused input, not a failure");
    assert!(
        stderr(&again).contains("already holds users"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn generate_fills_a_new_database_with_the_counts_asked_for_and_refuses_one_with_people() {
    let baton = Baton::new();
    let output = baton.run(&[
        "generate",
        "--leads",
        "500",
        "--activities",
        "2000",
        "--opportunities",
        "120",
        "--quarters",
        "4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let filled = stdout(&output);
    for part in [" 500 leads ", " 120 opportunities, ", " 2000 activities, "] {
        assert!(filled.contains(part), "{part} in {filled}");
    }
    // Written to a log rather than a terminal, each step is named once.
    let steps = stderr(&output);
    assert_eq!(steps.matches("writing activities…").count(), 1, "{steps}");
    assert!(filled.contains("owner@large.baton.example"), "{filled}");
    let complete = baton.run(&["user", "list"]);
    assert!(
        !stderr(&complete).contains("interrupted"),
        "{}",
        stderr(&complete)
    );
    // A run stopped half-way leaves its mark, and every command names it.
    baton.with_database(async |db| {
        db.put_setting(baton_db::settings::keys::GENERATING, &true)
            .await
            .unwrap();
    });
    let partial = baton.run(&["user", "list"]);
    assert!(
        stderr(&partial).contains("generated company was interrupted"),
        "{}",
        stderr(&partial)
    );
    let again = baton.run(&["generate", "--leads", "10"]);
    assert_eq!(again.status.code(), Some(2), "refused input, not a failure");
    assert!(
        stderr(&again).contains("already holds users"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn migrate_twice_leaves_the_database_up_to_date() {
    let baton = Baton::new();
    baton.ok(&["migrate"]);
    assert_eq!(baton.ok(&["migrate"]), "database is up to date\n");
}

/// Records a migration this build does not know in `baton`'s database.
fn as_if_a_newer_release_migrated(baton: &Baton) {
    baton.with_database(async |db| {
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (9999, 'later', 0)",
        )
        .execute(db.writer())
        .await
        .unwrap();
    });
}

#[test]
fn a_database_a_newer_release_migrated_is_refused_and_not_restored() {
    let baton = Baton::new();
    baton.ok(&["migrate"]);
    as_if_a_newer_release_migrated(&baton);
    for command in [&["migrate"][..], &["user", "list"]] {
        let refused = baton.run(command);
        assert_eq!(refused.status.code(), Some(1), "{command:?}");
        assert!(
            stderr(&refused).contains("schema version 9999, newer than this Baton knows"),
            "{}",
            stderr(&refused)
        );
    }

    // The embedded database of a newer release, copied as a backup.
    let newer = Baton::sqlite();
    newer.ok(&["migrate"]);
    as_if_a_newer_release_migrated(&newer);
    let copy = newer.files.join("data").join("baton.db");
    let elsewhere = Baton::sqlite();
    let refused = elsewhere.run(&["restore", copy.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("is not a Baton backup: the database has schema version 9999"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_restored_backup_brings_its_data_along() {
    let original = Baton::sqlite();
    let added = original.run_with_stdin(OWNER, "correct horse battery\n");
    assert!(added.status.success(), "{}", stderr(&added));
    let backup = original.files.join("baton-backup.db");
    let backup = backup.to_str().unwrap();
    let backed_up = original.ok(&["backup", backup]);
    assert!(
        backed_up.starts_with(&format!("backed up to {backup} (")),
        "{backed_up}"
    );

    let elsewhere = Baton::sqlite();
    let dash = original.run(&["backup", "-"]);
    assert_eq!(dash.status.code(), Some(2), "{}", stderr(&dash));
    let restored = elsewhere.ok(&["restore", backup]);
    assert!(restored.contains("(1 person can sign in)"), "{restored}");
    let duplicate = elsewhere.run_with_stdin(OWNER, "correct horse battery\n");
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(
        stderr(&duplicate).contains("a user with ann@acme.example already exists"),
        "{}",
        stderr(&duplicate)
    );
}

#[test]
fn restore_over_a_database_needs_force_and_refuses_other_files() {
    let baton = Baton::sqlite();
    baton.ok(&["migrate"]);
    let backup = baton.files.join("backup.db");
    let backup = backup.to_str().unwrap();
    baton.ok(&["backup", backup]);

    let refused = baton.run(&["restore", backup]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("run again with --force"));

    let not_a_backup = baton.file("notes.txt", b"not a database at all");
    let rejected = baton.run(&["restore", "--force", &not_a_backup]);
    assert_eq!(rejected.status.code(), Some(2));
    assert!(
        stderr(&rejected).contains("notes.txt is not a Baton backup"),
        "{}",
        stderr(&rejected)
    );

    // A copy cut short fails at once, saying why, rather than after a timeout.
    let whole = std::fs::read(backup).unwrap();
    let truncated = baton.file("truncated.db", &whole[..whole.len() / 2]);
    let damaged = baton.run(&["restore", "--force", &truncated]);
    assert_eq!(damaged.status.code(), Some(2));
    let errors = stderr(&damaged);
    assert!(
        errors.contains("truncated.db is not a Baton backup")
            && (errors.contains("malformed") || errors.contains("damaged")),
        "{errors}"
    );
    assert!(
        !errors.contains("restoring") && !errors.contains("sqlite://"),
        "the folder it was staged in is no concern of the reader: {errors}"
    );

    // A copy that opens but whose last page is broken is caught by the
    // integrity check: its header claims cells that point outside it.
    let mut broken = whole.clone();
    let last = broken.len() - 4096;
    broken[last..last + 18].copy_from_slice(&[
        0x0d, 0, 0, 0, 5, 0x0f, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let broken = baton.file("broken.db", &broken);
    let damaged = baton.run(&["restore", "--force", &broken]);
    assert_eq!(damaged.status.code(), Some(2));
    assert!(
        stderr(&damaged).contains("broken.db is not a Baton backup: the database is damaged"),
        "{}",
        stderr(&damaged)
    );
    baton.ok(&["restore", "--force", backup]);
}

#[test]
fn a_data_folder_without_a_database_has_nothing_to_back_up() {
    let baton = Baton::sqlite();
    let backup = baton.files.join("backup.db");
    let refused = baton.run(&["backup", backup.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("holds no database to back up"),
        "{}",
        stderr(&refused)
    );
    assert!(!backup.exists());

    // Nor is a data folder made for a backup that cannot be restored.
    let restore = baton.run(&["restore", baton.files.join("nothing.db").to_str().unwrap()]);
    assert_eq!(restore.status.code(), Some(2));
    assert!(
        stderr(&restore).contains("cannot read"),
        "{}",
        stderr(&restore)
    );
    assert!(!baton.files.join("data").exists());

    // PostgreSQL has its own tools, named at once.
    let elsewhere = ["--database-url", "postgres://nobody@127.0.0.1:1/none"];
    let refused = baton.run(&[&elsewhere[..], &["backup", backup.to_str().unwrap()]].concat());
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("use pg_dump"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_backup_names_a_new_file_in_a_folder_that_exists() {
    let baton = Baton::sqlite();
    baton.ok(&["migrate"]);
    let taken = baton.file("taken.db", b"keep me");
    let refused = baton.run(&["backup", &taken]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("taken.db already exists"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"keep me");

    let nowhere = baton.files.join("missing").join("backup.db");
    let refused = baton.run(&["backup", nowhere.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("does not exist"),
        "{}",
        stderr(&refused)
    );
}

/// The line of `out` that starts with `start`.
fn line_starting<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|line| line.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{out}"))
}

#[test]
fn forecast_accuracy_prints_as_csv_table_and_json() {
    let baton = Baton::new();
    baton.with_scenario();
    let report = ["report", "forecast-accuracy", "--quarter", "2026-Q3"];
    let csv = baton.ok(&[&report[..], &["--format", "csv"]].concat());
    assert_eq!(
        csv.lines().next().unwrap(),
        "person,kind,unit,forecast,actual,error,ape,accuracy,bias,accuracy_2025-Q4,accuracy_2026-Q1,\
         accuracy_2026-Q2,accuracy_2026-Q3,trend_accuracy,trend_bias,smoke,leads_forecast,leads_actual,\
         value_forecast,value_won"
    );
    assert_eq!(
        line_starting(&csv, "Hal,"),
        "Hal,revenue,USD,400.00,300.00,100.00,0.333,0.667,+0.333,,,0.500,0.667,0.625,+0.375,SMOKE,,,,"
    );
    assert_eq!(
        line_starting(&csv, "Olive,"),
        "Olive,revenue,USD,,100.00,-100.00,1.000,0.000,-1.000,,,,,,,,,,,"
    );
    assert_eq!(
        line_starting(&csv, "Mia,"),
        "Mia,leads,mqls,6,3,3,1.000,0.000,+1.000,,,,0.000,0.000,+1.000,,15,5,900.00,500.00"
    );
    assert_eq!(
        line_starting(&csv, "company,revenue"),
        "company,revenue,USD,600.00,600.00,0.00,0.000,1.000,+0.000,,,0.500,1.000,0.929,+0.071,,,,,"
    );

    let table = baton.ok(&report);
    assert!(
        table.contains("leaderboard revenue #1: Hana (1.000 over 1 quarters)"),
        "{table}"
    );
    assert!(line_starting(&table, "Hal ").contains("SMOKE"), "{table}");

    let json = baton.ok(&[&report[..], &["--group", "team", "--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["group"], "team");
    assert_eq!(json["rows"][1]["name"], "East");
    assert_eq!(json["rows"][1]["judged"]["forecast"], 60_000);

    let bad = baton.run(&["report", "forecast-accuracy", "--quarter", "2026-Q5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("numbered 1 to 4"), "{}", stderr(&bad));
}

#[test]
fn activity_vs_revenue_and_focus_print_per_person() {
    let baton = Baton::new();
    baton.with_scenario();
    let period = ["--from", "2026-07-01", "--to", "2026-09-30"];
    let csv = baton.ok(&[
        &["report", "activity-vs-revenue"][..],
        &period,
        &["--format", "csv"],
    ]
    .concat());
    assert_eq!(
        csv.lines().next().unwrap(),
        "person,team,activities,won_deals,won_revenue_usd,opportunities_created,\
         revenue_per_activity_usd,opportunities_per_activity,busy_without_results,by_type"
    );
    assert_eq!(
        line_starting(&csv, "Hal,"),
        "Hal,East,6,2,300.00,1,50.00,0.167,,billing_issue=2 cold_call=4"
    );
    assert_eq!(
        line_starting(&csv, "Hugo,"),
        "Hugo,East,12,0,0.00,0,0.00,0.000,BUSY,cold_call=12"
    );
    assert_eq!(
        line_starting(&csv, "Olive,"),
        "Olive,(no team),0,1,100.00,0,,,,"
    );

    let focus = baton.ok(&[&["report", "focus"][..], &period, &["--format", "csv"]].concat());
    assert_eq!(
        focus.lines().collect::<Vec<_>>(),
        [
            "person,function,activities,own_function,other_functions,other_share,belongs_elsewhere",
            "Hal,hunting,6,4,2,0.333,billing_issue=2 (operations; queue operations)",
            "Mia,marketing,4,3,1,0.250,service_issue=1 (service; queue service)",
            "Hana,hunting,5,5,0,0.000,",
            "Hugo,hunting,12,12,0,0.000,",
        ]
    );
    let table = baton.ok(&[&["report", "focus"][..], &period].concat());
    assert!(table.contains("charter version 1"), "{table}");

    let backwards = baton.run(&[
        "report",
        "focus",
        "--from",
        "2026-07-02",
        "--to",
        "2026-07-01",
    ]);
    assert_eq!(backwards.status.code(), Some(2));
    assert!(
        stderr(&backwards).contains("ends (2026-07-01) before it starts"),
        "{}",
        stderr(&backwards)
    );
}

#[test]
fn call_sheet_prints_a_persons_calls_and_the_report_counts_them() {
    let baton = Baton::new();
    baton.with_database(async |db| {
        let scenario = accountability(db).await;
        db.create_opportunity(
            None,
            &NewOpportunity {
                name: "Umbrella expansion".into(),
                account_id: None,
                contact_id: None,
                lead_id: None,
                owner_id: scenario.hal,
                product: None,
                amount: Decimal("1200.00".into()),
                currency: Some("USD".into()),
                stage: Some(OpportunityStage::Proposal),
                probability: None,
                forecast_category: None,
                expected_close: Some("2026-12-15".into()),
            },
        )
        .await
        .unwrap();
    });

    let empty = baton.ok(&[
        "call-sheet",
        "--email",
        "hugo@scenario.test",
        "--date",
        "2037-09-29",
    ]);
    assert!(empty.contains("Nothing to call"), "{empty}");

    let week = [
        "call-sheet",
        "--email",
        "hal@scenario.test",
        "--period",
        "week",
    ];
    let json = baton.ok(&[&week[..], &["--date", "2037-09-30", "--format", "json"]].concat());
    let sheet: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(sheet["period"], "week");
    assert_eq!(sheet["starts_on"], "2037-09-28");
    assert_eq!(sheet["lines"].as_array().unwrap().len(), 1, "{sheet}");
    assert_eq!(sheet["lines"][0]["value_minor"], 120_000);
    assert!(
        sheet["lines"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Umbrella expansion"),
        "{sheet}"
    );
    // In the CSV the deal's value is a number with its currency beside it,
    // what has no value is an empty cell, and times are the organisation's.
    let csv = baton.ok(&[&week[..], &["--date", "2037-09-30", "--format", "csv"]].concat());
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("#,call,phone,why,due (America/Chicago),score,value,currency,last touch,done")
    );
    let line = rows.next().unwrap_or_default();
    assert!(line.contains(",1200.00,USD,"), "{csv}");
    assert!(!line.contains(",-,"), "{csv}");
    let table = baton.ok(&[&week[..], &["--date", "2037-10-02"]].concat());
    assert!(line_starting(&table, "1 ").contains("proposal"), "{table}");
    assert!(
        table.contains("for the week starting 2037-09-28"),
        "{table}"
    );

    let csv = baton.ok(&[
        "report",
        "call-sheets",
        "--from",
        "2037-09-01",
        "--to",
        "2037-10-31",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "person,week,lines,done,completion",
            // Hugo's sheet had nothing on it, so nothing to complete.
            "Hal,2037-09-28,1,0,0.000",
        ]
    );

    // A sheet is made from the work open now, never for a day already over.
    let past = baton.run(&[
        "call-sheet",
        "--email",
        "hal@scenario.test",
        "--date",
        "2019-01-01",
    ]);
    assert_eq!(past.status.code(), Some(2), "{}", stderr(&past));
    assert!(stderr(&past).contains("already over"), "{}", stderr(&past));

    let unknown = baton.run(&["call-sheet", "--email", "nobody@scenario.test"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("nobody@scenario.test"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn the_owners_numbers_print_as_csv() {
    let baton = Baton::new();
    baton.with_scenario();
    let period = [
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--format",
        "csv",
    ];
    let funnel = baton.ok(&[&["report", "funnel"][..], &period].concat());
    assert_eq!(
        funnel.lines().take(3).collect::<Vec<_>>(),
        [
            "stage,leads,conversion,median_days_in_stage,stays_timed",
            "new,6,,,0",
            "mql,3,0.500,0.00,2",
        ]
    );
    // The note the table prints under it goes to stderr, out of the data.
    let run = baton.run(&[&["report", "funnel"][..], &period].concat());
    assert!(stderr(&run).contains("leads that arrived from 2026-07-01 to 2026-09-30"));
    assert!(!stdout(&run).contains("leads that arrived"));
    let quality = baton.ok(&[&["report", "lead-quality"][..], &period].concat());
    assert_eq!(
        line_starting(&quality, "campaign,Webinar W,"),
        "campaign,Webinar W,3,2,1,0.500,0,0.000,500.00,0.00,0.00,"
    );
    let quarter = ["--quarter", "2026-Q3", "--format", "csv"];
    let handover = baton.ok(&[&["report", "handover"][..], &quarter].concat());
    assert_eq!(line_starting(&handover, "total,"), "total,6,3,0.500");
    let sales = baton.ok(&[&["report", "handover", "--side", "sales"][..], &quarter].concat());
    assert_eq!(sales.lines().next(), Some("measure,value"));
    let json = baton.ok(&[
        "report",
        "handover",
        "--quarter",
        "2026-Q3",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    for measure in ["handed_over", "accepted", "rejected", "on_time", "late"] {
        assert_eq!(
            line_starting(&sales, &format!("{measure},")),
            format!("{measure},{}", json["sales"][measure]),
            "{sales}"
        );
    }
    let plan = baton.ok(&[&["report", "revenue-vs-forecast"][..], &quarter].concat());
    assert_eq!(
        line_starting(&plan, "2026-Q3,"),
        "2026-Q3,600.00,600.00,1.000"
    );
    assert_eq!(
        line_starting(&plan, "2026-08,"),
        "2026-08,200.00,250.00,1.250"
    );
}

#[test]
fn restore_refuses_while_a_server_runs_on_the_data_folder() {
    // Every command shares the folder's lock as it opens the database, as
    // the server does: an import or a report running keeps a restore out.
    let baton = Baton::sqlite();
    baton.ok(&["migrate"]);
    let backup = baton.files.join("backup.db");
    let backup = backup.to_str().unwrap();
    baton.ok(&["backup", backup]);
    // The server says it serves once it holds its lock.
    let (mut server, _) = baton.serving();
    let refused = baton.run(&["restore", "--force", backup]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("another baton command is using"),
        "{}",
        stderr(&refused)
    );
    baton.ok(&["restore", "--force", backup]);
}

#[test]
fn serve_says_it_serves_only_once_it_listens_and_refuses_a_base_url_that_is_no_address() {
    let baton = Baton::new();
    baton.ok(&[
        "user",
        "add",
        "--email",
        "hal@acme.test",
        "--name",
        "Hal",
        "--role",
        "hunter",
    ]);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = baton.run(&["serve", "--listen", &address, "--no-background-jobs"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        !stdout(&output).contains("Baton serves"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains(&format!("cannot serve on {address}")),
        "{}",
        stderr(&output)
    );

    let output = baton.run(&["serve", "--listen", "127.0.0.1:0", "--base-url", "notaurl"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--base-url `notaurl`"),
        "{}",
        stderr(&output)
    );

    // People, but no owner: the server says how to add one before it serves.
    let (mut server, said) = baton.serving();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        said.contains("Nobody here is an active owner") && said.contains("--role owner"),
        "{said}"
    );
}

#[test]
fn demo_refuses_a_database_that_holds_inquiries_already() {
    let baton = Baton::new();
    let csv = baton.files.join("one.csv");
    std::fs::write(&csv, "email,message\nann@acme.test,Hello\n").unwrap();
    baton.ok(&["import", "inquiries", csv.to_str().unwrap()]);
    let refused = baton.run(&["demo", "--inquiries", "10"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("already holds inquiries"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn an_unsupported_database_url_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["--database-url", "mysql://root@127.0.0.1/baton", "migrate"])
        .env_remove("BATON_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not supported: use sqlite://… or postgres://…"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_database_refusing_the_connection_is_named_at_once_and_no_password_shown() {
    // Nothing listens on port 1 of the loopback address.
    let url = "postgres://baton:Secret1@127.0.0.1:1/baton?password=Secret2";
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["--database-url", url, "migrate"])
        .env_remove("BATON_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(said.contains("Connection refused"), "{said}");
    assert!(
        !said.contains("Secret1") && !said.contains("Secret2"),
        "{said}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "not the pool's timeout: {:?}",
        started.elapsed()
    );
}

#[test]
fn reprocess_exits_1_when_nothing_could_be_processed_and_3_when_part_was() {
    let baton = Baton::new();
    let raw = |body: &[u8], hash: &str| baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "test".into(),
        raw: body.to_vec(),
        idempotency_key: None,
        content_hash: hash.into(),
    };
    // Stored raw and never processed: one that cannot be read as an inquiry.
    baton.with_database(async |db| {
        db.store_raw(&[raw(br#"{"email": 42}"#, "broken")])
            .await
            .unwrap();
    });
    let output = baton.run(&["reprocess"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("processed 0 inquiries, 1 still needing attention"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("1 inquiry could not be processed"),
        "{}",
        stderr(&output)
    );

    baton.with_database(async |db| {
        let good = br#"{"email": "ann@acme.example", "message": "a quote please"}"#;
        db.store_raw(&[raw(good, "good")]).await.unwrap();
    });
    let output = baton.run(&["reprocess"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("processed 1 inquiry, 1 still needing attention"),
        "{}",
        stdout(&output)
    );

    // A limit leaves the rest waiting, and says so.
    baton.with_database(async |db| {
        for n in 0..3 {
            let body = format!(r#"{{"email": "p{n}@acme.example", "message": "hello"}}"#);
            db.store_raw(&[raw(body.as_bytes(), &format!("more {n}"))])
                .await
                .unwrap();
        }
    });
    let output = baton.run(&["reprocess", "--limit", "2"]);
    assert!(
        stdout(&output).contains("2 inquiries more waiting past --limit: run again"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let baton = Baton::new();
    baton.with_scenario();
    let output = baton.run_without_reader(&["report", "revenue", "--by", "agent"]);
    let errors = stderr(&output);
    assert!(!errors.contains("panicked"), "{errors}");
    assert_eq!(output.status.code(), Some(0), "{errors}");
}

#[test]
fn a_reader_gone_early_keeps_the_commands_own_exit_code() {
    let baton = Baton::new();
    let csv = baton.file(
        "leads.csv",
        b"name,email,message\nAnn,ann@acme.example,Hi\nLeo,not-an-address,Hi\n",
    );
    let output = baton.run_without_reader(&["import", "inquiries", &csv]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{errors}");
    assert!(errors.contains("1 row rejected"), "{errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}

#[test]
fn output_that_cannot_be_written_fails_with_exit_1_and_says_why() {
    let baton = Baton::new();
    baton.ok(&["migrate"]);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = baton
        .command(&["report", "revenue"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("cannot write the output: No space left on device"),
        "{errors}"
    );
    assert!(!errors.contains("panicked"), "{errors}");
}

#[test]
fn a_secret_that_cannot_be_shown_is_not_left_working() {
    let baton = Baton::new();
    baton.ok(&[
        "user",
        "add",
        "--email",
        "olga@acme.test",
        "--name",
        "Olga",
        "--role",
        "owner",
    ]);
    let to_full_disk = |args: &[&str]| {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = baton
            .command(args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        stderr(&output)
    };

    let errors = to_full_disk(&[
        "token",
        "add",
        "--email",
        "olga@acme.test",
        "--name",
        "lost",
    ]);
    assert!(errors.contains("so it was withdrawn"), "{errors}");
    let tokens = baton.ok(&["token", "list"]);
    assert!(!tokens.contains("lost"), "{tokens}");

    let known = "a long known password";
    baton.with_database(async |db| {
        let olga = db.user_by_email("olga@acme.test").await.unwrap();
        db.set_password(None, olga.id, known).await.unwrap();
    });
    let errors = to_full_disk(&["user", "password", "--email", "olga@acme.test"]);
    assert!(errors.contains("the old one still works"), "{errors}");
    let still =
        baton.with_database(async |db| db.check_password("olga@acme.test", known).await.unwrap());
    assert!(still.is_some(), "the password shown nowhere was not set");

    // A token revoked once is said to be so when revoked again.
    baton.ok(&[
        "token",
        "add",
        "--email",
        "olga@acme.test",
        "--name",
        "twice",
    ]);
    let list = baton.ok(&["token", "list", "--format", "csv"]);
    let id = list
        .lines()
        .find(|line| line.contains(",twice,"))
        .and_then(|line| line.split(',').next())
        .unwrap_or_else(|| panic!("{list}"))
        .to_string();
    baton.ok(&["token", "revoke", "--id", &id]);
    let again = baton.run(&["token", "revoke", "--id", &id]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(&format!("API token {id} is already revoked")),
        "{}",
        stderr(&again)
    );
}

#[test]
fn training_that_trains_nothing_says_so_with_exit_code_2() {
    let baton = Baton::new();
    assert!(baton.run(&["migrate"]).status.success());
    let out = baton.run(&["model", "train"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 3, "one line per task");
    assert!(stdout(&out).contains("\"skipped\""), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no model was trained"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_list_on_a_new_database_says_how_to_add_the_first_owner() {
    let baton = Baton::new();
    baton.ok(&["migrate"]);
    let list = baton.ok(&["user", "list"]);
    assert!(
        list.contains("Nobody can sign in yet: create the first owner with `baton user add"),
        "{list}"
    );
}
