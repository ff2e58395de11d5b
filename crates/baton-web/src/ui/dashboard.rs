//! The dashboard for owners and managers: revenue won this quarter and by
//! month, the lead funnel with its conversions, each queue's load and
//! first-touch compliance, and the inquiries of the last twelve months by
//! intent and by source. Each chart is an SVG
//! drawn here, with a title and description for screen readers and its
//! figures in a table.

use super::charts::{Chart, Figure, LABEL_WIDTH, chart};
use super::{Chrome, Viewer, failure, money, not_for_your_role, percent, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use baton_core::calendar::Quarter;
use baton_core::domain::Role;
use baton_db::dashboard::{MixRow, QueueLoad};
use baton_db::reports::{RevenueBy, RevenueRow};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(page))
}

/// Roles that see the dashboard.
pub const READERS: &[Role] = &[Role::Owner, Role::Manager];

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    title: String,
    chrome: Option<Chrome>,
    quarter: String,
    quarter_revenue: String,
    quarter_deals: i64,
    charts: Vec<Chart>,
    queues: Vec<Chart>,
    inquiries: Vec<Chart>,
    label_width: i64,
}

impl DashboardPage {
    fn won_this_quarter(&self) -> String {
        super::counted(self.quarter_deals, "deal", "deals")
    }
}

/// Each queue's open items as bars, with what waits, what is late and the
/// first touches in time in the table.
fn queue_chart(queues: &[QueueLoad]) -> Chart {
    chart(
        "queues",
        "Open work items per queue".to_string(),
        queues
            .iter()
            .map(|q| Figure {
                label: q.name.clone(),
                value: q.open,
                mark: None,
                // Short enough to stay inside the chart beside the longest
                // bar; overdue items and compliance are in the table.
                shown: format!("{} open", q.open),
            })
            .collect(),
        vec![
            "Queue",
            "Open",
            "Waiting unassigned",
            "Overdue (first touch or resolution)",
            "Touched in time, last 30 days",
        ],
        queues
            .iter()
            .map(|q| {
                vec![
                    q.name.clone(),
                    q.open.to_string(),
                    q.waiting.to_string(),
                    q.overdue.to_string(),
                    format!("{} of {}", percent(q.compliance()), q.judged),
                ]
            })
            .collect(),
    )
}

/// The inquiries of one dimension (intent or source): their totals as bars
/// and every month's count in the table. `none` names the inquiries
/// without a value.
fn mix_chart(
    (id, title): (&'static str, String),
    (dimension, none): (&'static str, &str),
    rows: &[MixRow],
    month_labels: &[String],
) -> Chart {
    let name = |row: &MixRow| row.key.clone().unwrap_or_else(|| none.to_string());
    chart(
        id,
        title,
        rows.iter()
            .map(|row| Figure {
                label: name(row),
                value: row.total(),
                mark: None,
                shown: row.total().to_string(),
            })
            .collect(),
        vec!["Month", dimension, "Inquiries"],
        month_labels
            .iter()
            .enumerate()
            .flat_map(|(month, label)| {
                rows.iter().filter_map(move |row| {
                    let count = row.months.get(month).copied().unwrap_or(0);
                    (count > 0).then(|| vec![label.clone(), name(row), count.to_string()])
                })
            })
            .collect(),
    )
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
        return not_for_your_role(&viewer, "see the dashboard; owners and managers do");
    }
    let figures = async {
        Ok::<_, baton_db::DbError>((
            state.db.revenue_report(RevenueBy::Quarter).await?,
            state.db.revenue_report(RevenueBy::Month).await?,
            state.db.funnel().await?,
            state.db.queue_load(baton_db::now_ms()).await?,
            state.db.today().await?,
        ))
    };
    let (by_quarter, by_month, funnel, queues, org_today) = match figures.await {
        Ok(figures) => figures,
        Err(e) => return failure(Some(&viewer), e),
    };
    // Close days and inquiries are counted by the organisation's days.
    let mix = match state.db.inquiry_mix(org_today, 12).await {
        Ok(mix) => mix,
        Err(e) => return failure(Some(&viewer), e),
    };
    let month_labels: Vec<String> = mix
        .months
        .iter()
        .map(|key| {
            jiff::civil::Date::strptime("%Y-%m-%d", format!("{key}-01"))
                .map_or_else(|_| key.clone(), |month| month.strftime("%b %Y").to_string())
        })
        .collect();
    let today = org_today;
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
                mark: None,
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

    let funnel_chart = chart(
        "funnel",
        "Leads that reached each stage".to_string(),
        funnel
            .iter()
            .map(|step| Figure {
                label: step.stage.to_string(),
                value: step.leads,
                mark: None,
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
            queues: vec![queue_chart(&queues)],
            inquiries: vec![
                mix_chart(
                    ("intents", "Inquiries by intent, last 12 months".to_string()),
                    ("Intent", "undecided"),
                    &mix.by_intent,
                    &month_labels,
                ),
                mix_chart(
                    ("sources", "Inquiries by source, last 12 months".to_string()),
                    ("Source", "none recorded"),
                    &mix.by_source,
                    &month_labels,
                ),
            ],
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
}
