//! Sending webhook deliveries: each POST carries the event in a JSON body
//! signed with the webhook's secret; failures are retried with back-off.

use baton_db::webhooks::DueDelivery;
use baton_db::{Db, now_ms};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Which networks deliveries may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Public addresses only, the default: whoever keeps webhooks cannot
    /// aim Baton's signed requests at the server's own machine or network,
    /// nor learn from the delivery log which of its ports answer.
    Public,
    /// Any address, for receivers on the organisation's own network.
    AnyNetwork,
}

/// What sends deliveries: a client, and the networks it may reach.
#[derive(Clone)]
pub struct Courier {
    client: reqwest::Client,
    reach: Reach,
}

impl Courier {
    pub fn new(reach: Reach) -> Courier {
        let builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        // Names are checked as they resolve, so a name cannot point
        // somewhere else between a check and the connection.
        let builder = match reach {
            Reach::Public => builder.dns_resolver(Arc::new(PublicAddresses)),
            Reach::AnyNetwork => builder,
        };
        Courier {
            client: builder
                .build()
                .expect("a client with a timeout and no redirects builds"),
            reach,
        }
    }

    /// Why `url` may not be sent to, when it names an address outside the
    /// reach; names are checked by the resolver instead.
    fn out_of_reach(&self, url: &str) -> Option<String> {
        if self.reach == Reach::AnyNetwork {
            return None;
        }
        let host = reqwest::Url::parse(url).ok()?.host_str()?.to_string();
        let address: IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
        (!is_public(address)).then(|| private_refusal(&address.to_string()))
    }
}

/// The recorded reason for not sending to a private address.
fn private_refusal(what: &str) -> String {
    format!(
        "not sent: {what} is a private address; deliveries go to public addresses \
         unless the server is started with --webhooks-to-private-networks"
    )
}

/// Whether `address` is reachable from the public internet, rather than
/// the machine itself, a private or shared network, or a link.
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [first, second, ..] = v4.octets();
            // 100.64.0.0/10 is shared by carriers' and clouds' private networks.
            let shared = first == 100 && (second & 0xc0) == 64;
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || shared
                || first == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                let unique_local = (first & 0xfe00) == 0xfc00;
                let link_local = (first & 0xffc0) == 0xfe80;
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || unique_local
                    || link_local)
            }
        },
    }
}

/// Resolves names to their public addresses only.
struct PublicAddresses;

impl reqwest::dns::Resolve for PublicAddresses {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                let addresses: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
                let what = format!("{host} ({})", addresses.join(", "));
                return Err(private_refusal(&what).into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
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
    courier: Courier,
    sending: JoinSet<baton_db::Result<()>>,
    /// The webhook of each send under way.
    webhook_of: HashMap<tokio::task::Id, i64>,
    /// Whether the last look left due deliveries for lack of room.
    more_due: bool,
}

impl Sender {
    pub fn new(db: Db, courier: Courier) -> Self {
        Self {
            db,
            courier,
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
            let (db, courier) = (self.db.clone(), self.courier.clone());
            let task = self
                .sending
                .spawn(async move { send(&db, &courier, &delivery).await });
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
async fn send(db: &Db, courier: &Courier, delivery: &DueDelivery) -> baton_db::Result<()> {
    if let Some(refusal) = courier.out_of_reach(&delivery.url) {
        return db
            .record_delivery(delivery, now_ms(), None, Some(&refusal))
            .await;
    }
    let body = delivery.payload.as_bytes().to_vec();
    let result = courier
        .client
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_of_the_public_internet_are_public() {
        let public = [
            "93.184.215.14",
            "8.8.8.8",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        ];
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ];
        for address in public {
            assert!(is_public(address.parse().unwrap()), "{address}");
        }
        for address in private {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn a_literal_private_address_is_out_of_reach_unless_any_network_is() {
        let public = Courier::new(Reach::Public);
        for url in [
            "http://127.0.0.1:22/",
            "http://[::1]/hook",
            "https://10.0.0.5/x",
        ] {
            let refusal = public.out_of_reach(url).unwrap();
            assert!(refusal.contains("is a private address"), "{refusal}");
        }
        // Names are left to the resolver.
        assert_eq!(public.out_of_reach("https://hooks.example.com/in"), None);
        assert_eq!(
            Courier::new(Reach::AnyNetwork).out_of_reach("http://127.0.0.1:22/"),
            None
        );
    }
}
