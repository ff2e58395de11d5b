//! Forecast accuracy: each quarter, the forecast version in force at the
//! cut-off against what the data shows, per person, team or campaign, with
//! the trend over the last quarters, the smoke flag and a leaderboard.
//!
//! What is judged:
//! - a revenue forecast: its commit and best-case lines, against the won
//!   revenue of the deals the person owns that closed in the quarter;
//! - a lead forecast: its MQLs, against the leads that arrived in the
//!   quarter from the line's campaign (or, for a line without a campaign,
//!   from its channel as the lead's source) and reached MQL; its leads and
//!   dollar value are shown beside, the value against the revenue those
//!   leads have won so far.
//!
//! The version judged is the last one submitted before the cut-off (the
//! quarter's first day plus the configured days, in the organisation's time
//! zone); someone who submitted only later is judged on their first version.
//! Amounts in other currencies than the organisation's are left out.

use super::{OwnLines, People, end_of, start_of};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::forecasts::{Forecast, ForecastLine};
use crate::sql::placeholders;
use baton_core::accountability::{
    AccountabilityConfig, Accuracy, SMOKE_STREAK, accuracy_over, too_high_streak,
};
use baton_core::calendar::Quarter;
use baton_core::domain::{ForecastCategory, ForecastKind, OpportunityStage, Stage};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Quarters in a trend, the report's quarter last; smoke is counted within it.
pub const TREND_QUARTERS: usize = 4;

/// What a forecast-accuracy report is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccuracyGroup {
    /// Everyone with a forecast or an actual, revenue and lead forecasts apart.
    Person,
    /// The people's teams: the sum of their members.
    Team,
    /// Lead forecasts by campaign, or by channel for lines without one.
    Campaign,
}

impl AccuracyGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            AccuracyGroup::Person => "person",
            AccuracyGroup::Team => "team",
            AccuracyGroup::Campaign => "campaign",
        }
    }
}

impl std::str::FromStr for AccuracyGroup {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        [
            AccuracyGroup::Person,
            AccuracyGroup::Team,
            AccuracyGroup::Campaign,
        ]
        .into_iter()
        .find(|group| group.as_str() == text.trim())
        .ok_or_else(|| format!("`{text}` is not one of: person, team, campaign"))
    }
}

/// One quarter of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    pub quarter: String,
    /// Absent when no forecast was judged that quarter.
    pub accuracy: Option<Accuracy>,
}

/// Forecast against actual for one person, team or campaign and kind.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AccuracyRow {
    /// The person, team, campaign or channel.
    pub name: String,
    /// The user, team or campaign id; absent for a channel, the company or
    /// people without a team.
    pub id: Option<i64>,
    pub kind: ForecastKind,
    /// The forecast versions judged in the quarter; none when nobody
    /// forecast what the actual shows.
    pub forecast_ids: Vec<i64>,
    /// Revenue: commit and best case against won revenue, in minor units.
    /// Leads: MQLs expected against MQLs.
    pub judged: Accuracy,
    /// Lead forecasts: leads expected against leads that arrived.
    pub leads: Option<Accuracy>,
    /// Lead forecasts: dollar value expected against revenue won so far from
    /// those leads, in minor units.
    pub value: Option<Accuracy>,
    /// The last quarters, oldest first, the report's quarter last.
    pub trend: Vec<TrendPoint>,
    /// Accuracy over the trend's quarters with a forecast:
    /// 1 − Σ|error| / Σ actual, floored at 0.
    pub trend_accuracy: Option<f64>,
    /// Bias over those quarters: Σ(forecast − actual) / Σ actual.
    pub trend_bias: Option<f64>,
    /// Quarters in a row, up to the report's, forecast above the actual by
    /// more than the tolerance.
    pub too_high_streak: usize,
    /// Too high in two or more quarters in a row: blowing smoke.
    pub smoke: bool,
}

/// A place on the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeaderboardEntry {
    /// 1 for the most accurate, per kind.
    pub rank: usize,
    pub name: String,
    pub id: Option<i64>,
    pub kind: ForecastKind,
    pub trend_accuracy: f64,
    /// Quarters of the trend with a forecast.
    pub quarters: usize,
}

/// The quarterly accountability report on forecasts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastAccuracyReport {
    pub quarter: String,
    pub group: AccuracyGroup,
    pub currency: String,
    /// Forecasts submitted before this moment (UTC milliseconds) are judged.
    pub cutoff: i64,
    pub smoke_tolerance: f64,
    /// The quarters of every trend, oldest first.
    pub quarters: Vec<String>,
    /// By name and kind.
    pub rows: Vec<AccuracyRow>,
    /// The company: one row per kind (leads only by campaign).
    pub totals: Vec<AccuracyRow>,
    /// Rows with a forecast this quarter, most accurate over the trend first.
    pub leaderboard: Vec<LeaderboardEntry>,
    /// The quarter has not ended: its figures are so far, and it counts in
    /// no trend, smoke streak or ranking until it has.
    pub in_progress: bool,
    /// The quarter lies ahead: nothing in it has happened yet.
    pub not_started: bool,
}

impl OwnLines for ForecastAccuracyReport {
    /// Only `user`'s rows; company totals and others' places are left out.
    fn only_person(mut self, user: i64) -> ForecastAccuracyReport {
        self.rows.retain(|row| row.id == Some(user));
        self.leaderboard.retain(|entry| entry.id == Some(user));
        self.totals.clear();
        self
    }
}

/// Where leads came from: a campaign, or a source for leads without one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Campaign(i64),
    Source(String),
}

impl Origin {
    fn of(campaign: Option<i64>, source: String) -> Origin {
        campaign.map_or(Origin::Source(source), Origin::Campaign)
    }
}

/// Whom a row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entity {
    Person(i64),
    Team(Option<i64>),
    Origin(Origin),
    Company,
}

/// What one quarter's data holds, before it is grouped.
#[derive(Default)]
struct QuarterFacts {
    /// (forecast id, user, commit and best case).
    revenue_forecasts: Vec<(i64, i64, i64)>,
    /// (owner, won revenue).
    revenue_won: Vec<(Option<i64>, i64)>,
    /// (forecast id, user, origin, leads, MQLs, value).
    lead_forecasts: Vec<(i64, i64, Origin, i64, i64, i64)>,
    /// Origin → (leads, MQLs, revenue won from them).
    lead_actuals: BTreeMap<Origin, (i64, i64, i64)>,
}

/// Forecast and actual sums of one row in one quarter.
#[derive(Debug, Default, Clone)]
struct Sums {
    forecast_ids: BTreeSet<i64>,
    judged: (i64, i64),
    leads: (i64, i64),
    value: (i64, i64),
}

type Grouped = BTreeMap<(ForecastKind, Entity), Sums>;

/// The entity a person's figures go to, in `group`; `None` when the group
/// does not count them (campaigns hold only lead figures).
fn entity_of(group: Option<AccuracyGroup>, people: &People, user: i64) -> Option<Entity> {
    match group {
        Some(AccuracyGroup::Person) => Some(Entity::Person(user)),
        Some(AccuracyGroup::Team) => Some(Entity::Team(people.team(user))),
        Some(AccuracyGroup::Campaign) => None,
        None => Some(Entity::Company),
    }
}

/// Groups a quarter's facts; `None` groups the whole company.
fn group_facts(facts: &QuarterFacts, group: Option<AccuracyGroup>, people: &People) -> Grouped {
    let mut grouped = Grouped::new();
    for (id, user, amount) in &facts.revenue_forecasts {
        if let Some(entity) = entity_of(group, people, *user) {
            let sums = grouped.entry((ForecastKind::Revenue, entity)).or_default();
            sums.forecast_ids.insert(*id);
            sums.judged.0 += amount;
        }
    }
    for (owner, amount) in &facts.revenue_won {
        let entity = match owner {
            Some(owner) => entity_of(group, people, *owner),
            None => (group.is_none()).then_some(Entity::Company),
        };
        if let Some(entity) = entity {
            grouped
                .entry((ForecastKind::Revenue, entity))
                .or_default()
                .judged
                .1 += amount;
        }
    }
    // A lead forecast is judged against the leads of the origins it names:
    // each origin's actual counts once for every row that forecast it.
    let mut forecasters: BTreeMap<&Origin, BTreeSet<Entity>> = BTreeMap::new();
    for (id, user, origin, leads, mqls, value) in &facts.lead_forecasts {
        let entity = match group {
            Some(AccuracyGroup::Campaign) => Entity::Origin(origin.clone()),
            _ => match entity_of(group, people, *user) {
                Some(entity) => entity,
                None => continue,
            },
        };
        forecasters
            .entry(origin)
            .or_default()
            .insert(entity.clone());
        let sums = grouped.entry((ForecastKind::Leads, entity)).or_default();
        sums.forecast_ids.insert(*id);
        sums.judged.0 += mqls;
        sums.leads.0 += leads;
        sums.value.0 += value;
    }
    for (origin, (leads, mqls, won)) in &facts.lead_actuals {
        let entities: Vec<Entity> = match group {
            Some(AccuracyGroup::Campaign) => vec![Entity::Origin(origin.clone())],
            None => vec![Entity::Company],
            Some(_) => forecasters
                .get(origin)
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default(),
        };
        for entity in entities {
            let sums = grouped.entry((ForecastKind::Leads, entity)).or_default();
            sums.judged.1 += mqls;
            sums.leads.1 += leads;
            sums.value.1 += won;
        }
    }
    grouped
}

/// Stages a lead has reached MQL by.
const MQL_OR_LATER: [Stage; 5] = [
    Stage::Mql,
    Stage::Sal,
    Stage::Sql,
    Stage::Opportunity,
    Stage::Customer,
];

/// The forecast versions judged for a quarter (`$1`) and cut-off (`$2`):
/// the last before the cut-off, else the first.
const JUDGED: &str = "f.quarter = $1 AND f.version = COALESCE(
    (SELECT MAX(g.version) FROM forecasts g
     WHERE g.user_id = f.user_id AND g.kind = f.kind AND g.quarter = f.quarter AND g.submitted_at < $2),
    (SELECT MIN(g.version) FROM forecasts g
     WHERE g.user_id = f.user_id AND g.kind = f.kind AND g.quarter = f.quarter))";

impl Db {
    /// The forecast-accuracy report for `quarter`, grouped by `group`.
    pub async fn forecast_accuracy(
        &self,
        quarter: Quarter,
        group: AccuracyGroup,
    ) -> Result<ForecastAccuracyReport> {
        let organisation = self.organisation().await?;
        let config = organisation.accountability;
        let zone = self.time_zone().await?;
        let people = self.people().await?;
        let campaigns: BTreeMap<i64, String> =
            sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM campaigns")
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .collect();
        let current = Quarter::containing(self.today().await?);
        let in_progress = quarter >= current;
        let not_started = quarter > current;
        let quarters = quarter.ending_with(TREND_QUARTERS);
        // Quarters from the current one on are shown but judged in no trend.
        let ended_quarters = quarters.iter().take_while(|q| **q < current).count();
        let mut by_quarter = Vec::with_capacity(quarters.len());
        let mut company = Vec::with_capacity(quarters.len());
        let mut cutoff = 0;
        for q in &quarters {
            let (facts, q_cutoff) = self
                .quarter_facts(*q, &organisation.currency, &config, &zone)
                .await?;
            cutoff = q_cutoff;
            by_quarter.push(group_facts(&facts, Some(group), &people));
            company.push(group_facts(&facts, None, &people));
        }
        let name = |entity: &Entity| match entity {
            Entity::Person(user) => (people.name(*user), Some(*user)),
            Entity::Team(team) => (people.team_name(*team), *team),
            Entity::Origin(Origin::Campaign(id)) => (
                campaigns
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| format!("campaign {id}")),
                Some(*id),
            ),
            Entity::Origin(Origin::Source(source)) if source.is_empty() => {
                ("(no source)".to_string(), None)
            }
            Entity::Origin(Origin::Source(source)) => (format!("channel {source}"), None),
            Entity::Company => ("company".to_string(), None),
        };
        // The rows of this quarter's keys or, with `every_quarter`, of every
        // key in the trend, so that totals keep the trend of a quarter
        // without forecasts.
        let rows_of = |grouped: &[Grouped], every_quarter: bool| -> Vec<AccuracyRow> {
            let now = grouped.last();
            let keys: BTreeSet<&(ForecastKind, Entity)> = if every_quarter {
                grouped.iter().flat_map(Grouped::keys).collect()
            } else {
                now.into_iter().flat_map(Grouped::keys).collect()
            };
            let nothing = Sums::default();
            let mut rows: Vec<AccuracyRow> = keys
                .into_iter()
                .map(|key| {
                    let sums = now.and_then(|now| now.get(key)).unwrap_or(&nothing);
                    let (name, id) = name(&key.1);
                    let trend = Trend {
                        quarters: &quarters,
                        ended: ended_quarters,
                    };
                    accuracy_row(name, id, key, sums, grouped, trend, &config)
                })
                .collect();
            rows.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
            rows
        };
        let rows = rows_of(&by_quarter, false);
        let mut totals = rows_of(&company, true);
        // Campaigns hold lead forecasts only; so do their totals.
        if group == AccuracyGroup::Campaign {
            totals.retain(|row| row.kind == ForecastKind::Leads);
        }
        let leaderboard = leaderboard(&rows, ended_quarters);
        Ok(ForecastAccuracyReport {
            quarter: quarter.to_string(),
            group,
            currency: organisation.currency,
            cutoff,
            smoke_tolerance: config.smoke_tolerance,
            quarters: quarters.iter().map(Quarter::to_string).collect(),
            rows,
            totals,
            leaderboard,
            in_progress,
            not_started,
        })
    }

    /// A quarter's judged forecasts and actuals, and its cut-off.
    async fn quarter_facts(
        &self,
        quarter: Quarter,
        currency: &str,
        config: &AccountabilityConfig,
        zone: &jiff::tz::TimeZone,
    ) -> Result<(QuarterFacts, i64)> {
        let first_day = quarter.first_day();
        let cutoff_day = first_day
            .checked_add(i64::from(config.forecast_cutoff_days).days())
            .unwrap_or(first_day);
        let cutoff = start_of(cutoff_day, zone)?;
        let (starts, ends) = quarter_bounds(quarter, zone)?;
        let label = quarter.to_string();
        let revenue = ForecastKind::Revenue.as_str();
        let leads = ForecastKind::Leads.as_str();
        let won = OpportunityStage::Won.as_str();
        // PostgreSQL sums BIGINT as NUMERIC: the casts keep every figure an integer.
        let revenue_forecasts: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT f.id, f.user_id,
                 CAST(SUM(CASE WHEN l.category IN ($4, $5) AND l.currency = $6
                     THEN l.amount_minor ELSE 0 END) AS BIGINT)
             FROM forecasts f JOIN forecast_lines l ON l.forecast_id = f.id
             WHERE f.kind = $3 AND {JUDGED}
             GROUP BY f.id, f.user_id
             -- A forecast wholly in other currencies is not judged as forecasting nothing.
             HAVING SUM(CASE WHEN l.currency = $6 THEN 1 ELSE 0 END) > 0"
        ))
        .bind(&label)
        .bind(cutoff)
        .bind(revenue)
        .bind(ForecastCategory::Commit.as_str())
        .bind(ForecastCategory::BestCase.as_str())
        .bind(currency)
        .fetch_all(self.reader())
        .await?;
        let lead_forecasts: Vec<(i64, i64, Option<i64>, String, i64, i64, i64)> =
            sqlx::query_as(&format!(
                "SELECT f.id, f.user_id, l.campaign_id,
                     CASE WHEN l.campaign_id IS NULL THEN COALESCE(l.channel, '') ELSE '' END,
                     CAST(SUM(COALESCE(l.leads, 0)) AS BIGINT),
                     CAST(SUM(COALESCE(l.mqls, 0)) AS BIGINT),
                     CAST(SUM(CASE WHEN l.currency = $4 THEN l.amount_minor ELSE 0 END) AS BIGINT)
                 FROM forecasts f JOIN forecast_lines l ON l.forecast_id = f.id
                 WHERE f.kind = $3 AND {JUDGED}
                 GROUP BY f.id, f.user_id, l.campaign_id, 4"
            ))
            .bind(&label)
            .bind(cutoff)
            .bind(leads)
            .bind(currency)
            .fetch_all(self.reader())
            .await?;
        // Close days are calendar days: the quarter's are between its first
        // and last day, as text.
        let revenue_won: Vec<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT owner_id, CAST(SUM(amount_minor) AS BIGINT) FROM opportunities
             WHERE stage = $1 AND currency = $2 AND closed_on >= $3 AND closed_on <= $4
             GROUP BY owner_id",
        )
        .bind(won)
        .bind(currency)
        .bind(first_day.to_string())
        .bind(quarter.last_day().to_string())
        .fetch_all(self.reader())
        .await?;
        let lead_actuals = self.lead_actuals(starts, ends, currency).await?;
        let facts = QuarterFacts {
            revenue_forecasts,
            revenue_won,
            lead_forecasts: lead_forecasts
                .into_iter()
                .map(|(id, user, campaign, channel, leads, mqls, value)| {
                    (id, user, Origin::of(campaign, channel), leads, mqls, value)
                })
                .collect(),
            lead_actuals,
        };
        Ok((facts, cutoff))
    }

    /// Leads that arrived between `starts` and `ends` per origin: how many,
    /// how many reached MQL, and the revenue they have won so far.
    async fn lead_actuals(
        &self,
        starts: i64,
        ends: i64,
        currency: &str,
    ) -> Result<BTreeMap<Origin, (i64, i64, i64)>> {
        let won = OpportunityStage::Won.as_str();
        let mql_stages = placeholders(5, MQL_OR_LATER.len());
        let sql = format!(
            "SELECT l.campaign_id,
                 CASE WHEN l.campaign_id IS NULL THEN COALESCE(l.source, '') ELSE '' END,
                 COUNT(*),
                 CAST(SUM(CASE WHEN l.stage IN ({mql_stages}) OR EXISTS (
                     SELECT 1 FROM lead_stage_history h
                     WHERE h.lead_id = l.id AND h.to_stage IN ({mql_stages})) THEN 1 ELSE 0 END) AS BIGINT),
                 CAST(COALESCE(SUM((SELECT SUM(o.amount_minor) FROM opportunities o
                     WHERE o.lead_id = l.id AND o.stage = $3 AND o.currency = $4)), 0) AS BIGINT)
             FROM leads l
             WHERE l.created_at >= $1 AND l.created_at < $2
             GROUP BY l.campaign_id, 2"
        );
        let mut query = sqlx::query_as::<_, (Option<i64>, String, i64, i64, i64)>(&sql)
            .bind(starts)
            .bind(ends)
            .bind(won)
            .bind(currency);
        for stage in MQL_OR_LATER {
            query = query.bind(stage.as_str());
        }
        Ok(query
            .fetch_all(self.reader())
            .await?
            .into_iter()
            .map(|(campaign, source, leads, mqls, won)| {
                (Origin::of(campaign, source), (leads, mqls, won))
            })
            .collect())
    }
}

/// The quarter as stored times: its first moment and the first after it.
fn quarter_bounds(quarter: Quarter, zone: &jiff::tz::TimeZone) -> Result<(i64, i64)> {
    Ok((
        start_of(quarter.first_day(), zone)?,
        end_of(quarter.last_day(), zone)?,
    ))
}

/// A forecast line beside what the data shows for it in its quarter.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LineActual {
    pub line_id: i64,
    pub description: String,
    pub category: Option<ForecastCategory>,
    /// Revenue lines that name a deal or an account, in the organisation's
    /// currency: the amount against the revenue won in the quarter from
    /// that deal, or from the account's deals. Absent for other lines, such
    /// as a prospect not yet in the pipeline.
    pub revenue: Option<Accuracy>,
    /// Lead lines: against the leads of the line's campaign (or channel)
    /// that arrived in the quarter.
    pub leads: Option<Accuracy>,
    pub mqls: Option<Accuracy>,
    /// Lead lines: the dollar value against the revenue those leads have won so far.
    pub value: Option<Accuracy>,
}

impl Db {
    /// Each line of `forecast` against its actual in the forecast's quarter.
    pub async fn forecast_line_actuals(&self, forecast: &Forecast) -> Result<Vec<LineActual>> {
        let quarter =
            Quarter::parse(&forecast.quarter).map_err(|e| DbError::invalid("quarter", e))?;
        let currency = self.organisation().await?.currency;
        let (starts, ends) = quarter_bounds(quarter, &self.time_zone().await?)?;
        let line = |l: &ForecastLine| LineActual {
            line_id: l.id,
            description: l.description.clone(),
            category: l.category,
            revenue: None,
            leads: None,
            mqls: None,
            value: None,
        };
        match forecast.kind {
            ForecastKind::Revenue => {
                // A line naming a deal counts that deal; one naming only an
                // account counts the account's deals: a seller's own, as
                // their forecast promises only what they sell (and may not
                // learn what others won), a manager's or owner's everyone's.
                let person = self.user(forecast.user_id).await?;
                let own = if person.role.is_manager() {
                    0
                } else {
                    person.id
                };
                let won: BTreeMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
                    "SELECT l.id, (SELECT CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT)
                         FROM opportunities o
                         WHERE o.stage = $2 AND o.currency = $3 AND o.closed_on >= $4
                           AND o.closed_on <= $5
                           AND (o.id = l.opportunity_id
                                OR (l.opportunity_id IS NULL AND o.account_id = l.account_id
                                    AND ($6 = 0 OR o.owner_id = $6))))
                     FROM forecast_lines l
                     WHERE l.forecast_id = $1 AND l.currency = $3
                       AND (l.opportunity_id IS NOT NULL OR l.account_id IS NOT NULL)",
                )
                .bind(forecast.id)
                .bind(OpportunityStage::Won.as_str())
                .bind(&currency)
                .bind(quarter.first_day().to_string())
                .bind(quarter.last_day().to_string())
                .bind(own)
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .collect();
                Ok(forecast
                    .lines
                    .iter()
                    .map(|l| LineActual {
                        revenue: won.get(&l.id).map(|won| Accuracy::of(l.amount_minor, *won)),
                        ..line(l)
                    })
                    .collect())
            }
            ForecastKind::Leads => {
                let actuals = self.lead_actuals(starts, ends, &currency).await?;
                Ok(forecast
                    .lines
                    .iter()
                    .map(|l| {
                        let origin =
                            Origin::of(l.campaign_id, l.channel.clone().unwrap_or_default());
                        let (leads, mqls, won) = actuals.get(&origin).copied().unwrap_or_default();
                        let value =
                            (l.currency == currency).then(|| Accuracy::of(l.amount_minor, won));
                        LineActual {
                            leads: Some(Accuracy::of(l.leads.unwrap_or(0), leads)),
                            mqls: Some(Accuracy::of(l.mqls.unwrap_or(0), mqls)),
                            value,
                            ..line(l)
                        }
                    })
                    .collect())
            }
        }
    }
}

impl ForecastAccuracyReport {
    /// What to say about a quarter that has not ended.
    pub fn in_progress_note(&self) -> Option<String> {
        let (state, figures) = if self.not_started {
            ("started", "it has no figures yet")
        } else {
            ("ended", "its figures are so far")
        };
        self.in_progress.then(|| {
            format!(
                "{} has not {state}: {figures}, and it counts in no trend, smoke or ranking \
                 until it has ended.",
                self.quarter
            )
        })
    }
}

/// The quarters of a trend, oldest first, and how many of the first have
/// ended: the current quarter and any after it have not.
#[derive(Clone, Copy)]
struct Trend<'q> {
    quarters: &'q [Quarter],
    ended: usize,
}

/// The row of `key` with its trend over `grouped`, one map per quarter. A
/// quarter that has not ended is shown but not judged: its forecast is not
/// yet too high, only not yet reached.
fn accuracy_row(
    name: String,
    id: Option<i64>,
    key: &(ForecastKind, Entity),
    sums: &Sums,
    grouped: &[Grouped],
    Trend { quarters, ended }: Trend<'_>,
    config: &AccountabilityConfig,
) -> AccuracyRow {
    let judged_in = |grouped: &Grouped| {
        grouped
            .get(key)
            .filter(|sums| !sums.forecast_ids.is_empty())
            .map(|sums| Accuracy::of(sums.judged.0, sums.judged.1))
    };
    let trend: Vec<Option<Accuracy>> = grouped.iter().map(judged_in).collect();
    let ended = &trend[..ended.min(trend.len())];
    let forecast: Vec<Accuracy> = ended.iter().flatten().copied().collect();
    let (errors, actuals) = forecast
        .iter()
        .fold((0, 0), |(e, a), q| (e + q.error, a + q.actual));
    let too_high_streak = too_high_streak(ended, config.smoke_tolerance);
    let lead = |(forecast, actual): (i64, i64)| {
        (key.0 == ForecastKind::Leads).then(|| Accuracy::of(forecast, actual))
    };
    AccuracyRow {
        name,
        id,
        kind: key.0,
        forecast_ids: sums.forecast_ids.iter().copied().collect(),
        judged: Accuracy::of(sums.judged.0, sums.judged.1),
        leads: lead(sums.leads),
        value: lead(sums.value),
        trend: quarters
            .iter()
            .zip(&trend)
            .map(|(quarter, accuracy)| TrendPoint {
                quarter: quarter.to_string(),
                accuracy: *accuracy,
            })
            .collect(),
        trend_accuracy: (!forecast.is_empty()).then(|| accuracy_over(&forecast)),
        trend_bias: (actuals != 0).then(|| errors as f64 / actuals as f64),
        too_high_streak,
        smoke: too_high_streak >= SMOKE_STREAK,
    }
}

/// Rows with a forecast this quarter, ranked per kind by their accuracy
/// over the trend's first `ended` quarters, those that have ended, ties by
/// name; a row judged in none of them is not ranked.
fn leaderboard(rows: &[AccuracyRow], ended: usize) -> Vec<LeaderboardEntry> {
    let mut ranked: Vec<&AccuracyRow> = rows
        .iter()
        .filter(|row| !row.forecast_ids.is_empty() && row.trend_accuracy.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(
                b.trend_accuracy
                    .unwrap_or(0.0)
                    .total_cmp(&a.trend_accuracy.unwrap_or(0.0)),
            )
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut entries: Vec<LeaderboardEntry> = Vec::with_capacity(ranked.len());
    for row in ranked {
        let rank = match entries.last() {
            Some(last) if last.kind == row.kind => last.rank + 1,
            _ => 1,
        };
        entries.push(LeaderboardEntry {
            rank,
            name: row.name.clone(),
            id: row.id,
            kind: row.kind,
            trend_accuracy: row.trend_accuracy.unwrap_or(0.0),
            quarters: row
                .trend
                .iter()
                .take(ended)
                .filter(|p| p.accuracy.is_some())
                .count(),
        });
    }
    entries
}
