//! Load benchmark for intake: drives `POST /api/v1/inquiries` over loopback
//! at several concurrencies and reports inquiries/s with p50 and p99, beside
//! a ceiling measured in the same run: an endpoint that parses the same JSON
//! and durably inserts one row (with the same group commit), nothing else.
//! Intake is driven twice at each concurrency: waiting for the whole
//! pipeline, and with `Prefer: respond-async` (answered once stored); the
//! second's rate counts inquiries processed, over the run and the time the
//! backlog took to drain, and the last column gives the time from arrival
//! to the first decision.
//!
//! ```sh
//! cargo bench -p baton-web --bench intake_load                  # SQLite
//! BENCH_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/bench \
//!     cargo bench -p baton-web --bench intake_load              # PostgreSQL
//! ```
//! Options after `--`: `--seconds N` per step (default 10), `--concurrency 1,16,64`,
//! `--with-models` (load the demo company first and train the spam, intent
//! and conversion models from it, so intake decides with them active).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use baton_core::domain::Role;
use baton_core::inquiry::InquiryInput;
use baton_core::learn::train::Task;
use baton_db::users::NewUser;
use baton_db::{Backend, Db, DbOptions};
use baton_web::ServeOptions;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

struct Args {
    seconds: u64,
    concurrency: Vec<usize>,
    with_models: bool,
}

fn args() -> Args {
    let mut args = Args {
        seconds: 10,
        concurrency: vec![1, 16, 64],
        with_models: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                args.seconds = it.next().and_then(|s| s.parse().ok()).expect("--seconds N")
            }
            "--concurrency" => {
                args.concurrency = it
                    .next()
                    .expect("--concurrency 1,16,64")
                    .split(',')
                    .map(|c| c.parse().expect("a number"))
                    .collect()
            }
            "--with-models" => args.with_models = true,
            // cargo bench passes --bench; anything else is not ours.
            _ => {}
        }
    }
    args
}

/// The ceiling: parse the JSON, then one durable insert through a group-commit writer.
type CeilingJob = (String, oneshot::Sender<i64>);

async fn ceiling_writer(db: Db, mut jobs: mpsc::Receiver<CeilingJob>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, 256).await > 0 {
        let mut tx = db.begin_write().await.expect("begin");
        let mut ids = Vec::with_capacity(batch.len());
        for (body, _) in &batch {
            let (id,): (i64,) =
                sqlx::query_as("INSERT INTO bench_ceiling (body) VALUES ($1) RETURNING id")
                    .bind(body)
                    .fetch_one(&mut *tx)
                    .await
                    .expect("insert");
            ids.push(id);
        }
        tx.commit().await.expect("commit");
        for ((_, reply), id) in batch.drain(..).zip(ids) {
            let _ = reply.send(id);
        }
    }
}

async fn ceiling(
    State(jobs): State<mpsc::Sender<CeilingJob>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), StatusCode> {
    let input: InquiryInput =
        serde_json::from_slice(&body).map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    let (reply, answer) = oneshot::channel();
    jobs.send((serde_json::to_string(&input).unwrap(), reply))
        .await
        .unwrap();
    let id = answer.await.unwrap();
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))))
}

struct Run {
    done: u64,
    /// CPU time the whole process spent (server and load generator
    /// together): unlike the rate, it holds when other work shares the
    /// machine.
    cpu_seconds: f64,
    errors: u64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Numbers the inquiries of the whole run, so that no step resends an
/// earlier step's (they would be repeats, with contacts already known).
/// It starts from the process id, so that a run on a PostgreSQL database
/// kept from an earlier run does not resend that run's either.
static SENT: std::sync::LazyLock<AtomicU64> =
    std::sync::LazyLock::new(|| AtomicU64::new(u64::from(std::process::id()) << 32));

/// Keeps `concurrency` requests in flight for `seconds`. With
/// `respond_async`, each asks to be answered once stored (202).
async fn drive(
    url: &str,
    token: &str,
    concurrency: usize,
    seconds: u64,
    respond_async: bool,
) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let cpu_before = process_cpu_seconds();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let n = SENT.fetch_add(1, Ordering::Relaxed);
                let body = inquiry(n);
                let sent = Instant::now();
                let mut request = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json");
                if respond_async {
                    request = request.header("prefer", "respond-async");
                }
                let expected = if respond_async { 202 } else { 201 };
                match request.body(body).send().await {
                    Ok(r) if r.status() == expected => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu_before;
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(0.0)
    };
    Run {
        done: latencies.len() as u64,
        cpu_seconds: cpu,
        errors,
        seconds,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

/// Waits until no inquiry after `after` is left waiting for processing;
/// returns the seconds that took.
async fn drain(db: &Db, after: i64) -> f64 {
    let start = Instant::now();
    loop {
        let (waiting,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM inquiries WHERE id > $1 AND status = 'received'")
                .bind(after)
                .fetch_one(db.reader())
                .await
                .unwrap();
        if waiting == 0 {
            return start.elapsed().as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The highest inquiry id so far.
async fn last_inquiry(db: &Db) -> i64 {
    let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM inquiries")
        .fetch_one(db.reader())
        .await
        .unwrap();
    id.unwrap_or(0)
}

/// Median and 99th percentile, in ms, of the time from an inquiry's
/// arrival to its first decision, for the inquiries after `after`; and how
/// many there are.
async fn decided_within(db: &Db, after: i64) -> (usize, f64, f64) {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT MIN(d.created_at) - i.received_at FROM inquiries i JOIN decisions d ON d.inquiry_id = i.id
         WHERE i.id > $1 GROUP BY i.id, i.received_at",
    )
    .bind(after)
    .fetch_all(db.reader())
    .await
    .unwrap();
    let mut lags: Vec<i64> = rows.into_iter().map(|(lag,)| lag).collect();
    lags.sort_unstable();
    let pick = |q: f64| {
        lags.get(((lags.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0) as f64
    };
    (lags.len(), pick(0.5), pick(0.99))
}

/// Loads the demo company and trains each task's model from it; says which
/// models decide.
async fn train_models(db: &Db) -> String {
    baton_db::demo::generate(db, &baton_db::demo::DemoOptions::default(), &|_, _, _| {})
        .await
        .expect("demo data");
    let mut active = Vec::new();
    for task in [Task::Spam, Task::Intent, Task::Conversion] {
        match db.train_model(task).await.expect("training") {
            Ok(training) if training.activated => {
                active.push(format!("{} v{}", task.name(), training.version))
            }
            Ok(_) => println!("the {} model was not better than none", task.name()),
            Err(too_little) => println!("the {} model: {too_little}", task.name()),
        }
    }
    format!("rules and the models {}", active.join(", "))
}

/// User and system CPU time of this process so far, from `/proc/self/stat`
/// (in clock ticks of 1/100 s).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// A realistic inquiry, varied so matching, triage and routing do real work.
fn inquiry(n: u64) -> String {
    let messages = [
        "We are evaluating tools for 250 seats and would like pricing and a demo next week.",
        "Our invoice was charged twice this month, please refund the duplicate payment.",
        "The export is not working since the update, we get error 500 on every report.",
        "Please find attached our RFP; the submission deadline is the end of the month.",
        "Hello, could someone call me back about your product?",
    ];
    let titles = ["VP Operations", "IT Manager", "Analyst", "CFO", "Founder"];
    let i = n as usize;
    serde_json::json!({
        "name": format!("Visitor {n}"),
        "email": format!("visitor{n}@company{}.example", n % 5000),
        "company": format!("Company {}", n % 5000),
        "title": titles[i % titles.len()],
        "message": messages[i % messages.len()],
        "source": "website",
        "fields": {"company_size": (i * 37) % 3000, "industry": "software"}
    })
    .to_string()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    let (options, backend_name, dir) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (DbOptions::url(url), "postgres", None),
        _ => {
            let dir = std::env::temp_dir().join(format!("baton-bench-{}", std::process::id()));
            (DbOptions::sqlite_in(&dir).unwrap(), "sqlite", Some(dir))
        }
    };
    let db = Db::open(&options).await.expect("database");
    if db.backend() == Backend::Postgres {
        // A clean slate each run.
        for table in ["bench_ceiling"] {
            sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                .execute(db.writer())
                .await
                .unwrap();
        }
    }
    db.ensure_defaults().await.unwrap();
    let models = if args.with_models {
        train_models(&db).await
    } else {
        "rules only".to_string()
    };
    let id_column = match db.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS bench_ceiling (id {id_column}, body TEXT NOT NULL)"
    ))
    .execute(db.writer())
    .await
    .unwrap();
    let email = format!("bench-{}@baton.example", std::process::id());
    let owner = db
        .create_user(NewUser {
            email: &email,
            name: "Bench",
            role: Role::Owner,
            password: None,
        })
        .await
        .unwrap();
    let token = db.create_api_token(None, owner.id, "bench").await.unwrap();
    for (queue, role, count) in [
        ("hunters", Role::Hunter, 4),
        ("qualification", Role::Qualifier, 3),
        ("nurture", Role::Marketer, 2),
        ("service", Role::Service, 3),
        ("operations", Role::Operations, 2),
    ] {
        let queue = db.queue(queue).await.unwrap();
        for k in 0..count {
            let member_email = format!("{}{k}-{}@baton.example", role, std::process::id());
            let user = db
                .create_user(NewUser {
                    email: &member_email,
                    name: "Member",
                    role,
                    password: None,
                })
                .await
                .unwrap();
            db.add_queue_member(None, queue.id, user.id).await.unwrap();
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serve_options = ServeOptions {
        base_url: base.clone(),
        background_jobs: false,
        ..Default::default()
    };
    tokio::spawn(baton_web::serve(
        db.clone(),
        listener,
        serve_options,
        std::future::pending(),
    ));

    let (jobs, receiver) = mpsc::channel(1024);
    tokio::spawn(ceiling_writer(db.clone(), receiver));
    let ceiling_app = axum::Router::new()
        .route("/ceiling", post(ceiling))
        .with_state(jobs);
    let ceiling_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ceiling_url = format!("http://{}/ceiling", ceiling_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(ceiling_listener, ceiling_app).await.unwrap() });

    println!(
        "machine: {} cores, {}; backend: {backend_name}; {} s per step; decisions: {models}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        std::env::consts::ARCH,
        args.seconds
    );
    println!(
        "| backend | endpoint | concurrency | requests/s | p50 ms | p99 ms | CPU µs/request | errors | share of ceiling | arrival to decision p50 / p99 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let intake_url = format!("{base}/api/v1/inquiries");
    for &concurrency in &args.concurrency {
        let ceiling_run = drive(&ceiling_url, &token, concurrency, args.seconds, false).await;
        let ceiling_rate = ceiling_run.done as f64 / ceiling_run.seconds;
        println!(
            "| {backend_name} | ceiling (parse + durable insert) | {concurrency} | {:.0} | {:.2} | {:.2} | {:.0} | {} | 100% | |",
            ceiling_rate,
            ceiling_run.p50_ms,
            ceiling_run.p99_ms,
            ceiling_run.cpu_seconds * 1e6 / ceiling_run.done.max(1) as f64,
            ceiling_run.errors
        );
        for respond_async in [false, true] {
            let before = last_inquiry(&db).await;
            let run = drive(
                &intake_url,
                &token,
                concurrency,
                args.seconds,
                respond_async,
            )
            .await;
            // Acknowledged inquiries count once processed: the rate is over
            // the run and the time the backlog took to drain.
            let cpu_before_drain = process_cpu_seconds();
            let seconds = run.seconds + drain(&db, before).await;
            let cpu = run.cpu_seconds + process_cpu_seconds() - cpu_before_drain;
            let (decided, lag_p50, lag_p99) = decided_within(&db, before).await;
            assert_eq!(
                decided as u64, run.done,
                "every answered inquiry was decided"
            );
            let rate = run.done as f64 / seconds;
            let endpoint = if respond_async {
                "POST /api/v1/inquiries, Prefer: respond-async (answered once stored; rate counts processed)"
            } else {
                "POST /api/v1/inquiries (full pipeline)"
            };
            println!(
                "| {backend_name} | {endpoint} | {concurrency} | {:.0} | {:.2} | {:.2} | {:.0} | {} | {:.0}% | {lag_p50:.0} / {lag_p99:.0} |",
                rate,
                run.p50_ms,
                run.p99_ms,
                cpu * 1e6 / run.done.max(1) as f64,
                run.errors,
                100.0 * rate / ceiling_rate
            );
        }
    }
    db.close().await;
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
