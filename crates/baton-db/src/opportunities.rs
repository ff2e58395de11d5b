//! Opportunities: deals in the pipeline, with money as minor units, a stage,
//! a probability and a forecast category, won or lost with a reason.

use crate::checks::{MAX_NAME, MAX_TEXT, Table, amount, at_most, day, optional, required_name};
use crate::connect::{Backend, Db};
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::sql::bind;
use crate::users::audit_in;
use crate::work_items::{
    BEFORE_A_DEAL, WorkOf, change_stage_in, finish_open_work_in, lock_holders_of,
};
use baton_core::domain::{ForecastCategory, OpportunityStage, Stage};
use baton_core::money::{Currency, Decimal, format_minor};
use serde::Serialize;

/// A deal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Opportunity {
    pub id: i64,
    pub name: String,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub product: Option<String>,
    /// Amount in minor units of `currency`.
    pub amount_minor: i64,
    /// Amount in major units, as decimal text.
    pub amount: String,
    pub currency: String,
    pub stage: OpportunityStage,
    /// Chance of winning, 0 to 100.
    pub probability: i64,
    pub forecast_category: ForecastCategory,
    /// `YYYY-MM-DD`.
    pub expected_close: Option<String>,
    /// Day it left prospecting, `YYYY-MM-DD`.
    pub engaged_on: Option<String>,
    /// Day it was won or lost in the organisation's time zone, `YYYY-MM-DD`.
    pub closed_on: Option<String>,
    pub close_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What is needed to open an opportunity.
#[derive(Debug, Clone)]
pub struct NewOpportunity {
    pub name: String,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub owner_id: i64,
    pub product: Option<String>,
    pub amount: Decimal,
    /// The organisation's currency when absent.
    pub currency: Option<String>,
    /// Prospecting when absent.
    pub stage: Option<OpportunityStage>,
    /// The stage's default when absent.
    pub probability: Option<i64>,
    /// The stage's default when absent.
    pub forecast_category: Option<ForecastCategory>,
    pub expected_close: Option<String>,
}

/// Changes to an opportunity; `None` keeps the current value. A new stage
/// brings its default probability and category unless they are given.
#[derive(Debug, Clone, Default)]
pub struct OpportunityChange {
    pub stage: Option<OpportunityStage>,
    pub amount: Option<Decimal>,
    pub probability: Option<i64>,
    pub forecast_category: Option<ForecastCategory>,
    /// Empty text clears it.
    pub expected_close: Option<String>,
    /// Needed to lose a deal.
    pub close_reason: Option<String>,
    /// Who holds it now: a hunter, farmer, manager or owner at work. Its
    /// lead goes with it.
    pub owner_id: Option<i64>,
}

/// Filters for listing opportunities; empty means any.
#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    pub owner_id: Option<i64>,
    pub stage: Option<OpportunityStage>,
    pub account_id: Option<i64>,
    /// The deals opened on this lead.
    pub lead_id: Option<i64>,
}

const OPPORTUNITY_SELECT: &str =
    "SELECT id, name, account_id, contact_id, lead_id, owner_id, product, amount_minor, currency,
        stage, probability, forecast_category, expected_close, engaged_on, closed_on, close_reason,
        created_at, updated_at
     FROM opportunities";

/// Reads a row of [`OPPORTUNITY_SELECT`] by name: it has more columns than
/// sqlx decodes into a tuple.
fn opportunity_from_row(row: &sqlx::any::AnyRow) -> Result<Opportunity> {
    use sqlx::Row;
    let currency: String = row.try_get("currency")?;
    let code = Currency::parse(&currency).map_err(|e| DbError::invalid("currency", e))?;
    let amount_minor: i64 = row.try_get("amount_minor")?;
    let stage: String = row.try_get("stage")?;
    let category: String = row.try_get("forecast_category")?;
    Ok(Opportunity {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        account_id: row.try_get("account_id")?,
        contact_id: row.try_get("contact_id")?,
        lead_id: row.try_get("lead_id")?,
        owner_id: row.try_get("owner_id")?,
        product: row.try_get("product")?,
        amount_minor,
        amount: format_minor(amount_minor, &code),
        currency,
        stage: stage
            .parse()
            .map_err(|e| DbError::invalid("stage", format!("{e}")))?,
        probability: row.try_get("probability")?,
        forecast_category: category
            .parse()
            .map_err(|e| DbError::invalid("forecast_category", format!("{e}")))?,
        expected_close: row.try_get("expected_close")?,
        engaged_on: row.try_get("engaged_on")?,
        closed_on: row.try_get("closed_on")?,
        close_reason: row.try_get("close_reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The probability to store: the one given, checked, or the stage's default.
/// Won and lost deals take their stage's, so reports never see a lost deal
/// at 40%.
fn probability(given: Option<i64>, stage: OpportunityStage) -> Result<Option<i64>> {
    let default = i64::from(stage.default_probability());
    match given {
        Some(p) if !(0..=100).contains(&p) => Err(DbError::invalid(
            "probability",
            format!("{p} is not a percentage from 0 to 100"),
        )),
        Some(p) if stage.is_closed() && p != default => Err(DbError::invalid(
            "probability",
            format!("a {stage} opportunity has probability {default}"),
        )),
        other => Ok(other),
    }
}

/// The forecast category to store, checked like [`probability`].
fn category(
    given: Option<ForecastCategory>,
    stage: OpportunityStage,
) -> Result<Option<ForecastCategory>> {
    let default = stage.default_forecast_category();
    match given {
        Some(c) if stage.is_closed() && c != default => Err(DbError::invalid(
            "forecast_category",
            format!("a {stage} opportunity is in category {default}"),
        )),
        other => Ok(other),
    }
}

/// A deal counts as engaged once it has left prospecting, unless it was lost there.
fn engaged(stage: OpportunityStage) -> bool {
    !matches!(
        stage,
        OpportunityStage::Prospecting | OpportunityStage::Lost
    )
}

/// The columns the opportunity list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunitySort {
    ExpectedClose,
    Name,
    Account,
    Owner,
    Stage,
    Amount,
    Probability,
}

impl SortColumn for OpportunitySort {
    const ALL: &'static [Self] = &[
        OpportunitySort::ExpectedClose,
        OpportunitySort::Name,
        OpportunitySort::Account,
        OpportunitySort::Owner,
        OpportunitySort::Stage,
        OpportunitySort::Amount,
        OpportunitySort::Probability,
    ];

    fn key(self) -> &'static str {
        match self {
            OpportunitySort::ExpectedClose => "expected_close",
            OpportunitySort::Name => "name",
            OpportunitySort::Account => "account",
            OpportunitySort::Owner => "owner",
            OpportunitySort::Stage => "stage",
            OpportunitySort::Amount => "amount",
            OpportunitySort::Probability => "probability",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            OpportunitySort::ExpectedClose => "r.expected_close",
            OpportunitySort::Name => "LOWER(r.name)",
            OpportunitySort::Account => "r.account_norm",
            OpportunitySort::Owner => "LOWER(r.owner_name)",
            // The pipeline's order rather than the alphabet's.
            OpportunitySort::Stage => {
                "CASE r.stage WHEN 'prospecting' THEN 1 WHEN 'engaging' THEN 2 WHEN 'proposal' THEN 3
                 WHEN 'negotiation' THEN 4 WHEN 'won' THEN 5 ELSE 6 END"
            }
            // Amounts compare within one currency only: the organisation's
            // (a JSON string in settings, USD until one is set, as
            // `settings::DEFAULT_CURRENCY`) come first, then each other
            // currency's together.
            OpportunitySort::Amount => {
                "CASE WHEN '\"' || r.currency || '\"'
                    = COALESCE((SELECT s.value FROM settings s WHERE s.key = 'currency'), '\"USD\"')
                 THEN 0 ELSE 1 END, r.currency, r.amount_minor"
            }
            OpportunitySort::Probability => "r.probability",
        }
    }
}

/// Filters of the opportunity list and board; empty means any.
#[derive(Debug, Clone, Default)]
pub struct OpportunityListFilter {
    pub owner_id: Option<i64>,
    pub stage: Option<OpportunityStage>,
    pub forecast_category: Option<ForecastCategory>,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Words to find in the deal's name or its account's.
    pub search: String,
}

/// A deal as the opportunity list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityLine {
    pub deal: Opportunity,
    pub account_name: Option<String>,
    pub owner_name: Option<String>,
}

/// The deals of one stage and currency on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTotal {
    pub stage: OpportunityStage,
    pub currency: String,
    pub deals: i64,
    pub amount_minor: i64,
}

const OPPORTUNITY_LINES: &str =
    "SELECT o.id, o.name, o.account_id, o.contact_id, o.lead_id, o.owner_id, o.product,
        o.amount_minor, o.currency, o.stage, o.probability, o.forecast_category, o.expected_close,
        o.engaged_on, o.closed_on, o.close_reason, o.created_at, o.updated_at,
        a.name AS account_name, a.name_norm AS account_norm, u.name AS owner_name
     FROM opportunities o LEFT JOIN accounts a ON a.id = o.account_id
     LEFT JOIN users u ON u.id = o.owner_id";

fn opportunity_line(row: &sqlx::any::AnyRow) -> Result<OpportunityLine> {
    use sqlx::Row;
    Ok(OpportunityLine {
        deal: opportunity_from_row(row)?,
        account_name: row.try_get("account_name")?,
        owner_name: row.try_get("owner_name")?,
    })
}

fn opportunity_conditions(filter: &OpportunityListFilter) -> Conditions {
    let mut conditions = Conditions::default();
    conditions.equal("r.owner_id = ?", filter.owner_id);
    conditions.equal("r.stage = ?", filter.stage.map(|s| s.as_str()));
    conditions.equal(
        "r.forecast_category = ?",
        filter.forecast_category.map(|c| c.as_str()),
    );
    conditions.equal("r.account_id = ?", filter.account_id);
    conditions.equal("r.contact_id = ?", filter.contact_id);
    conditions.search(
        &[
            "LOWER(r.name) LIKE ? ESCAPE '\\'",
            "r.account_norm LIKE ? ESCAPE '\\'",
        ],
        &filter.search,
    );
    conditions
}

/// Refuses a second deal on one lead: a lead becomes a deal once, and
/// further business goes on its account; and a deal on a disqualified lead,
/// which would stand in the funnel as no one's. Checked inside the writer's
/// transaction, the lead locked on PostgreSQL, so that of two conversions
/// at once, or a conversion and a disqualification, only the first lands.
async fn ensure_convertible(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    lead_id: i64,
) -> Result<()> {
    if backend == Backend::Postgres {
        // The deal finishes the lead's open work: its holders' loads are
        // locked before the lead, as every change of who holds work does.
        lock_holders_of(tx, &[WorkOf::Lead(lead_id)]).await?;
        sqlx::query("SELECT id FROM leads WHERE id = $1 FOR UPDATE")
            .bind(lead_id)
            .execute(&mut **tx)
            .await?;
    }
    let (stage,): (String,) = sqlx::query_as("SELECT stage FROM leads WHERE id = $1")
        .bind(lead_id)
        .fetch_one(&mut **tx)
        .await?;
    if stage == Stage::Disqualified.as_str() {
        return Err(DbError::conflict(
            "lead_id",
            format!(
                "lead {lead_id} is disqualified: bring it back (to sal or sql) before opening a deal on it"
            ),
        ));
    }
    let existing: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM opportunities WHERE lead_id = $1 ORDER BY id LIMIT 1")
            .bind(lead_id)
            .fetch_optional(&mut **tx)
            .await?;
    match existing {
        Some((deal,)) => Err(DbError::conflict(
            "lead_id",
            format!("lead {lead_id} already became deal {deal}; open further deals on its account"),
        )),
        None => Ok(()),
    }
}

impl Db {
    /// Opens an opportunity; its lead, if any, moves to the opportunity stage.
    pub async fn create_opportunity(
        &self,
        actor: Option<i64>,
        new: &NewOpportunity,
    ) -> Result<Opportunity> {
        let mut refusals = Refusals::default();
        let name = refusals.value(required_name(
            "name",
            &new.name,
            "an opportunity needs a name",
        ))?;
        let mut stage = new.stage.unwrap_or(OpportunityStage::Prospecting);
        if stage.is_closed() {
            refusals.refuse(
                "stage",
                "a new opportunity starts open; win or lose it afterwards",
            );
            // The checks that depend on the stage judge the one it would
            // start in, not the one refused.
            stage = OpportunityStage::Prospecting;
        }
        let currency = refusals.value(
            self.currency_or_default("currency", new.currency.as_deref())
                .await
                .map(Some),
        )?;
        // An amount is read in its currency's units, so only once that is known.
        let amount = match &currency {
            Some(currency) => refusals.value(amount("amount", &new.amount, currency))?,
            None => 0,
        };
        let probability = refusals
            .value(probability(new.probability, stage))?
            .unwrap_or_else(|| i64::from(stage.default_probability()));
        let category = refusals
            .value(category(new.forecast_category, stage))?
            .unwrap_or_else(|| stage.default_forecast_category());
        let expected_close =
            refusals.value(day("expected_close", new.expected_close.as_deref()))?;
        refusals.value(
            self.ensure_exists("account_id", Table::Accounts, new.account_id)
                .await,
        )?;
        refusals.value(
            self.ensure_exists("contact_id", Table::Contacts, new.contact_id)
                .await,
        )?;
        refusals.value(
            self.ensure_seller("owner_id", Some(new.owner_id), "deals")
                .await,
        )?;
        refusals.value(at_most(
            "product",
            new.product.as_deref().unwrap_or(""),
            MAX_NAME,
        ))?;
        let lead = match new.lead_id {
            Some(id) => refusals.value(
                self.lead(id)
                    .await
                    .map(Some)
                    .map_err(|_| DbError::invalid("lead_id", format!("there is no lead {id}"))),
            )?,
            None => None,
        };
        refusals.finish()?;
        let currency = currency.map(|c| c.to_string()).unwrap_or_default();
        // A deal opened on a lead is with the lead's person and company
        // unless others are named.
        let account_id = new.account_id.or(lead.as_ref().and_then(|l| l.account_id));
        let contact_id = new.contact_id.or(lead.as_ref().and_then(|l| l.contact_id));
        if let (Some(account), Some(contact)) = (account_id, contact_id) {
            let (of,): (Option<i64>,) =
                sqlx::query_as("SELECT account_id FROM contacts WHERE id = $1")
                    .bind(contact)
                    .fetch_one(self.reader())
                    .await?;
            if let Some(of) = of.filter(|of| *of != account) {
                let field = if new.contact_id.is_some() {
                    "contact_id"
                } else {
                    "account_id"
                };
                return Err(DbError::invalid(
                    field,
                    format!(
                        "contact {contact} is one of account {of}'s people, not of account {account}'s"
                    ),
                ));
            }
        }
        let now = now_ms();
        let today = self.today().await?;
        let mut tx = self.begin_write().await?;
        if let Some(lead) = &lead {
            ensure_convertible(&mut tx, self.backend(), lead.id).await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO opportunities (name, account_id, contact_id, lead_id, owner_id, product, amount_minor,
                 currency, stage, probability, forecast_category, expected_close, engaged_on, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
        )
        .bind(&name)
        .bind(account_id)
        .bind(contact_id)
        .bind(new.lead_id)
        .bind(new.owner_id)
        .bind(optional(new.product.as_deref()))
        .bind(amount)
        .bind(currency.as_str())
        .bind(stage.as_str())
        .bind(probability)
        .bind(category.as_str())
        .bind(expected_close.map(|d| d.to_string()))
        .bind(engaged(stage).then(|| today.to_string()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "opportunity.created",
            "opportunity",
            Some(id),
            &serde_json::json!({"name": name, "amount_minor": amount, "currency": currency, "stage": stage}),
        )
        .await?;
        // A lead that becomes a deal has reached the opportunity stage; one
        // further along (a customer's) stays where it is.
        // Either way its open work has led to the deal, so it is done.
        if let Some(lead) = lead {
            change_stage_in(
                &mut tx,
                lead.id,
                BEFORE_A_DEAL,
                Stage::Opportunity,
                &format!("opportunity {id} opened"),
                actor,
            )
            .await?;
            finish_open_work_in(
                &mut tx,
                WorkOf::Lead(lead.id),
                &format!("opportunity {id} opened: the work goes on in the deal"),
                actor,
            )
            .await?;
        }
        tx.commit().await?;
        self.opportunity(id).await
    }

    /// One opportunity by id.
    pub async fn opportunity(&self, id: i64) -> Result<Opportunity> {
        let row = sqlx::query(&format!("{OPPORTUNITY_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        opportunity_from_row(&row.ok_or_else(|| DbError::NotFound(format!("opportunity {id}")))?)
    }

    /// Opportunities after the cursor `after` (an id), matching the filter, oldest first.
    pub async fn opportunities(
        &self,
        filter: &OpportunityFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Opportunity>> {
        let rows = sqlx::query(&format!(
            "{OPPORTUNITY_SELECT} WHERE id > $1
               AND ($2 = 0 OR owner_id = $2)
               AND ($3 = '' OR stage = $3)
               AND ($4 = 0 OR account_id = $4)
               AND ($5 = 0 OR lead_id = $5)
             ORDER BY id LIMIT $6"
        ))
        .bind(after)
        .bind(filter.owner_id.unwrap_or(0))
        .bind(filter.stage.map(|s| s.as_str()).unwrap_or_default())
        .bind(filter.account_id.unwrap_or(0))
        .bind(filter.lead_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(opportunity_from_row).collect()
    }

    /// Moves a deal on. Won or lost closes it today (the organisation's day), lost with a
    /// reason; winning makes its account and its lead customers. A closed
    /// deal does not change any more.
    /// What [`Db::update_opportunity`] would refuse of `change`, every
    /// problem at once; changes nothing. A page asks it of the fields that
    /// read when others did not.
    pub async fn checked_opportunity_change(
        &self,
        id: i64,
        change: &OpportunityChange,
    ) -> Result<()> {
        let mut refusals = Refusals::default();
        refusals.value(
            self.ensure_seller("owner_id", change.owner_id, "deals")
                .await,
        )?;
        let current = self.opportunity(id).await?;
        if let Err(e) = changed_deal(&current, change) {
            refusals.value::<()>(Err(e))?;
        }
        refusals.finish()
    }

    pub async fn update_opportunity(
        &self,
        actor: Option<i64>,
        id: i64,
        change: &OpportunityChange,
    ) -> Result<Opportunity> {
        // Days are the organisation's: a deal won late on the last evening
        // of a quarter belongs to that quarter. Read before the transaction:
        // on PostgreSQL reads share the writers' pool, which the changes
        // waiting on this row may hold.
        let today = self.today().await?.to_string();
        self.ensure_seller("owner_id", change.owner_id, "deals")
            .await?;
        // Read inside the writer's transaction, the row locked on
        // PostgreSQL, so that changes sent at once each apply to the one
        // before rather than writing back a row read before it.
        let mut tx = self.begin_write().await?;
        let lock = self.backend().row_lock();
        let row = sqlx::query(&format!("{OPPORTUNITY_SELECT} WHERE id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let current = opportunity_from_row(
            &row.ok_or_else(|| DbError::NotFound(format!("opportunity {id}")))?,
        )?;
        let deal = changed_deal(&current, change)?;
        let (stage, amount, probability, category) =
            (deal.stage, deal.amount, deal.probability, deal.category);
        let (expected_close, close_reason) = (deal.expected_close, deal.close_reason);
        let moved = deal.moved;
        let engaged_on = current
            .engaged_on
            .clone()
            .or_else(|| engaged(stage).then(|| today.clone()));
        let owner_id = change.owner_id.or(current.owner_id);
        let unchanged = !moved
            && owner_id == current.owner_id
            && (amount, probability, category)
                == (
                    current.amount_minor,
                    current.probability,
                    current.forecast_category,
                )
            && (&expected_close, &engaged_on) == (&current.expected_close, &current.engaged_on);
        if unchanged {
            // A change to nothing writes nothing, not even the time.
            return Ok(current);
        }
        let closed_on = stage.is_closed().then(|| today.clone());
        let won = stage == OpportunityStage::Won;
        let now = now_ms();
        // The stage in the WHERE clause keeps two people from closing the same deal twice.
        let updated = sqlx::query(
            "UPDATE opportunities SET stage = $1, amount_minor = $2, probability = $3, forecast_category = $4,
                 expected_close = $5, engaged_on = $6, closed_on = $7, close_reason = $8, updated_at = $9,
                 owner_id = $12
             WHERE id = $10 AND stage = $11",
        )
        .bind(stage.as_str())
        .bind(amount)
        .bind(probability)
        .bind(category.as_str())
        .bind(expected_close.as_deref())
        .bind(engaged_on.as_deref())
        .bind(closed_on.as_deref())
        .bind(close_reason.as_deref())
        .bind(now)
        .bind(id)
        .bind(current.stage.as_str())
        .bind(owner_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(DbError::conflict(
                "stage",
                format!("opportunity {id} changed meanwhile; read it again"),
            ));
        }
        if owner_id != current.owner_id
            && let Some(lead) = current.lead_id
        {
            sqlx::query("UPDATE leads SET owner_id = $1, updated_at = $2 WHERE id = $3")
                .bind(owner_id)
                .bind(now)
                .bind(lead)
                .execute(&mut *tx)
                .await?;
        }
        if won && let Some(account) = current.account_id {
            sqlx::query("UPDATE accounts SET status = 'customer', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        audit_in(
            &mut *tx,
            actor,
            "opportunity.updated",
            "opportunity",
            Some(id),
            &serde_json::json!({
                "from_stage": current.stage, "stage": stage, "amount_minor": amount,
                "probability": probability, "forecast_category": category,
                "close_reason": close_reason, "owner_id": owner_id,
                "account_became_customer": if won { current.account_id } else { None },
            }),
        )
        .await?;
        match (stage, current.lead_id) {
            (OpportunityStage::Won, Some(lead)) => {
                change_stage_in(
                    &mut tx,
                    lead,
                    &[],
                    Stage::Customer,
                    &format!("opportunity {id} won"),
                    actor,
                )
                .await?;
            }
            // The lead's one deal is lost: it leaves the funnel with the
            // reason, rather than stay an opportunity for good. Moved by
            // hand, it may come back.
            (OpportunityStage::Lost, Some(lead)) => {
                change_stage_in(
                    &mut tx,
                    lead,
                    &[Stage::Opportunity],
                    Stage::Disqualified,
                    &format!(
                        "opportunity {id} lost: {}",
                        close_reason.as_deref().unwrap_or_default()
                    ),
                    actor,
                )
                .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        self.opportunity(id).await
    }
}

impl Db {
    /// A window of the opportunity list and its total.
    pub async fn opportunity_list(
        &self,
        filter: &OpportunityListFilter,
        window: &Window<OpportunitySort>,
    ) -> Result<Listed<OpportunityLine>> {
        let conditions = opportunity_conditions(filter);
        self.list(OPPORTUNITY_LINES, &conditions, window, opportunity_line)
            .await
    }

    /// How many deals each stage holds and what they are worth, per
    /// currency, for the filter's deals.
    pub async fn stage_totals(&self, filter: &OpportunityListFilter) -> Result<Vec<StageTotal>> {
        let conditions = opportunity_conditions(filter);
        let sql = format!(
            "SELECT r.stage, r.currency, COUNT(*), CAST(SUM(r.amount_minor) AS BIGINT)
             FROM ({OPPORTUNITY_LINES}) r{} GROUP BY r.stage, r.currency ORDER BY r.currency",
            conditions.where_clause()
        );
        let rows = bind(sqlx::query(&sql), &conditions.values)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                use sqlx::Row;
                let stage: String = row.try_get(0)?;
                Ok(StageTotal {
                    stage: stage
                        .parse()
                        .map_err(|e| DbError::invalid("stage", format!("{e}")))?,
                    currency: row.try_get(1)?,
                    deals: row.try_get(2)?,
                    amount_minor: row.try_get(3)?,
                })
            })
            .collect()
    }
}

/// A deal as a change leaves it, before the days that follow from its stage.
struct DealChange {
    stage: OpportunityStage,
    /// The stage is another.
    moved: bool,
    amount: i64,
    probability: i64,
    category: ForecastCategory,
    expected_close: Option<String>,
    close_reason: Option<String>,
}

/// `current` with `change` made to it, checked: every problem at once; a
/// closed deal is a conflict.
fn changed_deal(current: &Opportunity, change: &OpportunityChange) -> Result<DealChange> {
    if current.stage.is_closed() {
        return Err(DbError::conflict(
            "stage",
            format!(
                "opportunity {} is already {}; a closed deal does not change",
                current.id, current.stage
            ),
        ));
    }
    let stage = change.stage.unwrap_or(current.stage);
    let moved = stage != current.stage;
    let currency =
        Currency::parse(&current.currency).map_err(|e| DbError::invalid("currency", e))?;
    let mut refusals = Refusals::default();
    let amount = match &change.amount {
        Some(a) => refusals.value(amount("amount", a, &currency))?,
        None => current.amount_minor,
    };
    let probability = match refusals.value(probability(change.probability, stage))? {
        Some(p) => p,
        None if moved => i64::from(stage.default_probability()),
        None => current.probability,
    };
    let category = match refusals.value(category(change.forecast_category, stage))? {
        Some(c) => c,
        None if moved => stage.default_forecast_category(),
        None => current.forecast_category,
    };
    let expected_close = match &change.expected_close {
        Some(text) => refusals
            .value(day("expected_close", Some(text)))?
            .map(|d| d.to_string()),
        None => current.expected_close.clone(),
    };
    let close_reason = optional(change.close_reason.as_deref());
    if let Some(reason) = &close_reason {
        refusals.value(at_most("close_reason", reason, MAX_TEXT))?;
    }
    if stage == OpportunityStage::Lost && close_reason.is_none() {
        refusals.refuse("close_reason", "say why the deal was lost");
    }
    if !stage.is_closed() && close_reason.is_some() {
        refusals.refuse(
            "close_reason",
            "only a won or lost opportunity has a close reason",
        );
    }
    refusals.finish()?;
    Ok(DealChange {
        stage,
        moved,
        amount,
        probability,
        category,
        expected_close,
        close_reason,
    })
}
