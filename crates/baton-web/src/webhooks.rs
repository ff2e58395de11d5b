//! Sending webhook deliveries: each POST carries the event in a JSON body
//! signed with the webhook's secret; failures are retried with back-off.

use baton_db::webhooks::DueDelivery;
use baton_db::{Db, now_ms};
use std::time::Duration;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The client deliveries are sent with.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client with a timeout and no redirects builds")
}

/// How many deliveries a round takes, and how many it sends at once.
const PER_ROUND: i64 = 100;
const AT_ONCE: usize = 8;

/// Sends the deliveries due now that no other server took, several at
/// once; returns how many were sent. A round ends when its last answer
/// comes, so a slow receiver slows the round for every webhook.
pub async fn deliver_due(db: &Db, client: &reqwest::Client) -> baton_db::Result<usize> {
    let due = db.due_deliveries(now_ms(), PER_ROUND).await?;
    let mut sending = tokio::task::JoinSet::new();
    let mut sent = 0;
    let mut failure = None;
    for delivery in due {
        match db.claim_delivery(&delivery, now_ms()).await {
            Ok(true) => {}
            Ok(false) => continue,
            // The sends under way still finish and are recorded.
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
        if sending.len() >= AT_ONCE {
            note_failure(sending.join_next().await, &mut failure);
        }
        let (db, client) = (db.clone(), client.clone());
        sending.spawn(async move { send(&db, &client, &delivery).await });
        sent += 1;
    }
    while let Some(done) = sending.join_next().await {
        note_failure(Some(done), &mut failure);
    }
    failure.map_or(Ok(sent), Err)
}

/// Keeps the first failure to record an attempt; every send still finishes.
fn note_failure(
    done: Option<Result<baton_db::Result<()>, tokio::task::JoinError>>,
    failure: &mut Option<baton_db::DbError>,
) {
    match done {
        Some(Ok(Err(error))) if failure.is_none() => *failure = Some(error),
        Some(Err(panicked)) => tracing::error!(error = %panicked, "a webhook delivery failed"),
        _ => {}
    }
}

/// Posts one claimed delivery, signed, and records the attempt.
async fn send(db: &Db, client: &reqwest::Client, delivery: &DueDelivery) -> baton_db::Result<()> {
    let body = delivery.payload.as_bytes().to_vec();
    let result = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("x-baton-event", &delivery.event)
        .header("x-baton-delivery", delivery.id.to_string())
        .header(
            "x-baton-signature",
            baton_core::auth::sign_webhook(&delivery.secret, &body),
        )
        .body(body)
        .send()
        .await;
    let (code, error) = match result {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) => (
            Some(response.status().as_u16()),
            Some(format!("answered {}", response.status())),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    db.record_delivery(delivery, now_ms(), code, error.as_deref())
        .await
}
