//! Marketing campaigns: what leads came from, on which channel, at what cost.

use crate::checks::{amount, day, required};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::money::{Currency, Decimal, format_minor};
use baton_core::slug::parse_slug;
use serde::Serialize;

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

impl Db {
    /// Adds a campaign; its name must be new, whatever its case.
    pub async fn create_campaign(&self, actor: Option<i64>, new: &NewCampaign) -> Result<Campaign> {
        let name = required("name", &new.name, "a campaign needs a name")?;
        let channel = parse_slug(&new.channel).map_err(|e| DbError::invalid("channel", e))?;
        let currency = self
            .currency_or_default("currency", new.currency.as_deref())
            .await?;
        let cost = new
            .cost
            .as_ref()
            .map(|c| amount("cost", c, &currency))
            .transpose()?
            .unwrap_or(0);
        let starts_on = day("starts_on", new.starts_on.as_deref())?;
        let ends_on = day("ends_on", new.ends_on.as_deref())?;
        if let (Some(starts), Some(ends)) = (starts_on, ends_on)
            && ends < starts
        {
            return Err(DbError::invalid(
                "ends_on",
                format!("the campaign ends ({ends}) before it starts ({starts})"),
            ));
        }
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (name, name_lower, channel, cost_minor, currency, starts_on, ends_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(&channel)
        .bind(cost)
        .bind(currency.as_str())
        .bind(starts_on.map(|d| d.to_string()))
        .bind(ends_on.map(|d| d.to_string()))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)
        .map_err(|e| {
            if e.is_unique_violation() {
                DbError::conflict("name", format!("a campaign named {name} already exists"))
            } else {
                e
            }
        })?;
        audit_in(
            &mut *tx,
            actor,
            "campaign.created",
            "campaign",
            Some(id),
            &serde_json::json!({"name": name, "channel": channel, "cost_minor": cost, "currency": currency}),
        )
        .await?;
        tx.commit().await?;
        self.campaign(id).await
    }

    /// One campaign by id.
    pub async fn campaign(&self, id: i64) -> Result<Campaign> {
        let row: Option<CampaignRow> = sqlx::query_as(&format!("{CAMPAIGN_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        campaign_from_row(row.ok_or_else(|| DbError::NotFound(format!("campaign {id}")))?)
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
