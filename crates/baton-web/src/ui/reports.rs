//! The owner's numbers, for owners and managers: the funnel with time in
//! stage, the marketing ↔ sales hand-over, lead quality, revenue against
//! forecast, activity against revenue and forecast accuracy. Each page
//! draws its charts like the dashboard and lists its tables, and each
//! table downloads as CSV from the same address with `csv=` its name,
//! holding plain numbers (shares as fractions, money in major units with
//! the currency in the heading) where the page shows "62%" or "1.00 USD".

use super::charts::{Chart, Dot, Figure, LABEL_WIDTH, chart, scatter};
use super::{
    Chrome, Field, Viewer, failure, message, money, not_for_your_role, percent, plain_amount,
    render,
};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baton_core::calendar::{Quarter, parse_date};
use baton_core::export::csv_document;
use baton_db::reports::{AccuracyGroup, Period, QualityRow};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(index))
        .route("/reports/funnel", get(funnel))
        .route("/reports/handover", get(handover))
        .route("/reports/lead-quality", get(lead_quality))
        .route("/reports/revenue", get(revenue))
        .route("/reports/activity", get(activity))
        .route("/reports/forecast-accuracy", get(forecast_accuracy))
}

/// The report pages, as the index and every page's navigation list them.
const PAGES: &[(&str, &str)] = &[
    ("/reports/funnel", "Funnel and time in stage"),
    ("/reports/handover", "Marketing ↔ sales SLA"),
    ("/reports/lead-quality", "Lead quality"),
    ("/reports/revenue", "Revenue against forecast"),
    ("/reports/activity", "Activity against revenue"),
    ("/reports/forecast-accuracy", "Forecast accuracy"),
];

/// What a report page is asked for; `csv` names a table to download.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    quarter: Option<String>,
    group: Option<String>,
    csv: Option<String>,
}

/// A table of a report page, downloadable as CSV.
struct Table {
    id: &'static str,
    title: String,
    head: Vec<String>,
    rows: Vec<Vec<Cell>>,
    csv_href: String,
}

/// One cell of a report table: what the page shows, and the plain value
/// its CSV carries, so that a spreadsheet reads numbers.
#[derive(Debug, Clone)]
struct Cell {
    shown: String,
    plain: String,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            plain: text.clone(),
            shown: text,
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

impl Cell {
    /// A count.
    fn count(n: i64) -> Cell {
        Cell::from(n.to_string())
    }

    /// A share, shown as a whole percentage; a fraction in the CSV.
    fn share(value: Option<f64>) -> Cell {
        Cell {
            shown: percent(value),
            plain: value.map_or_else(String::new, |v| format!("{v:.4}")),
        }
    }

    /// An amount in minor units, shown with its currency; in major units
    /// in the CSV, whose heading names the currency.
    fn amount(minor: Option<i64>, currency: &str) -> Cell {
        Cell {
            shown: minor.map_or_else(|| "—".to_string(), |m| money(m, currency)),
            plain: minor.map_or_else(String::new, |m| plain_amount(m, currency)),
        }
    }

    /// A median of days or hours: one decimal on the page, two in the CSV
    /// as on the command line and in the API's figures.
    fn median(value: Option<f64>) -> Cell {
        Cell {
            shown: one_decimal(value),
            plain: value.map_or_else(String::new, |v| format!("{v:.2}")),
        }
    }

    /// A number shown by `show`, which gives a dash for none; empty in the CSV.
    fn number(value: Option<f64>, show: fn(Option<f64>) -> String) -> Cell {
        let shown = show(value);
        Cell {
            plain: if value.is_some() {
                shown.clone()
            } else {
                String::new()
            },
            shown,
        }
    }
}

/// What a table's cells show, for the table under a chart.
fn shown(rows: &[Vec<Cell>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| row.iter().map(|cell| cell.shown.clone()).collect())
        .collect()
}

/// Headings with the currency after those of money columns, as the CSV's
/// plain amounts need.
fn priced(head: &[&str], money: &[&str], currency: &str) -> Vec<String> {
    head.iter()
        .map(|name| {
            if money.contains(name) {
                format!("{name} ({currency})")
            } else {
                name.to_string()
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    chrome: Option<Chrome>,
    path: &'static str,
    pages: &'static [(&'static str, &'static str)],
    fields: Vec<Field>,
    notes: Vec<String>,
    charts: Vec<Chart>,
    tables: Vec<Table>,
    label_width: i64,
}

/// A report page before it is shown: what its selection fields hold, and
/// its figures.
struct Content {
    title: &'static str,
    path: &'static str,
    /// (name, value) of the selection, as the form and CSV links carry it.
    selection: Vec<(&'static str, String)>,
    notes: Vec<String>,
    charts: Vec<Chart>,
    tables: Vec<TableContent>,
}

/// A table before it is shown: (id, title, head, rows).
type TableContent = (&'static str, String, Vec<String>, Vec<Vec<Cell>>);

/// The refusal for anyone but owners and managers.
fn refused(viewer: &Viewer) -> Option<Response> {
    (!super::dashboard::READERS.contains(&viewer.role()))
        .then(|| not_for_your_role(viewer, "see the reports; owners and managers do"))
}

/// A selection field that cannot be read, and why.
type Unreadable = (&'static str, String);

/// A selection that cannot be read: the report's form again with what was
/// typed into `fields`, the problem beside the field it names, and no
/// figures.
fn unreadable(
    viewer: &Viewer,
    path: &'static str,
    query: &ReportQuery,
    fields: &[&'static str],
    (field, problem): Unreadable,
) -> Response {
    let typed = |value: &Option<String>| value.clone().unwrap_or_default();
    let selection = fields
        .iter()
        .map(|name| {
            let value = match *name {
                "from" => typed(&query.from),
                "to" => typed(&query.to),
                "quarter" => typed(&query.quarter),
                _ => typed(&query.group),
            };
            (*name, value)
        })
        .collect();
    let mut fields = selection_fields(selection);
    super::place_error(&mut fields, field, problem);
    let title = PAGES
        .iter()
        .find(|(page, _)| *page == path)
        .map_or("Reports", |(_, title)| title);
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ReportPage {
            title: title.to_string(),
            chrome: Some(Chrome::for_viewer(viewer)),
            path,
            pages: PAGES,
            fields,
            notes: Vec::new(),
            charts: Vec::new(),
            tables: Vec::new(),
            label_width: LABEL_WIDTH,
        },
    )
}

/// The fields of a report's selection, holding `selection`'s values.
fn selection_fields(selection: Vec<(&'static str, String)>) -> Vec<Field> {
    selection
        .into_iter()
        .map(|(name, value)| match name {
            "group" => Field::choice(
                "group",
                "By",
                [
                    AccuracyGroup::Person,
                    AccuracyGroup::Team,
                    AccuracyGroup::Campaign,
                ]
                .iter()
                .map(|g| (g.as_str().to_string(), g.as_str().to_string()))
                .collect(),
                &value,
            ),
            "quarter" => Field::input("quarter", "Quarter", "text", &value),
            "from" => Field::input("from", "From", "date", &value),
            _ => Field::input("to", "To", "date", &value),
        })
        .collect()
}

/// The page, or the table `csv` names as a CSV download.
fn respond(viewer: &Viewer, csv: Option<&str>, content: Content) -> Response {
    let query: String = content
        .selection
        .iter()
        .map(|(name, value)| format!("{name}={value}&"))
        .collect();
    let tables: Vec<Table> = content
        .tables
        .into_iter()
        .map(|(id, title, head, rows)| Table {
            id,
            title,
            head,
            rows,
            csv_href: format!("{}?{query}csv={id}", content.path),
        })
        .collect();
    if let Some(wanted) = csv {
        return match tables.iter().find(|t| t.id == wanted) {
            Some(table) => csv_download(table),
            None => message(
                StatusCode::NOT_FOUND,
                Some(viewer),
                "Not found",
                format!("This report has no table `{wanted}`."),
            ),
        };
    }
    let fields = selection_fields(content.selection);
    render(
        StatusCode::OK,
        &ReportPage {
            title: content.title.to_string(),
            chrome: Some(Chrome::for_viewer(viewer)),
            path: content.path,
            pages: PAGES,
            fields,
            notes: content.notes,
            charts: content.charts,
            tables,
            label_width: LABEL_WIDTH,
        },
    )
}

/// A table as an RFC 4180 attachment named after it.
fn csv_download(table: &Table) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.csv\"", table.id),
            ),
        ],
        csv_document(
            &table.head,
            &table
                .rows
                .iter()
                .map(|row| row.iter().map(|cell| cell.plain.clone()).collect())
                .collect::<Vec<Vec<String>>>(),
        ),
    )
        .into_response()
}

impl ReportQuery {
    /// The days asked for; the quarter holding `today` when none are.
    fn period(&self, today: jiff::civil::Date) -> Result<Period, Unreadable> {
        let quarter = Quarter::containing(today);
        let day =
            |name: &'static str, value: &Option<String>, default: jiff::civil::Date| match value
                .as_deref()
                .map(str::trim)
            {
                None | Some("") => Ok(default),
                Some(text) => parse_date(text).map_err(|e| (name, e)),
            };
        let from = day("from", &self.from, quarter.first_day())?;
        let to = day("to", &self.to, quarter.last_day())?;
        // Shown beside the field, so without its name.
        Period::new(from, to).map_err(|e| match e.field_problems() {
            Ok(problems) => {
                let said: Vec<String> = problems.into_iter().map(|p| p.problem).collect();
                ("to", said.join("; "))
            }
            Err(other) => ("to", other.to_string()),
        })
    }

    /// The quarter asked for; the one holding `today` when none is.
    fn quarter(&self, today: jiff::civil::Date) -> Result<Quarter, Unreadable> {
        match self.quarter.as_deref().map(str::trim) {
            None | Some("") => Ok(Quarter::containing(today)),
            Some(text) => Quarter::parse(text).map_err(|e| ("quarter", e)),
        }
    }
}

/// Column headings as a table holds them.
fn heads(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn period_selection(period: &Period) -> Vec<(&'static str, String)> {
    vec![
        ("from", period.from.to_string()),
        ("to", period.to.to_string()),
    ]
}

/// A ratio with three decimals, or a dash.
pub(super) fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.3}"))
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

/// Resolves the viewer's checks and the organisation's today, or the page
/// that says why not.
async fn today(state: &AppState, viewer: &Viewer) -> Result<jiff::civil::Date, Response> {
    if let Some(refusal) = refused(viewer) {
        return Err(refusal);
    }
    state.db.today().await.map_err(|e| failure(Some(viewer), e))
}

#[derive(Template)]
#[template(path = "reports.html")]
struct IndexPage {
    title: String,
    chrome: Option<Chrome>,
    pages: &'static [(&'static str, &'static str)],
}

async fn index(viewer: Viewer) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    render(
        StatusCode::OK,
        &IndexPage {
            title: "Reports".into(),
            chrome: Some(Chrome::for_viewer(&viewer)),
            pages: PAGES,
        },
    )
}

async fn funnel(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let period = match query.period(today) {
        Ok(period) => period,
        Err(problem) => {
            return unreadable(&viewer, "/reports/funnel", &query, &["from", "to"], problem);
        }
    };
    let report = match state.db.funnel_report(period).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let rows: Vec<Vec<Cell>> = report
        .stages
        .iter()
        .map(|s| {
            vec![
                s.step.stage.to_string().into(),
                Cell::count(s.step.leads),
                Cell::share(s.step.conversion),
                Cell::median(s.median_days_in_stage),
                Cell::count(s.stays_timed),
            ]
        })
        .collect();
    let head = vec![
        "Stage",
        "Leads",
        "Conversion from the stage before",
        "Median days in stage",
        "Stays timed",
    ];
    let reached = chart(
        "funnel",
        "Leads that reached each stage".into(),
        report
            .stages
            .iter()
            .map(|s| Figure {
                label: s.step.stage.to_string(),
                value: s.step.leads,
                mark: None,
                shown: format!("{} ({})", s.step.leads, percent(s.step.conversion)),
            })
            .collect(),
        head.clone(),
        shown(&rows),
    );
    let waits = chart(
        "time-in-stage",
        "Median days in each stage".into(),
        report
            .stages
            .iter()
            .map(|s| Figure {
                label: s.step.stage.to_string(),
                // Tenths of days, so that short stays still show.
                value: s
                    .median_days_in_stage
                    .map_or(0, |d| (d * 10.0).round() as i64),
                mark: None,
                shown: format!("{} days", one_decimal(s.median_days_in_stage)),
            })
            .collect(),
        head.clone(),
        shown(&rows),
    );
    respond(
        &viewer,
        query.csv.as_deref(),
        Content {
            title: "Funnel and time in stage",
            path: "/reports/funnel",
            selection: period_selection(&period),
            notes: vec![format!(
                "Leads that arrived from {} to {}; a stay still running is not timed.",
                period.from, period.to
            )],
            charts: vec![reached, waits],
            tables: vec![("funnel", "Funnel".into(), heads(&head), rows)],
        },
    )
}

async fn handover(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let quarter = match query.quarter(today) {
        Ok(quarter) => quarter,
        Err(problem) => {
            return unreadable(&viewer, "/reports/handover", &query, &["quarter"], problem);
        }
    };
    let report = match state.db.handover_report(quarter).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let delivery_head = vec!["Campaign or channel", "MQLs forecast", "MQLs", "Delivered"];
    let delivery_rows: Vec<Vec<Cell>> = report
        .mql_delivery
        .iter()
        .chain(std::iter::once(&report.mql_total))
        .map(|d| {
            vec![
                d.name.clone().into(),
                Cell::count(d.forecast_mqls),
                Cell::count(d.mqls),
                Cell::share(d.delivered),
            ]
        })
        .collect();
    let delivery_chart = chart(
        "mql-delivery",
        "MQLs delivered (bars) against forecast (marks)".into(),
        report
            .mql_delivery
            .iter()
            .map(|d| Figure {
                label: d.name.clone(),
                value: d.mqls,
                mark: Some(d.forecast_mqls),
                shown: format!("{} of {}", d.mqls, d.forecast_mqls),
            })
            .collect(),
        delivery_head.clone(),
        shown(&delivery_rows),
    );
    let sales = &report.sales;
    let response_head = vec![
        "Handed over",
        "Accepted",
        "Rejected",
        "Open",
        "On time",
        "Late",
        "Share on time",
        "Median hours to accept",
        "Median hours to reject",
    ];
    let response_rows = vec![vec![
        Cell::count(sales.handed_over),
        Cell::count(sales.accepted),
        Cell::count(sales.rejected),
        Cell::count(sales.open),
        Cell::count(sales.on_time),
        Cell::count(sales.late),
        Cell::share(sales.on_time_share),
        Cell::median(sales.median_hours_to_accept),
        Cell::median(sales.median_hours_to_reject),
    ]];
    let reasons: Vec<Vec<Cell>> = sales
        .rejection_reasons
        .iter()
        .map(|r| vec![r.reason.clone().into(), Cell::count(r.leads)])
        .collect();
    respond(
        &viewer,
        query.csv.as_deref(),
        Content {
            title: "Marketing ↔ sales SLA",
            path: "/reports/handover",
            selection: vec![("quarter", report.quarter.clone())],
            notes: vec![format!(
                "{}: marketing's lead forecasts in force at the cut-off against the MQLs that \
                 arrived; sales' first answer to each lead handed to qualification, hunting or \
                 farming against its first-touch due time.",
                report.quarter
            )],
            charts: vec![delivery_chart],
            tables: vec![
                (
                    "mql-delivery",
                    "Marketing: MQLs against forecast".into(),
                    heads(&delivery_head),
                    delivery_rows,
                ),
                (
                    "sales-response",
                    "Sales: leads accepted or rejected within the SLA".into(),
                    heads(&response_head),
                    response_rows,
                ),
                (
                    "rejection-reasons",
                    "Why sales rejected leads".into(),
                    heads(&["Reason", "Leads"]),
                    reasons,
                ),
            ],
        },
    )
}

async fn lead_quality(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let period = match query.period(today) {
        Ok(period) => period,
        Err(problem) => {
            return unreadable(
                &viewer,
                "/reports/lead-quality",
                &query,
                &["from", "to"],
                problem,
            );
        }
    };
    let report = match state.db.lead_quality_report(period).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let currency = report.currency.clone();
    let row = |r: &QualityRow| {
        vec![
            if r.name.is_empty() {
                "(none)".into()
            } else {
                r.name.clone().into()
            },
            Cell::count(r.leads),
            Cell::count(r.mqls),
            Cell::count(r.accepted),
            Cell::share(r.acceptance_rate),
            Cell::count(r.customers),
            Cell::share(r.conversion),
            Cell::amount(Some(r.won_revenue_minor), &currency),
            Cell::amount(r.cost_minor, &currency),
            Cell::amount(r.cost_per_lead_minor, &currency),
            Cell::number(r.return_on_cost, ratio),
        ]
    };
    let head = |first: &'static str| {
        vec![
            first,
            "Leads",
            "MQLs",
            "Accepted by sales",
            "Acceptance",
            "Customers",
            "Conversion to customer",
            "Revenue won",
            "Cost",
            "Cost per lead",
            "Return on cost",
        ]
    };
    let priced_head = |first| {
        priced(
            &head(first),
            &["Revenue won", "Cost", "Cost per lead"],
            &currency,
        )
    };
    let source_rows: Vec<Vec<Cell>> = report.by_source.iter().map(row).collect();
    let campaign_rows: Vec<Vec<Cell>> = report.by_campaign.iter().map(row).collect();
    let conversion = chart(
        "source-conversion",
        "Conversion to customer by source".into(),
        report
            .by_source
            .iter()
            .map(|r| Figure {
                label: if r.name.is_empty() {
                    "(none)".into()
                } else {
                    r.name.clone()
                },
                // Tenths of a percent.
                value: r.conversion.map_or(0, |c| (c * 1000.0).round() as i64),
                mark: None,
                shown: percent(r.conversion),
            })
            .collect(),
        head("Source"),
        shown(&source_rows),
    );
    respond(
        &viewer,
        query.csv.as_deref(),
        Content {
            title: "Lead quality",
            path: "/reports/lead-quality",
            selection: period_selection(&period),
            notes: vec![format!(
                "Leads that arrived from {} to {}; revenue their deals have won so far, in {}; \
                 a campaign's cost spread evenly over the days it runs, and shared by the \
                 sources of its leads in proportion to their leads.",
                period.from, period.to, report.currency
            )],
            charts: vec![conversion],
            tables: vec![
                (
                    "by-source",
                    "By source".into(),
                    priced_head("Source"),
                    source_rows,
                ),
                (
                    "by-campaign",
                    "By campaign".into(),
                    priced_head("Campaign"),
                    campaign_rows,
                ),
            ],
        },
    )
}

async fn revenue(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let quarter = match query.quarter(today) {
        Ok(quarter) => quarter,
        Err(problem) => {
            return unreadable(&viewer, "/reports/revenue", &query, &["quarter"], problem);
        }
    };
    let report = match state.db.revenue_plan_report(quarter).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let currency = report.currency.clone();
    let amount =
        |minor: Option<i64>| minor.map_or_else(|| "—".to_string(), |m| money(m, &currency));
    let head = |first: &'static str| vec![first, "Forecast", "Won", "Attainment"];
    let priced_head = |first| priced(&head(first), &["Forecast", "Won"], &currency);
    let rows = |plan: &[baton_db::reports::PlanRow]| -> Vec<Vec<Cell>> {
        plan.iter()
            .map(|p| {
                vec![
                    p.key.clone().into(),
                    Cell::amount(p.forecast_minor, &currency),
                    Cell::amount(Some(p.won_minor), &currency),
                    Cell::share(p.attainment),
                ]
            })
            .collect()
    };
    let figures = |plan: &[baton_db::reports::PlanRow]| -> Vec<Figure> {
        plan.iter()
            .map(|p| Figure {
                label: p.key.clone(),
                value: p.won_minor,
                mark: p.forecast_minor,
                shown: format!(
                    "{} of {}",
                    amount(Some(p.won_minor)),
                    amount(p.forecast_minor)
                ),
            })
            .collect()
    };
    let (quarter_rows, month_rows) = (rows(&report.quarters), rows(&report.months));
    let by_quarter = chart(
        "revenue-quarters",
        format!("Revenue won (bars) against forecast (marks) by quarter, {currency}"),
        figures(&report.quarters),
        head("Quarter"),
        shown(&quarter_rows),
    );
    let by_month = chart(
        "revenue-months",
        format!("Revenue won (bars) against forecast (marks) by month, {currency}"),
        figures(&report.months),
        head("Month"),
        shown(&month_rows),
    );
    respond(
        &viewer,
        query.csv.as_deref(),
        Content {
            title: "Revenue against forecast",
            path: "/reports/revenue",
            selection: vec![("quarter", report.quarter.clone())],
            notes: std::iter::once(
                "Forecast: commit and best case of the versions in force at each quarter's \
                 cut-off; a month's forecast is its quarter's spread evenly over its months."
                    .to_string(),
            )
            .chain(report.in_progress_note())
            .collect(),
            charts: vec![by_quarter, by_month],
            tables: vec![
                (
                    "by-quarter",
                    "By quarter".into(),
                    priced_head("Quarter"),
                    quarter_rows,
                ),
                (
                    "by-month",
                    "By month".into(),
                    priced_head("Month"),
                    month_rows,
                ),
            ],
        },
    )
}

async fn activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let period = match query.period(today) {
        Ok(period) => period,
        Err(problem) => {
            return unreadable(
                &viewer,
                "/reports/activity",
                &query,
                &["from", "to"],
                problem,
            );
        }
    };
    let report = match state.db.activity_report(period).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let currency = report.currency.clone();
    let head = vec![
        "Person",
        "Team",
        "Activities",
        "Deals won",
        "Revenue won",
        "Opportunities opened",
        "Revenue per activity",
        "Busy without results",
    ];
    let rows: Vec<Vec<Cell>> = report
        .rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone().into(),
                r.team.clone().into(),
                Cell::count(r.activities),
                Cell::count(r.won_deals),
                Cell::amount(Some(r.won_revenue_minor), &currency),
                Cell::count(r.opportunities_created),
                Cell::amount(r.revenue_per_activity_minor, &currency),
                if r.busy_without_results { "yes" } else { "" }.into(),
            ]
        })
        .collect();
    let plot = scatter(
        "activity-revenue",
        format!("Activities against revenue won per person, {currency}"),
        ("Activities".into(), "Revenue won".into()),
        report
            .rows
            .iter()
            .map(|r| Dot {
                label: r.name.clone(),
                x: r.activities,
                y: r.won_revenue_minor,
                shown: format!(
                    "{} activities, {} won",
                    r.activities,
                    money(r.won_revenue_minor, &currency)
                ),
            })
            .collect(),
        head.clone(),
        shown(&rows),
    );
    respond(
        &viewer,
        query.csv.as_deref(),
        Content {
            title: "Activity against revenue",
            path: "/reports/activity",
            selection: period_selection(&period),
            notes: vec![format!(
                "{} to {}: busy without results = activities at least {}× the median of their \
                 peers (same role, same team) and revenue at most {}× theirs.",
                period.from, period.to, report.busy_activity_ratio, report.busy_revenue_ratio
            )],
            charts: vec![plot],
            tables: vec![(
                "people",
                "Per person".into(),
                priced(&head, &["Revenue won", "Revenue per activity"], &currency),
                rows,
            )],
        },
    )
}

async fn forecast_accuracy(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ReportQuery>,
) -> Response {
    let today = match today(&state, &viewer).await {
        Ok(today) => today,
        Err(page) => return page,
    };
    let chosen = query.quarter(today).and_then(|quarter| {
        let group = match query.group.as_deref().map(str::trim) {
            None | Some("") => AccuracyGroup::Person,
            Some(text) => text
                .parse::<AccuracyGroup>()
                .map_err(|e| ("group", e.to_string()))?,
        };
        Ok((quarter, group))
    });
    let (quarter, group) = match chosen {
        Ok(chosen) => chosen,
        Err(problem) => {
            return unreadable(
                &viewer,
                "/reports/forecast-accuracy",
                &query,
                &["quarter", "group"],
                problem,
            );
        }
    };
    let report = match state.db.forecast_accuracy(quarter, group).await {
        Ok(report) => report,
        Err(e) => return failure(Some(&viewer), e),
    };
    let currency = report.currency.clone();
    // Revenue in major units and leads as counts in the CSV; the kind
    // column says which a row holds.
    let amount = |kind: baton_core::domain::ForecastKind, value: i64| match kind {
        baton_core::domain::ForecastKind::Revenue => Cell::amount(Some(value), &currency),
        baton_core::domain::ForecastKind::Leads => Cell {
            shown: format!("{value} MQLs"),
            plain: value.to_string(),
        },
    };
    let mut head = heads(&[
        "Name", "Kind", "Forecast", "Actual", "Error", "Accuracy", "Bias",
    ]);
    head.extend(report.quarters.iter().map(|q| format!("Accuracy {q}")));
    head.extend(heads(&["Trend accuracy", "Trend bias", "Smoke"]));
    let rows: Vec<Vec<Cell>> = report
        .rows
        .iter()
        .chain(&report.totals)
        .map(|r| {
            let mut cells = vec![
                r.name.clone().into(),
                r.kind.to_string().into(),
                if r.forecast_ids.is_empty() {
                    Cell {
                        shown: "none".into(),
                        plain: String::new(),
                    }
                } else {
                    amount(r.kind, r.judged.forecast)
                },
                amount(r.kind, r.judged.actual),
                amount(r.kind, r.judged.error),
                Cell::share(Some(r.judged.accuracy)),
                Cell::number(r.judged.bias, ratio),
            ];
            cells.extend(
                r.trend
                    .iter()
                    .map(|p| Cell::share(p.accuracy.map(|a| a.accuracy))),
            );
            cells.extend([
                Cell::share(r.trend_accuracy),
                Cell::number(r.trend_bias, ratio),
                if r.smoke { "SMOKE" } else { "" }.into(),
            ]);
            cells
        })
        .collect();
    let accuracy_chart = chart(
        "accuracy",
        format!("Forecast accuracy in {}", report.quarter),
        report
            .rows
            .iter()
            .filter(|r| !r.forecast_ids.is_empty())
            .map(|r| Figure {
                label: format!("{} ({})", r.name, r.kind),
                value: (r.judged.accuracy * 1000.0).round() as i64,
                mark: None,
                shown: format!(
                    "{}{}",
                    percent(Some(r.judged.accuracy)),
                    if r.smoke { ", smoke" } else { "" }
                ),
            })
            .collect(),
        vec!["Name", "Kind", "Accuracy"],
        report
            .rows
            .iter()
            .filter(|r| !r.forecast_ids.is_empty())
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.kind.to_string(),
                    percent(Some(r.judged.accuracy)),
                ]
            })
            .collect(),
    );
    let leaderboard: Vec<Vec<Cell>> = report
        .leaderboard
        .iter()
        .map(|e| {
            vec![
                e.kind.to_string().into(),
                e.rank.to_string().into(),
                e.name.clone().into(),
                Cell::share(Some(e.trend_accuracy)),
                e.quarters.to_string().into(),
            ]
        })
        .collect();
    let content = Content {
        title: "Forecast accuracy",
        path: "/reports/forecast-accuracy",
        selection: vec![
            ("quarter", report.quarter.clone()),
            ("group", report.group.as_str().to_string()),
        ],
        notes: std::iter::once(format!(
            "{}: revenue judged on commit and best case against revenue won, leads on MQLs; \
             the versions in force at the cut-off; smoke = too high by more than {:.0}% two \
             quarters running.",
            report.quarter,
            report.smoke_tolerance * 100.0
        ))
        .chain(report.in_progress_note())
        .collect(),
        charts: vec![accuracy_chart],
        tables: vec![
            ("accuracy", "Forecast against actual".into(), head, rows),
            (
                "leaderboard",
                "Leaderboard".into(),
                heads(&["Kind", "Rank", "Name", "Trend accuracy", "Quarters"]),
                leaderboard,
            ),
        ],
    };
    respond(&viewer, query.csv.as_deref(), content)
}
