//! Background work: retrying inquiries that wait for processing,
//! escalating SLA breaches and delivering webhooks. Each job runs under a database lease, so with
//! several servers on one database only one runs it at a time.

use baton_db::{Db, now_ms};
use std::time::Duration;

/// Runs the jobs every `interval` until the task is aborted.
pub async fn run(db: Db, interval: Duration) {
    let holder = format!("{}-{}", std::process::id(), baton_core::auth::random_hex(4));
    let lease_ms = (interval.as_millis() as i64 * 3).max(10_000);
    let client = crate::webhooks::client();
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        if let Err(e) = run_once(&db, &client, &holder, lease_ms).await {
            tracing::warn!(error = %e, "background job failed; retrying next round");
        }
    }
}

/// One round of every job whose lease this server holds.
pub async fn run_once(
    db: &Db,
    client: &reqwest::Client,
    holder: &str,
    lease_ms: i64,
) -> baton_db::Result<()> {
    if db.try_lease("escalation", holder, lease_ms).await? {
        let escalated = db.escalate_breaches(now_ms()).await?;
        if !escalated.is_empty() {
            tracing::info!(count = escalated.len(), "escalated SLA breaches");
        }
    }
    if db.try_lease("reprocess", holder, lease_ms).await? {
        // Inquiries still `received` a minute on were missed by their request.
        let waiting = db.stuck_inquiries(now_ms() - 60_000, 200).await?;
        if !waiting.is_empty() {
            db.process_inquiries(&waiting).await?;
        }
    }
    if db.try_lease("webhooks", holder, lease_ms).await? {
        crate::webhooks::deliver_due(db, client).await?;
    }
    Ok(())
}
