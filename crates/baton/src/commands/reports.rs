//! `baton report revenue --by quarter|office|agent`: won revenue, win rate
//! and days to close, as a table, CSV or JSON.

use super::{closing, open};
use crate::cli::DatabaseArgs;
use crate::failure::Failure;
use baton_core::money::{Currency, format_minor};
use baton_db::reports::{RevenueBy, RevenueReport, RevenueRow};
use clap::{Args, Subcommand, ValueEnum};

/// Reports on the data.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
}

/// Which report.
#[derive(Debug, Subcommand)]
pub enum Report {
    /// Won revenue, win rate on closed deals and days from engaging to
    /// close, in the organisation's currency.
    Revenue(RevenueArgs),
}

/// Options of the revenue report.
#[derive(Debug, Args)]
pub struct RevenueArgs {
    /// Break the figures down by the quarter deals closed in, the owner's
    /// team (regional office) or the owner.
    #[arg(long, value_enum, default_value = "quarter")]
    pub by: Breakdown,

    /// How to print the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// What a report is broken down by, as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Breakdown {
    Quarter,
    Office,
    Agent,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Comma-separated, with a header row and a last `total` row.
    Csv,
    /// The whole report; amounts in minor units.
    Json,
}

/// Runs the report asked for.
pub async fn report(database: &DatabaseArgs, args: &ReportArgs) -> Result<(), Failure> {
    match &args.report {
        Report::Revenue(args) => revenue(database, args).await,
    }
}

async fn revenue(database: &DatabaseArgs, args: &RevenueArgs) -> Result<(), Failure> {
    let by = match args.by {
        Breakdown::Quarter => RevenueBy::Quarter,
        Breakdown::Office => RevenueBy::Office,
        Breakdown::Agent => RevenueBy::Agent,
    };
    let report = closing(open(database).await?, async |db| {
        Ok(db.revenue_report(by).await?)
    })
    .await?;
    match args.format {
        Format::Json => {
            let text = serde_json::to_string_pretty(&report).expect("a report serialises to JSON");
            println!("{text}");
        }
        Format::Csv => print_csv(&report)?,
        Format::Table => print_table(&report)?,
    }
    Ok(())
}

/// The cells of a row: key, won deals, won revenue in major units, closed
/// deals, win rate.
fn cells(row: &RevenueRow, key: &str, currency: &Currency) -> [String; 5] {
    [
        key.to_string(),
        row.won_deals.to_string(),
        format_minor(row.won_revenue_minor, currency),
        row.closed_deals.to_string(),
        format!("{:.4}", row.win_rate),
    ]
}

/// The report's lines as cells, the total last; deals without a key are
/// shown as `(none)`.
fn lines(report: &RevenueReport) -> Result<Vec<[String; 5]>, Failure> {
    let currency = Currency::parse(&report.currency).map_err(Failure::runtime)?;
    let mut lines: Vec<[String; 5]> = report
        .rows
        .iter()
        .map(|row| {
            let key = if row.key.is_empty() {
                "(none)"
            } else {
                &row.key
            };
            cells(row, key, &currency)
        })
        .collect();
    lines.push(cells(&report.total, "total", &currency));
    Ok(lines)
}

fn header(report: &RevenueReport) -> [String; 5] {
    let by = match report.by {
        RevenueBy::Quarter => "quarter",
        RevenueBy::Month => "month",
        RevenueBy::Office => "office",
        RevenueBy::Agent => "agent",
    };
    [
        by.to_string(),
        "won_deals".to_string(),
        format!("won_revenue_{}", report.currency.to_lowercase()),
        "closed_deals".to_string(),
        "win_rate".to_string(),
    ]
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn print_csv(report: &RevenueReport) -> Result<(), Failure> {
    for line in std::iter::once(header(report)).chain(lines(report)?) {
        let cells: Vec<String> = line.iter().map(|cell| csv_cell(cell)).collect();
        println!("{}", cells.join(","));
    }
    Ok(())
}

fn print_table(report: &RevenueReport) -> Result<(), Failure> {
    let all: Vec<[String; 5]> = std::iter::once(header(report))
        .chain(lines(report)?)
        .collect();
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            all.iter()
                .map(|line| line[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &all {
        // The key is left-aligned, the figures right-aligned.
        let mut text = format!("{:<width$}", line[0], width = widths[0]);
        for (cell, width) in line.iter().zip(&widths).skip(1) {
            text.push_str(&format!("  {cell:>width$}"));
        }
        println!("{}", text.trim_end());
    }
    let days = |value: Option<f64>| value.map_or("-".to_string(), |d| format!("{d:.2}"));
    println!(
        "days from engaging to close: mean {}, median {}",
        days(report.days_to_close_mean),
        days(report.days_to_close_median)
    );
    if report.other_currency_deals > 0 {
        println!(
            "{} closed deals in other currencies are not counted",
            report.other_currency_deals
        );
    }
    Ok(())
}
