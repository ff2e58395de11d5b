//! `baton import accounts|users|opportunities FILE --mapping MAPPING.toml`:
//! records from another system's CSV export, read through a TOML import
//! mapping and stored idempotently, with a report of what was created,
//! updated, left unchanged, rejected and read differently from the file.

use super::{checking, closing, open};
use crate::cli::DatabaseArgs;
use crate::failure::Failure;
use crate::output::say;
use baton_core::import::mapping::{
    AccountRecord, Mapping, MappingError, OpportunityRecord, ReadRecords, Record, UserRecord,
    read_records,
};
use baton_db::import::{ImportMode, ImportReport};
use clap::Args;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A CSV file and the mapping to read it with.
#[derive(Debug, Args)]
pub struct ImportRecordsArgs {
    /// The CSV file (UTF-8, with a header row).
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,

    /// Field delimiter: one character, or `tab`.
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = crate::cli::parse_delimiter)]
    pub delimiter: u8,

    /// The import mapping: which column feeds which field, value maps and
    /// aliases (see examples/crm-sales-opportunities/).
    #[arg(long, value_name = "MAPPING.toml")]
    pub mapping: PathBuf,

    /// How the report is printed, as the other commands take it.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,

    /// Report what the import would create, update and reject, storing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// How an import's report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Lines for people; rejected rows on stderr.
    Text,
    /// The whole report as one JSON object.
    Json,
}

impl ImportRecordsArgs {
    fn mode(&self) -> ImportMode {
        if self.dry_run {
            ImportMode::DryRun
        } else {
            ImportMode::Store
        }
    }
}

/// Imports the accounts of a CSV file.
pub async fn import_accounts(
    database: &DatabaseArgs,
    args: &ImportRecordsArgs,
) -> Result<(), Failure> {
    let (read, mapping) = read_file::<AccountRecord>(args)?;
    let report = on_database(database, args, async |db| {
        Ok(db
            .import_accounts(None, &read, &mapping, args.mode())
            .await?)
    })
    .await?;
    print_report(&report, args.format)
}

/// Imports the people, their teams and their managers from a CSV file.
pub async fn import_users(
    database: &DatabaseArgs,
    args: &ImportRecordsArgs,
) -> Result<(), Failure> {
    let (read, mapping) = read_file::<UserRecord>(args)?;
    let report = on_database(database, args, async |db| {
        Ok(db.import_users(None, &read, &mapping, args.mode()).await?)
    })
    .await?;
    print_report(&report, args.format)
}

/// Imports the opportunities of a CSV file; their owners and accounts must
/// have been imported first.
pub async fn import_opportunities(
    database: &DatabaseArgs,
    args: &ImportRecordsArgs,
) -> Result<(), Failure> {
    let (read, mapping) = read_file::<OpportunityRecord>(args)?;
    let report = on_database(database, args, async |db| {
        Ok(db
            .import_opportunities(None, &read, &mapping, args.mode())
            .await?)
    })
    .await?;
    print_report(&report, args.format)
}

/// Runs an import's `work` on the database: opened (made and migrated if
/// need be) to store, left as it is by a dry run.
async fn on_database(
    database: &DatabaseArgs,
    args: &ImportRecordsArgs,
    work: impl AsyncFnOnce(&baton_db::Db) -> Result<ImportReport, Failure>,
) -> Result<ImportReport, Failure> {
    if args.dry_run {
        checking(database, work).await
    } else {
        closing(open(database).await?, work).await
    }
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> Failure {
    Failure::bad_input(format!("{}: {error}", path.display()))
}

/// Reads the mapping and the file's records through it.
fn read_file<T: Record>(args: &ImportRecordsArgs) -> Result<(ReadRecords<T>, Mapping), Failure> {
    let text = std::fs::read_to_string(&args.mapping).map_err(|e| unreadable(&args.mapping, e))?;
    let mapping = Mapping::parse(&text).map_err(|e| unreadable(&args.mapping, e))?;
    let file = File::open(&args.file).map_err(|e| unreadable(&args.file, e))?;
    let read = read_records(file, &mapping, args.delimiter).map_err(|error| {
        let hint = match &error {
            MappingError::OtherDelimiter { found } => super::import::delimiter_hint(*found),
            _ => String::new(),
        };
        Failure::bad_input(format!("{}: {error}{hint}", args.file.display()))
    })?;
    Ok((read, mapping))
}

/// Prints the report: the summary and quirks on stdout, rejected rows on
/// stderr. Fails when the file had rows and none could be imported, and
/// reports a partial import when some rows were rejected and others kept.
fn print_report(report: &ImportReport, format: ReportFormat) -> Result<(), Failure> {
    if format == ReportFormat::Json {
        let text = serde_json::to_string_pretty(report).expect("a report serialises to JSON");
        say!("{text}");
    } else {
        for rejection in &report.rejected {
            eprintln!(
                "row {} (line {}): {}",
                rejection.row, rejection.line, rejection.reason
            );
        }
        let (scope, would) = if report.dry_run {
            (" (dry run, nothing stored)", "would be ")
        } else {
            ("", "")
        };
        say!(
            "{}{scope}: {} rows read; {} {would}created, {} {would}updated, {} unchanged, {} rejected",
            report.records,
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            report.rejected.len()
        );
        for quirk in &report.quirks {
            say!("  {quirk}");
        }
    }
    if report.rejected.is_empty() {
        return Ok(());
    }
    let kind = report.records.as_str();
    if report.created + report.updated + report.unchanged == 0 {
        return Err(Failure::bad_input(format!("no {kind} could be imported")));
    }
    let rejected = super::import::counted(report.rejected.len() as u64, "rows");
    let kept = if report.dry_run {
        "would be imported"
    } else {
        "were imported"
    };
    Err(Failure::partial(format!(
        "{rejected} rejected; the other {kind} {kept}"
    )))
}
