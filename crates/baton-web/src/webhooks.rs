//! Sending webhook deliveries: each POST carries the event in a JSON body
//! signed with the webhook's secret; failures are retried with back-off.

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

/// Sends every delivery due now, one after another; returns how many were sent.
pub async fn deliver_due(db: &Db, client: &reqwest::Client) -> baton_db::Result<usize> {
    let due = db.due_deliveries(now_ms(), 100).await?;
    for delivery in &due {
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
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => (
                Some(response.status().as_u16()),
                Some(format!("answered {}", response.status())),
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        db.record_delivery(delivery.id, now_ms(), code, error.as_deref())
            .await?;
    }
    Ok(due.len())
}
