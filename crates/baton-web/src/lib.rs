//! Baton over HTTP: the JSON API under `/api/v1` with its OpenAPI document,
//! the hosted public forms, middleware and the background jobs.

pub mod api;
pub mod auth;
pub mod calendar;
mod connections;
pub mod error;
pub mod forms;
pub mod intake;
pub mod jobs;
pub mod limits;
mod nul;
pub mod openapi;
pub mod ui;
pub mod webhooks;

use axum::Router;
use baton_db::Db;
use limits::{Client, RateLimiter};
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How a server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address people and clients use, for links printed and shown.
    pub base_url: String,
    /// Run the background jobs (escalation, retries, webhooks).
    pub background_jobs: bool,
    /// How often the background jobs look for work.
    pub job_interval: Duration,
    /// How long a client may keep the server waiting: for a request's
    /// head, counted from its start or from the answer before it on the
    /// same connection, and between two pieces of its body.
    pub client_timeout: Duration,
    /// Proxies in front whose `X-Forwarded-For` names the client that rate
    /// limits count; none by default. Their connections are not capped.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How many connections one client (an IPv4 address, an IPv6 /64) may
    /// hold open at once.
    pub connections_per_client: usize,
    /// Which networks webhook deliveries may reach: public addresses only
    /// by default.
    pub webhook_reach: webhooks::Reach,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            base_url: "http://127.0.0.1:7878".into(),
            background_jobs: true,
            job_interval: Duration::from_secs(5),
            client_timeout: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
            connections_per_client: 256,
            webhook_reach: webhooks::Reach::Public,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub intake: intake::Intake,
    pub options: Arc<ServeOptions>,
    pub form_limiter: Arc<RateLimiter>,
    /// Sign-in attempts per address, against password guessing.
    pub sign_in_limiter: Arc<RateLimiter>,
    /// Failed sign-ins per account (the e-mail as typed, lowercased),
    /// against guessing spread over many addresses.
    pub sign_in_account_limiter: Arc<RateLimiter<String>>,
    /// Failed sign-ins per account and address: an account past its limit
    /// stays open to addresses that have not failed on it.
    pub sign_in_failures: Arc<RateLimiter<(String, Client)>>,
}

/// Failed sign-ins an account takes from everyone within [`GUESS_WINDOW`].
const ACCOUNT_GUESSES: u32 = 20;
const GUESS_WINDOW: Duration = Duration::from_secs(900);

impl AppState {
    pub fn new(db: Db, options: ServeOptions) -> AppState {
        AppState {
            intake: intake::Intake::start(db.clone()),
            db,
            options: Arc::new(options),
            form_limiter: Arc::new(RateLimiter::new(10, Duration::from_secs(60))),
            sign_in_limiter: Arc::new(RateLimiter::new(10, Duration::from_secs(300))),
            sign_in_account_limiter: Arc::new(RateLimiter::new(ACCOUNT_GUESSES, GUESS_WINDOW)),
            sign_in_failures: Arc::new(RateLimiter::new(ACCOUNT_GUESSES, GUESS_WINDOW)),
        }
    }
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(forms::router())
        .merge(calendar::router())
        .merge(openapi::router())
        .merge(ui::router())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(axum::middleware::from_fn(nul::refuse_nul_text))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A body that stops coming ends its request rather than hold the
        // connection.
        .layer(RequestBodyTimeoutLayer::new(state.options.client_timeout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::security_headers,
        ))
        .with_state(state)
}

/// Serves on `addr` until Ctrl-C or SIGTERM, with the background jobs.
pub async fn run(
    db: Db,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
) -> std::io::Result<()> {
    serve(db, listener, options, shutdown_signal()).await
}

/// Serves on an already bound listener until `shutdown` completes.
pub async fn serve(
    db: Db,
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(db, options);
    let (stop_jobs, jobs_stopping) = tokio::sync::watch::channel(false);
    let jobs = state.options.background_jobs.then(|| {
        tokio::spawn(jobs::run(
            state.db.clone(),
            state.options.job_interval,
            state.options.webhook_reach,
            jobs_stopping,
        ))
    });
    let limits = connections::ConnectionLimits {
        head_deadline: state.options.client_timeout,
        per_client: state.options.connections_per_client,
        trusted_proxies: state.options.trusted_proxies.clone(),
    };
    let result = connections::serve_connections(listener, router(state), limits, shutdown).await;
    if let Some(mut jobs) = jobs {
        let _ = stop_jobs.send(true);
        // Long enough for a webhook send under way to be answered or time out.
        if tokio::time::timeout(JOBS_GRACE, &mut jobs).await.is_err() {
            tracing::warn!("background jobs still running after {JOBS_GRACE:?}; stopping them");
            jobs.abort();
        }
    }
    result
}

/// How long a stopping server waits for its background jobs to finish.
const JOBS_GRACE: Duration = Duration::from_secs(15);

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
