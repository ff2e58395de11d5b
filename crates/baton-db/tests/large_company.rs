//! The large company generator: the counts asked for, every role and
//! quarter, reports that find something to say, the same company from the
//! same seed, and never on top of real data.

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
    assert!(matches!(err, DbError::Config(_)), "{err:?}");
    let (leads,): (i64,) = rows(&test.db, "SELECT COUNT(*) FROM leads").await[0];
    assert_eq!(leads, 0);
}
