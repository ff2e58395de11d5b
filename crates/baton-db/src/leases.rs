//! Database leases: one server at a time runs a named piece of background
//! work. A lease expires on its own, so a crashed holder blocks nobody long.

use crate::connect::Db;
use crate::error::Result;
use crate::now_ms;

impl Db {
    /// Takes or renews the lease `name` for `holder` until `ttl_ms` from now.
    /// True when `holder` has it.
    pub async fn try_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool> {
        let now = now_ms();
        // One statement, so two servers racing for an expired lease cannot both win.
        let result = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Gives the lease up early, if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
