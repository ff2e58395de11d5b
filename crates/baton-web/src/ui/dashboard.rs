//! The dashboard for owners and managers: revenue won this quarter and by
//! month, and the lead funnel with its conversions. Each chart is an SVG
//! drawn here, with a title and description for screen readers and its
//! figures in a table.

use super::{Chrome, Viewer, failure, message, money, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use baton_core::calendar::Quarter;
use baton_core::domain::Role;
use baton_db::reports::{RevenueBy, RevenueRow};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(page))
}

/// Roles that see the dashboard.
pub const READERS: &[Role] = &[Role::Owner, Role::Manager];

/// Width of the bar labels, of the longest bar and of one row, in SVG units.
const LABEL_WIDTH: i64 = 110;
const BAR_SPACE: i64 = 330;
const ROW_HEIGHT: i64 = 28;

struct Bar {
    label: String,
    shown: String,
    y: i64,
    width: i64,
}

/// A horizontal bar chart and the table of its figures.
struct Chart {
    id: &'static str,
    title: String,
    description: String,
    height: i64,
    bars: Vec<Bar>,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// One bar of a chart: its label, its length and the figure written beside it.
struct Figure {
    label: String,
    value: i64,
    shown: String,
}

fn chart(
    id: &'static str,
    title: String,
    figures: Vec<Figure>,
    head: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> Chart {
    let largest = figures.iter().map(|f| f.value).max().unwrap_or(0).max(1);
    let description = figures
        .iter()
        .map(|f| format!("{}: {}", f.label, f.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let bars = figures
        .into_iter()
        .zip(0..)
        .map(|(figure, row)| Bar {
            width: figure.value.max(0) * BAR_SPACE / largest,
            label: figure.label,
            shown: figure.shown,
            y: row * ROW_HEIGHT,
        })
        .collect::<Vec<_>>();
    Chart {
        id,
        title,
        description,
        height: bars.len() as i64 * ROW_HEIGHT + 4,
        bars,
        head,
        rows,
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    title: String,
    chrome: Option<Chrome>,
    quarter: String,
    quarter_revenue: String,
    quarter_deals: i64,
    charts: Vec<Chart>,
    label_width: i64,
}

/// The last twelve months up to this one, oldest first, as `YYYY-MM` keys
/// with their labels.
fn last_twelve_months(today: jiff::civil::Date) -> Vec<(String, String)> {
    let this_month = today.first_of_month();
    (0..12)
        .rev()
        .filter_map(|back| this_month.checked_sub(jiff::Span::new().months(back)).ok())
        .map(|month| {
            (
                month.strftime("%Y-%m").to_string(),
                month.strftime("%b %Y").to_string(),
            )
        })
        .collect()
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !READERS.contains(&viewer.role()) {
        return message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Not for your role",
            format!(
                "A {} does not see the dashboard; owners and managers do.",
                viewer.role()
            ),
        );
    }
    let figures = async {
        Ok::<_, baton_db::DbError>((
            state.db.revenue_report(RevenueBy::Quarter).await?,
            state.db.revenue_report(RevenueBy::Month).await?,
            state.db.funnel().await?,
        ))
    };
    let (by_quarter, by_month, funnel) = match figures.await {
        Ok(figures) => figures,
        Err(e) => return failure(Some(&viewer), e),
    };
    // Close days are UTC calendar days, so today is too.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let quarter = Quarter::containing(today).to_string();
    let currency = by_month.currency.clone();
    let row_for = |rows: &[RevenueRow], key: &str| rows.iter().find(|r| r.key == key).cloned();
    let this_quarter = row_for(&by_quarter.rows, &quarter);

    let months: Vec<(String, String, i64, i64)> = last_twelve_months(today)
        .into_iter()
        .map(|(key, label)| {
            let row = row_for(&by_month.rows, &key);
            let (deals, revenue) = row.map_or((0, 0), |r| (r.won_deals, r.won_revenue_minor));
            (key, label, deals, revenue)
        })
        .collect();
    let revenue = chart(
        "revenue",
        format!("Revenue won per month, {currency}"),
        months
            .iter()
            .map(|(_, label, _, minor)| Figure {
                label: label.clone(),
                value: *minor,
                shown: money(*minor, &currency),
            })
            .collect(),
        vec!["Month", "Deals won", "Revenue won"],
        months
            .iter()
            .map(|(_, label, deals, minor)| {
                vec![label.clone(), deals.to_string(), money(*minor, &currency)]
            })
            .collect(),
    );

    let percent =
        |share: Option<f64>| share.map_or("—".to_string(), |s| format!("{:.0}%", s * 100.0));
    let funnel_chart = chart(
        "funnel",
        "Leads that reached each stage".to_string(),
        funnel
            .iter()
            .map(|step| Figure {
                label: step.stage.to_string(),
                value: step.leads,
                shown: format!("{} ({})", step.leads, percent(step.conversion)),
            })
            .collect(),
        vec!["Stage", "Leads", "Conversion from the stage before"],
        funnel
            .iter()
            .map(|step| {
                vec![
                    step.stage.to_string(),
                    step.leads.to_string(),
                    percent(step.conversion),
                ]
            })
            .collect(),
    );

    render(
        StatusCode::OK,
        &DashboardPage {
            title: "Dashboard".into(),
            chrome: Some(Chrome::for_viewer(&viewer)),
            quarter_revenue: money(
                this_quarter.as_ref().map_or(0, |r| r.won_revenue_minor),
                &currency,
            ),
            quarter_deals: this_quarter.map_or(0, |r| r.won_deals),
            quarter,
            charts: vec![revenue, funnel_chart],
            label_width: LABEL_WIDTH,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_end_with_this_one_across_a_new_year() {
        let months = last_twelve_months(jiff::civil::date(2026, 2, 17));
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], ("2025-03".to_string(), "Mar 2025".to_string()));
        assert_eq!(months[11], ("2026-02".to_string(), "Feb 2026".to_string()));
    }

    #[test]
    fn bars_are_as_long_as_their_share_of_the_largest() {
        let figure = |value: i64| Figure {
            label: value.to_string(),
            value,
            shown: value.to_string(),
        };
        let drawn = chart(
            "c",
            "t".into(),
            vec![figure(10), figure(5), figure(0)],
            vec![],
            vec![],
        );
        let widths: Vec<i64> = drawn.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [BAR_SPACE, BAR_SPACE / 2, 0]);
        assert_eq!(drawn.description, "10: 10; 5: 5; 0: 0");
    }
}
