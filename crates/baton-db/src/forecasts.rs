//! Forecasts: each quarter, sales forecast revenue and marketing forecasts
//! leads. A submission is an immutable version; the next one for the same
//! person, kind and quarter gets the next number and never touches it.

use crate::checks::{MAX_TEXT, Table, amount, at_most, optional, required_name};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::now_ms;
use crate::sql::{Value, insert_rows, placeholders};
use crate::users::audit_in;
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastCategory, ForecastKind};
use baton_core::money::{Currency, Decimal, format_minor};
use baton_core::slug::parse_slug;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of a forecast: a deal or account for revenue, a campaign or
/// channel for leads.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastLine {
    pub id: i64,
    pub description: String,
    pub opportunity_id: Option<i64>,
    pub account_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub channel: Option<String>,
    /// Revenue lines: commit, best_case or pipeline (required); lead lines have none.
    pub category: Option<ForecastCategory>,
    pub amount_minor: i64,
    /// Major units, as decimal text.
    pub amount: String,
    pub currency: String,
    /// Lead lines: leads expected.
    pub leads: Option<i64>,
    /// Lead lines: marketing-qualified leads expected.
    pub mqls: Option<i64>,
}

/// An amount of money in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Money {
    pub currency: String,
    pub amount_minor: i64,
    /// Major units, as decimal text.
    pub amount: String,
}

/// The sums of a forecast's lines.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastTotals {
    /// One sum per currency.
    pub amounts: Vec<Money>,
    pub leads: i64,
    pub mqls: i64,
}

/// One submitted version of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    pub id: i64,
    /// Whose forecast it is.
    pub user_id: i64,
    pub kind: ForecastKind,
    /// Like `2026-Q3`.
    pub quarter: String,
    /// 1 for the first submission of this person, kind and quarter.
    pub version: i64,
    /// Who submitted it: the person, or their manager.
    pub submitted_by: i64,
    pub submitted_at: i64,
    pub note: Option<String>,
    pub lines: Vec<ForecastLine>,
    pub totals: ForecastTotals,
}

/// A line as submitted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewForecastLine {
    pub description: String,
    pub opportunity_id: Option<i64>,
    pub account_id: Option<i64>,
    pub campaign_id: Option<i64>,
    /// A marketing channel slug, like `webinar`.
    pub channel: Option<String>,
    /// Required on revenue lines, absent on lead lines: commit, best_case or pipeline.
    pub category: Option<ForecastCategory>,
    /// In major units: revenue expected, or the dollar value of the leads.
    pub amount: Decimal,
    /// The organisation's currency when absent.
    pub currency: Option<String>,
    /// Lead lines only.
    pub leads: Option<i64>,
    /// Lead lines only; at most `leads`.
    pub mqls: Option<i64>,
}

/// A forecast as submitted.
#[derive(Debug, Clone)]
pub struct NewForecast {
    pub user_id: i64,
    pub submitted_by: i64,
    pub kind: ForecastKind,
    pub quarter: Quarter,
    pub note: Option<String>,
    pub lines: Vec<NewForecastLine>,
}

/// Filters for listing forecasts; empty means any.
#[derive(Debug, Clone, Default)]
pub struct ForecastFilter {
    pub user_id: Option<i64>,
    pub quarter: Option<Quarter>,
    pub kind: Option<ForecastKind>,
}

/// A line checked and in minor units, ready to store.
struct CheckedLine {
    description: String,
    opportunity_id: Option<i64>,
    account_id: Option<i64>,
    campaign_id: Option<i64>,
    channel: Option<String>,
    category: Option<ForecastCategory>,
    amount_minor: i64,
    currency: Currency,
    leads: Option<i64>,
    mqls: Option<i64>,
}

/// Sums lines per currency; a sum too large to store is refused.
fn totals<'a>(
    lines: impl IntoIterator<Item = (&'a Currency, i64, Option<i64>, Option<i64>)>,
) -> Result<ForecastTotals> {
    let too_large = || DbError::invalid("lines", "the forecast's total is too large");
    let mut sums: BTreeMap<&Currency, i64> = BTreeMap::new();
    let (mut leads, mut mqls) = (0_i64, 0_i64);
    for (currency, minor, line_leads, line_mqls) in lines {
        let sum = sums.entry(currency).or_default();
        *sum = sum.checked_add(minor).ok_or_else(too_large)?;
        leads = leads
            .checked_add(line_leads.unwrap_or(0))
            .ok_or_else(too_large)?;
        mqls = mqls
            .checked_add(line_mqls.unwrap_or(0))
            .ok_or_else(too_large)?;
    }
    Ok(ForecastTotals {
        amounts: sums
            .into_iter()
            .map(|(currency, minor)| Money {
                currency: currency.to_string(),
                amount_minor: minor,
                amount: format_minor(minor, currency),
            })
            .collect(),
        leads,
        mqls,
    })
}

/// Most leads or MQLs one line forecasts: far above any real quarter, and
/// low enough that the reports' sums over every person and quarter cannot
/// overflow.
const MAX_LEADS: i64 = 100_000_000;

impl Db {
    /// Checks a line of a `kind` forecast; problems name `lines[i].field`,
    /// every problem of the line at once.
    async fn checked_line(
        &self,
        i: usize,
        kind: ForecastKind,
        line: &NewForecastLine,
    ) -> Result<CheckedLine> {
        let field = |name: &str| format!("lines[{i}].{name}");
        let mut refusals = Refusals::default();
        let description = refusals.value(required_name(
            &field("description"),
            &line.description,
            "say what the line forecasts",
        ))?;
        let currency = refusals.value(
            self.currency_or_default(&field("currency"), line.currency.as_deref())
                .await
                .map(Some),
        )?;
        let amount_minor = match &currency {
            Some(currency) => refusals.value(amount(&field("amount"), &line.amount, currency))?,
            None => 0,
        };
        let channel = refusals.value(
            optional(line.channel.as_deref())
                .map(|c| parse_slug(&c).map_err(|e| DbError::invalid(field("channel"), e)))
                .transpose(),
        )?;
        match kind {
            ForecastKind::Revenue => {
                // Only commit and best case are judged against what is won: a
                // line without its call would be stored and never counted.
                if matches!(line.category, None | Some(ForecastCategory::Omitted)) {
                    refusals.refuse(
                        field("category"),
                        "a revenue line is commit, best_case or pipeline: say which",
                    );
                }
                for (name, value) in [("leads", line.leads), ("mqls", line.mqls)] {
                    if value.is_some() {
                        refusals.refuse(field(name), "only lead forecasts count leads");
                    }
                }
                // Revenue is set against the deal or account a line names;
                // a campaign or channel would be stored and never judged.
                for (name, given) in [
                    ("campaign_id", line.campaign_id.is_some()),
                    ("channel", channel.is_some()),
                ] {
                    if given {
                        refusals.refuse(
                            field(name),
                            "a revenue line names a deal or an account; campaigns and channels are for lead forecasts",
                        );
                    }
                }
            }
            ForecastKind::Leads => {
                if line.category.is_some() {
                    refusals.refuse(field("category"), "only revenue forecasts have categories");
                }
                for (name, value) in [("leads", line.leads), ("mqls", line.mqls)] {
                    if value.is_some_and(|v| !(0..=MAX_LEADS).contains(&v)) {
                        refusals.refuse(field(name), format!("must be between 0 and {MAX_LEADS}"));
                    }
                }
                if let (Some(leads), Some(mqls)) = (line.leads, line.mqls)
                    && mqls > leads
                {
                    refusals.refuse(
                        field("mqls"),
                        format!("{mqls} MQLs out of {leads} leads: MQLs are some of the leads"),
                    );
                }
                // Leads are judged by where they come from: a campaign or a
                // channel, never a deal or an account.
                for (name, given) in [
                    ("opportunity_id", line.opportunity_id.is_some()),
                    ("account_id", line.account_id.is_some()),
                ] {
                    if given {
                        refusals.refuse(
                            field(name),
                            "a lead line names a campaign or a channel, not a deal or an account",
                        );
                    }
                }
                if line.campaign_id.is_none() && channel.is_none() {
                    refusals.refuse(
                        field("channel"),
                        "name the campaign or the channel whose leads the line forecasts",
                    );
                }
            }
        }
        refusals.value(
            self.ensure_exists(
                &field("opportunity_id"),
                Table::Opportunities,
                line.opportunity_id,
            )
            .await,
        )?;
        refusals.value(
            self.ensure_exists(&field("account_id"), Table::Accounts, line.account_id)
                .await,
        )?;
        // A deal and an account on one line are one: the deal's own account.
        if let (Some(deal), Some(account)) = (line.opportunity_id, line.account_id) {
            let of_deal: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT account_id FROM opportunities WHERE id = $1")
                    .bind(deal)
                    .fetch_optional(self.reader())
                    .await?;
            if let Some((Some(its),)) = of_deal
                && its != account
            {
                refusals.refuse(
                    field("account_id"),
                    format!(
                        "deal {deal} is account {its}'s, not account {account}'s: name one of them"
                    ),
                );
            }
        }
        refusals.value(
            self.ensure_exists(&field("campaign_id"), Table::Campaigns, line.campaign_id)
                .await,
        )?;
        let currency = refusals.finish_with(currency)?;
        Ok(CheckedLine {
            description,
            opportunity_id: line.opportunity_id,
            account_id: line.account_id,
            campaign_id: line.campaign_id,
            channel,
            category: line.category,
            amount_minor,
            currency,
            leads: line.leads,
            mqls: line.mqls,
        })
    }

    /// Stores a submission as the next version for its person, kind and
    /// quarter. Earlier versions stay exactly as they were.
    pub async fn submit_forecast(&self, new: &NewForecast) -> Result<Forecast> {
        at_most("note", new.note.as_deref().unwrap_or(""), MAX_TEXT)?;
        let person = self.user(new.user_id).await.map_err(|_| {
            DbError::invalid("user_id", format!("there is no user {}", new.user_id))
        })?;
        if !person.active {
            return Err(DbError::invalid(
                "user_id",
                format!("{} is deactivated and forecasts nothing", person.email),
            ));
        }
        if new.lines.is_empty() {
            return Err(DbError::invalid(
                "lines",
                "a forecast needs at least one line",
            ));
        }
        // Each line's first problem, all lines at once.
        let mut refusals = Refusals::default();
        let mut lines = Vec::with_capacity(new.lines.len());
        for (i, line) in new.lines.iter().enumerate() {
            lines.push(refusals.value(self.checked_line(i, new.kind, line).await.map(Some))?);
        }
        let lines: Vec<CheckedLine> = refusals.finish_with(lines.into_iter().collect())?;
        totals(
            lines
                .iter()
                .map(|l| (&l.currency, l.amount_minor, l.leads, l.mqls)),
        )?;
        let quarter = new.quarter.to_string();
        let mut tx = self.begin_write().await?;
        let (version,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM forecasts WHERE user_id = $1 AND kind = $2 AND quarter = $3",
        )
        .bind(new.user_id)
        .bind(new.kind.as_str())
        .bind(&quarter)
        .fetch_one(&mut *tx)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO forecasts (user_id, kind, quarter, version, submitted_by, submitted_at, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.user_id)
        .bind(new.kind.as_str())
        .bind(&quarter)
        .bind(version)
        .bind(new.submitted_by)
        .bind(now_ms())
        .bind(optional(new.note.as_deref()))
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)
        .map_err(|e| {
            if e.is_unique_violation() {
                DbError::conflict(
                    "version",
                    "another version of this forecast was submitted at the same moment; submit again",
                )
            } else {
                e
            }
        })?;
        let rows: Vec<Vec<Value>> = lines
            .iter()
            .map(|l| {
                vec![
                    id.into(),
                    l.opportunity_id.into(),
                    l.account_id.into(),
                    l.campaign_id.into(),
                    l.channel.as_deref().into(),
                    l.description.as_str().into(),
                    l.category.map(|c| c.as_str()).into(),
                    l.amount_minor.into(),
                    l.currency.as_str().into(),
                    l.leads.into(),
                    l.mqls.into(),
                ]
            })
            .collect();
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO forecast_lines (forecast_id, opportunity_id, account_id, campaign_id, channel,
                 description, category, amount_minor, currency, leads, mqls)",
            "",
            &rows,
        )
        .await?;
        let detail = serde_json::json!({
            "forecast_id": id, "user_id": new.user_id, "kind": new.kind, "quarter": quarter,
            "version": version, "lines": lines.len(),
        });
        crate::webhooks::enqueue(&mut tx, "forecast.submitted", std::slice::from_ref(&detail))
            .await?;
        audit_in(
            &mut *tx,
            Some(new.submitted_by),
            "forecast.submitted",
            "forecast",
            Some(id),
            &detail,
        )
        .await?;
        tx.commit().await?;
        self.forecast(id).await
    }

    /// One forecast version by id, with its lines and totals.
    pub async fn forecast(&self, id: i64) -> Result<Forecast> {
        let mut found = self
            .forecasts_where("id = $1", id, &ForecastFilter::default(), 1)
            .await?;
        found
            .pop()
            .ok_or_else(|| DbError::NotFound(format!("forecast {id}")))
    }

    /// Versions before the cursor `before` (an id; 0 for the newest),
    /// matching the filter, newest first.
    pub async fn forecasts(
        &self,
        filter: &ForecastFilter,
        before: i64,
        limit: i64,
    ) -> Result<Vec<Forecast>> {
        self.forecasts_where("($1 = 0 OR id < $1)", before, filter, limit)
            .await
    }

    /// Forecasts passing `condition` on `$1`, with their lines.
    async fn forecasts_where(
        &self,
        condition: &'static str,
        key: i64,
        filter: &ForecastFilter,
        limit: i64,
    ) -> Result<Vec<Forecast>> {
        let heads: Vec<(i64, i64, String, String, i64, i64, i64, Option<String>)> =
            sqlx::query_as(&format!(
                "SELECT id, user_id, kind, quarter, version, submitted_by, submitted_at, note FROM forecasts
                 WHERE {condition}
                   AND ($2 = 0 OR user_id = $2)
                   AND ($3 = '' OR quarter = $3)
                   AND ($4 = '' OR kind = $4)
                 ORDER BY id DESC LIMIT $5"
            ))
            .bind(key)
            .bind(filter.user_id.unwrap_or(0))
            .bind(filter.quarter.map(|q| q.to_string()).unwrap_or_default())
            .bind(filter.kind.map(|k| k.as_str()).unwrap_or_default())
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        if heads.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT forecast_id, id, description, opportunity_id, account_id, campaign_id, channel, category,
                 amount_minor, currency, leads, mqls
             FROM forecast_lines WHERE forecast_id IN ({}) ORDER BY id",
            placeholders(1, heads.len())
        );
        let mut query = sqlx::query_as::<
            _,
            (
                i64,
                i64,
                String,
                Option<i64>,
                Option<i64>,
                Option<i64>,
                Option<String>,
                Option<String>,
                i64,
                String,
                Option<i64>,
                Option<i64>,
            ),
        >(&sql);
        for head in &heads {
            query = query.bind(head.0);
        }
        let mut lines: BTreeMap<i64, Vec<(Currency, ForecastLine)>> = BTreeMap::new();
        for row in query.fetch_all(self.reader()).await? {
            let (
                forecast_id,
                id,
                description,
                opportunity_id,
                account_id,
                campaign_id,
                channel,
                category,
                amount_minor,
                currency,
                leads,
                mqls,
            ) = row;
            let code = Currency::parse(&currency).map_err(|e| DbError::invalid("currency", e))?;
            let line = ForecastLine {
                id,
                description,
                opportunity_id,
                account_id,
                campaign_id,
                channel,
                category: category
                    .map(|c| c.parse())
                    .transpose()
                    .map_err(|e| DbError::invalid("category", format!("{e}")))?,
                amount_minor,
                amount: format_minor(amount_minor, &code),
                currency,
                leads,
                mqls,
            };
            lines.entry(forecast_id).or_default().push((code, line));
        }
        heads
            .into_iter()
            .map(
                |(id, user_id, kind, quarter, version, submitted_by, submitted_at, note)| {
                    let lines = lines.remove(&id).unwrap_or_default();
                    let totals = totals(
                        lines
                            .iter()
                            .map(|(code, l)| (code, l.amount_minor, l.leads, l.mqls)),
                    )?;
                    Ok(Forecast {
                        id,
                        user_id,
                        kind: kind
                            .parse()
                            .map_err(|e| DbError::invalid("kind", format!("{e}")))?,
                        quarter,
                        version,
                        submitted_by,
                        submitted_at,
                        note,
                        lines: lines.into_iter().map(|(_, l)| l).collect(),
                        totals,
                    })
                },
            )
            .collect()
    }
}
