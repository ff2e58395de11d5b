//! A request with several wrong values is refused once, naming every one of
//! them: over the API in `invalid-params`, in the browser beside each field.

use crate::helpers::{TestApp, invalid_names as named};
use crate::pages::Browser;
use baton_core::domain::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn every_wrong_value_of_a_request_is_named_at_once_and_nothing_is_stored() {
    let app = TestApp::new().await;
    for (path, body, fields) in [
        (
            "/api/v1/campaigns",
            json!({"name": " ", "channel": "Spring Fair!", "cost": "12.345",
                   "starts_on": "2026-05-01", "ends_on": "2026-04-01"}),
            vec!["name", "channel", "cost", "ends_on"],
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "Fair", "channel": "events", "currency": "XYZ", "cost": "-5"}),
            vec!["currency", "cost"],
        ),
        (
            "/api/v1/accounts",
            json!({"name": "", "employees": -1, "industry": "x".repeat(1_000)}),
            vec!["name", "employees", "industry"],
        ),
        (
            "/api/v1/contacts",
            json!({"email": "ann@", "phone": "call me", "account_id": 999}),
            vec!["email", "phone", "account_id"],
        ),
        (
            "/api/v1/users",
            json!({"email": "hal@", "name": "", "role": "hunter", "password": "short"}),
            vec!["email", "name", "password"],
        ),
        (
            "/api/v1/webhooks",
            json!({"url": "ftp://hooks.example", "events": ["lead.sold"]}),
            vec!["url", "events"],
        ),
    ] {
        let response = app.post(&app.owner, path, &body).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(named(&problem), fields, "{path}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        for field in &fields {
            assert!(detail.contains(&format!("{field}: ")), "{path}: {detail}");
        }
    }
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    let response = app
        .post(
            &app.owner,
            "/api/v1/appointments",
            &json!({"contact_id": 999, "owner_id": hal, "starts_at": "2020-01-01T09:00:00Z",
                    "minutes": 0}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["contact_id", "starts_at", "minutes"],
        "{problem}"
    );
    let response = app
        .put(
            &app.owner,
            "/api/v1/settings",
            &json!({"time_zone": "Mars/Base", "business_hours": "whenever"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["time_zone", "business_hours"],
        "{problem}"
    );
    for table in [
        "campaigns",
        "accounts",
        "contacts",
        "webhooks",
        "appointments",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    assert_eq!(app.count("users").await, 2, "only the owner and Hal");
}

#[tokio::test]
async fn rules_charters_and_activities_name_every_wrong_value_and_change_nothing() {
    let app = TestApp::new().await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let rules_before = app.db.routing_rules().await.unwrap();
    let response = app
        .put(
            &manager,
            "/api/v1/routing-rules",
            &json!([
                {"name": " ", "condition": {}, "queue": "hunters"},
                {"name": "Fine", "condition": {}, "queue": "hunters"},
                {"name": "Lost", "condition": {}, "queue": "nowhere", "skills": [" "]}
            ]),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["[0].name", "[2].skills", "[2].queue"],
        "{problem}"
    );
    assert_eq!(app.db.routing_rules().await.unwrap(), rules_before);

    let charter = |types: Value| json!({"note": " ", "activity_types": types});
    let response = app
        .put(
            &app.owner,
            "/api/v1/charter",
            &charter(json!([
                {"slug": "call", "name": "Call", "function": "hunting", "expectation": ""},
                {"slug": "Bad Slug", "name": "", "function": "hunting", "expectation": "E"},
                {"slug": "call", "name": "Again", "function": "farming", "expectation": "E"}
            ])),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        [
            "note",
            "activity_types[0].expectation",
            "activity_types[1].slug",
            "activity_types[1].name",
            "activity_types[2].slug"
        ],
        "{problem}"
    );
    assert_eq!(
        app.get_json(&app.owner, "/api/v1/charter").await["version"],
        1
    );

    let activities = app.count("activities").await;
    let response = app
        .post(
            &app.owner,
            "/api/v1/activities",
            &json!({"type": "juggling", "contact_id": 999, "occurred_at": "yesterday",
                    "notes": "n".repeat(20_001)}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["type", "notes", "occurred_at", "contact_id"],
        "{problem}"
    );
    assert_eq!(app.count("activities").await, activities);
}

#[tokio::test]
async fn a_deal_change_with_two_wrong_values_names_both_and_changes_nothing() {
    let app = TestApp::new().await;
    let (hunter_id, _) = app.user("hal@acme.test", Role::Hunter).await;
    let created = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Renewal", "amount": "100.00", "owner_id": hunter_id}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let deal: Value = created.json().await.unwrap();
    // The checks that follow the stage judge the stage a new deal may have,
    // not the one refused: only the stage is named.
    let won = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Won already", "amount": "1", "owner_id": hunter_id,
                    "stage": "won", "probability": 50}),
        )
        .await;
    assert_eq!(won.status(), 422);
    let problem: Value = won.json().await.unwrap();
    assert_eq!(named(&problem), ["stage"], "{problem}");
    let id = deal["id"].as_i64().unwrap();
    let response = app
        .patch(
            &app.owner,
            &format!("/api/v1/opportunities/{id}"),
            &json!({"amount": "ten", "expected_close": "next week", "close_reason": "price"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["amount", "expected_close", "close_reason"],
        "{problem}"
    );
    let after = app
        .get_json(&app.owner, &format!("/api/v1/opportunities/{id}"))
        .await;
    assert_eq!(after["amount"], deal["amount"]);
    assert_eq!(after["expected_close"], deal["expected_close"]);
}

#[tokio::test]
async fn a_forecast_names_the_problem_of_each_wrong_line() {
    let app = TestApp::new().await;
    let response = app
        .post(
            &app.owner,
            "/api/v1/forecasts",
            &json!({"kind": "revenue", "quarter": crate::helpers::next_quarter(),
            "lines": [
                {"description": "Renewals", "amount": "lots", "category": "commit"},
                {"description": "Upsell", "amount": "10", "category": "commit"},
                {"description": " ", "amount": "10", "category": "commit"},
            ]}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        named(&problem),
        ["lines[0].amount", "lines[2].description"],
        "{problem}"
    );
    assert_eq!(app.count("forecasts").await, 0);
}

#[tokio::test]
async fn a_contact_change_with_two_wrong_values_names_both() {
    let app = TestApp::new().await;
    let created = app
        .post(&app.owner, "/api/v1/contacts", &json!({"name": "Ann"}))
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let response = app
        .patch(
            &app.owner,
            &format!("/api/v1/contacts/{id}"),
            &json!({"phone": "call me", "account_id": 999}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(named(&problem), ["account_id", "phone"], "{problem}");
}

#[tokio::test]
async fn a_refused_form_shows_each_problem_beside_its_field() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get("/settings/people").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/settings/people",
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("email", "hal@"),
                ("role", "hunter"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for field in ["name", "email", "password"] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field}: {page}"
        );
    }

    let (_, page, _) = owner.get("/forms").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/forms",
            &[("csrf", &csrf), ("slug", "Bad Slug"), ("name", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"slug-error\"") && page.contains("id=\"name-error\""),
        "{page}"
    );
    let (_, page, _) = owner.get("/queues/hunters").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/queues/hunters",
            &[
                ("csrf", &csrf),
                ("strategy", "fastest"),
                ("first_touch_sla_minutes", "soon"),
                ("resolution_sla_minutes", "600000"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for field in ["strategy", "first_touch_sla_minutes"] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field}: {page}"
        );
    }
    let (status, page, _) = owner
        .post(
            "/queues/hunters",
            &[
                ("csrf", &csrf),
                ("strategy", "round_robin"),
                ("first_touch_sla_minutes", "0"),
                ("resolution_sla_minutes", "600000"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for field in ["first_touch_sla_minutes", "resolution_sla_minutes"] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field}: {page}"
        );
    }
    assert_eq!(app.count("users").await, 2, "the owners only");
    assert_eq!(app.count("forms").await, 1, "the default form only");
}

#[tokio::test]
async fn an_account_is_added_in_the_browser_with_its_problems_beside_their_fields() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter.get("/accounts").await;
    assert_eq!(status, 200);
    assert!(page.contains("Add the account"), "{page}");
    let csrf = Browser::csrf(&page);
    let form = |name: &'static str, employees: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("domain", "initech.example".to_string()),
            ("tier", "a".to_string()),
            ("status", "prospect".to_string()),
            ("employees", employees.to_string()),
        ]
    };
    let sent = form("Initech", "many");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page, _) = hunter.post("/accounts", &sent).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"employees-error\"") && page.contains("value=\"initech.example\""),
        "a count that is no number is refused and what was typed kept: {page}"
    );
    assert!(
        page.contains("`many` is not a whole number"),
        "said plainly: {page}"
    );
    // A count that does not read does not hide the other fields' problems.
    let sent = form(" ", "many");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page, _) = hunter.post("/accounts", &sent).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"name-error\"") && page.contains("id=\"employees-error\""),
        "both at once: {page}"
    );
    let sent = form(" ", "-5");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page, _) = hunter.post("/accounts", &sent).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"name-error\"") && page.contains("id=\"employees-error\""),
        "both at once: {page}"
    );
    assert_eq!(app.count("accounts").await, 0);
    let sent = form("Initech", "250");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, location) = hunter.post("/accounts", &sent).await;
    assert_eq!(status, 303);
    let id: i64 = location
        .unwrap()
        .trim_start_matches("/accounts/")
        .parse()
        .unwrap();
    let account = app.db.account(id).await.unwrap();
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap();
    assert_eq!(
        (account.owner_id, account.domains.clone(), account.employees),
        (Some(hal.id), vec!["initech.example".to_string()], Some(250))
    );
    // The same domain again is someone else's already: 409, beside the field.
    let sent = form("Initech again", "");
    let sent: Vec<(&str, &str)> = sent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page, _) = hunter.post("/accounts", &sent).await;
    assert_eq!(status, 409);
    assert!(
        page.contains("already belongs to another account"),
        "{page}"
    );

    let mut service = Browser::person(&app, "sam@acme.test", Role::Service).await;
    let (_, page, _) = service.get("/accounts").await;
    assert!(
        !page.contains("Add the account"),
        "no form for a role that does not add"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = service
        .post("/accounts", &[("csrf", &csrf), ("name", "Mine")])
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_contact_is_added_in_the_browser_with_its_problems_beside_their_fields() {
    let app = TestApp::new().await;
    let mut farmer = Browser::person(&app, "fay@acme.test", Role::Farmer).await;
    let account = app
        .db
        .create_account(
            None,
            &baton_db::accounts::NewAccount {
                name: "Initech".into(),
                domains: vec![],
                status: None,
                tier: None,
                industry: None,
                employees: None,
                owner_id: None,
            },
        )
        .await
        .unwrap();
    // One account's people offer to add one there.
    let (status, page, _) = farmer
        .get(&format!("/contacts?account={}", account.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Add the contact") && page.contains(&format!("value=\"{}\"", account.id)),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, page, _) = farmer
        .post(
            "/contacts",
            &[
                ("csrf", &csrf),
                ("name", "Dana"),
                ("email", "dana@"),
                ("phone", "call me"),
                ("account_id", &account.id.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"email-error\"")
            && page.contains("id=\"phone-error\"")
            && page.contains("value=\"Dana\""),
        "{page}"
    );
    // An account id that does not read does not hide the others' problems.
    let (status, page, _) = farmer
        .post(
            "/contacts",
            &[
                ("csrf", &csrf),
                ("email", "dana@"),
                ("phone", "call me"),
                ("account_id", "abc"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"email-error\"")
            && page.contains("id=\"phone-error\"")
            && page.contains("id=\"account_id-error\""),
        "{page}"
    );
    assert_eq!(app.count("contacts").await, 0);
    let (status, _, location) = farmer
        .post(
            "/contacts",
            &[
                ("csrf", &csrf),
                ("name", "Dana"),
                ("email", "dana@initech.example"),
                ("account_id", &account.id.to_string()),
                ("decision_maker", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let id: i64 = location
        .unwrap()
        .trim_start_matches("/contacts/")
        .parse()
        .unwrap();
    let contact = app.db.contact(id).await.unwrap();
    assert_eq!(
        (contact.account_id, contact.decision_maker),
        (Some(account.id), true)
    );
    let (status, page, _) = farmer
        .post(
            "/contacts",
            &[("csrf", &csrf), ("email", "DANA@initech.example")],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("id=\"email-error\""), "{page}");
}
