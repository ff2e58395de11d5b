//! Accepting connections: each is served on a task of its own, with a
//! deadline for every request's head and a cap on how many one client
//! holds open, and drained on shutdown.

use crate::limits::Client;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How connections are kept in check.
pub struct ConnectionLimits {
    /// A client that has not sent a whole request head within this time
    /// of starting one, or of its previous answer, is disconnected.
    pub head_deadline: Duration,
    /// How many connections one client (an IPv4 address, an IPv6 /64) may
    /// hold open; those past it are closed at once.
    pub per_client: usize,
    /// Proxies in front, which carry many clients' connections and are
    /// not capped.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for
/// the requests under way. Without the deadline and the cap, a few
/// sockets held open by a slow, silent or greedy client would use up the
/// server's file descriptors.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let ConnectionLimits {
        head_deadline,
        per_client,
        trusted_proxies,
    } = limits;
    let open = OpenConnections::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(head_deadline);
    let draining = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // An IPv4 peer of a dual-stack listener comes mapped into IPv6.
        let held = if trusted_proxies.contains(&peer.ip().to_canonical()) {
            None
        } else {
            match open.take(Client::new(peer.ip()), per_client) {
                Some(held) => Some(held),
                None => {
                    tracing::debug!(%peer, "connection closed: the client holds {per_client} already");
                    continue;
                }
            }
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            // What `ConnectInfo<SocketAddr>` reads: the rate limits count per address.
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = draining.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or is too slow ends its own connection only.
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended");
            }
            drop(held);
        });
    }
    drop(listener);
    // Requests under way may finish; a client that keeps its connection
    // busy longer does not keep the server from stopping.
    if tokio::time::timeout(SHUTDOWN_GRACE, draining.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
    Ok(())
}

/// How many connections each client holds open.
#[derive(Clone, Default)]
struct OpenConnections(Arc<Mutex<HashMap<Client, usize>>>);

impl OpenConnections {
    /// Counts one more connection of `client`, or none when it holds
    /// `cap` already.
    fn take(&self, client: Client, cap: usize) -> Option<HeldConnection> {
        let mut open = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(client).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(HeldConnection {
            open: self.clone(),
            client,
        })
    }
}

/// One counted connection; it is counted off when dropped.
struct HeldConnection {
    open: OpenConnections,
    client: Client,
}

impl Drop for HeldConnection {
    fn drop(&mut self) {
        let mut open = self
            .open
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// How long a stopping server waits for the requests under way.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// After a failed accept: a connection the client dropped before it was
/// taken is nothing; anything else (no file descriptor left, say) is
/// logged and waited out for a moment rather than retried in a busy loop.
async fn wait_after(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
