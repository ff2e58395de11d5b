//! Forecasts in the browser: the versions a person submitted (everyone's
//! for owners and managers), a new version from a form that starts from
//! the last one of its kind and quarter, and one version's lines against
//! what the data shows, as the accountability reports judge them.

use super::session::csrf_refused;
use super::{Chrome, Viewer, failure, message, money, render};
use crate::AppState;
use crate::api::forecasts::forecastable;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use baton_core::accountability::Accuracy;
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastCategory, ForecastKind, OpportunityStage, Role};
use baton_core::inquiry::FieldError;
use baton_core::money::Decimal;
use baton_db::forecasts::{Forecast, ForecastFilter, NewForecast, NewForecastLine};
use baton_db::opportunities::OpportunityFilter;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/forecasts", get(list).post(submit))
        .route("/forecasts/{id}", get(version))
}

/// Who the navigation offers forecasts to: everyone who submits them.
pub const LINKED: &[Role] = &[
    Role::Owner,
    Role::Manager,
    Role::Hunter,
    Role::Farmer,
    Role::Marketer,
];

/// Versions shown on a page; older ones follow a link.
const SHOWN: i64 = 50;

/// Line rows a form offers: those of the last version, then empty ones up
/// to this many.
const LINE_ROWS: usize = 8;

/// The columns of a line row, as named in the form (`amount_3`).
const COLUMNS: [&str; 8] = [
    "description",
    "deal",
    "account",
    "category",
    "campaign",
    "channel",
    "leads",
    "mqls",
];

/// One line row as typed, with its problems by column.
#[derive(Default, Clone)]
struct Row {
    typed: HashMap<&'static str, String>,
    amount: String,
    errors: HashMap<&'static str, String>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.typed.get(column).map_or("", String::as_str)
    }

    fn error(&self, column: &str) -> &str {
        self.errors.get(column).map_or("", String::as_str)
    }

    fn is_empty(&self) -> bool {
        self.amount.trim().is_empty() && self.typed.values().all(|v| v.trim().is_empty())
    }

    /// A row filled in with a stored line.
    fn of(line: &baton_db::forecasts::ForecastLine) -> Row {
        let text = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let typed = HashMap::from([
            ("description", line.description.clone()),
            ("deal", text(line.opportunity_id)),
            ("account", text(line.account_id)),
            (
                "category",
                line.category
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
            ),
            ("campaign", text(line.campaign_id)),
            ("channel", line.channel.clone().unwrap_or_default()),
            ("leads", text(line.leads)),
            ("mqls", text(line.mqls)),
        ]);
        Row {
            typed,
            amount: line.amount.clone(),
            errors: HashMap::new(),
        }
    }

    /// The line this row submits, or the problems of its fields that do
    /// not read.
    fn line(&self) -> Result<NewForecastLine, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let mut id = |column: &'static str| match self.get(column).trim() {
            "" => None,
            text => text.parse::<i64>().map(Some).unwrap_or_else(|_| {
                problems.push((column, format!("`{text}` is not a whole number")));
                None
            }),
        };
        let (opportunity_id, account_id, campaign_id) = (id("deal"), id("account"), id("campaign"));
        let (leads, mqls) = (id("leads"), id("mqls"));
        let category = match self.get("category").trim() {
            "" => None,
            text => text
                .parse::<ForecastCategory>()
                .map(Some)
                .unwrap_or_else(|e| {
                    problems.push(("category", e.to_string()));
                    None
                }),
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let channel = Some(self.get("channel").trim().to_string()).filter(|c| !c.is_empty());
        Ok(NewForecastLine {
            description: self.get("description").to_string(),
            opportunity_id,
            account_id,
            campaign_id,
            channel,
            category,
            amount: Decimal(self.amount.trim().to_string()),
            // The organisation's; a page line has no other.
            currency: None,
            leads,
            mqls,
        })
    }
}

/// A version as listed.
struct Listed {
    id: i64,
    person: String,
    kind: ForecastKind,
    quarter: String,
    version: i64,
    submitted: String,
    lines: usize,
    totals: String,
}

#[derive(Template)]
#[template(path = "forecasts.html")]
struct ForecastsPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    versions: Vec<Listed>,
    /// The link to older versions, when there are more.
    older: Option<String>,
    /// The kinds the viewer submits; empty when none.
    kinds: Vec<ForecastKind>,
    kind: ForecastKind,
    quarters: Vec<String>,
    quarter: String,
    note: String,
    rows: Vec<Row>,
    /// The deals a revenue line may name: (id, name).
    deals: Vec<(i64, String)>,
    /// The campaigns a lead line may name: (id, name).
    campaigns: Vec<(i64, String)>,
    categories: Vec<String>,
    /// Problems of the form as a whole (quarter, note, lines).
    problems: Vec<String>,
    /// The version the form starts from, when there is one.
    from_version: Option<i64>,
}

impl ForecastsPage {
    fn revenue(&self) -> bool {
        self.kind == ForecastKind::Revenue
    }
}

/// The kinds of forecast the viewer submits.
fn kinds_of(viewer: &Viewer) -> Vec<ForecastKind> {
    ForecastKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.submitters().contains(&viewer.role()))
        .collect()
}

/// The form's choice: which kind and quarter it shows, and from where.
#[derive(Deserialize, Default)]
struct Choice {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    quarter: String,
    /// Show versions older than this one.
    #[serde(default)]
    before: String,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(choice): Query<Choice>,
) -> Response {
    show(&state, &viewer, &choice, None).await
}

/// A submission that was refused: what was typed and why.
struct Refused {
    note: String,
    rows: Vec<Row>,
    problems: Vec<String>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    choice: &Choice,
    refused: Option<Refused>,
) -> Response {
    if !LINKED.contains(&viewer.role()) {
        return super::not_for_your_role(viewer, "forecast; sellers, marketers and managers do");
    }
    let built = async {
        let kinds = kinds_of(viewer);
        let kind = choice
            .kind
            .parse()
            .ok()
            .filter(|k| kinds.contains(k))
            .or_else(|| kinds.first().copied())
            .unwrap_or(ForecastKind::Revenue);
        let today = state.db.today().await?;
        let current = Quarter::containing(today);
        let quarters: Vec<Quarter> = std::iter::successors(Some(current), |q| Some(q.next()))
            .take(9)
            .collect();
        let quarter = Quarter::parse(&choice.quarter)
            .ok()
            .filter(|q| quarters.contains(q))
            .unwrap_or(current);
        let before = choice.before.trim().parse::<i64>().unwrap_or(0);
        let everyone = ForecastFilter {
            user_id: viewer.limited_to(),
            ..Default::default()
        };
        let (forecasts, people) = tokio::try_join!(
            state.db.forecasts(&everyone, before, SHOWN),
            state.db.users()
        )?;
        let name_of = |id: i64| {
            people
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| format!("user {id}"), |p| p.name.clone())
        };
        let older = (forecasts.len() as i64 == SHOWN)
            .then(|| {
                forecasts
                    .last()
                    .map(|f| format!("/forecasts?before={}", f.id))
            })
            .flatten();
        let versions = forecasts
            .iter()
            .map(|f| Listed {
                id: f.id,
                person: name_of(f.user_id),
                kind: f.kind,
                quarter: f.quarter.clone(),
                version: f.version,
                submitted: viewer.when(f.submitted_at),
                lines: f.lines.len(),
                totals: totals(f),
            })
            .collect();
        // The form starts from the viewer's last version of this kind and quarter.
        let mine = ForecastFilter {
            user_id: Some(viewer.id()),
            quarter: Some(quarter),
            kind: Some(kind),
        };
        let last = state.db.forecasts(&mine, 0, 1).await?.pop();
        let (note, mut rows, problems) = match refused {
            Some(refused) => (refused.note, refused.rows, refused.problems),
            None => match &last {
                Some(last) => (
                    last.note.clone().unwrap_or_default(),
                    last.lines.iter().map(Row::of).collect(),
                    Vec::new(),
                ),
                None => (String::new(), Vec::new(), Vec::new()),
            },
        };
        if rows.len() < LINE_ROWS {
            rows.resize(LINE_ROWS, Row::default());
        }
        let open_deals = OpportunityFilter {
            owner_id: viewer.limited_to(),
            ..Default::default()
        };
        let mut deals: Vec<(i64, String)> = state
            .db
            .opportunities(&open_deals, 0, 500)
            .await?
            .into_iter()
            .filter(|d| !d.stage.is_closed() || d.stage == OpportunityStage::Won)
            .map(|d| (d.id, format!("{} ({})", d.name, d.stage)))
            .collect();
        // A deal the last version named stays a choice, lost or handed on
        // since: sending the form again unchanged keeps every line's link.
        for row in &rows {
            if let Ok(id) = row.get("deal").parse::<i64>()
                && !deals.iter().any(|(known, _)| *known == id)
            {
                deals.push((id, format!("deal {id}, named before")));
            }
        }
        let campaigns = state
            .db
            .campaigns(None, 0, 500)
            .await?
            .into_iter()
            .map(|c| (c.id, format!("{} ({})", c.name, c.channel)))
            .collect();
        Ok::<_, baton_db::DbError>(ForecastsPage {
            title: "Forecasts".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            versions,
            older,
            kinds,
            kind,
            quarters: quarters.iter().map(Quarter::to_string).collect(),
            quarter: quarter.to_string(),
            note,
            rows,
            deals,
            campaigns,
            categories: [
                ForecastCategory::Commit,
                ForecastCategory::BestCase,
                ForecastCategory::Pipeline,
            ]
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
            problems,
            from_version: last.map(|l| l.version),
        })
    };
    match built.await {
        Ok(page) => {
            let status =
                if page.problems.is_empty() && page.rows.iter().all(|r| r.errors.is_empty()) {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
            render(status, &page)
        }
        Err(e) => failure(Some(viewer), e),
    }
}

/// A version's totals in words: each currency's amount, and leads and MQLs
/// for lead forecasts.
fn totals(forecast: &Forecast) -> String {
    let mut parts: Vec<String> = forecast
        .totals
        .amounts
        .iter()
        .map(|m| money(m.amount_minor, &m.currency))
        .collect();
    if forecast.kind == ForecastKind::Leads {
        parts.push(format!(
            "{} leads, {} MQLs",
            forecast.totals.leads, forecast.totals.mqls
        ));
    }
    parts.join(" · ")
}

/// Submits a new version of the viewer's own forecast.
async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !viewer.csrf_in(&fields) {
        return csrf_refused();
    }
    let value = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    let choice = Choice {
        kind: value("kind"),
        quarter: value("quarter"),
        before: String::new(),
    };
    let Some(kind) = choice
        .kind
        .parse::<ForecastKind>()
        .ok()
        .filter(|k| kinds_of(&viewer).contains(k))
    else {
        return super::not_for_your_role(&viewer, "submit this kind of forecast");
    };
    let mut rows: Vec<Row> = (0..LINE_ROWS.max(count_rows(&fields)))
        .map(|i| {
            let cell = |column: &str| value(&format!("{column}_{i}"));
            Row {
                typed: COLUMNS.iter().map(|c| (*c, cell(c))).collect(),
                amount: cell("amount"),
                errors: HashMap::new(),
            }
        })
        .collect();
    let note = value("note");
    let refuse = |rows: Vec<Row>, problems: Vec<String>| Refused {
        note: note.clone(),
        rows,
        problems,
    };
    let today = match state.db.today().await {
        Ok(today) => today,
        Err(e) => return failure(Some(&viewer), e),
    };
    let quarter = Quarter::parse(&choice.quarter)
        .map_err(|e| e.to_string())
        .and_then(|q| forecastable(q, today));
    // Rows left empty are not lines; the others keep their place on the page.
    let filled: Vec<usize> = (0..rows.len()).filter(|i| !rows[*i].is_empty()).collect();
    let mut lines = Vec::with_capacity(filled.len());
    let mut unread = false;
    for &at in &filled {
        match rows[at].line() {
            Ok(line) => lines.push(line),
            Err(problems) => {
                unread = true;
                rows[at].errors.extend(problems);
            }
        }
    }
    // The quarter's problem and the lines' are shown together.
    let quarter = match quarter {
        Ok(quarter) if !unread => quarter,
        quarter => {
            let problems = quarter.err().into_iter().collect();
            return show(&state, &viewer, &choice, Some(refuse(rows, problems))).await;
        }
    };
    let submitted = state
        .db
        .submit_forecast(&NewForecast {
            user_id: viewer.id(),
            submitted_by: viewer.id(),
            kind,
            quarter,
            note: Some(note.clone()).filter(|n| !n.trim().is_empty()),
            lines,
        })
        .await;
    match submitted {
        Ok(forecast) => Redirect::to(&format!("/forecasts/{}", forecast.id)).into_response(),
        Err(e) => match e.field_problems() {
            Ok(problems) => {
                let mut whole = Vec::new();
                for FieldError { field, problem } in problems {
                    match line_field(&field) {
                        Some((index, column)) if index < filled.len() => {
                            // Two problems of one column (a deal and its
                            // account) are shown together.
                            rows[filled[index]]
                                .errors
                                .entry(column)
                                .and_modify(|earlier| {
                                    earlier.push_str("; ");
                                    earlier.push_str(&problem);
                                })
                                .or_insert(problem);
                        }
                        _ => whole.push(format!("{field}: {problem}")),
                    }
                }
                show(&state, &viewer, &choice, Some(refuse(rows, whole))).await
            }
            Err(e) => failure(Some(&viewer), e),
        },
    }
}

/// How many line rows a form sent: one more than the highest row number.
fn count_rows(fields: &[(String, String)]) -> usize {
    fields
        .iter()
        .filter_map(|(key, _)| key.rsplit_once('_')?.1.parse::<usize>().ok())
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .min(200)
}

/// The line and column a refusal names, from `lines[2].opportunity_id`.
fn line_field(field: &str) -> Option<(usize, &'static str)> {
    let (index, name) = field.strip_prefix("lines[")?.split_once("].")?;
    let column = match name {
        "opportunity_id" | "account_id" => "deal",
        "campaign_id" => "campaign",
        "amount" | "currency" => "amount",
        other => COLUMNS.iter().find(|c| **c == other)?,
    };
    Some((index.parse().ok()?, column))
}

/// A line against its actual, as shown.
struct Judged {
    description: String,
    target: String,
    category: String,
    forecast: String,
    /// Each figure judged: what, forecast, actual, accuracy.
    figures: Vec<(&'static str, String, String, String)>,
}

/// A figure judged, in words: revenue and value as money in `currency`,
/// counts as they are.
fn judged(
    name: &'static str,
    accuracy: Accuracy,
    currency: &str,
) -> (&'static str, String, String, String) {
    let shown = |value: i64| match name {
        "revenue" | "value" => money(value, currency),
        _ => value.to_string(),
    };
    (
        name,
        shown(accuracy.forecast),
        shown(accuracy.actual),
        format!("{:.0}%", accuracy.accuracy * 100.0),
    )
}

#[derive(Template)]
#[template(path = "forecast.html")]
struct VersionPage {
    title: String,
    chrome: Option<Chrome>,
    forecast: Forecast,
    person: String,
    submitted: String,
    totals: String,
    lines: Vec<Judged>,
}

async fn version(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    let built = async {
        let forecast = state.db.forecast(id).await?;
        if viewer.limited_to().is_some_and(|me| me != forecast.user_id) {
            return Ok(None);
        }
        let (actuals, person, organisation) = tokio::try_join!(
            state.db.forecast_line_actuals(&forecast),
            state.db.user(forecast.user_id),
            state.db.organisation()
        )?;
        let lines = forecast
            .lines
            .iter()
            .map(|line| {
                let actual = actuals.iter().find(|a| a.line_id == line.id);
                let figures = actual
                    .map(|a| {
                        [
                            ("revenue", a.revenue),
                            ("leads", a.leads),
                            ("MQLs", a.mqls),
                            ("value", a.value),
                        ]
                        .into_iter()
                        .filter_map(|(name, figure)| {
                            figure.map(|f| judged(name, f, &organisation.currency))
                        })
                        .collect()
                    })
                    .unwrap_or_default();
                let target = match (
                    line.opportunity_id,
                    line.account_id,
                    line.campaign_id,
                    &line.channel,
                ) {
                    (Some(deal), ..) => format!("deal {deal}"),
                    (_, Some(account), ..) => format!("account {account}"),
                    (_, _, Some(campaign), _) => format!("campaign {campaign}"),
                    (_, _, _, Some(channel)) => format!("channel {channel}"),
                    _ => String::new(),
                };
                let mut forecast_text = money(line.amount_minor, &line.currency);
                if let (Some(leads), Some(mqls)) = (line.leads, line.mqls) {
                    forecast_text.push_str(&format!(" · {leads} leads, {mqls} MQLs"));
                }
                Judged {
                    description: line.description.clone(),
                    target,
                    category: line.category.map(|c| c.to_string()).unwrap_or_default(),
                    forecast: forecast_text,
                    figures,
                }
            })
            .collect();
        Ok(Some(VersionPage {
            title: format!(
                "{} forecast {}, version {}",
                forecast.kind, forecast.quarter, forecast.version
            ),
            chrome: Some(Chrome::for_viewer(&viewer)),
            person: person.name,
            submitted: viewer.when(forecast.submitted_at),
            totals: totals(&forecast),
            forecast,
            lines,
        }))
    };
    match built.await {
        Ok(Some(page)) => render(StatusCode::OK, &page),
        Ok(None) => message(
            StatusCode::FORBIDDEN,
            Some(&viewer),
            "Someone else's forecast",
            format!("Forecast {id} is someone else's; owners and managers read everyone's."),
        ),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::line_field;

    #[test]
    fn a_refusal_names_its_row_and_column() {
        assert_eq!(line_field("lines[2].amount"), Some((2, "amount")));
        assert_eq!(line_field("lines[0].opportunity_id"), Some((0, "deal")));
        assert_eq!(line_field("lines[1].campaign_id"), Some((1, "campaign")));
        assert_eq!(line_field("lines[1].mqls"), Some((1, "mqls")));
        assert_eq!(line_field("quarter"), None);
        assert_eq!(line_field("lines[x].amount"), None);
    }
}
