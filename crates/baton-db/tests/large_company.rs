//! The large company generator: the counts asked for, every role and
//! quarter, sales' work items as the leads' stages tell, reports that find
//! something to say, the same company from the same seed, and never on top
//! of real data.

use baton_core::calendar::Quarter;
use baton_core::domain::Role;
use baton_db::large_company::{LargeOptions, LargeSummary, generate};
use baton_db::reports::{AccuracyGroup, Period, RevenueBy};
use baton_db::testing::TestDb;
use baton_db::users::NewUser;
use baton_db::{Db, DbError};

/// Monday 15 June 2026, 14:00 UTC.
const TODAY: i64 = 1_781_532_000_000;

fn options() -> LargeOptions {
    LargeOptions {
        seed: 3,
        leads: 3_000,
        activities: 12_000,
        opportunities: 700,
        quarters: 8,
        today: TODAY,
    }
}

async fn rows<T>(db: &Db, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(sql).fetch_all(db.reader()).await.unwrap()
}

/// A work item's status and its history rows: assigned to the assignee,
/// accepted, rejected, done, answers before the item, accepted at its
/// first touch, rejected with its reason, done at its last update after
/// the acceptance.
type ItemHistory = (String, i64, i64, i64, i64, i64, i64, i64, i64);

async fn company() -> (TestDb, LargeSummary) {
    let test = TestDb::new().await.unwrap();
    let summary = generate(&test.db, &options(), &|_, _, _| {}).await.unwrap();
    (test, summary)
}

#[tokio::test]
async fn the_company_has_the_rows_asked_for_in_every_role_and_quarter() {
    let (test, summary) = company().await;
    let db = &test.db;
    assert_eq!(summary.leads, 3_000);
    assert_eq!(summary.activities, 12_000);
    assert_eq!(summary.opportunities, 700);
    for (table, count) in [
        ("users", summary.users),
        ("accounts", summary.accounts),
        ("contacts", summary.contacts),
        ("campaigns", summary.campaigns),
        ("lead_stage_history", summary.lead_stage_history),
        ("work_items", summary.work_items),
        ("assignment_history", summary.assignment_history),
        ("forecast_lines", summary.forecast_lines),
        ("call_sheet_lines", summary.call_sheet_lines),
    ] {
        assert!(count > 0, "no {table} in {summary:?}");
    }
    let (inquiries,): (i64,) = rows(db, "SELECT COUNT(*) FROM inquiries").await[0];
    assert_eq!(inquiries, 3_000, "every lead has its inquiry");

    let roles: Vec<(String,)> = rows(db, "SELECT DISTINCT role FROM users").await;
    for role in Role::ALL {
        assert!(
            roles.iter().any(|(r,)| r == role.as_str()),
            "no {role} among {roles:?}"
        );
    }
    let quarters: Vec<(String, String)> = rows(
        db,
        "SELECT DISTINCT quarter, kind FROM forecasts ORDER BY quarter, kind",
    )
    .await;
    assert_eq!(
        quarters.len(),
        2 * 8,
        "both kinds in 8 quarters: {quarters:?}"
    );
    let (revised,): (i64,) = rows(db, "SELECT COUNT(*) FROM forecasts WHERE version > 1").await[0];
    assert!(revised > 0, "some forecasts have later versions");
    let stages: Vec<(String,)> = rows(
        db,
        "SELECT DISTINCT stage FROM opportunities ORDER BY stage",
    )
    .await;
    for stage in ["won", "lost", "negotiation"] {
        assert!(
            stages.iter().any(|(s,)| s == stage),
            "no {stage} deal among {stages:?}"
        );
    }
    let (after_today,): (i64,) = rows(
        db,
        &format!(
            "SELECT (SELECT COUNT(*) FROM activities WHERE occurred_at > {TODAY})
                 + (SELECT COUNT(*) FROM leads WHERE created_at > {TODAY})
                 + (SELECT COUNT(*) FROM lead_stage_history WHERE at > {TODAY})"
        ),
    )
    .await[0];
    assert_eq!(after_today, 0, "the history ends today");
}

#[tokio::test]
async fn leads_handed_to_sales_have_work_items_answered_as_their_stage_tells() {
    let (test, _) = company().await;
    let db = &test.db;
    // (lead stage, item status, queue function, items), each lead at most once.
    let items: Vec<(String, String, String, i64)> = rows(
        db,
        "SELECT l.stage, w.status, q.function, COUNT(*)
         FROM work_items w JOIN leads l ON l.id = w.lead_id JOIN queues q ON q.id = w.queue_id
         GROUP BY l.stage, w.status, q.function",
    )
    .await;
    let (items_per_lead,): (i64,) = rows(
        db,
        "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM work_items GROUP BY lead_id) c",
    )
    .await[0];
    assert_eq!(items_per_lead, 1, "one sales item per lead");
    for (stage, status, function, _) in &items {
        assert!(
            ["qualification", "hunting", "farming"].contains(&function.as_str()),
            "{stage} lead in a {function} queue"
        );
        let expected: &[&str] = match stage.as_str() {
            "sal" | "sql" => &["accepted"],
            "opportunity" | "customer" => &["done"],
            "disqualified" => &["done", "rejected"],
            "nurture" => &["rejected"],
            // Sent back, then nurtured back to MQL; or not answered yet.
            "mql" => &["rejected", "assigned"],
            _ => &["assigned"],
        };
        assert!(
            expected.contains(&status.as_str()),
            "a {stage} lead's item is {status}"
        );
    }
    for status in ["accepted", "done", "rejected", "assigned"] {
        assert!(
            items.iter().any(|(_, s, _, _)| s == status),
            "no {status} item in {items:?}"
        );
    }
    let (unhandled,): (i64,) = rows(
        db,
        "SELECT COUNT(*) FROM leads l
         WHERE l.stage IN ('new', 'sal', 'sql', 'opportunity', 'customer')
           AND NOT EXISTS (SELECT 1 FROM work_items w WHERE w.lead_id = l.id)",
    )
    .await[0];
    assert_eq!(unhandled, 0, "every lead sales worked on has its item");

    let history: Vec<ItemHistory> = rows(
        db,
        "SELECT w.status,
             SUM(CASE WHEN h.action = 'assigned' AND h.to_user_id = w.assignee_id
                      AND h.to_queue_id = w.queue_id AND h.at = w.created_at THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'accepted' THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'rejected' THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'done' THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.at < w.created_at THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'accepted' AND h.at = w.first_touched_at THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'rejected' AND h.reason = w.reject_reason THEN 1 ELSE 0 END),
             SUM(CASE WHEN h.action = 'done' AND h.at = w.updated_at
                      AND h.at >= w.first_touched_at THEN 1 ELSE 0 END)
         FROM work_items w JOIN assignment_history h ON h.work_item_id = w.id
         GROUP BY w.id, w.status",
    )
    .await;
    let (work_items,): (i64,) = rows(db, "SELECT COUNT(*) FROM work_items").await[0];
    assert_eq!(history.len() as i64, work_items, "every item has history");
    for row in &history {
        let (status, assigned, accepted, rejected, done, early, touched, reasoned, ended) = row;
        // (accepted, rejected, done) as the status says.
        let answers = match status.as_str() {
            "accepted" => (1, 0, 0),
            "done" => (1, 0, 1),
            "rejected" => (0, 1, 0),
            _ => (0, 0, 0),
        };
        assert_eq!(*assigned, 1, "{row:?}");
        assert_eq!(*early, 0, "no answer before the hand-over: {row:?}");
        assert_eq!((*accepted, *rejected, *done), answers, "{row:?}");
        assert_eq!(
            (*touched, *reasoned, *ended),
            (*accepted, *rejected, *done),
            "{row:?}"
        );
    }

    let miscounted: Vec<(i64, i64, i64)> = rows(
        db,
        "SELECT u.id, COALESCE(o.items, -1),
                (SELECT COUNT(*) FROM work_items w
                 WHERE w.assignee_id = u.id AND w.status IN ('assigned', 'accepted'))
         FROM users u LEFT JOIN open_work o ON o.user_id = u.id",
    )
    .await
    .into_iter()
    .filter(|(_, kept, real)| kept != real)
    .collect();
    assert!(miscounted.is_empty(), "(user, kept, real): {miscounted:?}");
}

#[tokio::test]
async fn every_report_finds_people_and_results_in_the_company() {
    let (test, _) = company().await;
    let db = &test.db;
    let revenue = db.revenue_report(RevenueBy::Office).await.unwrap();
    assert!(revenue.total.won_deals > 0 && revenue.total.closed_deals > revenue.total.won_deals);
    assert!(revenue.other_currency_deals > 0);

    let quarter = Quarter::parse("2026-Q1").unwrap();
    for group in [
        AccuracyGroup::Person,
        AccuracyGroup::Team,
        AccuracyGroup::Campaign,
    ] {
        let report = db.forecast_accuracy(quarter, group).await.unwrap();
        assert!(
            report.rows.iter().any(|row| row.judged.actual > 0),
            "{group:?}: {:?}",
            report.rows
        );
    }
    let handover = db.handover_report(quarter).await.unwrap().sales;
    assert!(
        handover.accepted > 0
            && handover.rejected > 0
            && handover.open > 0
            && handover.on_time > 0
            && handover.late > 0
            && handover.handed_over == handover.accepted + handover.rejected + handover.open,
        "{handover:?}"
    );
    assert!(handover.median_hours_to_accept.is_some());
    assert!(
        handover
            .rejection_reasons
            .iter()
            .all(|r| !r.reason.is_empty() && r.leads > 0)
            && handover.rejection_reasons.len() > 1,
        "{:?}",
        handover.rejection_reasons
    );
    let quarter_period =
        Period::new("2026-01-01".parse().unwrap(), "2026-03-31".parse().unwrap()).unwrap();
    let activity = db.activity_report(quarter_period).await.unwrap();
    assert!(activity.rows.iter().any(|row| row.won_revenue_minor > 0));
    let focus = db.focus_report(quarter_period).await.unwrap();
    assert!(focus.rows.iter().any(|row| row.other_functions > 0));
    let completion = db
        .call_sheet_completion(
            "2026-05-01".parse().unwrap(),
            "2026-05-31".parse().unwrap(),
            None,
        )
        .await
        .unwrap();
    assert!(!completion.rows.is_empty());
    assert!(
        completion
            .rows
            .iter()
            .all(|row| row.done <= row.lines && row.lines > 0)
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_company() {
    let (first, _) = company().await;
    let (second, _) = company().await;
    let figures = async |db: &Db| -> Vec<(String, i64, i64)> {
        rows(
            db,
            "SELECT type_slug, COUNT(*), CAST(SUM(occurred_at % 1000003) AS BIGINT)
             FROM activities GROUP BY type_slug ORDER BY type_slug",
        )
        .await
    };
    assert_eq!(figures(&first.db).await, figures(&second.db).await);
    let work = async |db: &Db| -> Vec<(String, i64, i64, i64)> {
        rows(
            db,
            "SELECT action, COUNT(*), CAST(SUM(at % 1000003) AS BIGINT),
                 CAST(SUM(COALESCE(to_user_id, 0)) AS BIGINT)
             FROM assignment_history GROUP BY action ORDER BY action",
        )
        .await
    };
    assert_eq!(work(&first.db).await, work(&second.db).await);
    assert_eq!(
        first.db.revenue_report(RevenueBy::Agent).await.unwrap(),
        second.db.revenue_report(RevenueBy::Agent).await.unwrap()
    );
}

#[tokio::test]
async fn a_database_with_users_is_refused_untouched() {
    let test = TestDb::new().await.unwrap();
    test.db
        .create_user(NewUser {
            email: "real@customer.example",
            name: "Real Person",
            role: Role::Owner,
            password: None,
        })
        .await
        .unwrap();
    let err = generate(&test.db, &options(), &|_, _, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Conflict { .. }), "{err:?}");
    let (leads,): (i64,) = rows(&test.db, "SELECT COUNT(*) FROM leads").await[0];
    assert_eq!(leads, 0);
}
