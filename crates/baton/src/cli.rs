//! The command line: every command, its arguments and its help text.

use baton_core::domain::Role;
use baton_core::learn::dataset::Format;
use baton_core::learn::train::Task;
use baton_db::demo::DemoOptions;
use baton_db::large_company::LargeOptions;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Baton: every inbound inquiry stored, moderated, triaged, scored and routed
/// to the right queue, with marketing and sales held to the same numbers.
#[derive(Debug, Parser)]
#[command(name = "baton", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Log more: debug messages on stderr (RUST_LOG, when set, decides instead).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives; every command takes these.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Folder of the embedded SQLite database (`baton.db`). Reports, call
    /// sheets, reprocess, user list and password, tokens and model train need
    /// one that exists; other commands create it when missing.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "BATON_DATA_DIR",
        default_value = "./baton-data"
    )]
    pub data_dir: PathBuf,

    /// PostgreSQL database to use instead of the embedded one, e.g.
    /// postgres://baton:PASSWORD@db.internal/baton. Wins over --data-dir.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "BATON_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the public forms, and run the background jobs
    /// (SLA escalation, retries, webhooks).
    Serve(ServeArgs),
    /// Bring the database schema up to date (serve and the other commands do
    /// this too; run it alone before a rolling upgrade).
    Migrate,
    /// Manage the people who sign in.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Fill a new, empty database with a demo company: two years of people,
    /// accounts, inquiries, work, deals and forecasts. Every demo user's
    /// password is `demo-password`.
    Demo(DemoArgs),
    /// Fill a new, empty database with a large company for measuring the
    /// reports: offices of every role, accounts, campaigns, leads with their
    /// stage history, opportunities, activities, forecasts and call sheets,
    /// written in bulk. The same seed and counts give the same company on
    /// the same day.
    Generate(GenerateArgs),
    /// Bring inquiries, and accounts, people and deals from another CRM,
    /// in from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Reports on the data: `baton report revenue`, `forecast-accuracy`,
    /// `activity-vs-revenue`, `focus`, `call-sheets`, `funnel`, `handover`,
    /// `lead-quality` and `revenue-vs-forecast`.
    Report(crate::commands::reports::ReportArgs),
    /// Make (or refresh) someone's call sheet for a day or a week and print
    /// it: work due under an SLA first, then by score, value and time since
    /// the last touch.
    CallSheet(crate::commands::call_sheets::CallSheetArgs),
    /// Process the inquiries still waiting: those received but not processed,
    /// and those whose processing failed ("needs attention").
    Reprocess(ReprocessArgs),
    /// Write a consistent copy of the embedded SQLite database to a file; safe
    /// while the server runs. For PostgreSQL use pg_dump.
    Backup(BackupArgs),
    /// Replace the embedded SQLite database with a backup. Stop the server
    /// first: a running server would keep writing to the replaced database.
    Restore(RestoreArgs),
    /// Train and measure the learned models (spam, intent, conversion):
    /// `train` from the database's own history, `evaluate` and `benchmark`
    /// on labelled files without a database.
    #[command(subcommand)]
    Model(ModelCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; 0.0.0.0:7878 accepts connections from
    /// other machines.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,

    /// Address people and clients reach Baton at, used in links (e.g. behind
    /// a reverse proxy: https://baton.example.com). Defaults to the listen
    /// address.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Do not run background jobs on this server (another server runs them).
    #[arg(long)]
    pub no_background_jobs: bool,

    /// The address of a reverse proxy in front, whose X-Forwarded-For then
    /// names the client that sign-in and form rate limits count; repeat it
    /// for several. Without it every client behind the proxy counts as one.
    #[arg(long, value_name = "IP")]
    pub trusted_proxy: Vec<std::net::IpAddr>,

    /// How many connections one client (an IPv4 address, an IPv6 /64) may
    /// hold open at once; more are closed at once. Trusted proxies are not
    /// capped.
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub connections_per_client: u32,

    /// Let webhooks deliver to private addresses (this machine, the local
    /// network, link-local and cloud metadata addresses), for receivers on
    /// the organisation's own network. By default only public addresses
    /// are sent to.
    #[arg(long)]
    pub webhooks_to_private_networks: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person. Without --password-stdin a random password is generated
    /// and printed once.
    Add(UserAddArgs),
    /// List everyone who can sign in, and those deactivated.
    List(ListArgs),
    /// Set a person's password, e.g. for an owner who lost theirs, and sign
    /// them out everywhere. Without --password-stdin a random password is
    /// generated and printed once.
    Password(UserPasswordArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// table (aligned columns), csv or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::commands::reports::Format,
}

#[derive(Debug, Args)]
pub struct UserPasswordArgs {
    /// E-mail address the person signs in with.
    #[arg(long)]
    pub email: String,

    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// E-mail address the person signs in with.
    #[arg(long)]
    pub email: String,

    /// Full name, as shown to colleagues.
    #[arg(long)]
    pub name: String,

    /// What the person may do: owner, manager, marketer, qualifier, hunter,
    /// farmer, service or operations.
    #[arg(long)]
    pub role: Role,

    /// Read the password from the first line of standard input, e.g.
    /// `printf '%s\n' "$PASSWORD" | baton user add … --password-stdin`.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a person. The token is printed once, alone on
    /// the last line, so scripts can take it with `tail -1`.
    Add(TokenAddArgs),
    /// List the API tokens that still work, with whose they are; never the
    /// tokens themselves.
    List(ListArgs),
    /// Stop an API token from working, for good (its id is in `token list`).
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `baton token list` shows it.
    #[arg(long)]
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct TokenAddArgs {
    /// E-mail address of the person the token acts as.
    #[arg(long)]
    pub email: String,

    /// What the token is for, e.g. `cli` or `website-form`.
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the random generator: the same seed gives the same company
    /// on the same day (its history ends at the start of today, in the demo
    /// company's time zone, America/Chicago).
    #[arg(long, default_value_t = DemoOptions::default().seed)]
    pub seed: u64,

    /// How many inquiries arrive over the demo's two years of history.
    #[arg(long, default_value_t = DemoOptions::default().inquiries,
          value_parser = clap::value_parser!(u64).range(1..=baton_db::demo::MAX_INQUIRIES))]
    pub inquiries: u64,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Seed of the random generator.
    #[arg(long, default_value_t = LargeOptions::default().seed)]
    pub seed: u64,

    /// Leads, each with the inquiry it came from.
    #[arg(long, default_value_t = LargeOptions::default().leads,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub leads: u64,

    /// Activities the people logged, spread over the quarters.
    #[arg(long, default_value_t = LargeOptions::default().activities)]
    pub activities: u64,

    /// Opportunities, spread over the quarters.
    #[arg(long, default_value_t = LargeOptions::default().opportunities)]
    pub opportunities: u64,

    /// Quarters of history, the current one last.
    #[arg(long, default_value_t = LargeOptions::default().quarters,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(baton_db::large_company::MAX_QUARTERS)))]
    pub quarters: u32,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import inquiries from a CSV file, one per row, with a header row.
    ///
    /// Columns are matched to inquiry fields by header name (name, email,
    /// phone, company, title, message, source, campaign and common aliases
    /// such as `E-mail` or `Full name`); other columns are kept as extra
    /// fields. Bad rows are reported by row and line and skipped; the good
    /// rows are imported and processed.
    Inquiries(ImportInquiriesArgs),
    /// Import inquiries from an e-mail message (.eml) or a mailbox (mbox).
    /// An inquiry one of Baton's active users forwarded is credited to its
    /// original sender; anyone else's forward is their own message.
    Email(ImportEmailArgs),
    /// Import accounts from a CSV file through a TOML mapping (--mapping).
    Accounts(crate::commands::import_records::ImportRecordsArgs),
    /// Import people, their teams and their managers from a CSV file
    /// through a TOML mapping.
    Users(crate::commands::import_records::ImportRecordsArgs),
    /// Import opportunities from a CSV file through a TOML mapping; import
    /// their accounts and owners first.
    Opportunities(crate::commands::import_records::ImportRecordsArgs),
}

#[derive(Debug, Args)]
pub struct ImportInquiriesArgs {
    /// The CSV file (UTF-8).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,

    /// Feed an inquiry field from a column: `--map email=E-mail`; `ignore`
    /// leaves a column out: `--map "ignore=Internal ID"`. Repeatable.
    #[arg(long = "map", value_name = "TARGET=COLUMN")]
    pub mappings: Vec<String>,

    /// Field delimiter: one character, or `tab`.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// Source recorded on rows that have none (e.g. `tradeshow-2025`).
    #[arg(long, value_name = "NAME", default_value = "import")]
    pub source: String,

    /// Check the file and report bad rows without storing anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ImportEmailArgs {
    /// The .eml or mbox file.
    pub file: PathBuf,

    /// Check the file and report bad messages without storing anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ReprocessArgs {
    /// Process at most this many inquiries, oldest first.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub limit: Option<i64>,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// File to write; it must not exist yet.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `baton backup`.
    pub file: PathBuf,

    /// Replace the database already in the data folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train on some rows of labelled files and print one JSON object of
    /// metrics on the test rows: accuracy; precision, recall and F1 of the
    /// positive class; macro-F1 (intent); ROC-AUC (spam, conversion). With
    /// --cross-validate K instead of --test-ids, each training row is
    /// tested once by the model trained on the other K-1 folds.
    ///
    /// Every column but the label and the dropped ones is a feature: the
    /// text column is read as text, the others as numbers or categories.
    /// Settings are chosen by cross-validation on the training rows only;
    /// the spam threshold is the one that maximises F0.5 (precision counted
    /// twice) on out-of-fold predictions, because a real lead lost costs
    /// more than a spam reviewed.
    Evaluate(ModelEvaluateArgs),
    /// Train a new version of the pipeline's models from the database: spam
    /// from moderators' releases and confirmations and the rules' verdicts,
    /// intent from corrected and rule intents, conversion from won and lost
    /// leads. Every fifth row is held out; the new version is stored, and
    /// activated only if it is not worse there than the active one. One JSON
    /// line per task with both models' held-out metrics.
    Train(ModelTrainArgs),
    /// Evaluate on the public data sets in the folder given by --data-dir
    /// (youtube-spam, sms-spam, bitext-intent, leads-xeducation) with their
    /// fixed splits; one JSON line per data set.
    Benchmark(ModelBenchmarkArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ModelBenchmarkArgs {
    /// Measure the training procedure by K-fold cross-validation over each
    /// data set's training rows instead, its test rows left untouched.
    #[arg(long, value_name = "K", value_parser = parse_folds)]
    pub cross_validate: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct ModelTrainArgs {
    /// Only this task: spam, intent or conversion (every task by default).
    #[arg(long, value_parser = parse_task)]
    pub task: Option<Task>,
}

#[derive(Debug, Clone, Args)]
pub struct ModelEvaluateArgs {
    /// What to learn: spam, intent or conversion.
    #[arg(long, value_parser = parse_task)]
    pub task: Task,

    /// A data file; several are read as one, in the order given, and must
    /// share their header.
    #[arg(long = "data", value_name = "FILE", required = true)]
    pub data: Vec<PathBuf>,

    /// The test rows: 0-based data-row ids (header excluded), one per line.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "cross_validate",
        conflicts_with = "cross_validate"
    )]
    pub test_ids: Option<PathBuf>,

    /// The training rows, as --test-ids; every row not tested by default.
    #[arg(long, value_name = "FILE")]
    pub train_ids: Option<PathBuf>,

    /// Instead of a test split: split the training rows (every row without
    /// --train-ids) into K folds stratified by label, test each fold on
    /// the model trained on the others, and report the metrics over all of
    /// them. This measures the whole training procedure.
    #[arg(long, value_name = "K", value_parser = parse_folds)]
    pub cross_validate: Option<usize>,

    /// csv (quoted as RFC 4180) or tsv (tab-separated, no quoting).
    #[arg(long, value_parser = parse_format, default_value = "csv")]
    pub format: Format,

    /// The files have no header row; name columns by 0-based index.
    #[arg(long)]
    pub no_header: bool,

    /// The free-text column (message), by name or 0-based index.
    #[arg(long, value_name = "NAME|INDEX")]
    pub text_column: Option<String>,

    /// The label column, by name or 0-based index; the last column by default.
    #[arg(long, value_name = "NAME|INDEX")]
    pub label_column: Option<String>,

    /// The label of the positive class (spam, conversion: `1` by default).
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,

    /// A CSV file with a header row mapping labels: the first column holds
    /// the label as in the data, the last the label to learn.
    #[arg(long, value_name = "FILE")]
    pub label_map: Option<PathBuf>,

    /// Columns left out of the features (ids, fields filled in later).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub drop_columns: Vec<String>,
}

fn parse_task(value: &str) -> Result<Task, String> {
    Task::from_name(value)
        .ok_or_else(|| format!("`{value}` is not a task: spam, intent or conversion"))
}

fn parse_folds(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(folds) if (2..=20).contains(&folds) => Ok(folds),
        _ => Err(format!("`{value}` is not a number of folds from 2 to 20")),
    }
}

fn parse_format(value: &str) -> Result<Format, String> {
    match value {
        "csv" => Ok(Format::Csv),
        "tsv" => Ok(Format::Tsv),
        _ => Err(format!("`{value}` is not a format: csv or tsv")),
    }
}

/// A CSV delimiter: a single ASCII character, or the word `tab`.
pub fn parse_delimiter(value: &str) -> Result<u8, String> {
    match value {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match value.as_bytes() {
            [byte] if byte.is_ascii() => Ok(*byte),
            _ => Err(format!(
                "`{value}` is not a delimiter: give one character such as , or ; or the word tab"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn delimiters_are_one_ascii_character_or_tab() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert!(parse_delimiter(",,").is_err());
        assert!(parse_delimiter("é").is_err());
    }
}
