//! Times every report on a database that `baton generate` filled, and
//! prints the median, fastest and slowest of several runs of each.
//!
//! ```sh
//! baton --data-dir /work/bench-data/sqlite generate      # once: 1M leads, 5M activities…
//! BENCH_DATA_DIR=/work/bench-data/sqlite cargo bench -p baton-db --bench reports
//! BENCH_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/bench \
//!     cargo bench -p baton-db --bench reports
//! ```
//! Options after `--`: `--runs N` (default 5, after one warm-up run).
//!
//! The periods follow the data: the last full quarter, month and four
//! quarters before its latest activity.

use baton_core::calendar::Quarter;
use baton_db::reports::{AccuracyGroup, Period, RevenueBy};
use baton_db::{Db, DbOptions};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use std::time::{Duration, Instant};

/// One run of a report, waited for.
type Run = std::pin::Pin<Box<dyn Future<Output = ()>>>;

/// One report as run by the benchmark.
struct Report {
    name: String,
    run: Box<dyn Fn(Db) -> Run>,
}

/// A report whose result is only waited for: the figures are the tests' business.
fn report<F, T>(name: String, run: impl Fn(Db) -> F + 'static) -> Report
where
    F: Future<Output = baton_db::Result<T>> + 'static,
{
    Report {
        name,
        run: Box::new(move |db| {
            let future = run(db);
            Box::pin(async move {
                future.await.expect("the report runs");
            })
        }),
    }
}

fn reports(quarter: Quarter, year: Period, month: Period) -> Vec<Report> {
    let quarter_period = Period::new(quarter.first_day(), quarter.last_day()).expect("a quarter");
    let mut list = Vec::new();
    for (label, by) in [
        ("quarter", RevenueBy::Quarter),
        ("office", RevenueBy::Office),
        ("agent", RevenueBy::Agent),
    ] {
        list.push(report(
            format!("revenue by {label}"),
            move |db: Db| async move { db.revenue_report(by).await },
        ));
    }
    for group in [
        AccuracyGroup::Person,
        AccuracyGroup::Team,
        AccuracyGroup::Campaign,
    ] {
        list.push(report(
            format!("forecast accuracy by {}, {quarter}", group.as_str()),
            move |db: Db| async move { db.forecast_accuracy(quarter, group).await },
        ));
    }
    for (label, period) in [
        (quarter.to_string(), quarter_period),
        (format!("{} to {}", year.from, year.to), year),
    ] {
        list.push(report(
            format!("activity vs revenue, {label}"),
            move |db: Db| async move { db.activity_report(period).await },
        ));
        list.push(report(
            format!("focus, {label}"),
            move |db: Db| async move { db.focus_report(period).await },
        ));
        list.push(report(
            format!("funnel and time in stage, {label}"),
            move |db: Db| async move { db.funnel_report(period).await },
        ));
        list.push(report(
            format!("lead quality, {label}"),
            move |db: Db| async move { db.lead_quality_report(period).await },
        ));
    }
    list.push(report(
        format!("marketing-sales hand-over, {quarter}"),
        move |db: Db| async move { db.handover_report(quarter).await },
    ));
    list.push(report(
        format!("revenue against forecast, to {quarter}"),
        move |db: Db| async move { db.revenue_plan_report(quarter).await },
    ));
    list.push(report(
        format!("call-sheet completion, {} to {}", month.from, month.to),
        move |db: Db| async move { db.call_sheet_completion(month.from, month.to, None).await },
    ));
    list
}

fn runs() -> usize {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            return args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--runs takes a number");
        }
    }
    5
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let middle = times.len() / 2;
    if times.len() % 2 == 1 {
        times[middle]
    } else {
        (times[middle - 1] + times[middle]) / 2
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

async fn count(db: &Db, table: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.reader())
        .await
        .expect("the table exists");
    count
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (options, backend) = match (
        std::env::var("BENCH_DATABASE_URL"),
        std::env::var("BENCH_DATA_DIR"),
    ) {
        (Ok(url), _) if !url.is_empty() => (DbOptions::url(url), "PostgreSQL"),
        (_, Ok(dir)) if !dir.is_empty() => (
            DbOptions::sqlite_in(dir.as_ref()).expect("the data folder opens"),
            "SQLite",
        ),
        _ => {
            eprintln!(
                "set BENCH_DATA_DIR (SQLite) or BENCH_DATABASE_URL (PostgreSQL) to a database \
                 filled by `baton generate`"
            );
            std::process::exit(2);
        }
    };
    let db = Db::open(&options).await.expect("the database opens");
    let (latest,): (Option<i64>,) = sqlx::query_as("SELECT MAX(occurred_at) FROM activities")
        .fetch_one(db.reader())
        .await
        .expect("activities are readable");
    let Some(latest) = latest else {
        eprintln!("the database has no activities: fill it with `baton generate` first");
        std::process::exit(2);
    };
    let zone = db
        .time_zone()
        .await
        .expect("the organisation's time zone exists");
    let last_day = Timestamp::from_millisecond(latest)
        .expect("a stored time")
        .to_zoned(zone)
        .date();
    let quarter = Quarter::containing(last_day).previous();
    let year_from = quarter.previous().previous().previous().first_day();
    let year = Period::new(year_from, quarter.last_day()).expect("a year");
    let this_month = last_day.first_of_month();
    let month_from: Date = this_month
        .checked_sub(1.month())
        .expect("a month after the year 0");
    let month = Period::new(month_from, month_from.last_of_month()).expect("a month");

    println!(
        "machine: {} cores, {}; backend: {backend}; {} leads, {} activities, {} opportunities, \
         {} forecasts, {} call-sheet lines",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model(),
        count(&db, "leads").await,
        count(&db, "activities").await,
        count(&db, "opportunities").await,
        count(&db, "forecasts").await,
        count(&db, "call_sheet_lines").await,
    );
    let runs = runs();
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        format!("report ({runs} runs after a warm-up)"),
        "median ms",
        "min ms",
        "max ms"
    );
    for report in reports(quarter, year, month) {
        (report.run)(db.clone()).await;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            (report.run)(db.clone()).await;
            times.push(started.elapsed());
        }
        let (min, max) = (
            *times.iter().min().expect("at least one run"),
            *times.iter().max().expect("at least one run"),
        );
        println!(
            "{:<48} {:>10} {:>10} {:>10}",
            report.name,
            millis(median(&mut times)),
            millis(min),
            millis(max)
        );
    }
    db.close().await;
}
