//! `baton call-sheet`: makes or refreshes a person's call sheet and prints
//! it as a table, CSV or JSON.

use super::reports::{Format, Lines, NO_VALUE, print};
use super::{closing, open};
use crate::cli::DatabaseArgs;
use crate::failure::Failure;
use baton_core::calendar::parse_date;
use baton_core::domain::SheetPeriod;
use baton_core::money::{Currency, format_minor};
use baton_db::call_sheets::CallSheet;
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Options of `baton call-sheet`.
#[derive(Debug, Args)]
pub struct CallSheetArgs {
    /// E-mail address of the person whose calls these are.
    #[arg(long)]
    pub email: String,

    /// A day's calls or a week's.
    #[arg(long, value_enum, default_value = "day")]
    pub period: Period,

    /// A day the sheet covers, like 2026-07-31; today in the organisation's
    /// time zone when absent.
    #[arg(long, value_parser = parse_date)]
    pub date: Option<Date>,

    /// How to print the sheet.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// How much time a sheet covers, as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Period {
    Day,
    Week,
}

pub async fn call_sheet(database: &DatabaseArgs, args: &CallSheetArgs) -> Result<(), Failure> {
    let period = match args.period {
        Period::Day => SheetPeriod::Day,
        Period::Week => SheetPeriod::Week,
    };
    let (sheet, zone) = closing(open(database).await?, async |db| {
        let user = db.user_by_email(&args.email).await?;
        let date = match args.date {
            Some(date) => date,
            None => db.today().await?,
        };
        let (sheet, _) = db.generate_call_sheet(None, user.id, period, date).await?;
        Ok((sheet, db.time_zone().await?))
    })
    .await?;
    print(args.format, &sheet, |sheet| sheet_lines(sheet, &zone))
}

/// A time for people: in the organisation's time zone, to the minute.
fn minute(ms: Option<i64>, zone: &TimeZone) -> String {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| NO_VALUE.into())
}

fn sheet_lines(sheet: &CallSheet, zone: &TimeZone) -> Result<Lines, Failure> {
    let due = format!("due ({})", zone.iana_name().unwrap_or("UTC"));
    let header = [
        "#",
        "call",
        "phone",
        "why",
        &due,
        "score",
        "value",
        "currency",
        "last touch",
        "done",
    ];
    let rows = sheet
        .lines
        .iter()
        .map(|line| {
            let (value, currency) = match (line.value_minor, line.currency.as_deref()) {
                (Some(minor), Some(code)) => Currency::parse(code)
                    .map(|currency| (format_minor(minor, &currency), code.to_string()))
                    .map_err(Failure::runtime)?,
                _ => (NO_VALUE.into(), NO_VALUE.into()),
            };
            Ok(vec![
                line.position.to_string(),
                line.subject.clone(),
                line.phone.clone().unwrap_or_else(|| NO_VALUE.into()),
                line.reason.clone(),
                minute(line.due_at, zone),
                line.score
                    .map_or_else(|| NO_VALUE.into(), |s| s.to_string()),
                value,
                currency,
                minute(line.last_touch_at, zone),
                line.outcome.clone().unwrap_or_default(),
            ])
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let note = if rows.is_empty() {
        "Nothing to call: no open work items, open deals or quiet customers.".to_string()
    } else {
        format!(
            "Call sheet {} for the {} starting {}; mark calls done with POST /api/v1/call-sheets/{}/lines/LINE/done.",
            sheet.id, sheet.period, sheet.starts_on, sheet.id
        )
    };
    Ok(Lines {
        header: header.map(String::from).to_vec(),
        rows,
        notes: vec![note],
    })
}
