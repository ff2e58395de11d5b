//! Page-speed benchmark: the demo company in a fresh database, a server on
//! loopback, and every page timed for each kind of person who sees it. A
//! page must answer within 50 ms at the 95th percentile; the run fails
//! otherwise.
//!
//! ```sh
//! cargo bench -p baton-web --bench page_speed                   # SQLite
//! TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/test \
//!     cargo bench -p baton-web --bench page_speed               # PostgreSQL
//! ```
//! Options after `--`: `--inquiries N` of demo data (default 3000),
//! `--rounds N` per page (default 30).

#[path = "../tests/support/server.rs"]
mod server;

use baton_core::domain::Role;
use baton_db::demo::{DEMO_PASSWORD, DemoOptions};
use baton_db::leads::LeadFilter;
use baton_db::opportunities::OpportunityFilter;
use baton_db::testing::TestDb;
use baton_db::users::User;
use std::time::{Duration, Instant};

/// The longest a page may take at the 95th percentile.
const BUDGET: Duration = Duration::from_millis(50);

fn args() -> (u64, usize) {
    let (mut inquiries, mut rounds) = (3000, 30);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--inquiries" => {
                inquiries = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--inquiries N")
            }
            "--rounds" => rounds = it.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            // cargo bench passes --bench; anything else is not ours.
            _ => {}
        }
    }
    (inquiries, rounds)
}

/// A signed-in person's client: the session cookie sent by hand.
struct Visitor {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Visitor {
    async fn sign_in(base: &str, user: &User) -> Visitor {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let response = client
            .post(format!("{base}/sign-in"))
            .form(&[("email", user.email.as_str()), ("password", DEMO_PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .unwrap_or_else(|| panic!("{} could not sign in", user.email))
            .to_string();
        Visitor {
            client,
            base: base.to_string(),
            cookie,
        }
    }

    /// Fetches a page: its status and how long the answer took.
    async fn time(&self, path: &str) -> (u16, Duration) {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        response.bytes().await.unwrap();
        (status, started.elapsed())
    }
}

/// The pages a person is timed on: every list (sorted, filtered and
/// exported too), and the lead, deal, account, contact and inquiry pages of
/// their own work (any, for managers).
async fn pages_for(db: &baton_db::Db, user: &User) -> Vec<String> {
    let mut pages: Vec<String> = [
        "/work",
        "/work?overdue=yes&sort=score&dir=desc",
        "/work.csv",
        "/dashboard",
        "/forms",
        "/moderation",
        "/moderation?q=seo&sort=score&dir=desc",
        "/moderation.csv",
        "/charter",
        "/queues",
        "/queues/hunters",
        "/settings",
        "/settings/people",
        "/settings/tokens",
        "/settings/organisation",
        "/settings/teams",
        "/settings/webhooks",
        "/accounts",
        "/accounts?sort=revenue_won&dir=desc",
        "/accounts?q=tech&tier=a",
        "/contacts",
        "/contacts?decision_maker=yes&sort=account",
        "/opportunities",
        "/opportunities?stage=won&sort=amount&dir=desc&page=2",
        "/opportunities/board",
        "/campaigns",
        "/leads",
        "/leads?sort=score&dir=desc&grade=a",
        "/leads.csv",
        "/campaigns?sort=leads&dir=desc",
        "/accounts.csv",
        "/opportunities.csv",
    ]
    .map(String::from)
    .to_vec();
    let everyone = user.role.is_manager();
    let leads = LeadFilter {
        visible_to: (!everyone).then_some(user.id),
        ..Default::default()
    };
    if let Some(lead) = db.leads(&leads, 0, 1).await.unwrap().first() {
        pages.push(format!("/leads/{}", lead.id));
        pages.push(format!("/inquiries/{}", lead.inquiry_id));
    }
    let deals = OpportunityFilter {
        owner_id: (!everyone).then_some(user.id),
        ..Default::default()
    };
    if let Some(deal) = db.opportunities(&deals, 0, 1).await.unwrap().first() {
        pages.push(format!("/opportunities/{}", deal.id));
        if let Some(account) = deal.account_id {
            pages.push(format!("/accounts/{account}"));
        }
        if let Some(contact) = deal.contact_id {
            pages.push(format!("/contacts/{contact}"));
        }
    }
    pages
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let at = ((sorted.len() as f64 * share).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

#[tokio::main]
async fn main() {
    let (inquiries, rounds) = args();
    let test_db = TestDb::new().await.expect("a database");
    let db = test_db.db.clone();
    let started = Instant::now();
    let options = DemoOptions {
        inquiries,
        ..Default::default()
    };
    let summary = baton_db::demo::generate(&db, &options, &|_, _, _| {})
        .await
        .expect("demo data");
    println!(
        "demo on {}: {} inquiries, {} leads, {} opportunities, {} activities ({:.0?})",
        TestDb::backend_name(),
        summary.inquiries,
        summary.leads,
        summary.opportunities,
        summary.activities,
        started.elapsed()
    );
    let (base, _stop) = server::start_server(db.clone(), |_| {}).await;

    let users = db.users().await.unwrap();
    let mut slow = Vec::new();
    println!(
        "{:<10} {:<54} {:>8} {:>8} {:>8}",
        "role", "page", "p50", "p95", "max"
    );
    for role in [
        Role::Owner,
        Role::Manager,
        Role::Marketer,
        Role::Qualifier,
        Role::Hunter,
    ] {
        let Some(user) = users.iter().find(|u| u.role == role && u.active) else {
            continue;
        };
        let visitor = Visitor::sign_in(&base, user).await;
        for page in pages_for(&db, user).await {
            let (status, _) = visitor.time(&page).await;
            if status == 403 {
                continue;
            }
            assert_eq!(status, 200, "{role} on {page}");
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                times.push(visitor.time(&page).await.1);
            }
            times.sort();
            let p95 = percentile(&times, 0.95);
            println!(
                "{:<10} {:<54} {:>8.1?} {:>8.1?} {:>8.1?}",
                role.as_str(),
                page,
                percentile(&times, 0.5),
                p95,
                times[times.len() - 1]
            );
            if p95 > BUDGET {
                slow.push(format!("{role} {page}: p95 {p95:.1?}"));
            }
        }
    }
    if !slow.is_empty() {
        eprintln!("over the {BUDGET:?} budget:\n{}", slow.join("\n"));
        std::process::exit(1);
    }
    println!("every page within {BUDGET:?} at the 95th percentile");
}
