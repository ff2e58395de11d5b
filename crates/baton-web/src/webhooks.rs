//! Sending webhook deliveries: each POST carries the event in a JSON body
//! signed with the webhook's secret; failures are retried with back-off.

use baton_db::webhooks::DueDelivery;
use baton_db::{Db, now_ms};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::task::JoinSet;

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

/// How many deliveries are sent at once, and at most to one webhook, so
/// a receiver that answers slowly holds a few sends and never the others.
const AT_ONCE: usize = 32;
const AT_ONCE_PER_WEBHOOK: usize = 4;

/// Keeps sending due deliveries: a free place is filled when a send ends,
/// not at the next round, so a fast receiver is not held to a slow one's
/// pace. Each delivery is claimed before it is sent, so several servers
/// share them.
pub struct Sender {
    db: Db,
    client: reqwest::Client,
    sending: JoinSet<baton_db::Result<()>>,
    /// The webhook of each send under way.
    webhook_of: HashMap<tokio::task::Id, i64>,
    /// Whether the last look left due deliveries for lack of room.
    more_due: bool,
}

impl Sender {
    pub fn new(db: Db, client: reqwest::Client) -> Self {
        Self {
            db,
            client,
            sending: JoinSet::new(),
            webhook_of: HashMap::new(),
            more_due: false,
        }
    }

    /// Claims and starts the due deliveries there is room for; returns how
    /// many it started.
    pub async fn start_due(&mut self) -> baton_db::Result<usize> {
        let room = AT_ONCE - self.sending.len();
        if room == 0 {
            self.more_due = true;
            return Ok(0);
        }
        // Past the room, so a look that finds more than it can start knows.
        let due = self
            .db
            .due_deliveries(now_ms(), AT_ONCE_PER_WEBHOOK as i64, (AT_ONCE * 4) as i64)
            .await?;
        let mut lanes: Vec<VecDeque<(usize, DueDelivery)>> = Vec::new();
        let mut lane_of = HashMap::new();
        let found = due.len();
        for (place, delivery) in due.into_iter().enumerate() {
            let lane = *lane_of.entry(delivery.webhook_id).or_insert_with(|| {
                lanes.push(VecDeque::new());
                lanes.len() - 1
            });
            lanes[lane].push_back((place, delivery));
        }
        // A webhook given its whole share may have more behind it.
        let whole_share = lanes.iter().any(|lane| lane.len() == AT_ONCE_PER_WEBHOOK);
        let mut started = 0;
        // Each free place goes to the webhook with the fewest sends under
        // way, the oldest delivery first among equals: a slow receiver's
        // backlog never takes a place a webhook with none could have.
        while started < room {
            let busy = |lane: &VecDeque<(usize, DueDelivery)>| {
                lane.front()
                    .map(|(place, delivery)| (self.sends_to(delivery.webhook_id), *place))
            };
            let Some(lane) = lanes
                .iter_mut()
                .filter_map(|lane| busy(lane).map(|order| (order, lane)))
                .filter(|((busy, _), _)| *busy < AT_ONCE_PER_WEBHOOK)
                .min_by_key(|(order, _)| *order)
                .map(|(_, lane)| lane)
            else {
                break;
            };
            let (_, delivery) = lane.pop_front().expect("a lane with a front");
            if !self.db.claim_delivery(&delivery, now_ms()).await? {
                continue;
            }
            let webhook_id = delivery.webhook_id;
            let (db, client) = (self.db.clone(), self.client.clone());
            let task = self
                .sending
                .spawn(async move { send(&db, &client, &delivery).await });
            self.webhook_of.insert(task.id(), webhook_id);
            started += 1;
        }
        let left_for_lack_of_room = lanes.iter().any(|lane| !lane.is_empty());
        self.more_due = found == AT_ONCE * 4 || whole_share || left_for_lack_of_room;
        Ok(started)
    }

    /// Waits for one send to end and frees its place: `None` when none is
    /// under way, else whether its attempt was recorded.
    pub async fn finish_one(&mut self) -> Option<baton_db::Result<()>> {
        let (task, recorded) = match self.sending.join_next_with_id().await? {
            Ok((task, recorded)) => (task, recorded),
            Err(panicked) => {
                tracing::error!(error = %panicked, "a webhook delivery failed");
                (panicked.id(), Ok(()))
            }
        };
        self.webhook_of.remove(&task);
        Some(recorded)
    }

    /// How many sends to `webhook_id` are under way.
    fn sends_to(&self, webhook_id: i64) -> usize {
        self.webhook_of
            .values()
            .filter(|&&sending_to| sending_to == webhook_id)
            .count()
    }

    /// Whether a send is under way.
    pub fn is_sending(&self) -> bool {
        !self.sending.is_empty()
    }

    /// Whether deliveries were left due at the last look for lack of room.
    pub fn more_due(&self) -> bool {
        self.more_due
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
        Err(e) => (None, Some(with_causes(&e))),
    };
    db.record_delivery(delivery, now_ms(), code, error.as_deref())
        .await
}

/// An error with its causes, as `…: …`, so that a recorded attempt says
/// what went wrong (a timeout, a refused connection) and not only that the
/// request could not be sent.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let said = inner.to_string();
        // Layers often repeat the message of the one below.
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        cause = inner.source();
    }
    text
}
