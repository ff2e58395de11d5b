//! `baton report …`: revenue, forecast accuracy, activity against revenue,
//! focus, the funnel, the marketing ↔ sales hand-over, lead quality and
//! revenue against forecast, each as a table, CSV or JSON.

use super::{closing, open};
use crate::cli::DatabaseArgs;
use crate::failure::Failure;
use crate::output::say;
use baton_core::accountability::Accuracy;
use baton_core::calendar::{Quarter, parse_date};
use baton_core::domain::ForecastKind;
use baton_core::export::csv_record;
use baton_core::money::{Currency, format_minor};
use baton_db::call_sheets::CompletionReport;
use baton_db::reports::{
    AccuracyGroup, AccuracyRow, ActivityReport, FocusReport, ForecastAccuracyReport, FunnelReport,
    HandoverReport, LeadQualityReport, Period, QualityRow, RevenueBy, RevenuePlanReport,
    RevenueReport, RevenueRow,
};
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;
use serde::Serialize;

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
    /// Forecast against actual for a quarter: error, accuracy, bias, the
    /// trend over four quarters, smoke and the leaderboard.
    ForecastAccuracy(ForecastAccuracyArgs),
    /// Per person: activities by type, revenue won, revenue and
    /// opportunities per activity, and who is busy without results.
    ActivityVsRevenue(PeriodArgs),
    /// Per person: the share of activities the charter gives to another
    /// function, and the queue that work belongs in.
    Focus(PeriodArgs),
    /// Per person and week: call sheet lines and how many were done.
    CallSheets(PeriodArgs),
    /// The leads that arrived in the period: how many reached each stage,
    /// the conversion, and the median days in each stage.
    Funnel(PeriodArgs),
    /// Marketing ↔ sales SLA for a quarter: MQLs against the lead
    /// forecasts, and how sales answered the leads handed over.
    Handover(HandoverArgs),
    /// By source and by campaign: leads, acceptance, conversion to
    /// customer, revenue, cost per lead and return on cost.
    LeadQuality(PeriodArgs),
    /// Revenue won against forecast by quarter (the last four) and month.
    RevenueVsForecast(QuarterArgs),
}

/// Options of the reports over one quarter.
#[derive(Debug, Args)]
pub struct QuarterArgs {
    /// Like 2026-Q3.
    #[arg(long, value_parser = Quarter::parse)]
    pub quarter: Quarter,

    /// How to print the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Options of the marketing ↔ sales SLA report.
#[derive(Debug, Args)]
pub struct HandoverArgs {
    #[command(flatten)]
    pub quarter: QuarterArgs,

    /// Which direction the rows hold: marketing's MQLs against the lead
    /// forecasts (a table sums sales' answers up under them), or sales'
    /// answers to the leads handed over (each measure a row, then the
    /// rejection reasons).
    #[arg(long, value_enum, default_value = "marketing")]
    pub side: Side,
}

/// A direction of the hand-over between marketing and sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    Marketing,
    Sales,
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

/// Options of the forecast-accuracy report.
#[derive(Debug, Args)]
pub struct ForecastAccuracyArgs {
    /// The quarter judged, like 2026-Q3.
    #[arg(long, value_parser = Quarter::parse)]
    pub quarter: Quarter,

    /// One line per person, team or campaign.
    #[arg(long, value_enum, default_value = "person")]
    pub group: Group,

    /// How to print the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Options of the reports over a period of days.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// First day, like 2026-07-01, in the organisation's time zone.
    #[arg(long, value_parser = parse_date)]
    pub from: Date,

    /// Last day, included.
    #[arg(long, value_parser = parse_date)]
    pub to: Date,

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

/// How forecast accuracy is grouped, as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Group {
    Person,
    Team,
    Campaign,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Comma-separated, with a header row.
    Csv,
    /// Everything, as JSON; amounts, where there are any, in minor units.
    Json,
}

/// A cell with no value: a dash in the table, empty in the CSV, so that a
/// spreadsheet reads the column's other cells as numbers.
pub(super) const NO_VALUE: &str = "-";

/// A report as lines of cells, with notes printed under the table.
pub(super) struct Lines {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

/// Runs the report asked for.
pub async fn report(database: &DatabaseArgs, args: &ReportArgs) -> Result<(), Failure> {
    let db = open(database).await?;
    match &args.report {
        Report::Revenue(args) => {
            let by = match args.by {
                Breakdown::Quarter => RevenueBy::Quarter,
                Breakdown::Office => RevenueBy::Office,
                Breakdown::Agent => RevenueBy::Agent,
            };
            let report = closing(db, async |db| Ok(db.revenue_report(by).await?)).await?;
            print(args.format, &report, revenue_lines)
        }
        Report::ForecastAccuracy(args) => {
            let group = match args.group {
                Group::Person => AccuracyGroup::Person,
                Group::Team => AccuracyGroup::Team,
                Group::Campaign => AccuracyGroup::Campaign,
            };
            let report = closing(db, async |db| {
                Ok(db.forecast_accuracy(args.quarter, group).await?)
            })
            .await?;
            print(args.format, &report, accuracy_lines)
        }
        Report::ActivityVsRevenue(args) => {
            let report = closing(db, async |db| {
                Ok(db.activity_report(Period::new(args.from, args.to)?).await?)
            })
            .await?;
            print(args.format, &report, activity_lines)
        }
        Report::Focus(args) => {
            let report = closing(db, async |db| {
                Ok(db.focus_report(Period::new(args.from, args.to)?).await?)
            })
            .await?;
            print(args.format, &report, focus_lines)
        }
        Report::CallSheets(args) => {
            let report = closing(db, async |db| {
                Ok(db.call_sheet_completion(args.from, args.to, None).await?)
            })
            .await?;
            print(args.format, &report, completion_lines)
        }
        Report::Funnel(args) => {
            let report = closing(db, async |db| {
                Ok(db.funnel_report(Period::new(args.from, args.to)?).await?)
            })
            .await?;
            print(args.format, &report, funnel_lines)
        }
        Report::Handover(args) => {
            let report = closing(db, async |db| {
                Ok(db.handover_report(args.quarter.quarter).await?)
            })
            .await?;
            match args.side {
                Side::Marketing => print(args.quarter.format, &report, handover_lines),
                Side::Sales => print(args.quarter.format, &report, sales_response_lines),
            }
        }
        Report::LeadQuality(args) => {
            let report = closing(db, async |db| {
                Ok(db
                    .lead_quality_report(Period::new(args.from, args.to)?)
                    .await?)
            })
            .await?;
            print(args.format, &report, lead_quality_lines)
        }
        Report::RevenueVsForecast(args) => {
            let report = closing(db, async |db| {
                Ok(db.revenue_plan_report(args.quarter).await?)
            })
            .await?;
            print(args.format, &report, revenue_plan_lines)
        }
    }
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| NO_VALUE.to_string(), |d| format!("{d:.2}"))
}

fn headings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn funnel_lines(report: &FunnelReport) -> Result<Lines, Failure> {
    let rows = report
        .stages
        .iter()
        .map(|s| {
            vec![
                s.step.stage.to_string(),
                s.step.leads.to_string(),
                ratio(s.step.conversion),
                days(s.median_days_in_stage),
                s.stays_timed.to_string(),
            ]
        })
        .collect();
    Ok(Lines {
        header: headings(&[
            "stage",
            "leads",
            "conversion",
            "median_days_in_stage",
            "stays_timed",
        ]),
        rows,
        notes: vec![format!(
            "leads that arrived from {} to {}; stays still running are not timed",
            report.period.from, report.period.to
        )],
    })
}

fn handover_lines(report: &HandoverReport) -> Result<Lines, Failure> {
    let rows = report
        .mql_delivery
        .iter()
        .chain(std::iter::once(&report.mql_total))
        .map(|d| {
            vec![
                d.name.clone(),
                d.forecast_mqls.to_string(),
                d.mqls.to_string(),
                ratio(d.delivered),
            ]
        })
        .collect();
    let sales = &report.sales;
    let mut notes = vec![format!(
        "{}: sales answered {} of {} leads handed over ({} accepted, {} rejected); on time {}, late {}, share on time {}; median hours to accept {}, to reject {}",
        report.quarter,
        sales.accepted + sales.rejected,
        sales.handed_over,
        sales.accepted,
        sales.rejected,
        sales.on_time,
        sales.late,
        ratio(sales.on_time_share),
        days(sales.median_hours_to_accept),
        days(sales.median_hours_to_reject),
    )];
    notes.extend(
        sales
            .rejection_reasons
            .iter()
            .map(|r| format!("rejected {}×: {}", r.leads, r.reason)),
    );
    Ok(Lines {
        header: headings(&["campaign_or_channel", "mqls_forecast", "mqls", "delivered"]),
        rows,
        notes,
    })
}

/// Sales' side of the hand-over, a measure a row, then each rejection
/// reason with its count.
fn sales_response_lines(report: &HandoverReport) -> Result<Lines, Failure> {
    let sales = &report.sales;
    let measures = [
        ("handed_over", sales.handed_over.to_string()),
        ("accepted", sales.accepted.to_string()),
        ("rejected", sales.rejected.to_string()),
        ("on_time", sales.on_time.to_string()),
        ("late", sales.late.to_string()),
        ("share_on_time", ratio(sales.on_time_share)),
        ("median_hours_to_accept", days(sales.median_hours_to_accept)),
        ("median_hours_to_reject", days(sales.median_hours_to_reject)),
    ];
    let rows = measures
        .into_iter()
        .map(|(measure, value)| vec![measure.to_string(), value])
        .chain(
            sales
                .rejection_reasons
                .iter()
                .map(|r| vec![format!("rejected: {}", r.reason), r.leads.to_string()]),
        )
        .collect();
    Ok(Lines {
        header: headings(&["measure", "value"]),
        rows,
        notes: Vec::new(),
    })
}

fn lead_quality_lines(report: &LeadQualityReport) -> Result<Lines, Failure> {
    let currency = currency(&report.currency)?;
    let amount = |minor: Option<i64>| {
        minor.map_or_else(|| NO_VALUE.to_string(), |m| format_minor(m, &currency))
    };
    let cells = |by: &str, row: &QualityRow| {
        vec![
            by.to_string(),
            if row.name.is_empty() {
                "(none)".to_string()
            } else {
                row.name.clone()
            },
            row.leads.to_string(),
            row.mqls.to_string(),
            row.accepted.to_string(),
            ratio(row.acceptance_rate),
            row.customers.to_string(),
            ratio(row.conversion),
            amount(Some(row.won_revenue_minor)),
            amount(row.cost_minor),
            amount(row.cost_per_lead_minor),
            ratio(row.return_on_cost),
        ]
    };
    let rows = report
        .by_source
        .iter()
        .map(|row| cells("source", row))
        .chain(report.by_campaign.iter().map(|row| cells("campaign", row)))
        .collect();
    let code = report.currency.to_lowercase();
    let mut header = headings(&[
        "by",
        "name",
        "leads",
        "mqls",
        "accepted",
        "acceptance_rate",
        "customers",
        "conversion",
    ]);
    header.extend([
        format!("won_revenue_{code}"),
        format!("cost_{code}"),
        format!("cost_per_lead_{code}"),
        "return_on_cost".to_string(),
    ]);
    Ok(Lines {
        header,
        rows,
        notes: vec![format!(
            "leads that arrived from {} to {}; a campaign's cost spread evenly over the days it runs, \
             and shared by the sources of its leads",
            report.period.from, report.period.to
        )],
    })
}

fn revenue_plan_lines(report: &RevenuePlanReport) -> Result<Lines, Failure> {
    let currency = currency(&report.currency)?;
    let rows = report
        .quarters
        .iter()
        .chain(&report.months)
        .map(|row| {
            vec![
                row.key.clone(),
                row.forecast_minor
                    .map_or_else(|| NO_VALUE.to_string(), |f| format_minor(f, &currency)),
                format_minor(row.won_minor, &currency),
                ratio(row.attainment),
            ]
        })
        .collect();
    let code = report.currency.to_lowercase();
    Ok(Lines {
        header: vec![
            "period".to_string(),
            format!("forecast_{code}"),
            format!("won_{code}"),
            "attainment".to_string(),
        ],
        rows,
        notes: std::iter::once(
            "forecast: commit and best case in force at each quarter's cut-off; a month's is its quarter's spread evenly".to_string(),
        )
        .chain(report.in_progress_note())
        .collect(),
    })
}

/// Prints `report` as JSON, or its lines as CSV or a table.
pub(super) fn print<R: Serialize>(
    format: Format,
    report: &R,
    lines: impl Fn(&R) -> Result<Lines, Failure>,
) -> Result<(), Failure> {
    match format {
        Format::Json => {
            let text = serde_json::to_string_pretty(report).expect("a report serialises to JSON");
            say!("{text}");
        }
        Format::Csv => {
            let lines = lines(report)?;
            say!("{}", csv_record(&lines.header));
            for line in &lines.rows {
                let cells: Vec<&str> = line
                    .iter()
                    .map(|cell| if cell == NO_VALUE { "" } else { cell.as_str() })
                    .collect();
                say!("{}", csv_record(&cells));
            }
            // What the table would say under it, such as what it leaves
            // out, goes beside the data rather than into it.
            for note in &lines.notes {
                eprintln!("{note}");
            }
        }
        Format::Table => {
            let lines = lines(report)?;
            print_table(&lines);
            for note in &lines.notes {
                say!("{note}");
            }
        }
    }
    Ok(())
}

fn print_table(lines: &Lines) {
    let all: Vec<&Vec<String>> = std::iter::once(&lines.header).chain(&lines.rows).collect();
    let widths: Vec<usize> = (0..lines.header.len())
        .map(|i| {
            all.iter()
                .map(|line| line.get(i).map_or(0, |cell| cell.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in all {
        // The key is left-aligned, the figures right-aligned.
        let mut text = String::new();
        for (i, (cell, width)) in line.iter().zip(&widths).enumerate() {
            if i == 0 {
                text.push_str(&format!("{cell:<width$}"));
            } else {
                text.push_str(&format!("  {cell:>width$}"));
            }
        }
        say!("{}", text.trim_end());
    }
}

fn currency(code: &str) -> Result<Currency, Failure> {
    Currency::parse(code).map_err(Failure::runtime)
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| NO_VALUE.to_string(), |v| format!("{v:.3}"))
}

fn signed(value: Option<f64>) -> String {
    value.map_or_else(|| NO_VALUE.to_string(), |v| format!("{v:+.3}"))
}

fn completion_lines(report: &CompletionReport) -> Result<Lines, Failure> {
    let header = ["person", "week", "lines", "done", "completion"];
    let rows = report
        .rows
        .iter()
        .map(|row| {
            vec![
                row.user_name.clone(),
                row.week_starts_on.clone(),
                row.lines.to_string(),
                row.done.to_string(),
                ratio(Some(row.completion)),
            ]
        })
        .collect::<Vec<_>>();
    let notes = if rows.is_empty() {
        vec![format!(
            "No call sheets in the weeks from {} to {}; make them with `baton call-sheet`.",
            report.from, report.to
        )]
    } else {
        Vec::new()
    };
    Ok(Lines {
        header: header.map(String::from).to_vec(),
        rows,
        notes,
    })
}

fn revenue_lines(report: &RevenueReport) -> Result<Lines, Failure> {
    let currency = currency(&report.currency)?;
    // Cells: key, won deals, won revenue in major units, closed deals, win rate.
    let cells = |row: &RevenueRow, key: &str| {
        vec![
            key.to_string(),
            row.won_deals.to_string(),
            format_minor(row.won_revenue_minor, &currency),
            row.closed_deals.to_string(),
            row.win_rate
                .map_or_else(|| NO_VALUE.to_string(), |rate| format!("{rate:.4}")),
        ]
    };
    let mut rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|row| {
            cells(
                row,
                if row.key.is_empty() {
                    "(none)"
                } else {
                    &row.key
                },
            )
        })
        .collect();
    rows.push(cells(&report.total, "total"));
    let by = match report.by {
        RevenueBy::Quarter => "quarter",
        RevenueBy::Month => "month",
        RevenueBy::Office => "office",
        RevenueBy::Agent => "agent",
    };
    let days = |value: Option<f64>| value.map_or(NO_VALUE.to_string(), |d| format!("{d:.2}"));
    let mut notes = vec![format!(
        "days from engaging to close: mean {}, median {}",
        days(report.days_to_close_mean),
        days(report.days_to_close_median)
    )];
    if report.other_currency_deals > 0 {
        notes.push(format!(
            "{} closed deals in other currencies are not counted",
            report.other_currency_deals
        ));
    }
    Ok(Lines {
        header: vec![
            by.to_string(),
            "won_deals".to_string(),
            format!("won_revenue_{}", report.currency.to_lowercase()),
            "closed_deals".to_string(),
            "win_rate".to_string(),
        ],
        rows,
        notes,
    })
}

fn accuracy_lines(report: &ForecastAccuracyReport) -> Result<Lines, Failure> {
    let currency = currency(&report.currency)?;
    // Revenue in major units; leads and MQLs as counts.
    let amount = |kind: ForecastKind, value: i64| match kind {
        ForecastKind::Revenue => format_minor(value, &currency),
        ForecastKind::Leads => value.to_string(),
    };
    let pair = |figure: Option<Accuracy>, money: bool| match figure {
        Some(a) if money => vec![
            format_minor(a.forecast, &currency),
            format_minor(a.actual, &currency),
        ],
        Some(a) => vec![a.forecast.to_string(), a.actual.to_string()],
        None => vec![String::new(), String::new()],
    };
    let cells = |row: &AccuracyRow| {
        let judged = &row.judged;
        let unit = match row.kind {
            ForecastKind::Revenue => report.currency.clone(),
            ForecastKind::Leads => "mqls".to_string(),
        };
        let mut cells = vec![
            row.name.clone(),
            row.kind.to_string(),
            unit,
            if row.forecast_ids.is_empty() {
                NO_VALUE.to_string()
            } else {
                amount(row.kind, judged.forecast)
            },
            amount(row.kind, judged.actual),
            amount(row.kind, judged.error),
            ratio(judged.ape),
            ratio(Some(judged.accuracy)),
            signed(judged.bias),
        ];
        cells.extend(
            row.trend
                .iter()
                .map(|p| ratio(p.accuracy.map(|a| a.accuracy))),
        );
        cells.extend([
            ratio(row.trend_accuracy),
            signed(row.trend_bias),
            if row.smoke { "SMOKE" } else { "" }.to_string(),
        ]);
        cells.extend(pair(row.leads, false));
        cells.extend(pair(row.value, true));
        cells
    };
    let mut header: Vec<String> = [
        report.group.as_str(),
        "kind",
        // What forecast, actual and error count: a currency, or MQLs.
        "unit",
        "forecast",
        "actual",
        "error",
        "ape",
        "accuracy",
        "bias",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(report.quarters.iter().map(|q| format!("accuracy_{q}")));
    header.extend(
        [
            "trend_accuracy",
            "trend_bias",
            "smoke",
            "leads_forecast",
            "leads_actual",
            "value_forecast",
            "value_won",
        ]
        .iter()
        .map(|h| h.to_string()),
    );
    let mut notes = vec![format!(
        "{}: revenue judged on commit and best case against won revenue ({}), leads on MQLs; \
         versions in force at the cut-off; smoke = over by more than {:.0}% two quarters running",
        report.quarter,
        report.currency,
        report.smoke_tolerance * 100.0
    )];
    notes.extend(report.in_progress_note());
    notes.extend(report.leaderboard.iter().map(|entry| {
        format!(
            "leaderboard {} #{}: {} ({:.3} over {} quarters)",
            entry.kind, entry.rank, entry.name, entry.trend_accuracy, entry.quarters
        )
    }));
    Ok(Lines {
        header,
        rows: report
            .rows
            .iter()
            .chain(&report.totals)
            .map(cells)
            .collect(),
        notes,
    })
}

fn activity_lines(report: &ActivityReport) -> Result<Lines, Failure> {
    let currency = currency(&report.currency)?;
    let rows = report
        .rows
        .iter()
        .map(|row| {
            let by_type: Vec<String> = row
                .by_type
                .iter()
                .map(|(kind, count)| format!("{kind}={count}"))
                .collect();
            vec![
                row.name.clone(),
                row.team.clone(),
                row.activities.to_string(),
                row.won_deals.to_string(),
                format_minor(row.won_revenue_minor, &currency),
                row.opportunities_created.to_string(),
                row.revenue_per_activity_minor
                    .map_or_else(|| NO_VALUE.to_string(), |v| format_minor(v, &currency)),
                ratio(row.opportunities_per_activity),
                if row.busy_without_results { "BUSY" } else { "" }.to_string(),
                by_type.join(" "),
            ]
        })
        .collect();
    let code = report.currency.to_lowercase();
    Ok(Lines {
        header: [
            "person".to_string(),
            "team".to_string(),
            "activities".to_string(),
            "won_deals".to_string(),
            format!("won_revenue_{code}"),
            "opportunities_created".to_string(),
            format!("revenue_per_activity_{code}"),
            "opportunities_per_activity".to_string(),
            "busy_without_results".to_string(),
            "by_type".to_string(),
        ]
        .to_vec(),
        rows,
        notes: vec![format!(
            "{} to {}: busy without results = activities at least {}× the median of their peers (same role, same team) and revenue at most {}× theirs",
            report.period.from,
            report.period.to,
            report.busy_activity_ratio,
            report.busy_revenue_ratio
        )],
    })
}

fn focus_lines(report: &FocusReport) -> Result<Lines, Failure> {
    let rows = report
        .rows
        .iter()
        .map(|row| {
            let stray: Vec<String> = row
                .stray
                .iter()
                .map(|work| {
                    format!(
                        "{}={} ({}; queue {})",
                        work.type_slug,
                        work.activities,
                        work.function,
                        work.suggested_queue.as_deref().unwrap_or("none")
                    )
                })
                .collect();
            vec![
                row.name.clone(),
                row.function.to_string(),
                row.activities.to_string(),
                row.own_function.to_string(),
                row.other_functions.to_string(),
                ratio(Some(row.other_share)),
                stray.join(" "),
            ]
        })
        .collect();
    Ok(Lines {
        header: [
            "person",
            "function",
            "activities",
            "own_function",
            "other_functions",
            "other_share",
            "belongs_elsewhere",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows,
        notes: vec![format!(
            "{} to {}: functions as charter version {} gives them",
            report.period.from, report.period.to, report.charter_version
        )],
    })
}
