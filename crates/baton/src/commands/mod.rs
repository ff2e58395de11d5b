//! One module per group of commands; [`run`] dispatches to them.

pub mod call_sheets;
mod data;
mod import;
pub mod import_records;
mod model;
pub mod reports;
mod serve;
mod users;

use crate::cli::{
    Cli, Command, DatabaseArgs, ImportCommand, ModelCommand, TokenCommand, UserCommand,
};
use crate::failure::Failure;
use baton_db::{Db, DbOptions};
use indicatif::{ProgressBar, ProgressStyle};

/// Inquiries stored or processed per transaction.
const BATCH: usize = 500;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let database = &cli.database;
    // Opening a folder with no database would make an empty one: a
    // mistyped --data-dir would then report nothing as if all were well.
    if reads_existing_data(&cli.command) {
        refuse_no_database(database).await?;
    }
    match cli.command {
        Command::Serve(args) => serve::serve(database, &args).await,
        Command::Migrate => data::migrate(database).await,
        Command::User(UserCommand::Add(args)) => users::add_user(database, &args).await,
        Command::User(UserCommand::List(args)) => users::list_users(database, &args).await,
        Command::User(UserCommand::Password(args)) => users::set_password(database, &args).await,
        Command::Token(TokenCommand::Add(args)) => users::add_token(database, &args).await,
        Command::Token(TokenCommand::List(args)) => users::list_tokens(database, &args).await,
        Command::Token(TokenCommand::Revoke(args)) => users::revoke_token(database, &args).await,
        Command::Demo(args) => data::demo(database, &args).await,
        Command::Generate(args) => data::generate(database, &args).await,
        Command::Import(ImportCommand::Inquiries(args)) => {
            import::import_inquiries(database, &args).await
        }
        Command::Import(ImportCommand::Email(args)) => import::import_email(database, &args).await,
        Command::Import(ImportCommand::Accounts(args)) => {
            import_records::import_accounts(database, &args).await
        }
        Command::Import(ImportCommand::Users(args)) => {
            import_records::import_users(database, &args).await
        }
        Command::Import(ImportCommand::Opportunities(args)) => {
            import_records::import_opportunities(database, &args).await
        }
        Command::Report(args) => reports::report(database, &args).await,
        Command::CallSheet(args) => call_sheets::call_sheet(database, &args).await,
        Command::Reprocess(args) => data::reprocess(database, &args).await,
        Command::Backup(args) => data::backup(database, &args).await,
        Command::Restore(args) => data::restore(database, &args).await,
        Command::Model(ModelCommand::Evaluate(args)) => model::evaluate(&args),
        Command::Model(ModelCommand::Train(args)) => model::train(database, &args).await,
        // The public data sets' folder is given with --data-dir.
        Command::Model(ModelCommand::Benchmark(args)) => {
            model::benchmark(&database.data_dir, args.cross_validate)
        }
    }
}

/// Refuses a data folder or PostgreSQL database that holds no Baton
/// database: opening it would make an empty one, and a mistyped --data-dir
/// or URL would then report nothing as if all were well.
async fn refuse_no_database(database: &DatabaseArgs) -> Result<(), Failure> {
    let (place, option) = match &database.database_url {
        None if database.exists() => return Ok(()),
        None => (database.data_dir.display().to_string(), "--data-dir"),
        Some(_) => {
            let options = database.options()?;
            if closing(Db::connect(&options).await?, async |db| {
                Ok(db.holds_baton().await?)
            })
            .await?
            {
                return Ok(());
            }
            (options.shown_url(), "--database-url")
        }
    };
    Err(Failure::bad_input(format!(
        "{place} holds no Baton database: check {option} (serve, migrate, demo or user add make \
         one)"
    )))
}

/// Whether `command` works on data already there, rather than making or
/// filling a database.
fn reads_existing_data(command: &Command) -> bool {
    matches!(
        command,
        Command::Report(_)
            | Command::CallSheet(_)
            | Command::Reprocess(_)
            | Command::User(UserCommand::List(_) | UserCommand::Password(_))
            | Command::Token(_)
            | Command::Model(ModelCommand::Train(_))
    )
}

/// The embedded database's file in the data folder, as `DbOptions::sqlite_in` names it.
const DATABASE_FILE: &str = "baton.db";

/// The file every command using a data folder's database holds a shared
/// lock on while it runs (servers, imports, reports…), so that a restore,
/// which needs it alone, cannot replace the database under any of them.
const DATA_DIR_LOCK_FILE: &str = "baton.lock";

/// This process's lock on its data folder, held until the process ends.
static DATA_DIR_LOCK: std::sync::OnceLock<std::fs::File> = std::sync::OnceLock::new();

/// The lock file of `data_dir`, opened (and made, the first time).
fn data_dir_lock(data_dir: &std::path::Path) -> Result<std::fs::File, Failure> {
    let path = data_dir.join(DATA_DIR_LOCK_FILE);
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|error| Failure::runtime(format!("cannot open {}: {error}", path.display())))
}

impl DatabaseArgs {
    /// Whether there is a database to open: always on PostgreSQL, and on
    /// SQLite once its file is made (opening it would make an empty one).
    fn exists(&self) -> bool {
        self.database_url.is_some() || self.data_dir.join(DATABASE_FILE).exists()
    }

    /// PostgreSQL when a URL is given, else the embedded database, with
    /// the data folder's lock shared for as long as this process runs: a
    /// restore under way is waited for.
    fn options(&self) -> Result<DbOptions, Failure> {
        match &self.database_url {
            Some(url) => Ok(DbOptions::url(url.clone())),
            None => {
                let options = DbOptions::sqlite_in(&self.data_dir)?;
                if DATA_DIR_LOCK.get().is_none() {
                    let lock = data_dir_lock(&self.data_dir)?;
                    lock.lock_shared().map_err(|error| {
                        Failure::runtime(format!(
                            "cannot lock {}: {error}",
                            self.data_dir.display()
                        ))
                    })?;
                    // Another thread may have set it meanwhile; either lock holds.
                    let _ = DATA_DIR_LOCK.set(lock);
                }
                Ok(options)
            }
        }
    }
}

/// Opens the database, migrated and with the default queues and routing
/// rules that processing needs.
async fn open(database: &DatabaseArgs) -> Result<Db, Failure> {
    let db = Db::open(&database.options()?).await?;
    db.ensure_defaults().await?;
    if db.generation_interrupted().await? {
        eprintln!(
            "warning: this database's generated company was interrupted before it was \
             complete, so its figures are partial; generate it again into a new database"
        );
    }
    Ok(db)
}

/// Opens the database as it is, without migrating it.
async fn connect(database: &DatabaseArgs) -> Result<Db, Failure> {
    Ok(Db::connect(&database.options()?).await?)
}

/// Runs `work` on the database a check (a dry run) reads, leaving it as it
/// is: the database there is, neither made nor migrated; or, where there
/// is none yet, an empty one made for the check in a temporary folder and
/// removed after.
async fn checking<T>(
    database: &DatabaseArgs,
    work: impl AsyncFnOnce(&Db) -> Result<T, Failure>,
) -> Result<T, Failure> {
    if database.exists() {
        return closing(connect(database).await?, work).await;
    }
    let scratch = std::env::temp_dir().join(format!(
        "baton-check-{}-{}",
        std::process::id(),
        baton_db::now_ms()
    ));
    let result = async {
        let db = Db::open(&DbOptions::sqlite_in(&scratch)?).await?;
        closing(db, work).await
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Runs `work` on `db` and closes it after, whatever happened, so SQLite
/// checkpoints its write-ahead log before the process ends.
async fn closing<T>(
    db: Db,
    work: impl AsyncFnOnce(&Db) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let result = work(&db).await;
    db.close().await;
    result
}

/// A progress bar on stderr; it draws nothing when stderr is not a terminal.
/// `counter` is an indicatif template piece such as `{pos}/{len} rows`.
fn progress_bar(total: u64, counter: &str) -> ProgressBar {
    let template = format!("{{msg:>12}} [{{bar:40}}] {counter} ({{eta}} left)");
    let style = ProgressStyle::with_template(&template)
        .expect("the template is valid")
        .progress_chars("=> ");
    ProgressBar::new(total).with_style(style)
}
