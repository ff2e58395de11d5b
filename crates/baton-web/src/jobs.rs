//! Background work: retrying inquiries that wait for processing,
//! escalating SLA breaches, delivering webhooks and retraining the learned
//! models. Each job runs under a database lease, so with several servers on
//! one database only one runs it at a time.

use baton_core::learn::train::Task;
use baton_db::{Db, now_ms};
use std::time::Duration;
use tokio::sync::watch;

/// How often the learned models are retrained from what people decided.
const RETRAIN_EVERY: Duration = Duration::from_secs(24 * 3600);

/// How long a retraining may hold its lease: training takes minutes at most.
const RETRAIN_LEASE_MS: i64 = 3600 * 1000;

/// Runs the jobs every `interval`, and retraining daily, until `stopping`
/// turns true. A round under way then finishes, and the webhook sends under
/// way land and are recorded, so they are not sent again once their claims
/// end.
pub async fn run(
    db: Db,
    interval: Duration,
    reach: crate::webhooks::Reach,
    stopping: watch::Receiver<bool>,
) {
    let holder = format!("{}-{}", std::process::id(), baton_core::auth::random_hex(4));
    let lease_ms = (interval.as_millis() as i64 * 3).max(10_000);
    let stopped = || {
        let mut stopping = stopping.clone();
        async move {
            // A dropped sender stops the jobs too.
            let _ = stopping.wait_for(|stop| *stop).await;
        }
    };
    let frequent = async {
        let mut ticker = tokio::time::interval(interval);
        loop {
            tokio::select! {
                () = stopped() => return,
                _ = ticker.tick() => run_once(&db, &holder, lease_ms).await,
            }
        }
    };
    // Beside the others, so slow receivers never delay an escalation. A
    // send that ends makes room for the next one due at once; otherwise
    // due deliveries are looked for every interval.
    let deliveries = async {
        let mut ticker = tokio::time::interval(interval);
        let mut sender =
            crate::webhooks::Sender::new(db.clone(), crate::webhooks::Courier::new(reach));
        let mut stop = std::pin::pin!(stopped());
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = ticker.tick() => {}
                Some(recorded) = sender.finish_one(), if sender.is_sending() => {
                    note_unrecorded(recorded);
                    if !sender.more_due() {
                        continue;
                    }
                }
            }
            if let Err(e) = sender.start_due().await {
                tracing::warn!(error = %e, "looking for webhook deliveries failed; retrying next round");
            }
        }
        while let Some(recorded) = sender.finish_one().await {
            note_unrecorded(recorded);
        }
    };
    // Beside the frequent jobs, so a long training never delays them.
    let daily = async {
        let mut ticker = tokio::time::interval(RETRAIN_EVERY);
        loop {
            tokio::select! {
                () = stopped() => return,
                _ = ticker.tick() => {
                    if let Err(e) = retrain_due(&db, &holder).await {
                        tracing::warn!(error = %e, "retraining failed; retrying tomorrow");
                    }
                }
            }
        }
    };
    tokio::join!(frequent, deliveries, daily);
}

/// Logs a send whose attempt could not be recorded.
fn note_unrecorded(recorded: baton_db::Result<()>) {
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "a webhook attempt was not recorded; it is sent again once its claim ends");
    }
}

/// Retrains each task whose latest version is a day old or missing; the
/// new version replaces the active one only if it is not worse.
pub async fn retrain_due(db: &Db, holder: &str) -> baton_db::Result<()> {
    if !db.try_lease("retrain", holder, RETRAIN_LEASE_MS).await? {
        return Ok(());
    }
    let due_before = now_ms() - RETRAIN_EVERY.as_millis() as i64;
    for task in Task::ALL {
        let last = db.last_trained_at(task).await?;
        if last.is_some_and(|at| at > due_before) {
            continue;
        }
        match db.train_model(task).await? {
            Ok(training) => tracing::info!(
                task = task.name(),
                version = training.version,
                activated = training.activated,
                "retrained a model"
            ),
            Err(too_little) => tracing::info!(reason = %too_little, "not retrained yet"),
        }
    }
    db.release_lease("retrain", holder).await
}

/// One round of escalation and reprocessing, each where this server holds
/// its lease; a failure of one is logged and does not keep the other from
/// running.
pub async fn run_once(db: &Db, holder: &str, lease_ms: i64) {
    if let Err(e) = escalate(db, holder, lease_ms).await {
        tracing::warn!(error = %e, "escalation failed; retrying next round");
    }
    if let Err(e) = reprocess(db, holder, lease_ms).await {
        tracing::warn!(error = %e, "reprocessing failed; retrying next round");
    }
}

async fn escalate(db: &Db, holder: &str, lease_ms: i64) -> baton_db::Result<()> {
    if db.try_lease("escalation", holder, lease_ms).await? {
        let escalated = db.escalate_breaches(now_ms()).await?;
        if !escalated.is_empty() {
            tracing::info!(count = escalated.len(), "escalated SLA breaches");
        }
    }
    Ok(())
}

async fn reprocess(db: &Db, holder: &str, lease_ms: i64) -> baton_db::Result<()> {
    if db.try_lease("reprocess", holder, lease_ms).await? {
        // Inquiries still `received` a minute on were missed by their request.
        let waiting = db.stuck_inquiries(now_ms() - 60_000, 200).await?;
        if !waiting.is_empty() {
            db.process_inquiries(&waiting).await?;
        }
    }
    Ok(())
}
