//! Organisation settings: typed JSON values under fixed keys, with defaults.

use crate::connect::Db;
use crate::error::{DbError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
}

impl Db {
    /// The value under `key`, or `T::default()` when none is stored.
    pub async fn setting<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        match row {
            Some((json,)) => serde_json::from_str(&json)
                .map_err(|e| DbError::invalid(key, format!("stored setting cannot be read: {e}"))),
            None => Ok(T::default()),
        }
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
