//! The accountability reports on the scenario of `baton_db::testing::scenario`,
//! whose every figure is worked out by hand there and here, on SQLite and,
//! with `TEST_DATABASE_URL`, on PostgreSQL.

use baton_core::accountability::Accuracy;
use baton_core::calendar::{Quarter, parse_date};
use baton_core::domain::{ForecastKind, Function};
use baton_db::Db;
use baton_db::reports::{AccuracyGroup, AccuracyRow, ForecastAccuracyReport, OwnLines, Period};
use baton_db::settings::OrganisationChange;
use baton_db::testing::TestDb;
use baton_db::testing::scenario::{Scenario, accountability};

async fn scenario() -> (TestDb, Scenario) {
    let test = TestDb::new().await.unwrap();
    let scenario = accountability(&test.db).await;
    (test, scenario)
}

async fn q3(db: &Db, group: AccuracyGroup) -> ForecastAccuracyReport {
    db.forecast_accuracy(Quarter::parse("2026-Q3").unwrap(), group)
        .await
        .unwrap()
}

fn q3_period() -> Period {
    Period::new(
        parse_date("2026-07-01").unwrap(),
        parse_date("2026-09-30").unwrap(),
    )
    .unwrap()
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 1e-9)
}

/// (name, kind, forecast, actual) of each row.
fn figures(rows: &[AccuracyRow]) -> Vec<(&str, ForecastKind, i64, i64)> {
    rows.iter()
        .map(|r| (r.name.as_str(), r.kind, r.judged.forecast, r.judged.actual))
        .collect()
}

async fn forecast_ids(db: &Db, user: i64) -> Vec<(i64, i64)> {
    sqlx::query_as(
        "SELECT version, id FROM forecasts WHERE user_id = $1 AND quarter = '2026-Q3' ORDER BY version",
    )
    .bind(user)
    .fetch_all(db.reader())
    .await
    .unwrap()
}

#[tokio::test]
async fn people_are_judged_on_the_version_in_force_at_the_cutoff_against_what_they_won() {
    let (test, s) = scenario().await;
    let db = &test.db;
    let report = q3(db, AccuracyGroup::Person).await;
    assert_eq!(
        report.quarters,
        ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    );
    // 8 July 2026, midnight in Chicago (UTC−5).
    assert_eq!(
        report.cutoff,
        baton_db::testing::scenario::ms("2026-07-08T05:00:00Z")
    );
    use ForecastKind::{Leads, Revenue};
    assert_eq!(
        figures(&report.rows),
        [
            // Commit 300 + best case 100; won 250 + 50 in the quarter.
            ("Hal", Revenue, 40_000, 30_000),
            // Only late versions: the first counts.
            ("Hana", Revenue, 20_000, 20_000),
            ("Olive", Revenue, 0, 10_000),
            // MQLs: 4 + 2 expected, 2 from the webinar and 1 from the website.
            ("Mia", Leads, 6, 3),
        ]
    );
    let hal = &report.rows[0];
    assert_eq!(hal.forecast_ids, [forecast_ids(db, s.hal).await[0].1]);
    assert_eq!(hal.judged, Accuracy::of(40_000, 30_000));
    assert_eq!(hal.judged.error, 10_000);
    assert!(close(hal.judged.ape, 1.0 / 3.0));
    assert!(close(Some(hal.judged.accuracy), 2.0 / 3.0));
    assert!(close(hal.judged.bias, 1.0 / 3.0));
    let trend: Vec<Option<(i64, i64)>> = hal
        .trend
        .iter()
        .map(|p| p.accuracy.map(|a| (a.forecast, a.actual)))
        .collect();
    assert_eq!(
        trend,
        [None, None, Some((15_000, 10_000)), Some((40_000, 30_000))]
    );
    // 1 − (50 + 100) / (100 + 300); (50 + 100) / (100 + 300).
    assert!(close(hal.trend_accuracy, 0.625));
    assert!(close(hal.trend_bias, 0.375));
    assert_eq!((hal.too_high_streak, hal.smoke), (2, true));

    let hana = &report.rows[1];
    assert_eq!(hana.forecast_ids, [forecast_ids(db, s.hana).await[0].1]);
    assert_eq!((hana.too_high_streak, hana.smoke), (0, false));
    assert!(close(hana.trend_accuracy, 1.0));

    let olive = &report.rows[2];
    assert!(olive.forecast_ids.is_empty());
    assert_eq!((olive.trend_accuracy, olive.trend_bias), (None, None));
    assert!(olive.trend.iter().all(|p| p.accuracy.is_none()));

    let mia = &report.rows[3];
    assert_eq!(mia.id, Some(s.mia));
    assert_eq!(mia.leads, Some(Accuracy::of(15, 5)));
    assert_eq!(mia.value, Some(Accuracy::of(90_000, 50_000)));
    assert_eq!(mia.judged.accuracy, 0.0);
    assert!(close(mia.judged.bias, 1.0));
    assert_eq!((mia.too_high_streak, mia.smoke), (1, false));
    assert_eq!(hal.leads, None);

    let board: Vec<(usize, &str, ForecastKind)> = report
        .leaderboard
        .iter()
        .map(|e| (e.rank, e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        board,
        [(1, "Hana", Revenue), (2, "Hal", Revenue), (1, "Mia", Leads)]
    );
    assert_eq!(report.leaderboard[1].quarters, 2);

    // The company: every won deal and every lead of the quarter.
    assert_eq!(
        figures(&report.totals),
        [
            ("company", Revenue, 60_000, 60_000),
            ("company", Leads, 6, 3)
        ]
    );
    assert_eq!(report.totals[1].leads, Some(Accuracy::of(15, 6)));

    let own = report.only_person(s.hal);
    assert_eq!(figures(&own.rows), [("Hal", Revenue, 40_000, 30_000)]);
    assert!(own.totals.is_empty());
    assert_eq!(own.leaderboard.len(), 1);
}

#[tokio::test]
async fn teams_sum_their_members_and_campaigns_their_lead_forecast_lines() {
    let (test, s) = scenario().await;
    let db = &test.db;
    use ForecastKind::{Leads, Revenue};
    let teams = q3(db, AccuracyGroup::Team).await;
    assert_eq!(
        figures(&teams.rows),
        [
            ("(no team)", Revenue, 0, 10_000),
            ("East", Revenue, 60_000, 50_000),
            ("Marketing", Leads, 6, 3),
        ]
    );
    let east = &teams.rows[1];
    assert_eq!(east.id, Some(s.east));
    // 150 against 100 in Q2, then 20% over in Q3.
    assert_eq!((east.too_high_streak, east.smoke), (2, true));
    assert_eq!(teams.rows[2].id, Some(s.marketing));

    let campaigns = q3(db, AccuracyGroup::Campaign).await;
    assert_eq!(
        figures(&campaigns.rows),
        [
            ("Webinar W", Leads, 4, 2),
            ("channel email", Leads, 0, 0),
            ("channel website", Leads, 2, 1),
        ]
    );
    let webinar = &campaigns.rows[0];
    assert_eq!(webinar.id, Some(s.webinar));
    // The lead of 30 June (Chicago) is Q2's; one Q3 lead won 500.00.
    assert_eq!(webinar.leads, Some(Accuracy::of(10, 3)));
    assert_eq!(webinar.value, Some(Accuracy::of(80_000, 50_000)));
    assert_eq!(figures(&campaigns.totals), [("company", Leads, 6, 3)]);
    assert!(campaigns.rows[1].forecast_ids.is_empty());
    assert_eq!(campaigns.rows[1].leads, Some(Accuracy::of(0, 1)));
    assert_eq!(campaigns.rows[2].value, Some(Accuracy::of(10_000, 0)));
    // Both expected twice their MQLs: accuracy 0, ties go by name.
    assert_eq!(
        campaigns
            .leaderboard
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["Webinar W", "channel website"]
    );
}

#[tokio::test]
async fn the_owner_sets_the_smoke_tolerance_and_the_cutoff() {
    let (test, s) = scenario().await;
    let db = &test.db;
    let set = |fields: serde_json::Value| OrganisationChange {
        accountability: fields.as_object().cloned(),
        ..OrganisationChange::default()
    };
    db.change_organisation(s.owner, &set(serde_json::json!({"smoke_tolerance": 0.6})))
        .await
        .unwrap();
    let report = q3(db, AccuracyGroup::Person).await;
    assert_eq!(report.smoke_tolerance, 0.6);
    assert_eq!(
        (report.rows[0].too_high_streak, report.rows[0].smoke),
        (0, false)
    );

    db.change_organisation(
        s.owner,
        &set(serde_json::json!({"forecast_cutoff_days": 30})),
    )
    .await
    .unwrap();
    let settings = db.organisation().await.unwrap().accountability;
    assert_eq!(
        (settings.smoke_tolerance, settings.forecast_cutoff_days),
        (0.6, 30),
        "a change to one field keeps the others"
    );
    let report = q3(db, AccuracyGroup::Person).await;
    // By 31 July both revised: the last version before the cut-off counts.
    assert_eq!(report.rows[0].judged.forecast, 100_000);
    assert_eq!(
        report.rows[0].forecast_ids,
        [forecast_ids(db, s.hal).await[1].1]
    );
    assert_eq!(report.rows[1].judged.forecast, 90_000);

    let refused = db
        .change_organisation(
            s.owner,
            &set(serde_json::json!({"busy_activity_ratio": 0.5})),
        )
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("accountability.busy_activity_ratio"),
        "{refused}"
    );
}

#[tokio::test]
async fn activity_is_set_against_revenue_and_the_busy_without_results_are_flagged() {
    let (test, s) = scenario().await;
    let report = test.db.activity_report(q3_period()).await.unwrap();
    // (name, team, activities, won deals, won revenue, opportunities opened,
    // revenue per activity, busy without results).
    type Line<'a> = (&'a str, &'a str, i64, i64, i64, i64, Option<i64>, bool);
    let rows: Vec<Line> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.team.as_str(),
                r.activities,
                r.won_deals,
                r.won_revenue_minor,
                r.opportunities_created,
                r.revenue_per_activity_minor,
                r.busy_without_results,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Olive", "(no team)", 0, 1, 10_000, 0, None, false),
            // The cold call of 30 June (Chicago) is outside the period.
            ("Hal", "East", 6, 2, 30_000, 1, Some(5_000), false),
            ("Hana", "East", 5, 1, 20_000, 1, Some(4_000), false),
            // 12 activities ≥ 1.5 × 6 and nothing won ≤ 0.5 × 200.00.
            ("Hugo", "East", 12, 0, 0, 0, Some(0), true),
            // The manager is no hunter's peer, nor they his.
            ("Max", "East", 1, 0, 0, 0, Some(0), false),
            // Marketing wins nothing, so nobody there is flagged.
            ("Mia", "Marketing", 4, 0, 0, 0, Some(0), false),
        ]
    );
    let hal = &report.rows[1];
    assert_eq!(hal.user_id, s.hal);
    assert_eq!(
        hal.by_type
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("billing_issue", 2), ("cold_call", 4)]
    );
    assert!(close(hal.opportunities_per_activity, 1.0 / 6.0));
    assert_eq!(
        (hal.peer_median_activities, hal.peer_median_revenue_minor),
        (6.0, 20_000.0)
    );
    assert_eq!(report.rows[0].opportunities_per_activity, None);
    assert_eq!(report.rows[3].user_id, s.hugo);
    assert_eq!(report.rows[4].peer_median_activities, 1.0);
}

#[tokio::test]
async fn focus_shows_the_work_another_function_owns_and_its_queue() {
    let (test, s) = scenario().await;
    let report = test.db.focus_report(q3_period()).await.unwrap();
    assert_eq!(report.charter_version, 1);
    let rows: Vec<(&str, Function, i64, i64, i64)> = report
        .rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.function,
                r.activities,
                r.own_function,
                r.other_functions,
            )
        })
        .collect();
    // Max manages: he works for no one function.
    assert_eq!(
        rows,
        [
            ("Hal", Function::Hunting, 6, 4, 2),
            ("Mia", Function::Marketing, 4, 3, 1),
            // Her account visit is about her own deal: her own work.
            ("Hana", Function::Hunting, 5, 5, 0),
            ("Hugo", Function::Hunting, 12, 12, 0),
        ]
    );
    let hal = &report.rows[0];
    assert_eq!(hal.user_id, s.hal);
    assert!(close(Some(hal.other_share), 1.0 / 3.0));
    let stray: Vec<(&str, Function, i64, Option<&str>)> = hal
        .stray
        .iter()
        .map(|w| {
            (
                w.type_slug.as_str(),
                w.function,
                w.activities,
                w.suggested_queue.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        stray,
        [("billing_issue", Function::Operations, 2, Some("operations"))]
    );
    assert_eq!(
        report.rows[1].stray[0].suggested_queue.as_deref(),
        Some("service")
    );
    assert!(close(Some(report.rows[1].other_share), 0.25));

    // A billing question about a lead whose work Hal holds in the hunters'
    // queue is his own work; one about work he holds in operations' queue
    // is not, whoever put it there.
    let (lead,): (i64,) = sqlx::query_as("SELECT MIN(id) FROM leads")
        .fetch_one(test.db.reader())
        .await
        .unwrap();
    let (other_lead,): (i64,) = sqlx::query_as("SELECT MAX(id) FROM leads")
        .fetch_one(test.db.reader())
        .await
        .unwrap();
    for (lead, queue) in [(lead, "hunters"), (other_lead, "operations")] {
        let at = baton_db::testing::scenario::ms("2026-08-03T15:00:00Z");
        sqlx::query(
            "INSERT INTO work_items (lead_id, queue_id, assignee_id, status, first_touch_due_at,
                 resolution_due_at, created_at, updated_at)
             SELECT $1, id, $2, 'accepted', $3, $3, $3, $3 FROM queues WHERE slug = $4",
        )
        .bind(lead)
        .bind(s.hal)
        .bind(at)
        .bind(queue)
        .execute(test.db.writer())
        .await
        .unwrap();
        test.db
            .create_activity(
                Some(s.hal),
                &baton_db::activities::NewActivity {
                    type_slug: "billing_issue".into(),
                    user_id: s.hal,
                    occurred_at: Some("2026-08-03T16:00:00Z".into()),
                    contact_id: None,
                    account_id: None,
                    lead_id: Some(lead),
                    opportunity_id: None,
                    outcome: Some("answered".into()),
                    notes: None,
                },
            )
            .await
            .unwrap();
    }
    let hals = async || {
        let report = test.db.focus_report(q3_period()).await.unwrap();
        let hal = report
            .rows
            .into_iter()
            .find(|r| r.user_id == s.hal)
            .unwrap();
        (
            hal.activities,
            hal.own_function,
            hal.other_functions,
            hal.stray,
        )
    };
    let (activities, own, other, _) = hals().await;
    assert_eq!((activities, own, other), (8, 5, 3));

    // A charter that no longer has billing issues: Hal's past billing work
    // is still judged by the version that had it, not dropped.
    let calls_only: Vec<_> = test
        .db
        .current_charter()
        .await
        .unwrap()
        .activity_types
        .into_iter()
        .filter(|t| t.slug != "billing_issue")
        .collect();
    test.db
        .replace_charter(s.owner, "Billing moves out", &calls_only, None)
        .await
        .unwrap();
    let (activities, own, other, stray) = hals().await;
    assert_eq!((activities, own, other), (8, 5, 3));
    assert_eq!(stray[0].type_slug, "billing_issue");
}

#[tokio::test]
async fn a_period_that_ends_before_it_starts_is_refused() {
    let err = Period::new(
        parse_date("2026-07-02").unwrap(),
        parse_date("2026-07-01").unwrap(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("to"), "{err}");
}

#[tokio::test]
async fn each_forecast_line_is_set_against_the_deal_account_or_campaign_it_names() {
    let (test, s) = scenario().await;
    let db = &test.db;
    let hal = db
        .forecast(forecast_ids(db, s.hal).await[0].1)
        .await
        .unwrap();
    let lines = db.forecast_line_actuals(&hal).await.unwrap();
    let revenue: Vec<(&str, Option<(i64, i64)>)> = lines
        .iter()
        .map(|l| {
            (
                l.description.as_str(),
                l.revenue.map(|a| (a.forecast, a.actual)),
            )
        })
        .collect();
    assert_eq!(
        revenue,
        [
            ("The big one", Some((30_000, 25_000))),
            ("Initech", Some((10_000, 5_000))),
            // Names no deal and no account: nothing to set it against.
            ("Maybe", None),
        ]
    );
    assert_eq!(lines[0].leads, None);

    let (id,): (i64,) = sqlx::query_as("SELECT id FROM forecasts WHERE user_id = $1")
        .bind(s.mia)
        .fetch_one(db.reader())
        .await
        .unwrap();
    let mia = db.forecast(id).await.unwrap();
    let lines = db.forecast_line_actuals(&mia).await.unwrap();
    let names: Vec<&str> = lines.iter().map(|l| l.description.as_str()).collect();
    assert_eq!(names, ["Webinar", "Website"]);
    // Leads, MQLs and value of each line.
    let figures: Vec<[Option<Accuracy>; 3]> =
        lines.iter().map(|l| [l.leads, l.mqls, l.value]).collect();
    assert_eq!(
        figures,
        [
            [
                Some(Accuracy::of(10, 3)),
                Some(Accuracy::of(4, 2)),
                Some(Accuracy::of(80_000, 50_000))
            ],
            [
                Some(Accuracy::of(5, 2)),
                Some(Accuracy::of(2, 1)),
                Some(Accuracy::of(10_000, 0))
            ],
        ]
    );
    assert_eq!(lines[0].revenue, None);
}

/// Moves the stage changes of the scenario's lead now in `stage` to
/// `hours` after its arrival, in the order they were made.
async fn stage_changes_after(db: &Db, stage: &str, hours: &[i64]) {
    let changes: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT h.id, l.created_at FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id
         WHERE l.stage = $1 ORDER BY h.id",
    )
    .bind(stage)
    .fetch_all(db.reader())
    .await
    .unwrap();
    assert_eq!(changes.len(), hours.len(), "{stage}");
    for ((id, arrived), hours) in changes.into_iter().zip(hours) {
        sqlx::query("UPDATE lead_stage_history SET at = $1 WHERE id = $2")
            .bind(arrived + hours * 3_600_000)
            .bind(id)
            .execute(db.writer())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_funnel_of_a_period_counts_its_leads_and_the_median_time_in_each_stage() {
    let (test, _) = scenario().await;
    let db = &test.db;
    // MQL for 50 hours before sales accepted; MQL for 26 hours before
    // being disqualified.
    stage_changes_after(db, "sal", &[0, 50]).await;
    stage_changes_after(db, "disqualified", &[0, 26]).await;
    let report = db.funnel_report(q3_period()).await.unwrap();
    let figures: Vec<(&str, i64, Option<f64>, i64)> = report
        .stages
        .iter()
        .map(|s| {
            (
                s.step.stage.as_str(),
                s.step.leads,
                s.median_days_in_stage,
                s.stays_timed,
            )
        })
        .collect();
    // Six leads arrived in Q3 (the one of 30 June in Chicago does not
    // count), all of them new, the one that went straight to nurture too.
    assert_eq!(
        figures,
        [
            ("new", 6, None, 0),
            ("mql", 3, Some(38.0 / 24.0), 2),
            ("sal", 1, None, 0),
            ("sql", 0, None, 0),
            ("opportunity", 0, None, 0),
            ("customer", 0, None, 0),
        ]
    );
    assert!(close(report.stages[1].step.conversion, 0.5));
    let july = Period::new(
        parse_date("2026-08-01").unwrap(),
        parse_date("2026-08-31").unwrap(),
    )
    .unwrap();
    let august = db.funnel_report(july).await.unwrap();
    assert_eq!(august.stages[1].step.leads, 1, "the August lead only");
    assert_eq!(august.stages[1].stays_timed, 1);
}

#[tokio::test]
async fn lead_quality_sets_each_source_and_campaign_against_what_it_cost() {
    let (test, s) = scenario().await;
    let db = &test.db;
    // 300.00 over 122 days from June to September: 92 of them in Q3.
    sqlx::query(
        "UPDATE campaigns SET cost_minor = 30000, starts_on = '2026-06-01', ends_on = '2026-09-30'
         WHERE id = $1",
    )
    .bind(s.webinar)
    .execute(db.writer())
    .await
    .unwrap();
    let report = db.lead_quality_report(q3_period()).await.unwrap();
    let counts = |rows: &[baton_db::reports::QualityRow]| {
        rows.iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.leads,
                    r.mqls,
                    r.accepted,
                    r.customers,
                    r.won_revenue_minor,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        counts(&report.by_source),
        [
            ("email".to_string(), 1, 0, 0, 0, 0),
            ("webinar".to_string(), 3, 2, 1, 0, 50_000),
            ("website".to_string(), 2, 1, 0, 0, 0),
        ]
    );
    assert_eq!(
        counts(&report.by_campaign),
        [
            ("Webinar W".to_string(), 3, 2, 1, 0, 50_000),
            (String::new(), 3, 1, 0, 0, 0),
        ]
    );
    let webinar = &report.by_campaign[0];
    assert_eq!(webinar.campaign_id, Some(s.webinar));
    assert!(close(webinar.acceptance_rate, 0.5));
    assert!(close(webinar.conversion, 0.0));
    // 92 of its 122 days: 300.00 less the 73.77 (rounded down) of its 30 June days.
    assert_eq!(webinar.cost_minor, Some(30_000 - 30_000 * 30 / 122));
    // 226.23 over 3 leads is 75.41.
    assert_eq!(webinar.cost_per_lead_minor, Some(7_541));
    let cost = (30_000 - 30_000 * 30 / 122) as f64;
    assert!(close(webinar.return_on_cost, (50_000.0 - cost) / cost));
    assert_eq!(
        report.by_source[0].cost_minor, None,
        "e-mail leads came through no campaign: their cost is unknown"
    );
    assert_eq!(
        report.by_source[1].cost_minor, webinar.cost_minor,
        "the webinar's leads all came from the webinar source"
    );
}

#[tokio::test]
async fn a_campaigns_cost_is_shared_by_the_sources_of_its_leads() {
    let (test, s) = scenario().await;
    let db = &test.db;
    // 1,000.00 in Q3; one of the campaign's three Q3 leads came from LinkedIn.
    sqlx::query(
        "UPDATE campaigns SET cost_minor = 100000, starts_on = '2026-07-01', ends_on = '2026-09-30'
         WHERE id = $1",
    )
    .bind(s.webinar)
    .execute(db.writer())
    .await
    .unwrap();
    sqlx::query(
        "UPDATE leads SET source = 'linkedin'
         WHERE id = (SELECT MIN(id) FROM leads WHERE campaign_id = $1 AND created_at >= $2)",
    )
    .bind(s.webinar)
    .bind(
        "2026-07-01T00:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond(),
    )
    .execute(db.writer())
    .await
    .unwrap();
    // A campaign that brought no lead: its cost counts under its channel.
    db.create_campaign(
        None,
        &baton_db::campaigns::NewCampaign {
            name: "Newsletter".to_string(),
            channel: "email".to_string(),
            cost: Some(baton_core::money::Decimal("50.00".to_string())),
            currency: None,
            starts_on: Some("2026-08-01".to_string()),
            ends_on: Some("2026-08-31".to_string()),
        },
    )
    .await
    .unwrap();
    let report = db.lead_quality_report(q3_period()).await.unwrap();
    let costs: Vec<(String, i64, Option<i64>, Option<i64>)> = report
        .by_source
        .iter()
        .map(|r| (r.name.clone(), r.leads, r.cost_minor, r.cost_per_lead_minor))
        .collect();
    assert_eq!(
        costs,
        [
            // The newsletter brought none of e-mail's leads: its cost is
            // e-mail's, but no lead's.
            ("email".to_string(), 1, Some(5_000), None),
            // A third of 1,000.00; the cent rounding leaves goes to the larger share.
            ("linkedin".to_string(), 1, Some(33_333), Some(33_333)),
            // 666.67 over 2 leads is 333.335, to the cent 333.34.
            ("webinar".to_string(), 2, Some(66_667), Some(33_334)),
            ("website".to_string(), 2, None, None),
        ]
    );
    let total = |rows: &[baton_db::reports::QualityRow]| -> i64 {
        rows.iter().filter_map(|r| r.cost_minor).sum()
    };
    assert_eq!(total(&report.by_source), total(&report.by_campaign));

    // A campaign still running that starts long after the period costs it nothing.
    db.create_campaign(
        None,
        &baton_db::campaigns::NewCampaign {
            name: "Trade fair, always on".to_string(),
            channel: "events".to_string(),
            cost: Some(baton_core::money::Decimal("70.00".to_string())),
            currency: None,
            starts_on: Some("2099-01-01".to_string()),
            ends_on: None,
        },
    )
    .await
    .unwrap();
    let later = db.lead_quality_report(q3_period()).await.unwrap();
    assert_eq!(total(&later.by_campaign), total(&report.by_campaign));
    assert!(
        later
            .by_campaign
            .iter()
            .all(|r| r.name != "Trade fair, always on")
    );
}

#[tokio::test]
async fn revenue_won_is_set_against_the_forecast_by_quarter_and_month() {
    let (test, _) = scenario().await;
    let report = test
        .db
        .revenue_plan_report(Quarter::parse("2026-Q3").unwrap())
        .await
        .unwrap();
    let rows = |rows: &[baton_db::reports::PlanRow]| {
        rows.iter()
            .map(|r| (r.key.clone(), r.forecast_minor, r.won_minor))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rows(&report.quarters),
        [
            ("2025-Q4".to_string(), None, 0),
            ("2026-Q1".to_string(), None, 0),
            ("2026-Q2".to_string(), Some(15_000), 10_000),
            // Hal's 400.00 in force at the cut-off and Hana's first 200.00.
            ("2026-Q3".to_string(), Some(60_000), 60_000),
        ]
    );
    assert_eq!(report.months.len(), 12);
    assert_eq!(
        rows(&report.months[9..]),
        [
            ("2026-07".to_string(), Some(20_000), 20_000),
            ("2026-08".to_string(), Some(20_000), 25_000),
            ("2026-09".to_string(), Some(20_000), 15_000),
        ]
    );
    assert!(close(report.months[10].attainment, 1.25));
}

#[tokio::test]
async fn the_hand_over_shows_mqls_against_forecast_and_how_sales_answered_in_time() {
    let (test, s) = scenario().await;
    let db = &test.db;
    let (hunters,): (i64,) = sqlx::query_as("SELECT id FROM queues WHERE slug = 'hunters'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    let (nurture,): (i64,) = sqlx::query_as("SELECT id FROM queues WHERE slug = 'nurture'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    let leads: Vec<(i64,)> = sqlx::query_as("SELECT id FROM leads ORDER BY id")
        .fetch_all(db.reader())
        .await
        .unwrap();
    let hour = 3_600_000;
    let handed = baton_db::testing::scenario::ms("2026-07-06T15:00:00Z");
    // (queue, due after, answer, answered after, reason), in hours.
    let items = [
        (hunters, 8, Some("accepted"), 2, None),
        (hunters, 8, Some("accepted"), 12, None),
        (hunters, 8, Some("rejected"), 4, Some("no budget")),
        (hunters, 8, Some("rejected"), 30, Some("student")),
        (hunters, 8, Some("rejected"), 6, Some("no budget")),
        // Never answered, long overdue.
        (hunters, 8, None, 0, None),
        // Marketing's own queue is no hand-over.
        (nurture, 8, Some("accepted"), 1, None),
    ];
    for ((queue, due, answer, after, reason), (lead,)) in items.into_iter().zip(&leads) {
        let (item,): (i64,) = sqlx::query_as(
            "INSERT INTO work_items (lead_id, queue_id, assignee_id, status, first_touch_due_at,
                 resolution_due_at, reject_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $7) RETURNING id",
        )
        .bind(lead)
        .bind(queue)
        .bind(s.hal)
        .bind(answer.unwrap_or("assigned"))
        .bind(handed + due * hour)
        .bind(reason)
        .bind(handed)
        .fetch_one(db.writer())
        .await
        .unwrap();
        if let Some(action) = answer {
            sqlx::query(
                "INSERT INTO assignment_history (work_item_id, action, reason, at)
                 VALUES ($1, $2, 'test', $3)",
            )
            .bind(item)
            .bind(action)
            .bind(handed + after * hour)
            .execute(db.writer())
            .await
            .unwrap();
        }
    }
    // The first lead, accepted, handed on within sales and left there long
    // overdue: sales' own hand-on, no second hand-over.
    sqlx::query(
        "INSERT INTO work_items (lead_id, queue_id, assignee_id, status, first_touch_due_at,
             resolution_due_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'assigned', $4, $4, $5, $5)",
    )
    .bind(leads[0].0)
    .bind(hunters)
    .bind(s.hal)
    .bind(handed + 30 * hour)
    .bind(handed + 20 * hour)
    .execute(db.writer())
    .await
    .unwrap();
    let report = db
        .handover_report(Quarter::parse("2026-Q3").unwrap())
        .await
        .unwrap();
    let delivery: Vec<(&str, i64, i64)> = report
        .mql_delivery
        .iter()
        .map(|d| (d.name.as_str(), d.forecast_mqls, d.mqls))
        .collect();
    assert!(delivery.contains(&("Webinar W", 4, 2)), "{delivery:?}");
    assert!(
        delivery.contains(&("channel website", 2, 1)),
        "{delivery:?}"
    );
    assert!(close(report.mql_total.delivered, 0.5));
    let sales = &report.sales;
    assert_eq!(
        (
            sales.handed_over,
            sales.accepted,
            sales.rejected,
            sales.open
        ),
        (6, 2, 3, 1)
    );
    assert_eq!((sales.on_time, sales.late), (3, 3));
    assert!(close(sales.on_time_share, 0.5));
    assert!(close(sales.median_hours_to_accept, 7.0));
    assert!(close(sales.median_hours_to_reject, 6.0));
    let reasons: Vec<(&str, i64)> = sales
        .rejection_reasons
        .iter()
        .map(|r| (r.reason.as_str(), r.leads))
        .collect();
    assert_eq!(reasons, [("no budget", 2), ("student", 1)]);
}

#[tokio::test]
async fn a_quarter_still_in_progress_is_shown_but_judged_in_no_smoke_or_ranking() {
    use baton_core::domain::Role;
    use baton_db::users::NewUser;
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let hal = db
        .create_user(NewUser {
            email: "hal@acme.test",
            name: "Hal",
            role: Role::Hunter,
            password: None,
        })
        .await
        .unwrap()
        .id;
    let now = Quarter::containing(db.today().await.unwrap());
    // Far too high last quarter and, so far, this one: nothing is won.
    for quarter in [now.previous(), now] {
        db.submit_forecast(&forecast(hal, quarter, "90000", None))
            .await
            .unwrap();
    }
    // Ivy forecasts only the quarter still running: shown, not ranked.
    let ivy = db
        .create_user(NewUser {
            email: "ivy@acme.test",
            name: "Ivy",
            role: Role::Hunter,
            password: None,
        })
        .await
        .unwrap()
        .id;
    db.submit_forecast(&forecast(ivy, now, "1000", None))
        .await
        .unwrap();
    let current = db
        .forecast_accuracy(now, AccuracyGroup::Person)
        .await
        .unwrap();
    assert!(current.in_progress);
    assert!(current.rows.iter().any(|r| r.name == "Ivy"));
    assert!(
        current.leaderboard.iter().all(|e| e.name != "Ivy"),
        "{:?}",
        current.leaderboard
    );
    assert!(
        current
            .in_progress_note()
            .unwrap()
            .contains("has not ended: its figures are so far")
    );
    let ahead = db
        .forecast_accuracy(now.next(), AccuracyGroup::Person)
        .await
        .unwrap();
    assert!(ahead.not_started);
    assert!(
        ahead
            .in_progress_note()
            .unwrap()
            .contains("has not started: it has no figures yet")
    );
    let row = current.rows.iter().find(|r| r.name == "Hal").unwrap();
    assert_eq!(row.too_high_streak, 1, "only the quarter that ended counts");
    assert!(!row.smoke);
    assert!(
        row.trend.last().unwrap().accuracy.is_some(),
        "the quarter so far is still shown"
    );
    let ranked = &current.leaderboard[0];
    assert_eq!(
        ranked.quarters, 1,
        "ranked over the quarter that ended alone: {ranked:?}"
    );

    let last = db
        .forecast_accuracy(now.previous(), AccuracyGroup::Person)
        .await
        .unwrap();
    assert!(!last.in_progress && last.in_progress_note().is_none());
    assert_eq!(last.rows[0].too_high_streak, 1);

    // Against revenue won, a month not begun has no attainment yet, and
    // the periods not ended say their figures are so far.
    let plan = db.revenue_plan_report(now).await.unwrap();
    let today = db.today().await.unwrap();
    let this_month = today.strftime("%Y-%m").to_string();
    for row in &plan.months {
        let ended = row.key < this_month;
        assert_eq!(row.in_progress, !ended, "{row:?}");
        if row.key > this_month {
            assert_eq!(row.attainment, None, "{row:?}");
        }
        if row.key <= this_month && row.forecast_minor.is_some() {
            assert_eq!(row.attainment, Some(0.0), "{row:?}");
        }
    }
    let quarter_now = plan.quarters.last().unwrap();
    assert!(quarter_now.in_progress && quarter_now.attainment == Some(0.0));
    assert!(!plan.quarters[plan.quarters.len() - 2].in_progress);

    // Two quarters ahead, with no forecast of its own: the trend's earlier
    // forecasts are still set against what was won.
    let far = now.next().next();
    let plan = db.revenue_plan_report(far).await.unwrap();
    let forecast_of = |quarter: Quarter| {
        plan.quarters
            .iter()
            .find(|row| row.key == quarter.to_string())
            .and_then(|row| row.forecast_minor)
    };
    assert_eq!(forecast_of(now.previous()), Some(9_000_000), "{plan:?}");
    assert_eq!(forecast_of(now), Some(9_100_000), "{plan:?}");

    // Hal forecasts next quarter too: its report still judges only the
    // quarter that ended, not the one running.
    db.submit_forecast(&forecast(hal, now.next(), "90000", None))
        .await
        .unwrap();
    let ahead = db
        .forecast_accuracy(now.next(), AccuracyGroup::Person)
        .await
        .unwrap();
    let row = ahead.rows.iter().find(|r| r.name == "Hal").unwrap();
    assert_eq!(row.too_high_streak, 1, "{row:?}");
    assert!(!row.smoke);
    assert_eq!(ahead.leaderboard[0].quarters, 1, "{:?}", ahead.leaderboard);

    // A forecast wholly in another currency is left out, not judged as
    // forecasting nothing against nothing won.
    let eve = db
        .create_user(NewUser {
            email: "eve@acme.test",
            name: "Eve",
            role: Role::Hunter,
            password: None,
        })
        .await
        .unwrap()
        .id;
    db.submit_forecast(&forecast(eve, now.previous(), "50000", Some("EUR")))
        .await
        .unwrap();
    let last = db
        .forecast_accuracy(now.previous(), AccuracyGroup::Person)
        .await
        .unwrap();
    assert!(last.rows.iter().all(|r| r.name != "Eve"), "{:?}", last.rows);
}

/// A revenue forecast of one commit line.
fn forecast(
    user: i64,
    quarter: Quarter,
    amount: &str,
    currency: Option<&str>,
) -> baton_db::forecasts::NewForecast {
    use baton_core::domain::ForecastCategory;
    baton_db::forecasts::NewForecast {
        user_id: user,
        submitted_by: user,
        kind: ForecastKind::Revenue,
        quarter,
        note: None,
        lines: vec![baton_db::forecasts::NewForecastLine {
            description: "everything".into(),
            opportunity_id: None,
            account_id: None,
            campaign_id: None,
            channel: None,
            category: Some(ForecastCategory::Commit),
            amount: baton_core::money::Decimal(amount.into()),
            currency: currency.map(str::to_string),
            leads: None,
            mqls: None,
        }],
    }
}

#[tokio::test]
async fn without_closed_deals_there_is_no_win_rate() {
    let test = TestDb::new().await.unwrap();
    let report = test
        .db
        .revenue_report(baton_db::reports::RevenueBy::Quarter)
        .await
        .unwrap();
    assert_eq!(report.total.closed_deals, 0);
    assert_eq!(report.total.win_rate, None, "not a 0% win rate");
}
