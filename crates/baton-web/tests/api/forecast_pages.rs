//! Forecasts in the browser: a version submitted from the form, refused
//! lines named in their rows, the next version starting from the last, and
//! one version's lines against the data, for its forecaster and managers.

use crate::helpers::{TestApp, this_quarter};
use crate::pages::Browser;
use baton_core::domain::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn a_hunter_submits_a_revenue_forecast_from_the_page_and_reads_it_against_the_data() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let deal = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Initech seats", "amount": "1000", "owner_id": hal}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: Value = deal.json().await.unwrap();
    let deal_id = deal["id"].as_i64().unwrap().to_string();
    let quarter = this_quarter();

    let (status, page, _) = hunter.get("/forecasts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("Your revenue forecast for {quarter}"))
            && page.contains("Your first version")
            && page.contains("No forecast has been submitted yet")
            && page.contains("href=\"/forecasts\""),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let line = |description: &'static str, amount: &'static str| {
        [
            ("description_0", description),
            ("deal_0", deal_id.as_str()),
            ("category_0", "commit"),
            ("amount_0", amount),
        ]
    };
    let head = [
        ("csrf", csrf.as_str()),
        ("kind", "revenue"),
        ("quarter", quarter.as_str()),
        ("note", "the big one"),
    ];

    // A row that does not read, and one the store refuses, each in its row.
    let (status, page, _) = hunter
        .post(
            "/forecasts",
            &[
                &head[..],
                &line("Initech seats", "1000")[..],
                &[("amount_2", "lots")],
            ]
            .concat(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("say what the line forecasts") && page.contains("value=\"Initech seats\""),
        "{page}"
    );
    assert_eq!(app.count("forecasts").await, 0, "nothing stored");

    let (status, _, location) = hunter
        .post(
            "/forecasts",
            &[&head[..], &line("Initech seats", "1000")[..]].concat(),
        )
        .await;
    assert_eq!(status, 303);
    let version = location.unwrap();
    let (status, page, _) = hunter.get(&version).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("revenue forecast {quarter}, version 1"))
            && page.contains("Initech seats")
            && page.contains(&format!("deal {deal_id}"))
            && page.contains("revenue: 1000.00 USD forecast, 0.00 USD actual"),
        "{page}"
    );

    // The next version starts from this one.
    let (_, page, _) = hunter.get("/forecasts").await;
    assert!(
        page.contains("Filled in from your version 1")
            && page.contains("value=\"Initech seats\"")
            && page.contains(&format!("revenue {quarter}, version 1")),
        "{page}"
    );

    // A line's account, which the form does not show, and a deal no longer
    // Hal's, are kept when the form is sent again.
    let account = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &json!({"name": "Initech", "domain": "initech.test"}),
        )
        .await;
    let account: Value = account.json().await.unwrap();
    let account_id = account["id"].as_i64().unwrap().to_string();
    let handed = app
        .patch(
            &app.owner,
            &format!("/api/v1/opportunities/{deal_id}"),
            &json!({"owner_id": app.db.user_by_email("owner@acme.test").await.unwrap().id}),
        )
        .await;
    assert_eq!(handed.status(), 200);
    let (status, _, _) = hunter
        .post(
            "/forecasts",
            &[
                &head[..],
                &line("Initech seats", "1000")[..],
                &[
                    ("description_1", "Initech renewal"),
                    ("account_1", account_id.as_str()),
                    ("category_1", "best_case"),
                    ("amount_1", "500"),
                ],
            ]
            .concat(),
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hunter.get("/forecasts").await;
    assert!(
        page.contains(&format!("name=\"account_1\" value=\"{account_id}\""))
            && page.contains(&format!(
                "<option value=\"{deal_id}\" selected>deal {deal_id}, named before"
            )),
        "{page}"
    );

    // A deal and an account that are not there are both named in the row.
    let (status, page, _) = hunter
        .post(
            "/forecasts",
            &[
                &head[..],
                &[
                    ("description_0", "Ghost"),
                    ("deal_0", "999999"),
                    ("account_0", "888888"),
                    ("category_0", "commit"),
                    ("amount_0", "10"),
                ],
            ]
            .concat(),
        )
        .await;
    assert_eq!(status, 422);
    let row_error = page
        .split("Line 1: deal")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .and_then(|cell| cell.split("<p class=\"error\">").nth(1))
        .unwrap_or_default();
    assert!(
        row_error.contains("999999") && row_error.contains("888888"),
        "{row_error}"
    );

    // Another hunter does not read it; a manager does.
    let other = Browser::person(&app, "hana@acme.test", Role::Hunter).await;
    assert_eq!(other.get(&version).await.0, 403);
    let (_, page, _) = other.get("/forecasts").await;
    assert!(
        page.contains("No forecast has been submitted yet"),
        "{page}"
    );
    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    assert_eq!(manager.get(&version).await.0, 200);
}

#[tokio::test]
async fn a_marketer_forecasts_leads_and_service_has_no_forecasts() {
    let app = TestApp::new().await;
    let mut marketer = Browser::person(&app, "mo@acme.test", Role::Marketer).await;
    let (status, page, _) = marketer.get("/forecasts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Your leads forecast for") && page.contains("Channel"),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let quarter = this_quarter();
    let form = [
        ("csrf", csrf.as_str()),
        ("kind", "leads"),
        ("quarter", quarter.as_str()),
        ("description_0", "Webinars"),
        ("channel_0", "webinar"),
        ("leads_0", "40"),
        ("mqls_0", "50"),
        ("amount_0", "2000"),
    ];
    let (status, page, _) = marketer.post("/forecasts", &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("MQLs are some of the leads"), "{page}");
    let (status, _, _) = marketer
        .post(
            "/forecasts",
            &[&form[..6], &[("mqls_0", "12"), ("amount_0", "2000")]].concat(),
        )
        .await;
    assert_eq!(status, 303);
    // Revenue is not a marketer's to forecast, and the quarter must be open.
    let revenue = [("kind", "revenue")];
    let (status, _, _) = marketer
        .post("/forecasts", &[&form[..1], &revenue, &form[2..7]].concat())
        .await;
    assert_eq!(status, 403);
    let (status, page, _) = marketer
        .post(
            "/forecasts",
            &[&form[..2], &[("quarter", "2001-Q1")], &form[3..7]].concat(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("2001-Q1 has ended: forecast "), "{page}");
    // A line the page cannot read is named beside the quarter's problem.
    let (status, page, _) = marketer
        .post(
            "/forecasts",
            &[
                &form[..2],
                &[("quarter", "2001-Q1")],
                &form[3..5],
                &[("leads_0", "many")],
            ]
            .concat(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("2001-Q1 has ended: forecast ")
            && page.contains("`many` is not a whole number"),
        "{page}"
    );

    let service = Browser::person(&app, "sue@acme.test", Role::Service).await;
    let (_, page, _) = service.get("/work").await;
    assert!(!page.contains("href=\"/forecasts\""));
    assert_eq!(service.get("/forecasts").await.0, 403);
}

#[tokio::test]
async fn every_problem_of_a_forecast_line_is_named_at_once() {
    let app = TestApp::new().await;
    let (_, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let refused = app
        .post(
            &hal,
            "/api/v1/forecasts",
            &json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
                {"description": "", "amount": "-10", "leads": 3},
            ]}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    let named: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for field in ["description", "amount", "category", "leads"] {
        assert!(
            named.contains(&format!("lines[0].{field}").as_str()),
            "{field}: {problem}"
        );
    }
}

#[tokio::test]
async fn a_forecast_line_names_a_deal_with_its_own_account_or_not_at_all() {
    let app = TestApp::new().await;
    let (hal_id, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let mut ids = Vec::new();
    for (name, domain) in [("Initech", "initech.test"), ("Hooli", "hooli.test")] {
        let made = app
            .post(
                &app.owner,
                "/api/v1/accounts",
                &json!({"name": name, "domain": domain}),
            )
            .await;
        let made: Value = made.json().await.unwrap();
        ids.push(made["id"].as_i64().unwrap());
    }
    let deal = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Seats", "amount": "100", "account_id": ids[0], "owner_id": hal_id}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: Value = deal.json().await.unwrap();
    let line = |account: i64| {
        json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "Seats", "amount": "100", "category": "commit",
             "opportunity_id": deal["id"], "account_id": account},
        ]})
    };
    let refused = app.post(&hal, "/api/v1/forecasts", &line(ids[1])).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(
        problem["invalid-params"][0]["name"], "lines[0].account_id",
        "{problem}"
    );
    assert_eq!(
        app.post(&hal, "/api/v1/forecasts", &line(ids[0]))
            .await
            .status(),
        201
    );
}
