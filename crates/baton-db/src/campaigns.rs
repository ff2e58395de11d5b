//! Marketing campaigns: what leads came from, on which channel, at what cost.

use crate::checks::{amount, day, required_name};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Direction, Listed, SortColumn, Window};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::domain::{Stage, UnknownValue};
use baton_core::money::{Currency, Decimal, format_minor};
use baton_core::slug::parse_slug;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A campaign and its cost.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    /// email, event, webinar, ads, social, direct_mail, telemarketing…
    pub channel: String,
    /// Cost in minor units of `currency`.
    pub cost_minor: i64,
    /// Cost in major units, as decimal text.
    pub cost: String,
    pub currency: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: Option<String>,
    /// Last day, `YYYY-MM-DD`; absent while it runs on.
    pub ends_on: Option<String>,
    pub created_at: i64,
}

/// What is needed to add a campaign.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub channel: String,
    /// In the currency's major units; zero when absent.
    pub cost: Option<Decimal>,
    /// The organisation's currency when absent.
    pub currency: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
}

/// Changes to a campaign; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct CampaignChange {
    pub name: Option<String>,
    pub channel: Option<String>,
    /// In the currency's major units.
    pub cost: Option<Decimal>,
    /// The cost is read in it: give the cost again when the currency's
    /// decimals differ.
    pub currency: Option<String>,
    /// `Some(None)` clears the day.
    pub starts_on: Option<Option<String>>,
    pub ends_on: Option<Option<String>>,
}

/// A campaign's values once checked, as they are stored.
struct CheckedCampaign {
    name: String,
    channel: String,
    cost_minor: i64,
    currency: String,
    starts_on: Option<String>,
    ends_on: Option<String>,
}

impl CheckedCampaign {
    /// A unique-name violation as the conflict it is.
    fn name_taken(&self, error: DbError) -> DbError {
        if error.is_unique_violation() {
            DbError::conflict(
                "name",
                format!("a campaign named {} already exists", self.name),
            )
        } else {
            error
        }
    }

    /// What the audit log keeps of it.
    fn audited(&self, leads_claimed: u64) -> serde_json::Value {
        serde_json::json!({"name": self.name, "channel": self.channel, "cost_minor": self.cost_minor,
            "currency": self.currency, "leads_claimed": leads_claimed})
    }
}

type CampaignRow = (
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
);

const CAMPAIGN_SELECT: &str =
    "SELECT id, name, channel, cost_minor, currency, starts_on, ends_on, created_at FROM campaigns";

fn campaign_from_row(row: CampaignRow) -> Result<Campaign> {
    let (id, name, channel, cost_minor, currency, starts_on, ends_on, created_at) = row;
    let code = Currency::parse(&currency).map_err(|e| DbError::invalid("currency", e))?;
    Ok(Campaign {
        id,
        name,
        channel,
        cost_minor,
        cost: format_minor(cost_minor, &code),
        currency,
        starts_on,
        ends_on,
        created_at,
    })
}

/// The columns the campaign list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignSort {
    StartsOn,
    Name,
    Channel,
    Cost,
    EndsOn,
    Leads,
}

impl SortColumn for CampaignSort {
    const ALL: &'static [Self] = &[
        CampaignSort::StartsOn,
        CampaignSort::Name,
        CampaignSort::Channel,
        CampaignSort::Cost,
        CampaignSort::EndsOn,
        CampaignSort::Leads,
    ];
    /// The latest campaigns first: the ones being run and judged now.
    const DIRECTION: Direction = Direction::Descending;

    fn key(self) -> &'static str {
        match self {
            CampaignSort::StartsOn => "starts_on",
            CampaignSort::Name => "name",
            CampaignSort::Channel => "channel",
            CampaignSort::Cost => "cost",
            CampaignSort::EndsOn => "ends_on",
            CampaignSort::Leads => "leads",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            CampaignSort::StartsOn => "r.starts_on",
            CampaignSort::Name => "r.name_lower",
            CampaignSort::Channel => "r.channel",
            CampaignSort::Cost => "r.cost_minor",
            CampaignSort::EndsOn => "r.ends_on",
            CampaignSort::Leads => "r.leads",
        }
    }
}

/// Filters of the campaign list; empty means any.
#[derive(Debug, Clone, Default)]
pub struct CampaignListFilter {
    pub channel: Option<String>,
    /// Words to find in the name or channel.
    pub search: String,
}

/// What a campaign's leads have become.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignPipeline {
    /// Leads at each stage now, in the stages' order; stages without
    /// leads are left out.
    pub by_stage: Vec<(Stage, i64)>,
    /// Deals opened from its leads, open or closed.
    pub opportunities: i64,
}

/// A campaign as the campaign list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignLine {
    pub campaign: Campaign,
    /// Leads it brought.
    pub leads: i64,
}

const CAMPAIGN_LINES: &str =
    "SELECT c.id, c.name, c.name_lower, c.channel, c.cost_minor, c.currency, c.starts_on, c.ends_on,
        c.created_at, (SELECT COUNT(*) FROM leads l WHERE l.campaign_id = c.id) AS leads
     FROM campaigns c";

fn campaign_line(row: &AnyRow) -> Result<CampaignLine> {
    Ok(CampaignLine {
        campaign: campaign_from_row((
            row.try_get("id")?,
            row.try_get("name")?,
            row.try_get("channel")?,
            row.try_get("cost_minor")?,
            row.try_get("currency")?,
            row.try_get("starts_on")?,
            row.try_get("ends_on")?,
            row.try_get("created_at")?,
        ))?,
        leads: row.try_get("leads")?,
    })
}

impl Db {
    /// `new`'s values checked: a name, a channel slug, a cost in the
    /// currency's units, and days in order.
    async fn checked_campaign(&self, new: &NewCampaign) -> Result<CheckedCampaign> {
        let mut refusals = Refusals::default();
        let name = refusals.value(required_name("name", &new.name, "a campaign needs a name"))?;
        let channel =
            refusals.value(parse_slug(&new.channel).map_err(|e| DbError::invalid("channel", e)))?;
        let currency = refusals.value(
            self.currency_or_default("currency", new.currency.as_deref())
                .await
                .map(Some),
        )?;
        // A cost is read in its currency's units, so only once that is
        // known; beside a currency that does not read, it is still checked
        // as an amount in the currency with the most decimals.
        let cost_minor = match (&currency, &new.cost) {
            (Some(currency), Some(cost)) => refusals.value(amount("cost", cost, currency))?,
            (None, Some(cost)) => {
                let most_decimals = Currency::parse("CLF").expect("an ISO 4217 code");
                refusals.value(amount("cost", cost, &most_decimals))?;
                0
            }
            _ => 0,
        };
        let starts_on = refusals.value(day("starts_on", new.starts_on.as_deref()))?;
        let ends_on = refusals.value(day("ends_on", new.ends_on.as_deref()))?;
        if let (Some(starts), Some(ends)) = (starts_on, ends_on)
            && ends < starts
        {
            refusals.refuse(
                "ends_on",
                format!("the campaign ends ({ends}) before it starts ({starts})"),
            );
        }
        refusals.finish()?;
        let currency = currency.map(|c| c.to_string()).unwrap_or_default();
        Ok(CheckedCampaign {
            name,
            channel,
            cost_minor,
            currency,
            starts_on: starts_on.map(|d| d.to_string()),
            ends_on: ends_on.map(|d| d.to_string()),
        })
    }

    /// Adds a campaign; its name must be new, whatever its case. The leads
    /// whose inquiries named it before it existed become its own.
    pub async fn create_campaign(&self, actor: Option<i64>, new: &NewCampaign) -> Result<Campaign> {
        let campaign = self.checked_campaign(new).await?;
        self.store_campaign(actor, None, &campaign).await
    }

    /// Changes a campaign: what `change` gives, checked as a new one would
    /// be. A new name must not be another campaign's; the leads that named
    /// it before become this campaign's.
    pub async fn update_campaign(
        &self,
        actor: Option<i64>,
        id: i64,
        change: &CampaignChange,
    ) -> Result<Campaign> {
        let current = self.campaign(id).await?;
        let merged = NewCampaign {
            name: change.name.clone().unwrap_or(current.name),
            channel: change.channel.clone().unwrap_or(current.channel),
            cost: Some(change.cost.clone().unwrap_or(Decimal(current.cost))),
            currency: Some(change.currency.clone().unwrap_or(current.currency)),
            starts_on: change.starts_on.clone().unwrap_or(current.starts_on),
            ends_on: change.ends_on.clone().unwrap_or(current.ends_on),
        };
        let campaign = self.checked_campaign(&merged).await?;
        self.store_campaign(actor, Some(id), &campaign).await
    }

    /// Inserts a checked campaign, or stores it over campaign `id`, claims
    /// the leads that named it and records it in the audit log.
    async fn store_campaign(
        &self,
        actor: Option<i64>,
        id: Option<i64>,
        campaign: &CheckedCampaign,
    ) -> Result<Campaign> {
        let (sql, last, action) = match id {
            None => (
                "INSERT INTO campaigns (name, name_lower, channel, cost_minor, currency, starts_on,
                     ends_on, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                now_ms(),
                "campaign.created",
            ),
            Some(id) => (
                "UPDATE campaigns SET name = $1, name_lower = $2, channel = $3, cost_minor = $4,
                     currency = $5, starts_on = $6, ends_on = $7
                 WHERE id = $8 RETURNING id",
                id,
                "campaign.changed",
            ),
        };
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(sql)
            .bind(&campaign.name)
            .bind(campaign.name.to_lowercase())
            .bind(&campaign.channel)
            .bind(campaign.cost_minor)
            .bind(&campaign.currency)
            .bind(&campaign.starts_on)
            .bind(&campaign.ends_on)
            .bind(last)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| campaign.name_taken(e.into()))?;
        let claimed = claim_leads(&mut tx, id, &campaign.name).await?;
        audit_in(
            &mut *tx,
            actor,
            action,
            "campaign",
            Some(id),
            &campaign.audited(claimed),
        )
        .await?;
        tx.commit().await?;
        self.campaign(id).await
    }

    /// The campaign names inquiries gave that no campaign has, with how many
    /// leads gave each, most first; names that differ only in case are one,
    /// shown as most of its leads spelled it.
    pub async fn unknown_campaign_names(&self) -> Result<Vec<(String, i64)>> {
        let spellings: Vec<(String, i64)> = sqlx::query_as(
            "SELECT campaign_name, COUNT(*) FROM leads
             WHERE campaign_id IS NULL AND campaign_name IS NOT NULL
             GROUP BY campaign_name",
        )
        .fetch_all(self.reader())
        .await?;
        // lowercase name -> (most used spelling and its leads, all leads)
        let mut names: HashMap<String, ((String, i64), i64)> = HashMap::new();
        for (spelling, leads) in spellings {
            let entry = names
                .entry(spelling.to_lowercase())
                .or_insert_with(|| ((spelling.clone(), 0), 0));
            // The most used spelling; of two as used, the first in order.
            if leads > entry.0.1 || (leads == entry.0.1 && spelling < entry.0.0) {
                entry.0 = (spelling, leads);
            }
            entry.1 += leads;
        }
        let mut names: Vec<(String, i64)> = names
            .into_values()
            .map(|((spelling, _), leads)| (spelling, leads))
            .collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(names)
    }

    /// One campaign by id.
    pub async fn campaign(&self, id: i64) -> Result<Campaign> {
        let row: Option<CampaignRow> = sqlx::query_as(&format!("{CAMPAIGN_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        campaign_from_row(row.ok_or_else(|| DbError::NotFound(format!("campaign {id}")))?)
    }

    /// Every campaign's id and name, by name, for choosing one.
    pub async fn campaign_names(&self) -> Result<Vec<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT id, name FROM campaigns ORDER BY name, id")
                .fetch_all(self.reader())
                .await?,
        )
    }

    /// Campaigns after the cursor `after` (an id), optionally of one channel, oldest first.
    pub async fn campaigns(
        &self,
        channel: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Campaign>> {
        let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
            "{CAMPAIGN_SELECT} WHERE id > $1 AND ($2 = '' OR channel = $2) ORDER BY id LIMIT $3"
        ))
        .bind(after)
        .bind(channel.unwrap_or_default())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(campaign_from_row).collect()
    }
}

impl Db {
    /// A window of the campaign list and its total.
    pub async fn campaign_list(
        &self,
        filter: &CampaignListFilter,
        window: &Window<CampaignSort>,
    ) -> Result<Listed<CampaignLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.channel = ?", filter.channel.as_deref());
        conditions.search(
            &[
                "r.name_lower LIKE ? ESCAPE '\\'",
                "r.channel LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(CAMPAIGN_LINES, &conditions, window, campaign_line)
            .await
    }

    /// How many of a campaign's leads are at each stage, and the deals
    /// opened from them.
    pub async fn campaign_pipeline(&self, id: i64) -> Result<CampaignPipeline> {
        let stages: Vec<(String, i64)> = sqlx::query_as(
            "SELECT stage, COUNT(*) FROM leads WHERE campaign_id = $1 GROUP BY stage",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let (opportunities,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM opportunities o JOIN leads l ON l.id = o.lead_id
             WHERE l.campaign_id = $1",
        )
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        let mut by_stage = stages
            .into_iter()
            .map(|(stage, leads)| {
                let stage: Stage = stage
                    .parse()
                    .map_err(|e: UnknownValue| DbError::invalid("stage", e.to_string()))?;
                Ok((stage, leads))
            })
            .collect::<Result<Vec<_>>>()?;
        by_stage.sort();
        Ok(CampaignPipeline {
            by_stage,
            opportunities,
        })
    }

    /// Every channel a campaign uses, in order.
    pub async fn campaign_channels(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT channel FROM campaigns ORDER BY channel")
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }
}

/// Attributes to the new campaign `id` the leads whose inquiries named it
/// (in any case) before it existed; returns how many.
async fn claim_leads(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    name: &str,
) -> Result<u64> {
    let spellings: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT campaign_name FROM leads
         WHERE campaign_id IS NULL AND campaign_name IS NOT NULL",
    )
    .fetch_all(&mut **tx)
    .await?;
    let lower = name.to_lowercase();
    let mut claimed = 0;
    for (spelling,) in spellings
        .into_iter()
        .filter(|(spelling,)| spelling.to_lowercase() == lower)
    {
        claimed += sqlx::query(
            "UPDATE leads SET campaign_id = $1 WHERE campaign_id IS NULL AND campaign_name = $2",
        )
        .bind(id)
        .bind(spelling)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(claimed)
}
