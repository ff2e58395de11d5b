//! Organisation settings: typed JSON values under fixed keys, with defaults.

use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Settings keys and the type stored under each.
pub mod keys {
    /// IANA time zone name of the organisation, e.g. `Europe/Berlin`.
    pub const TIME_ZONE: &str = "time_zone";
    /// Business hours spec, e.g. `mon-fri 09:00-17:00`.
    pub const BUSINESS_HOURS: &str = "business_hours";
    /// `baton_core::scoring::ScoringConfig`.
    pub const SCORING: &str = "scoring";
    /// `baton_core::moderation::ModerationConfig`.
    pub const MODERATION: &str = "moderation";
    /// Currency of amounts entered without one.
    pub const CURRENCY: &str = "currency";
    /// This installation's lasting name, made once (see `Db::installation`).
    pub const INSTALLATION: &str = "installation";
    /// `baton_core::accountability::AccountabilityConfig`.
    pub const ACCOUNTABILITY: &str = "accountability";
    /// `true` while a generated company is being written: one left `true`
    /// was interrupted, and its figures are partial.
    pub const GENERATING: &str = "generating";
}

/// A stored setting's JSON as `T`, or `T::default()` when none is stored.
fn parse_setting<T: DeserializeOwned + Default>(key: &str, json: Option<&str>) -> Result<T> {
    match json {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| DbError::invalid(key, format!("stored setting cannot be read: {e}"))),
        None => Ok(T::default()),
    }
}

impl Db {
    /// Whether a generated company was interrupted before it was complete.
    pub async fn generation_interrupted(&self) -> Result<bool> {
        self.setting(keys::GENERATING).await
    }

    /// The value under `key`, or `T::default()` when none is stored.
    pub async fn setting<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        parse_setting(key, row.map(|(json,)| json).as_deref())
    }

    /// This installation's lasting name, random and made the first time it
    /// is asked for: the calendar feed's event ids are made of it, so that
    /// they stay the same whichever address or server gives the feed.
    pub async fn installation(&self) -> Result<String> {
        let made: String = self.setting(keys::INSTALLATION).await?;
        if !made.is_empty() {
            return Ok(made);
        }
        // Two servers asking at once keep the first one stored.
        let fresh = serde_json::to_string(&baton_core::auth::random_hex(8))
            .map_err(|e| DbError::invalid(keys::INSTALLATION, e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(keys::INSTALLATION)
        .bind(fresh)
        .execute(self.writer())
        .await?;
        let row: (String,) = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(keys::INSTALLATION)
            .fetch_one(self.writer())
            .await?;
        parse_setting(keys::INSTALLATION, Some(&row.0))
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn put_setting<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let json =
            serde_json::to_string(value).map_err(|e| DbError::invalid(key, e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(json)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}

/// The organisation's settings, as people see and change them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Organisation {
    /// IANA time zone reports and business hours are given in.
    pub time_zone: String,
    /// Working week for business-hours SLAs, e.g. `mon-fri 09:00-17:00`; a
    /// day named again gets another stretch, e.g. `mon-fri 09:00-12:00,
    /// mon-fri 13:00-17:00` for a lunch break.
    pub business_hours: String,
    /// Currency of amounts entered without one.
    pub currency: String,
    #[schema(value_type = Object)]
    pub scoring: baton_core::scoring::ScoringConfig,
    #[schema(value_type = Object)]
    pub moderation: baton_core::moderation::ModerationConfig,
    /// Smoke tolerance, forecast cut-off and busy-without-results thresholds.
    pub accountability: baton_core::accountability::AccountabilityConfig,
}

impl Organisation {
    /// The working week business-hours SLAs are counted in, in the organisation's time zone.
    pub(crate) fn hours(&self) -> Result<baton_core::sla::BusinessHours> {
        let zone = jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|e| DbError::invalid("time_zone", format!("`{}`: {e}", self.time_zone)))?;
        baton_core::sla::BusinessHours::parse(&self.business_hours, zone)
            .map_err(|e| DbError::invalid("business_hours", e))
    }
}

/// Changes to the settings; absent or `null` fields stay as they are. A
/// group (`scoring`, `moderation`, `accountability`) changes only the
/// fields it names, down to the lists of the blocklist, and a field of a
/// group given as `null` goes back to its default.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChange {
    pub time_zone: Option<String>,
    pub business_hours: Option<String>,
    pub currency: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub scoring: Option<GroupChange>,
    #[schema(value_type = Option<Object>)]
    pub moderation: Option<GroupChange>,
    #[schema(value_type = Option<Object>)]
    pub accountability: Option<GroupChange>,
}

/// The fields of one settings group to change, by name.
pub type GroupChange = serde_json::Map<String, serde_json::Value>;

/// Lays `change` over `fields`, object within object (a blocklist changes
/// only the lists it names); `null` removes a field, so that its
/// `serde(default)` fills it in again.
fn lay_over(fields: &mut GroupChange, change: &GroupChange) {
    for (name, given) in change {
        match (fields.get_mut(name), given) {
            (_, serde_json::Value::Null) => {
                fields.remove(name);
            }
            (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(given)) => {
                lay_over(inner, given);
            }
            _ => {
                fields.insert(name.clone(), given.clone());
            }
        }
    }
}

/// `current` with the fields of `change` laid over it, read back as `T`;
/// a field `T` does not have, or of the wrong type, is named under `group`.
fn changed<T: Serialize + DeserializeOwned>(
    group: &str,
    current: T,
    change: Option<&GroupChange>,
) -> Result<T> {
    let Some(change) = change else {
        return Ok(current);
    };
    let mut value =
        serde_json::to_value(current).map_err(|e| DbError::invalid(group, e.to_string()))?;
    if let Some(fields) = value.as_object_mut() {
        lay_over(fields, change);
    }
    serde_path_to_error::deserialize(value)
        .map_err(|e| DbError::invalid(format!("{group}.{}", e.path()), e.inner().to_string()))
}

/// Used when no time zone was set.
const DEFAULT_TIME_ZONE: &str = "UTC";
/// Used when no business hours were set.
const DEFAULT_BUSINESS_HOURS: &str = "mon-fri 09:00-17:00";
/// Used when no currency was set.
const DEFAULT_CURRENCY: &str = "USD";

fn or_default(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_string()
    } else {
        value
    }
}

/// The time zone of the stored time-zone setting `json`; UTC when none is
/// set or it names none (settings refuse such names, so only a
/// hand-edited database holds one).
pub(crate) fn stored_zone(json: Option<&str>) -> jiff::tz::TimeZone {
    let name: String = parse_setting(keys::TIME_ZONE, json).unwrap_or_default();
    jiff::tz::TimeZone::get(&or_default(name, DEFAULT_TIME_ZONE)).unwrap_or(jiff::tz::TimeZone::UTC)
}

impl Db {
    /// The organisation's time zone, which days, quarters and reports are read in.
    pub async fn time_zone(&self) -> Result<jiff::tz::TimeZone> {
        let name = or_default(self.setting(keys::TIME_ZONE).await?, DEFAULT_TIME_ZONE);
        jiff::tz::TimeZone::get(&name)
            .map_err(|_| DbError::invalid("time_zone", format!("`{name}` is not a time zone")))
    }

    /// Today's date in the organisation's time zone.
    pub async fn today(&self) -> Result<jiff::civil::Date> {
        Ok(jiff::Timestamp::now()
            .to_zoned(self.time_zone().await?)
            .date())
    }

    /// The working week business-hours SLAs are counted in.
    pub(crate) async fn business_hours(&self) -> Result<baton_core::sla::BusinessHours> {
        let organisation = self.organisation().await?;
        organisation.hours()
    }

    pub async fn organisation(&self) -> Result<Organisation> {
        // One query for all of them: intake reads these for every batch.
        let stored: HashMap<String, String> =
            sqlx::query_as("SELECT key, value FROM settings WHERE key IN ($1, $2, $3, $4, $5, $6)")
                .bind(keys::TIME_ZONE)
                .bind(keys::BUSINESS_HOURS)
                .bind(keys::CURRENCY)
                .bind(keys::SCORING)
                .bind(keys::MODERATION)
                .bind(keys::ACCOUNTABILITY)
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .collect();
        let read = |key: &str| stored.get(key).map(String::as_str);
        let time_zone: String = parse_setting(keys::TIME_ZONE, read(keys::TIME_ZONE))?;
        let business_hours: String =
            parse_setting(keys::BUSINESS_HOURS, read(keys::BUSINESS_HOURS))?;
        let currency: String = parse_setting(keys::CURRENCY, read(keys::CURRENCY))?;
        let scoring = parse_setting(keys::SCORING, read(keys::SCORING))?;
        let moderation = parse_setting(keys::MODERATION, read(keys::MODERATION))?;
        let accountability = parse_setting(keys::ACCOUNTABILITY, read(keys::ACCOUNTABILITY))?;
        Ok(Organisation {
            time_zone: or_default(time_zone, DEFAULT_TIME_ZONE),
            business_hours: or_default(business_hours, DEFAULT_BUSINESS_HOURS),
            currency: or_default(currency, DEFAULT_CURRENCY),
            scoring,
            moderation,
            accountability,
        })
    }

    /// Checks every change first, then stores them; a bad value changes nothing.
    pub async fn change_organisation(
        &self,
        actor: i64,
        change: &OrganisationChange,
    ) -> Result<Organisation> {
        let current = self.organisation().await?;
        let time_zone = change
            .time_zone
            .as_deref()
            .unwrap_or(&current.time_zone)
            .trim()
            .to_string();
        let mut refusals = Refusals::default();
        let zone = refusals.value(jiff::tz::TimeZone::get(&time_zone).map(Some).map_err(|_| {
            DbError::invalid(
                "time_zone",
                format!("`{time_zone}` is not an IANA time zone like Europe/Berlin"),
            )
        }))?;
        let business_hours = change
            .business_hours
            .as_deref()
            .unwrap_or(&current.business_hours)
            .trim()
            .to_string();
        // Kept as the time zone database spells it (`europe/berlin` is
        // found, and kept as Europe/Berlin).
        let time_zone = zone
            .as_ref()
            .and_then(|zone| zone.iana_name())
            .map_or(time_zone, str::to_string);
        // The hours are read in UTC where the zone is refused: their form
        // is checked all the same.
        let hours_zone = zone.unwrap_or(jiff::tz::TimeZone::UTC);
        // Kept as read back: stretches in order, joined where they touch.
        let business_hours = refusals.value(
            baton_core::sla::BusinessHours::parse(&business_hours, hours_zone)
                .map(|hours| hours.to_string())
                .map_err(|e| DbError::invalid("business_hours", e)),
        )?;
        let currency = refusals.value(
            baton_core::money::Currency::parse(
                change.currency.as_deref().unwrap_or(&current.currency),
            )
            .map(|currency| currency.to_string())
            .map_err(|e| DbError::invalid("currency", e)),
        )?;
        let scoring =
            refusals.value(changed("scoring", current.scoring, change.scoring.as_ref()))?;
        let moderation = refusals.value(changed(
            "moderation",
            current.moderation,
            change.moderation.as_ref(),
        ))?;
        if let Some((field, reason)) = moderation.problem() {
            refusals.refuse(format!("moderation.{field}"), reason);
        }
        let accountability = refusals.value(changed(
            "accountability",
            current.accountability,
            change.accountability.as_ref(),
        ))?;
        if let Some((field, reason)) = accountability.problem() {
            refusals.refuse(format!("accountability.{field}"), reason);
        }
        refusals.finish()?;
        let organisation = Organisation {
            time_zone,
            business_hours,
            currency,
            scoring,
            moderation,
            accountability,
        };
        let mut tx = self.begin_write().await?;
        for (key, value) in [
            (keys::TIME_ZONE, serde_json::json!(organisation.time_zone)),
            (
                keys::BUSINESS_HOURS,
                serde_json::json!(organisation.business_hours),
            ),
            (keys::CURRENCY, serde_json::json!(organisation.currency)),
            (
                keys::SCORING,
                serde_json::to_value(&organisation.scoring).unwrap_or_default(),
            ),
            (
                keys::MODERATION,
                serde_json::to_value(&organisation.moderation).unwrap_or_default(),
            ),
            (
                keys::ACCOUNTABILITY,
                serde_json::to_value(&organisation.accountability).unwrap_or_default(),
            ),
        ] {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value.to_string())
            .execute(&mut *tx)
            .await?;
        }
        crate::users::audit_in(
            &mut *tx,
            Some(actor),
            "settings.changed",
            "organisation",
            None,
            &serde_json::to_value(&organisation).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(organisation)
    }
}
