//! Outgoing webhooks: subscriptions, and an outbox of deliveries written in
//! the same transaction as the change they announce, so an event is never
//! lost nor sent for a change that was rolled back.

use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::sql::{Value, insert_rows, placeholders};
use crate::users::audit_in;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;

/// Events a webhook can subscribe to.
pub const EVENTS: &[&str] = &[
    "inquiry.routed",
    "work_item.sla_breached",
    "lead.stage_changed",
    "forecast.submitted",
];

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 10;

/// How long a server that took a delivery has to send it and record the
/// answer before another may send it.
pub const CLAIM_MS: i64 = 60_000;

/// How many webhooks one look for due deliveries reads at once.
const WEBHOOKS_PER_LOOK: usize = 100;

/// A subscription.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

/// The columns the list of webhooks sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSort {
    Created,
    Url,
}

impl SortColumn for WebhookSort {
    const ALL: &'static [Self] = &[WebhookSort::Created, WebhookSort::Url];

    fn key(self) -> &'static str {
        match self {
            WebhookSort::Created => "created",
            WebhookSort::Url => "url",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            WebhookSort::Created => "r.created_at",
            WebhookSort::Url => "r.url_lower",
        }
    }
}

/// Filters of the list of webhooks; empty means any.
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    /// `true` for webhooks that are delivered to, `false` for paused ones.
    pub active: Option<bool>,
    /// Words to find in the address.
    pub search: String,
}

// Never the signing secret, which only the receiver keeps.
const WEBHOOK_LINES: &str =
    "SELECT id, url, LOWER(url) AS url_lower, events, active, created_at FROM webhooks";

fn webhook_line(row: &AnyRow) -> Result<Webhook> {
    let events: String = row.try_get("events")?;
    let active: i64 = row.try_get("active")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        active: active != 0,
        created_at: row.try_get("created_at")?,
    })
}

/// One attempt at a delivery: the receiver's status code, or why there was
/// none.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub attempted_at: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
}

/// One delivery of one event to one webhook, and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// `pending` (to be sent, or sent again after a failed attempt),
    /// `delivered` or `failed` (every attempt failed).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub response_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    /// Every attempt, oldest first.
    pub history: Vec<Attempt>,
}

/// A delivery due now, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
}

type DeliveryRow = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
);

/// Queues `event` for every active webhook subscribed to it, inside `tx`.
pub(crate) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    event: &str,
    payloads: &[serde_json::Value],
) -> Result<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    let hooks: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, events FROM webhooks WHERE active = 1")
            .fetch_all(&mut **tx)
            .await?;
    let now = now_ms();
    let rows: Vec<Vec<Value>> = hooks
        .iter()
        .filter(|(_, events)| {
            serde_json::from_str::<Vec<String>>(events).is_ok_and(|e| e.iter().any(|x| x == event))
        })
        .flat_map(|(id, _)| {
            payloads.iter().map(move |payload| {
                let body = serde_json::json!({"event": event, "at": now, "data": payload});
                vec![
                    (*id).into(),
                    event.into(),
                    body.to_string().into(),
                    "pending".into(),
                    now.into(),
                    now.into(),
                ]
            })
        })
        .collect();
    insert_rows::<(i64,)>(
        tx,
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, next_attempt_at, created_at)",
        "",
        &rows,
    )
    .await?;
    Ok(())
}

/// Longest webhook address accepted.
const MAX_URL: usize = 2000;

/// A webhook address as deliveries need it: http or https, with a host and
/// without credentials, which would show wherever the address does (the
/// signature is what proves a delivery came from here).
fn delivery_address(text: &str) -> Result<url::Url> {
    let text = text.trim();
    let refused = |problem: String| DbError::invalid("url", problem);
    if text.len() > MAX_URL {
        return Err(refused(format!("must be at most {MAX_URL} characters")));
    }
    let url = url::Url::parse(text).map_err(|e| {
        refused(format!(
            "`{text}` is not a web address ({e}); write one like https://hooks.example.com/baton"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(format!(
            "must be an http:// or https:// address, not {}:",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refused("names no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "must not carry a user name or password; deliveries are signed instead".into(),
        ));
    }
    Ok(url)
}

/// Waits after the `attempts`-th failure: 30 s doubling, at most 6 hours.
pub fn backoff_ms(attempts: i64) -> i64 {
    let doubling = 30_000i64.saturating_mul(1 << attempts.clamp(0, 20));
    doubling.min(6 * 3600 * 1000)
}

type WebhookRow = (i64, String, String, i64, i64);

const WEBHOOK_COLUMNS: &str = "id, url, events, active, created_at";

fn webhook_from_row((id, url, events, active, created_at): WebhookRow) -> Webhook {
    Webhook {
        id,
        url,
        events: serde_json::from_str(&events).unwrap_or_default(),
        active: active != 0,
        created_at,
    }
}

/// Webhook `id`, read on `conn` (inside a transaction, as it stands there).
async fn webhook_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Webhook> {
    let row: Option<WebhookRow> = sqlx::query_as(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(webhook_from_row)
        .ok_or_else(|| DbError::NotFound(format!("webhook {id}")))
}

/// What a change to a webhook sets; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// The events named, each once in the order of [`EVENTS`]; refuses none
/// and an unknown one.
fn checked_events(refusals: &mut Refusals, events: &[String]) -> Vec<&'static str> {
    if events.is_empty() {
        refusals.refuse(
            "events",
            format!("name at least one of: {}", EVENTS.join(", ")),
        );
    }
    if let Some(unknown) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        refusals.refuse(
            "events",
            format!(
                "unknown event `{unknown}`; expected one of: {}",
                EVENTS.join(", ")
            ),
        );
    }
    EVENTS
        .iter()
        .copied()
        .filter(|event| events.iter().any(|e| e == event))
        .collect()
}

/// Refuses a second active webhook (other than `except`) delivering one of
/// `events` to `url`: each such event would be delivered twice.
async fn refuse_same_address(
    tx: &mut Transaction<'static, Any>,
    url: &str,
    events: &[&str],
    except: Option<i64>,
) -> Result<()> {
    let same_address: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, events FROM webhooks WHERE url = $1 AND active = 1 AND id <> $2",
    )
    .bind(url)
    .bind(except.unwrap_or(0))
    .fetch_all(&mut **tx)
    .await?;
    for (other, subscribed) in same_address {
        let subscribed: Vec<String> = serde_json::from_str(&subscribed).unwrap_or_default();
        if let Some(event) = events.iter().find(|e| subscribed.iter().any(|s| s == *e)) {
            return Err(DbError::conflict(
                "url",
                format!(
                    "webhook {other} already delivers {event} to this address; \
                     change its events instead (PATCH /api/v1/webhooks/{other})"
                ),
            ));
        }
    }
    Ok(())
}

impl Db {
    /// Subscribes `url` to `events`; returns the webhook and its signing secret, shown once.
    pub async fn create_webhook(
        &self,
        actor: i64,
        url: &str,
        events: &[String],
    ) -> Result<(Webhook, String)> {
        let mut refusals = Refusals::default();
        let url = refusals.value(delivery_address(url).map(Some))?;
        let events = checked_events(&mut refusals, events);
        let url = refusals.finish_with(url)?;
        let url = url.as_str();
        let secret = baton_core::auth::random_hex(24);
        let mut tx = self.begin_write().await?;
        refuse_same_address(&mut tx, url, &events, None).await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO webhooks (url, secret, events, active, created_at) VALUES ($1, $2, $3, 1, $4) RETURNING id",
        )
        .bind(url)
        .bind(&secret)
        .bind(serde_json::to_string(&events).unwrap_or_else(|_| "[]".into()))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            Some(actor),
            "webhook.created",
            "webhook",
            Some(id),
            &serde_json::json!({"url": url, "events": events}),
        )
        .await?;
        tx.commit().await?;
        Ok((self.webhook(id).await?, secret))
    }

    /// Changes a webhook's address, events or whether it is active; what
    /// is absent stays. Deliveries still queued go to the new address, so
    /// a mistyped one is put right without losing them.
    pub async fn change_webhook(
        &self,
        actor: i64,
        id: i64,
        change: &WebhookChange,
    ) -> Result<Webhook> {
        let mut refusals = Refusals::default();
        let url = match change.url.as_deref() {
            Some(url) => refusals.value(delivery_address(url).map(Some))?,
            None => None,
        };
        let events = change
            .events
            .as_deref()
            .map(|events| checked_events(&mut refusals, events));
        refusals.finish()?;
        let mut tx = self.begin_write().await?;
        // Read in the transaction that writes: a change made meanwhile is kept.
        let current = webhook_in(&mut tx, id).await?;
        let url = url.map_or(current.url.clone(), |url| url.to_string());
        let events: Vec<&str> = match events {
            Some(events) => events,
            None => EVENTS
                .iter()
                .copied()
                .filter(|event| current.events.iter().any(|e| e == event))
                .collect(),
        };
        let active = change.active.unwrap_or(current.active);
        if active {
            refuse_same_address(&mut tx, &url, &events, Some(id)).await?;
        }
        sqlx::query("UPDATE webhooks SET url = $1, events = $2, active = $3 WHERE id = $4")
            .bind(&url)
            .bind(serde_json::to_string(&events).unwrap_or_else(|_| "[]".into()))
            .bind(i64::from(active))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let action = match (current.active, active) {
            (true, false) => "webhook.paused",
            (false, true) => "webhook.resumed",
            _ => "webhook.changed",
        };
        audit_in(
            &mut *tx,
            Some(actor),
            action,
            "webhook",
            Some(id),
            &serde_json::json!({"url": url, "events": events, "active": active}),
        )
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    /// One webhook by id.
    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        let mut conn = self.reader().acquire().await?;
        webhook_in(&mut conn, id).await
    }

    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> = sqlx::query_as(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"
        ))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(webhook_from_row).collect())
    }

    /// A window of the webhooks as `filter` narrows them.
    pub async fn webhook_list(
        &self,
        filter: &WebhookFilter,
        window: &Window<WebhookSort>,
    ) -> Result<Listed<Webhook>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.active = ?", filter.active.map(i64::from));
        conditions.search(&["r.url_lower LIKE ? ESCAPE '\\'"], &filter.search);
        self.list(WEBHOOK_LINES, &conditions, window, webhook_line)
            .await
    }

    /// Deliveries of a webhook, newest first, older than delivery `before`
    /// when it is given.
    pub async fn deliveries(
        &self,
        webhook_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM webhooks WHERE id = $1")
            .bind(webhook_id)
            .fetch_optional(self.reader())
            .await?;
        if known.is_none() {
            return Err(DbError::NotFound(format!("webhook {webhook_id}")));
        }
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, webhook_id, event, status, attempts, next_attempt_at, response_code, last_error, delivered_at,
                    created_at
             FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(webhook_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut deliveries: Vec<Delivery> = rows
            .into_iter()
            .map(
                |(
                    id,
                    webhook_id,
                    event,
                    status,
                    attempts,
                    next_attempt_at,
                    response_code,
                    last_error,
                    delivered_at,
                    created_at,
                )| Delivery {
                    id,
                    webhook_id,
                    event,
                    status,
                    attempts,
                    next_attempt_at,
                    response_code,
                    last_error,
                    delivered_at,
                    created_at,
                    history: Vec::new(),
                },
            )
            .collect();
        self.attach_history(&mut deliveries).await?;
        Ok(deliveries)
    }

    /// Fills each delivery's history with its attempts, in one query.
    async fn attach_history(&self, deliveries: &mut [Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT delivery_id, attempted_at, response_code, error FROM webhook_attempts
             WHERE delivery_id IN ({}) ORDER BY id",
            placeholders(1, deliveries.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64, Option<i64>, Option<String>)>(&sql);
        for delivery in deliveries.iter() {
            query = query.bind(delivery.id);
        }
        let mut by_delivery: HashMap<i64, Vec<Attempt>> = HashMap::new();
        for (delivery_id, attempted_at, response_code, error) in
            query.fetch_all(self.reader()).await?
        {
            by_delivery.entry(delivery_id).or_default().push(Attempt {
                attempted_at,
                response_code,
                error,
            });
        }
        for delivery in deliveries {
            delivery.history = by_delivery.remove(&delivery.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Deliveries due at `now`, oldest first, at most `per_webhook` of each
    /// webhook, so a receiver with a backlog cannot fill the list and keep
    /// the others' deliveries out of it. Each webhook's are read through
    /// its own index range, so a large backlog costs no scan.
    pub async fn due_deliveries(
        &self,
        now: i64,
        per_webhook: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let webhooks: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, url, secret FROM webhooks WHERE active = 1 ORDER BY id")
                .fetch_all(self.reader())
                .await?;
        let mut due = Vec::new();
        for some in webhooks.chunks(WEBHOOKS_PER_LOOK) {
            // One branch per webhook; only the placeholders are generated.
            let sql = (0..some.len())
                .map(|n| {
                    format!(
                        "SELECT * FROM (SELECT id, webhook_id, event, payload, attempts, next_attempt_at
                         FROM webhook_deliveries
                         WHERE webhook_id = ${} AND status = 'pending' AND next_attempt_at <= $1
                         ORDER BY next_attempt_at, id LIMIT $2) AS due{n}",
                        n + 3
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let mut query = sqlx::query_as::<_, (i64, i64, String, String, i64, i64)>(&sql)
                .bind(now)
                .bind(per_webhook);
            for (id, _, _) in some {
                query = query.bind(*id);
            }
            due.extend(query.fetch_all(self.reader()).await?);
        }
        due.sort_by_key(|&(id, _, _, _, _, next_attempt_at)| (next_attempt_at, id));
        due.truncate(usize::try_from(limit).unwrap_or(0));
        let webhooks: HashMap<i64, (String, String)> = webhooks
            .into_iter()
            .map(|(id, url, secret)| (id, (url, secret)))
            .collect();
        Ok(due
            .into_iter()
            .map(|(id, webhook_id, event, payload, attempts, _)| {
                let (url, secret) = webhooks[&webhook_id].clone();
                DueDelivery {
                    id,
                    webhook_id,
                    url,
                    secret,
                    event,
                    payload,
                    attempts,
                }
            })
            .collect())
    }

    /// Takes `delivery` for this server to send now: true when no other
    /// server took it first. A taken delivery is not due again for
    /// [`CLAIM_MS`], longer than a receiver may take to answer, so it is sent
    /// again only if this server stops before recording the attempt.
    pub async fn claim_delivery(&self, delivery: &DueDelivery, now: i64) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1
             WHERE id = $2 AND status = 'pending' AND attempts = $3 AND next_attempt_at <= $4",
        )
        .bind(now + CLAIM_MS)
        .bind(delivery.id)
        .bind(delivery.attempts)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Records one attempt at a claimed delivery, in its history too:
    /// delivered on a 2xx, otherwise retried later with back-off, and given
    /// up after [`MAX_ATTEMPTS`].
    pub async fn record_delivery(
        &self,
        delivery: &DueDelivery,
        now: i64,
        code: Option<u16>,
        error: Option<&str>,
    ) -> Result<()> {
        let delivered = code.is_some_and(|c| (200..300).contains(&c));
        let attempts = delivery.attempts + 1;
        let status = if delivered {
            "delivered"
        } else if attempts >= MAX_ATTEMPTS {
            "failed"
        } else {
            "pending"
        };
        let mut tx = self.begin_write().await?;
        // Counted from the attempts read when it was claimed, so an
        // attempt is counted once.
        let recorded = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, response_code = $3, last_error = $4,
                 next_attempt_at = $5, delivered_at = $6
             WHERE id = $7 AND attempts = $8",
        )
        .bind(status)
        .bind(attempts)
        .bind(code.map(i64::from))
        .bind(error)
        // Nothing more is due of a delivery that landed or was given up.
        .bind(if status == "pending" {
            now + backoff_ms(attempts - 1)
        } else {
            now
        })
        .bind(delivered.then_some(now))
        .bind(delivery.id)
        .bind(delivery.attempts)
        .execute(&mut *tx)
        .await?;
        if recorded.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_code, error)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(delivery.id)
            .bind(now)
            .bind(code.map(i64::from))
            .bind(error)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{backoff_ms, delivery_address};
    use crate::DbError;

    #[test]
    fn a_webhook_address_needs_http_a_host_and_no_credentials() {
        let accepted = delivery_address(" HTTPS://Hooks.Example.com/baton?x=1 ").unwrap();
        assert_eq!(accepted.as_str(), "https://hooks.example.com/baton?x=1");
        assert!(delivery_address("http://127.0.0.1:9/hook").is_ok());
        for (refused, why) in [
            ("https://", "not a web address"),
            ("hooks.example.com", "not a web address"),
            ("ftp://hooks.example.com", "not ftp:"),
            ("https://ann:secret@hooks.example.com", "password"),
            (
                &format!("https://example.com/{}", "a".repeat(2000)),
                "at most 2000",
            ),
        ] {
            match delivery_address(refused) {
                Err(DbError::Invalid { field, problem }) => {
                    assert_eq!(field, "url");
                    assert!(problem.contains(why), "{refused}: {problem}");
                }
                other => panic!("{refused}: {other:?}"),
            }
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(3), 240_000);
        assert_eq!(backoff_ms(30), 6 * 3600 * 1000);
    }
}
