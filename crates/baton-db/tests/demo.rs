//! The demo company: every entity filled through the real pipeline, the
//! same data from the same seed, and never on top of real data.

use baton_core::domain::Role;
use baton_db::demo::{DemoOptions, DemoSummary, generate};
use baton_db::testing::TestDb;
use baton_db::users::NewUser;
use baton_db::{Db, DbError};

/// Monday 15 June 2026, 14:00 UTC: a fixed "now" keeps runs comparable.
const TODAY: i64 = 1_781_532_000_000;

fn options() -> DemoOptions {
    DemoOptions {
        seed: 7,
        inquiries: 300,
        today: TODAY,
    }
}

async fn rows<T>(db: &Db, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql).fetch_all(db.reader()).await.unwrap()
}

async fn demo() -> (TestDb, DemoSummary) {
    let test = TestDb::new().await.unwrap();
    let summary = generate(&test.db, &options(), &|_, _, _| {}).await.unwrap();
    (test, summary)
}

#[tokio::test]
async fn demo_fills_every_entity_through_the_pipeline() {
    let (test, summary) = demo().await;
    let db = &test.db;
    for (entity, count) in [
        ("users", summary.users),
        ("accounts", summary.accounts),
        ("contacts", summary.contacts),
        ("inquiries", summary.inquiries),
        ("leads", summary.leads),
        ("work_items", summary.work_items),
        ("opportunities", summary.opportunities),
        ("activities", summary.activities),
        ("forecasts", summary.forecasts),
    ] {
        assert!(count > 0, "no {entity} in {summary:?}");
    }
    assert_eq!(summary.inquiries, 300);

    let roles: Vec<(String,)> = rows(db, "SELECT DISTINCT role FROM users ORDER BY role").await;
    for role in Role::ALL {
        assert!(
            roles.iter().any(|(r,)| r == role.as_str()),
            "no {role} among {roles:?}"
        );
    }

    let statuses: Vec<(String, i64)> = rows(
        db,
        "SELECT status, COUNT(*) FROM inquiries GROUP BY status ORDER BY status",
    )
    .await;
    // Spam that got past moderation was confirmed when someone met it.
    assert!(
        statuses
            .iter()
            .all(|(s, _)| s == "processed" || s == "quarantined" || s == "spam"),
        "{statuses:?}"
    );
    for caught in ["quarantined", "spam"] {
        assert!(
            statuses.iter().any(|(s, _)| s == caught),
            "{caught}: {statuses:?}"
        );
    }
    let (undecided,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM inquiries i WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.inquiry_id = i.id)",
    )
    .fetch_one(db.reader())
    .await
    .unwrap();
    assert_eq!(undecided, 0);

    let per_queue: Vec<(String, i64)> = rows(
        db,
        "SELECT q.slug, COUNT(w.id) FROM queues q LEFT JOIN work_items w ON w.queue_id = q.id
         GROUP BY q.slug ORDER BY q.slug",
    )
    .await;
    for (queue, items) in &per_queue {
        assert!(*items > 0, "no work items in {queue}: {per_queue:?}");
    }

    // Everything the real code stamped with the wall clock was moved into
    // the demo's history.
    for (table, column) in [
        ("inquiries", "processed_at"),
        ("decisions", "created_at"),
        ("leads", "updated_at"),
        ("lead_stage_history", "at"),
        ("work_items", "updated_at"),
        ("assignment_history", "at"),
        ("contacts", "updated_at"),
        ("accounts", "updated_at"),
        ("opportunities", "updated_at"),
        ("activities", "created_at"),
        ("forecasts", "submitted_at"),
    ] {
        let (latest,): (i64,) = sqlx::query_as(&format!("SELECT MAX({column}) FROM {table}"))
            .fetch_one(db.reader())
            .await
            .unwrap();
        assert!(latest <= TODAY, "{table}.{column} is after today");
    }

    let stages: Vec<(String,)> = rows(db, "SELECT DISTINCT stage FROM leads ORDER BY stage").await;
    assert!(stages.len() >= 5, "the funnel barely moved: {stages:?}");
    let kinds: Vec<(String,)> = rows(db, "SELECT DISTINCT kind FROM forecasts ORDER BY kind").await;
    assert_eq!(kinds, [("leads".to_string(),), ("revenue".to_string(),)]);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_company() {
    let ((first, first_summary), (second, second_summary)) = (demo().await, demo().await);
    assert_eq!(first_summary, second_summary);
    let distribution = "SELECT l.grade, q.slug, l.stage, COUNT(*) FROM leads l
         JOIN work_items w ON w.lead_id = l.id JOIN queues q ON q.id = w.queue_id
         GROUP BY l.grade, q.slug, l.stage ORDER BY l.grade, q.slug, l.stage";
    let a: Vec<(String, String, String, i64)> = rows(&first.db, distribution).await;
    let b: Vec<(String, String, String, i64)> = rows(&second.db, distribution).await;
    assert_eq!(a, b);
    let money = "SELECT stage, COUNT(*), CAST(SUM(amount_minor) AS BIGINT) FROM opportunities GROUP BY stage ORDER BY stage";
    let a: Vec<(String, i64, i64)> = rows(&first.db, money).await;
    let b: Vec<(String, i64, i64)> = rows(&second.db, money).await;
    assert_eq!(a, b);
    let work =
        "SELECT q.slug, w.status, COUNT(*), CAST(SUM(w.created_at) AS BIGINT) FROM work_items w
         JOIN queues q ON q.id = w.queue_id GROUP BY q.slug, w.status ORDER BY q.slug, w.status";
    let a: Vec<(String, String, i64, i64)> = rows(&first.db, work).await;
    let b: Vec<(String, String, i64, i64)> = rows(&second.db, work).await;
    assert_eq!(a, b);
    let activity = "SELECT u.email, a.type_slug, COUNT(*), CAST(SUM(a.occurred_at) AS BIGINT)
         FROM activities a JOIN users u ON u.id = a.user_id
         GROUP BY u.email, a.type_slug ORDER BY u.email, a.type_slug";
    let a: Vec<(String, String, i64, i64)> = rows(&first.db, activity).await;
    let b: Vec<(String, String, i64, i64)> = rows(&second.db, activity).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_database_with_users_is_refused() {
    let test = TestDb::new().await.unwrap();
    test.db
        .create_user(NewUser {
            email: "someone@example.com",
            name: "Someone Real",
            role: Role::Owner,
            password: None,
        })
        .await
        .unwrap();
    let refused = generate(&test.db, &options(), &|_, _, _| {}).await;
    assert!(
        matches!(&refused, Err(DbError::Conflict { problem, .. }) if problem.contains("already holds users")),
        "{refused:?}"
    );
    let touched: Vec<(i64, i64)> = rows(
        &test.db,
        "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM accounts)",
    )
    .await;
    assert_eq!(touched, [(1, 0)], "a refused database is left as it was");
}

#[tokio::test]
async fn the_reports_find_the_demo_smoke_blower_the_busy_rep_and_the_hunter_doing_billing() {
    use baton_core::calendar::{Quarter, parse_date};
    use baton_db::reports::{AccuracyGroup, Period};
    // The people behind the figures need the full-size demo's deals.
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let full = DemoOptions {
        inquiries: DemoOptions::default().inquiries,
        ..options()
    };
    generate(db, &full, &|_, _, _| {}).await.unwrap();
    let smoke: Vec<String> = db
        .forecast_accuracy(Quarter::parse("2025-Q4").unwrap(), AccuracyGroup::Person)
        .await
        .unwrap()
        .rows
        .into_iter()
        .filter(|row| row.smoke)
        .map(|row| row.name)
        .collect();
    assert!(smoke.contains(&"Tom Kowalski".to_string()), "{smoke:?}");

    // The year before the demo's today.
    let year = Period::new(
        parse_date("2025-06-15").unwrap(),
        parse_date("2026-06-14").unwrap(),
    )
    .unwrap();
    let busy: Vec<String> = db
        .activity_report(year)
        .await
        .unwrap()
        .rows
        .into_iter()
        .filter(|row| row.busy_without_results)
        .map(|row| row.name)
        .collect();
    assert_eq!(busy, ["Carlos Mendez"]);

    let focus = db.focus_report(year).await.unwrap();
    let aisha = focus
        .rows
        .iter()
        .find(|row| row.name == "Aisha Bello")
        .unwrap();
    let billing = aisha
        .stray
        .iter()
        .find(|work| work.type_slug == "billing_issue")
        .unwrap();
    assert_eq!(billing.suggested_queue.as_deref(), Some("operations"));
    assert!(aisha.other_share > 0.1, "{aisha:?}");
    let carlos = focus
        .rows
        .iter()
        .find(|r| r.name == "Carlos Mendez")
        .unwrap();
    assert_eq!(carlos.other_functions, 0, "{carlos:?}");
}

/// Stores and processes one API inquiry, returning its status.
async fn inquire(db: &Db, email: &str, message: &str) -> String {
    use baton_core::inquiry::{Inquiry, InquiryInput};
    let input = InquiryInput {
        email: Some(email.into()),
        message: Some(message.into()),
        ..Default::default()
    };
    let raw = baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "test".into(),
        raw: serde_json::to_vec(&input).unwrap(),
        idempotency_key: None,
        content_hash: baton_core::intake::content_hash(&Inquiry::parse(&input).unwrap()),
    };
    let (stored, _) = db.store_raw(&[raw]).await.unwrap();
    let outcome = db.process_inquiries(&[stored[0].id()]).await.unwrap();
    outcome[0].status.as_str().to_string()
}

#[tokio::test]
async fn the_demo_company_teaches_its_spam_model_the_words_of_spam() {
    use baton_core::learn::train::Task;
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let full = DemoOptions {
        inquiries: DemoOptions::default().inquiries,
        ..options()
    };
    generate(db, &full, &|_, _, _| {}).await.unwrap();

    // Link-free spam reached the queues and was confirmed there, so the
    // spam model reads its words, not only links and throw-away addresses.
    db.train_model(Task::Spam).await.unwrap().unwrap();
    let pills = "Buy cheap viagra and cialis online, best casino bonus, no prescription needed";
    assert_eq!(inquire(db, "max@pharm.example", pills).await, "quarantined");
    let buyer = "We run three hotels and want your maintenance software for 80 technicians. Can we get a quote?";
    assert_eq!(
        inquire(db, "pat@casino-resorts.example", buyer).await,
        "processed"
    );
}
