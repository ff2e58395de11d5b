//! The accountability reports over the API on the hand-checked scenario of
//! `baton_db::testing::scenario`: owners and managers see everyone, anyone
//! else only their own line.

use crate::helpers::TestApp;
use baton_core::domain::Role;
use baton_db::testing::scenario::{Scenario, accountability};
use serde_json::{Value, json};

async fn app() -> (TestApp, Scenario) {
    let app = TestApp::new().await;
    let scenario = accountability(&app.db).await;
    (app, scenario)
}

fn names(report: &Value) -> Vec<&str> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect()
}

/// GETs a path expecting 422 and returns the field the problem names.
async fn refused_field(app: &TestApp, path: &str) -> String {
    let response = app.get(&app.owner, path).await;
    assert_eq!(response.status(), 422, "{path}");
    let problem: Value = response.json().await.unwrap();
    problem["invalid-params"][0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

const ACCURACY: &str = "/api/v1/reports/forecast-accuracy?quarter=2026-Q3";
const PERIOD: &str = "from=2026-07-01&to=2026-09-30";

#[tokio::test]
async fn managers_read_forecast_accuracy_by_any_group_and_a_hunter_only_their_own_line() {
    let (app, s) = app().await;
    let report = app.get_json(&app.owner, ACCURACY).await;
    assert_eq!(names(&report), ["Hal", "Hana", "Olive", "Mia"]);
    let hal = &report["rows"][0];
    assert_eq!(hal["judged"]["forecast"], 40_000);
    assert_eq!(hal["judged"]["actual"], 30_000);
    assert_eq!(hal["smoke"], true);
    assert_eq!(report["totals"][0]["judged"]["actual"], 60_000);
    assert_eq!(report["leaderboard"][0]["name"], "Hana");

    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let teams = app
        .get_json(&manager, &format!("{ACCURACY}&group=team"))
        .await;
    assert_eq!(names(&teams), ["(no team)", "East", "Marketing"]);
    let campaigns = app
        .get_json(&manager, &format!("{ACCURACY}&group=campaign"))
        .await;
    assert_eq!(campaigns["rows"][0]["name"], "Webinar W");

    let hunter = app.db.create_api_token(None, s.hal, "tests").await.unwrap();
    let own = app.get_json(&hunter, ACCURACY).await;
    assert_eq!(names(&own), ["Hal"]);
    assert_eq!(own["totals"], serde_json::json!([]));
    assert_eq!(own["leaderboard"].as_array().unwrap().len(), 1);
    let refused = app.get(&hunter, &format!("{ACCURACY}&group=team")).await;
    assert_eq!(refused.status(), 403);
    let marketer = app.db.create_api_token(None, s.mia, "tests").await.unwrap();
    assert_eq!(names(&app.get_json(&marketer, ACCURACY).await), ["Mia"]);
    let anonymous = app.client.get(app.url(ACCURACY)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    assert_eq!(
        refused_field(&app, "/api/v1/reports/forecast-accuracy").await,
        "quarter"
    );
    assert_eq!(
        refused_field(&app, "/api/v1/reports/forecast-accuracy?quarter=2026-Q5").await,
        "quarter"
    );
    assert_eq!(
        refused_field(&app, &format!("{ACCURACY}&group=region")).await,
        "group"
    );

    // The first quarter a report reads has no quarters before it to trend.
    let first = "quarter=1900-Q2";
    let earliest = app
        .get_json(
            &app.owner,
            &format!("/api/v1/reports/forecast-accuracy?{first}"),
        )
        .await;
    assert_eq!(
        earliest["quarters"],
        serde_json::json!(["1900-Q1", "1900-Q2"]),
        "{earliest}"
    );
    let plan = app
        .get_json(
            &app.owner,
            &format!("/api/v1/reports/revenue-vs-forecast?{first}"),
        )
        .await;
    let quarters: Vec<&str> = plan["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["key"].as_str().unwrap())
        .collect();
    assert_eq!(quarters, ["1900-Q1", "1900-Q2"], "{plan}");
}

#[tokio::test]
async fn a_forecasts_lines_are_set_against_their_actuals_for_its_owner_and_managers_only() {
    let (app, s) = app().await;
    let hal = app.db.create_api_token(None, s.hal, "tests").await.unwrap();
    let versions = app
        .get_json(&hal, "/api/v1/forecasts?user=me&quarter=2026-Q3")
        .await;
    // Newest first: the version judged is the first.
    let judged = versions["items"][1]["id"].as_i64().unwrap();
    let path = format!("/api/v1/forecasts/{judged}/actuals");
    let lines = app.get_json(&hal, &path).await;
    assert_eq!(lines[0]["description"], "The big one");
    assert_eq!(lines[0]["revenue"]["actual"], 25_000);
    assert_eq!(lines[1]["revenue"]["actual"], 5_000);
    assert_eq!(lines[2]["revenue"], Value::Null);
    assert_eq!(app.get_json(&app.owner, &path).await, lines);

    let hana = app
        .db
        .create_api_token(None, s.hana, "tests")
        .await
        .unwrap();
    assert_eq!(app.get(&hana, &path).await.status(), 403);
    let missing = app
        .get(&app.owner, "/api/v1/forecasts/999999/actuals")
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_smoke_tolerance_is_an_organisation_setting() {
    let (app, _) = app().await;
    let put = |body: Value| {
        app.client
            .put(app.url("/api/v1/settings"))
            .bearer_auth(&app.owner)
            .json(&body)
            .send()
    };
    let settings = app.get_json(&app.owner, "/api/v1/settings").await;
    assert_eq!(settings["accountability"]["smoke_tolerance"], 0.1);
    let response = put(json!({"accountability": {"smoke_tolerance": 0.6}}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Hal's 50% and 33% over are now within the tolerance.
    let report = app.get_json(&app.owner, ACCURACY).await;
    assert_eq!(report["smoke_tolerance"], 0.6);
    assert_eq!(report["rows"][0]["smoke"], false);

    let response = put(json!({"accountability": {"busy_revenue_ratio": 2}}))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["invalid-params"][0]["name"],
        "accountability.busy_revenue_ratio"
    );
}

#[tokio::test]
async fn activity_and_focus_reports_show_everyone_to_managers_and_their_own_line_to_others() {
    let (app, s) = app().await;
    let activity = app
        .get_json(
            &app.owner,
            &format!("/api/v1/reports/activity-vs-revenue?{PERIOD}"),
        )
        .await;
    assert_eq!(
        names(&activity),
        ["Olive", "Hal", "Hana", "Hugo", "Max", "Mia"]
    );
    let hugo = &activity["rows"][3];
    assert_eq!(hugo["activities"], 12);
    assert_eq!(hugo["busy_without_results"], true);
    assert_eq!(activity["rows"][1]["by_type"]["billing_issue"], 2);
    assert_eq!(activity["period"]["from"], "2026-07-01");

    let focus = app
        .get_json(&app.owner, &format!("/api/v1/reports/focus?{PERIOD}"))
        .await;
    assert_eq!(names(&focus), ["Hal", "Mia", "Hana", "Hugo"]);
    assert_eq!(focus["rows"][0]["stray"][0]["type"], "billing_issue");
    assert_eq!(
        focus["rows"][0]["stray"][0]["suggested_queue"],
        "operations"
    );

    let hunter = app
        .db
        .create_api_token(None, s.hugo, "tests")
        .await
        .unwrap();
    for path in ["activity-vs-revenue", "focus"] {
        let own = app
            .get_json(&hunter, &format!("/api/v1/reports/{path}?{PERIOD}"))
            .await;
        assert_eq!(names(&own), ["Hugo"], "{path}");
    }

    for (query, field) in [
        ("to=2026-09-30", "from"),
        ("from=2026-07-01", "to"),
        ("from=2026-07-01&to=30/09/2026", "to"),
        ("from=2026-07-02&to=2026-07-01", "to"),
        ("from=2026-07-01&to=9999-12-31", "to"),
        ("from=0001-01-01&to=2026-07-01", "from"),
    ] {
        for path in ["activity-vs-revenue", "focus"] {
            assert_eq!(
                refused_field(&app, &format!("/api/v1/reports/{path}?{query}")).await,
                field,
                "{path}?{query}"
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_reports() {
    let app = TestApp::new().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/reports/forecast-accuracy",
        "/api/v1/reports/activity-vs-revenue",
        "/api/v1/reports/focus",
        "/api/v1/forecasts/{id}/actuals",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "ForecastAccuracyReport",
        "Accuracy",
        "ActivityReport",
        "FocusReport",
    ] {
        assert!(schemas[schema].is_object(), "{schema} missing");
    }
}

#[tokio::test]
async fn the_owners_numbers_are_for_owners_and_managers_only() {
    let (app, s) = app().await;
    let paths = [
        format!("/api/v1/reports/funnel?{PERIOD}"),
        "/api/v1/reports/handover?quarter=2026-Q3".to_string(),
        format!("/api/v1/reports/lead-quality?{PERIOD}"),
        "/api/v1/reports/revenue-vs-forecast?quarter=2026-Q3".to_string(),
    ];
    let hunter = app.db.create_api_token(None, s.hal, "tests").await.unwrap();
    let marketer = app.db.create_api_token(None, s.mia, "tests").await.unwrap();
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    for path in &paths {
        assert_eq!(app.get(&hunter, path).await.status(), 403, "{path}");
        assert_eq!(app.get(&marketer, path).await.status(), 403, "{path}");
        assert_eq!(app.get(&manager, path).await.status(), 200, "{path}");
    }

    let funnel = app.get_json(&app.owner, &paths[0]).await;
    assert_eq!(funnel["stages"][0]["stage"], "new");
    assert_eq!(funnel["stages"][0]["leads"], 6);
    assert_eq!(funnel["stages"][1]["leads"], 3);
    let handover = app.get_json(&app.owner, &paths[1]).await;
    assert_eq!(handover["mql_total"]["forecast_mqls"], 6);
    assert_eq!(handover["mql_total"]["mqls"], 3);
    assert_eq!(handover["sales"]["handed_over"], 0);
    let quality = app.get_json(&app.owner, &paths[2]).await;
    assert_eq!(quality["by_campaign"][0]["name"], "Webinar W");
    assert_eq!(quality["by_campaign"][0]["won_revenue_minor"], 50_000);
    let plan = app.get_json(&app.owner, &paths[3]).await;
    assert_eq!(plan["quarters"][3]["forecast_minor"], 60_000);
    assert_eq!(plan["quarters"][3]["won_minor"], 60_000);

    assert_eq!(
        refused_field(&app, "/api/v1/reports/handover").await,
        "quarter"
    );
    assert_eq!(
        refused_field(&app, "/api/v1/reports/funnel?from=2026-07-01").await,
        "to"
    );
}
