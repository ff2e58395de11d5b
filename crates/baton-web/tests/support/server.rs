//! A Baton server started in-process on a free loopback port, shared by the
//! test binaries.

use baton_db::Db;
use baton_web::ServeOptions;
use std::time::Duration;

/// Starts a server on a free port over `db`, with the options `adjust`
/// changes; returns the address it listens on (whatever base URL the options
/// say) and the sender that stops it.
pub async fn start_server(
    db: Db,
    adjust: impl FnOnce(&mut ServeOptions),
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut options = ServeOptions {
        base_url: base.clone(),
        background_jobs: false,
        job_interval: Duration::from_secs(1),
        ..ServeOptions::default()
    };
    adjust(&mut options);
    tokio::spawn(baton_web::serve(db, listener, options, async {
        let _ = stopped.await;
    }));
    (base, stop)
}
