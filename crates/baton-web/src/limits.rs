//! Rate limits against password guessing and form flooding, and who they
//! count: the client's address as the connection gives it, or as a trusted
//! proxy in front passes it on.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many keys a limiter holds at most: past it, every count is
/// forgotten (and a warning logged) rather than memory grown without end.
const MAX_KEYS: usize = 20_000;

/// Fixed-window limit of events per key: a client, or an account.
pub struct RateLimiter<K = Client> {
    limit: u32,
    window: Duration,
    seen: Mutex<Seen<K>>,
}

/// Each key's window, and when finished windows were last forgotten.
struct Seen<K> {
    windows: HashMap<K, (Instant, u32)>,
    swept_at: Instant,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(limit: u32, window: Duration) -> RateLimiter<K> {
        RateLimiter {
            limit,
            window,
            seen: Mutex::new(Seen {
                windows: HashMap::new(),
                swept_at: Instant::now(),
            }),
        }
    }

    /// Counts an event; `Err(seconds to wait)` past the limit. The check
    /// and the count are one step, so parallel requests cannot all pass
    /// before any is counted.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.with_window(key, |start, events, now| {
            if *events >= self.limit {
                let wait = self.window.saturating_sub(now.duration_since(start));
                Err(wait.as_secs().max(1))
            } else {
                *events += 1;
                Ok(())
            }
        })
    }

    /// The events `key` has in its current window.
    pub fn counted(&self, key: &K) -> u32 {
        self.with_window(key, |_, events, _| *events)
    }

    /// Takes back an event counted by [`RateLimiter::check`] that turned
    /// out not to count, such as a sign-in that succeeded.
    pub fn give_back(&self, key: &K) {
        self.with_window(key, |_, events, _| *events = events.saturating_sub(1));
    }

    /// Runs `f` on the current window of `key`: when it started and how
    /// many events it holds.
    fn with_window<T>(&self, key: &K, f: impl FnOnce(Instant, &mut u32, Instant) -> T) -> T {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Finished windows are forgotten at most once a window, so that
        // many keys do not make every call scan them all.
        if now.duration_since(seen.swept_at) >= self.window {
            let window = self.window;
            seen.windows
                .retain(|_, (start, _)| now.duration_since(*start) < window);
            seen.swept_at = now;
        }
        if seen.windows.len() >= MAX_KEYS && !seen.windows.contains_key(key) {
            tracing::warn!(keys = MAX_KEYS, "rate limiter full; its counts start again");
            seen.windows.clear();
        }
        let entry = seen.windows.entry(key.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let (start, events) = entry;
        f(*start, events, now)
    }
}

/// The client a request counts against: its IPv4 address, or the /64
/// network of its IPv6 address, since one subscriber is given a whole /64
/// and would otherwise count as billions of clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    pub fn new(address: IpAddr) -> Client {
        match address {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client(IpAddr::V4(v4)),
                None => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    Client(IpAddr::V6(Ipv6Addr::from(network)))
                }
            },
            v4 => Client(v4),
        }
    }

    /// The client of a request that came over a connection from `peer`.
    /// Only when `peer` is one of the `trusted` proxies is
    /// `X-Forwarded-For` read: its last address that is not itself a
    /// trusted proxy is the client, as each proxy appends the address it
    /// was reached from. Anyone else could send any address in the header.
    /// An entry that does not read as an address (or an address with a
    /// port) ends the walk at the proxy: skipping it would trust what the
    /// client wrote before it.
    pub fn of_request(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Client {
        let peer = peer.to_canonical();
        if !trusted.contains(&peer) {
            return Client::new(peer);
        }
        let entries: Vec<String> = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|value| value.to_str().unwrap_or_default().to_string())
            .collect();
        for entry in entries.iter().flat_map(|value| value.split(',')).rev() {
            match forwarded_address(entry.trim()) {
                Some(address) if trusted.contains(&address) => continue,
                Some(address) => return Client::new(address),
                None => break,
            }
        }
        Client::new(peer)
    }
}

/// An `X-Forwarded-For` entry as an address: `192.0.2.7`, `2001:db8::1`,
/// or either with a port (`192.0.2.7:5123`, `[2001:db8::1]:5123`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Client, Infallible> {
        // Served by `connections`, every request has its peer; a request
        // built in-process without one counts as the local machine.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(Client::of_request(
            peer,
            &parts.headers,
            &state.options.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(address: &str) -> Client {
        Client::new(address.parse().unwrap())
    }

    #[test]
    fn the_limiter_allows_up_to_the_limit_per_key() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let (a, b) = (client("127.0.0.1"), client("127.0.0.2"));
        assert!(limiter.check(&a).is_ok());
        assert!(limiter.check(&a).is_ok());
        assert!(limiter.check(&a).is_err());
        assert!(limiter.check(&b).is_ok());
        // An event given back frees its place.
        limiter.give_back(&a);
        assert!(limiter.check(&a).is_ok());
        assert!(limiter.check(&a).is_err());
    }

    #[test]
    fn a_full_limiter_starts_again_rather_than_grow() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        assert!(limiter.check(&0).is_ok());
        assert!(limiter.check(&0).is_err());
        for key in 1..MAX_KEYS {
            assert!(limiter.check(&key).is_ok());
        }
        assert!(limiter.check(&MAX_KEYS).is_ok(), "a new key past the cap");
        assert!(limiter.check(&0).is_ok(), "the counts started again");
        let held = limiter.seen.lock().unwrap().windows.len();
        assert!(held <= 2, "{held}");
    }

    #[test]
    fn an_ipv6_client_is_its_network() {
        assert_eq!(
            client("2001:db8:1:2:aaaa::1"),
            client("2001:db8:1:2:bbbb::9")
        );
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_eq!(client("::ffff:192.0.2.7"), client("192.0.2.7"));
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_about_the_client() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.4".parse().unwrap(),
        );
        assert_eq!(
            Client::of_request(proxy, &headers, &[]),
            client("10.0.0.2"),
            "no proxy trusted: the header is anyone's word"
        );
        assert_eq!(
            Client::of_request(proxy, &headers, &[proxy]),
            client("198.51.100.4"),
            "the address the trusted proxy was reached from"
        );
        let inner: IpAddr = "198.51.100.4".parse().unwrap();
        assert_eq!(
            Client::of_request(proxy, &headers, &[proxy, inner]),
            client("203.0.113.9"),
            "past every trusted proxy"
        );
        assert_eq!(
            Client::of_request(proxy, &HeaderMap::new(), &[proxy]),
            client("10.0.0.2"),
            "without the header, the proxy itself"
        );
        let mut with_port = HeaderMap::new();
        with_port.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.4:5123".parse().unwrap(),
        );
        assert_eq!(
            Client::of_request(proxy, &with_port, &[proxy]),
            client("198.51.100.4"),
            "a port is not part of the client"
        );
        let mut unknown = HeaderMap::new();
        unknown.insert("x-forwarded-for", "203.0.113.9, unknown".parse().unwrap());
        assert_eq!(
            Client::of_request(proxy, &unknown, &[proxy]),
            client("10.0.0.2"),
            "past an entry that is no address, nothing is believed"
        );
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            Client::of_request(mapped, &headers, &[proxy]),
            client("198.51.100.4"),
            "a proxy reached over IPv6 as a mapped IPv4 address is still the proxy"
        );
    }
}
