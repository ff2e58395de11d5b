//! Contacts, leads, campaigns, opportunities, activities, forecasts, the
//! charter, teams and people: happy paths, problems that name the field,
//! role refusals, pagination and immutable forecast versions.

use crate::helpers::{TestApp, next_quarter, strong_lead, this_quarter};
use baton_core::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends `body` (if any) with `method` and returns (status, JSON body).
async fn call(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, token, path, Some(body)).await
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(app, Method::PATCH, token, path, Some(body)).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    call(app, Method::GET, token, path, None).await
}

/// The field a problem document names first.
fn field(problem: &Value) -> &str {
    problem["invalid-params"][0]["name"]
        .as_str()
        .unwrap_or_default()
}

/// Asserts a 422 naming `name`, and returns the problem's detail.
fn assert_invalid(result: &(u16, Value), name: &str) -> String {
    let (status, problem) = result;
    assert_eq!(*status, 422, "{problem}");
    assert_eq!(field(problem), name, "{problem}");
    problem["detail"].as_str().unwrap_or_default().to_string()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// Creates something as `token`, asserting 201, and returns it.
async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, body) = post(app, token, path, body).await;
    assert_eq!(status, 201, "{path}: {body}");
    body
}

async fn account(app: &TestApp, name: &str, domain: &str) -> i64 {
    created(
        app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": name, "domain": domain}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn of_two_sellers_claiming_an_account_nobody_holds_at_once_one_gets_it() {
    let app = TestApp::new().await;
    let (hal_id, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana_id, hana) = app.user("hana@acme.test", Role::Hunter).await;
    for round in 0..6 {
        let unheld = created(
            &app,
            &app.owner,
            "/api/v1/accounts",
            json!({"name": format!("Globex {round}"), "domain": format!("globex{round}.test")}),
        )
        .await;
        let path = format!("/api/v1/accounts/{}", unheld["id"]);
        let (status, unheld) = patch(&app, &app.owner, &path, json!({"owner_id": null})).await;
        assert_eq!(
            (status, &unheld["owner_id"]),
            (200, &Value::Null),
            "{unheld}"
        );
        let mut claims = tokio::task::JoinSet::new();
        for (token, id) in [(hal.clone(), hal_id), (hana.clone(), hana_id)] {
            let request = app
                .client
                .patch(app.url(&path))
                .bearer_auth(token)
                .json(&json!({"owner_id": id}));
            claims.spawn(async move { (request.send().await.unwrap().status().as_u16(), id) });
        }
        let answers = claims.join_all().await;
        let winners: Vec<i64> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        assert!(
            answers.iter().all(|(s, _)| [200, 403, 409].contains(s)),
            "{answers:?}"
        );
        let held = app.get_json(&app.owner, &path).await;
        assert_eq!(held["owner_id"], winners[0], "round {round}");
    }
}

#[tokio::test]
async fn if_match_on_a_resource_without_entity_tags_fails_rather_than_being_ignored() {
    let app = TestApp::new().await;
    let account = created(
        &app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": "Initech", "domain": "initech.test"}),
    )
    .await;
    let path = format!("/api/v1/accounts/{}", account["id"]);
    let guarded = |tag: &'static str| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&app.owner)
            .header("if-match", tag)
            .json(&json!({"industry": "Software"}))
    };
    let refused = guarded("\"bogus\"").send().await.unwrap();
    assert_eq!(refused.status(), 412);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("has no entity tags"),
        "{problem}"
    );
    let unchanged = app.get_json(&app.owner, &path).await;
    assert_eq!(unchanged["industry"], Value::Null, "nothing changed");
    // Any version at all: the account exists, so the change is made.
    assert_eq!(guarded("*").send().await.unwrap().status(), 200);
    let changed = app.get_json(&app.owner, &path).await;
    assert_eq!(changed["industry"], "Software");
}

#[tokio::test]
async fn accounts_are_changed_by_whoever_holds_them_or_a_manager() {
    let app = TestApp::new().await;
    let (hal_id, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    let (fay_id, _) = app.user("fay@acme.test", Role::Farmer).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let (_, service) = app.user("sue@acme.test", Role::Service).await;
    let mine = created(
        &app,
        &hal,
        "/api/v1/accounts",
        json!({"name": "Initech", "domain": "initech.test", "industry": "Software", "employees": 250}),
    )
    .await;
    assert_eq!(mine["owner_id"], hal_id);
    let path = format!("/api/v1/accounts/{}", mine["id"]);

    let (status, changed) = patch(
        &app,
        &hal,
        &path,
        json!({"tier": "a", "status": "prospect", "industry": null, "domains": ["initech.test", "initrode.test"]}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            &changed["tier"],
            &changed["status"],
            &changed["industry"],
            &changed["employees"]
        ),
        (&json!("a"), &json!("prospect"), &Value::Null, &json!(250)),
        "untouched fields stay: {changed}"
    );
    assert_eq!(changed["domains"], json!(["initech.test", "initrode.test"]));
    assert_eq!(app.get_json(&hal, &path).await, changed);

    // Others: another hunter may not, nor may service; a hunter hands it
    // to nobody but themselves.
    assert_eq!(patch(&app, &hana, &path, json!({"tier": "c"})).await.0, 403);
    assert_eq!(
        patch(&app, &service, &path, json!({"tier": "c"})).await.0,
        403
    );
    assert_eq!(
        patch(&app, &hal, &path, json!({"owner_id": fay_id}))
            .await
            .0,
        403
    );
    let (status, handed) = patch(&app, &manager, &path, json!({"owner_id": fay_id})).await;
    assert_eq!((status, &handed["owner_id"]), (200, &json!(fay_id)));

    // Every problem at once; a domain another account claims is a conflict.
    let (status, problem) =
        patch(&app, &manager, &path, json!({"name": " ", "employees": -1})).await;
    assert_eq!(status, 422, "{problem}");
    let named: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["name", "employees"], "{problem}");
    account(&app, "Hooli", "hooli.test").await;
    let (status, problem) = patch(&app, &manager, &path, json!({"domains": ["hooli.test"]})).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(field(&problem), "domains");
    assert_eq!(
        app.get_json(&manager, &path).await["domains"],
        json!(["initech.test", "initrode.test"]),
        "nothing half-changed"
    );
    let (status, problem) = patch(&app, &manager, &path, json!({"tier": "z", "name": null})).await;
    assert_eq!(status, 422, "{problem}");
    // A bad domain beside another problem is named as the field sent.
    let (status, problem) = patch(
        &app,
        &manager,
        &path,
        json!({"name": " ", "domains": ["bad domain"]}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let named: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["name", "domains"], "{problem}");
    // A mailbox anyone may have is no company's domain.
    let (status, problem) = patch(&app, &manager, &path, json!({"domains": ["gmail.com"]})).await;
    assert_eq!((status, field(&problem)), (422, "domains"), "{problem}");

    // A change to nothing writes nothing.
    let before = app.get_json(&manager, &path).await;
    let (status, same) = patch(&app, &manager, &path, json!({"tier": "a"})).await;
    assert_eq!((status, &same), (200, &before));
}

#[tokio::test]
async fn contacts_are_added_found_and_changed() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, operations) = app.user("ola@acme.test", Role::Operations).await;
    let initech = account(&app, "Initech", "initech.test").await;

    let contact = created(
        &app,
        &hunter,
        "/api/v1/contacts",
        json!({"name": "Bill Lumbergh", "email": "Bill@Initech.test", "phone": "+1 (415) 555-0100",
               "title": "VP", "account_id": initech, "decision_maker": true}),
    )
    .await;
    assert_eq!(contact["email"], "bill@initech.test");
    assert_eq!(contact["phone"], "+14155550100");
    assert_eq!(contact["decision_maker"], true);
    let id = contact["id"].as_i64().unwrap();
    let shown = app
        .get_json(&hunter, &format!("/api/v1/contacts/{id}"))
        .await;
    assert_eq!(shown, contact);

    let again = post(
        &app,
        &hunter,
        "/api/v1/contacts",
        json!({"email": "BILL@initech.test"}),
    )
    .await;
    assert_eq!(again.0, 409, "{}", again.1);
    assert_eq!(field(&again.1), "email");
    let detail = assert_invalid(
        &post(&app, &hunter, "/api/v1/contacts", json!({"email": "bill@"})).await,
        "email",
    );
    assert!(detail.contains("bill@"), "{detail}");
    assert_invalid(
        &post(
            &app,
            &hunter,
            "/api/v1/contacts",
            json!({"name": "Milton", "phone": "call me"}),
        )
        .await,
        "phone",
    );
    assert_invalid(
        &post(
            &app,
            &hunter,
            "/api/v1/contacts",
            json!({"name": "Milton", "account_id": 999}),
        )
        .await,
        "account_id",
    );
    assert_invalid(
        &post(&app, &hunter, "/api/v1/contacts", json!({"title": "CEO"})).await,
        "name",
    );
    assert_invalid(
        &post(
            &app,
            &hunter,
            "/api/v1/contacts",
            json!({"name": "Milton", "stapler": "red"}),
        )
        .await,
        "stapler",
    );
    let refused = post(
        &app,
        &operations,
        "/api/v1/contacts",
        json!({"name": "Milton"}),
    )
    .await;
    assert_eq!(refused.0, 403);

    created(
        &app,
        &hunter,
        "/api/v1/contacts",
        json!({"name": "Peter Gibbons", "email": "peter@initech.test"}),
    )
    .await;
    let of_initech = app
        .get_json(&hunter, &format!("/api/v1/contacts?account_id={initech}"))
        .await;
    assert_eq!(ids(&of_initech), vec![id]);
    let by_email = app
        .get_json(&hunter, "/api/v1/contacts?email=PETER@initech.test")
        .await;
    assert_eq!(by_email["items"][0]["name"], "Peter Gibbons");
    assert_invalid(
        &get(&app, &hunter, "/api/v1/contacts?account_id=abc").await,
        "account_id",
    );

    let path = format!("/api/v1/contacts/{id}");
    let (status, changed) = patch(
        &app,
        &hunter,
        &path,
        json!({"decision_maker": false, "title": "Division VP", "phone": "0044 20 7946 0000"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["decision_maker"], false);
    assert_eq!(changed["title"], "Division VP");
    assert_eq!(changed["phone"], "00442079460000");
    assert_eq!(changed["name"], "Bill Lumbergh", "absent fields stay");
    assert_eq!(changed["account_id"], initech);
    let (_, detached) = patch(&app, &hunter, &path, json!({"account_id": null})).await;
    assert!(detached["account_id"].is_null(), "{detached}");
    // `null` empties what may be empty, and is refused where it may not.
    let (status, cleared) = patch(&app, &hunter, &path, json!({"title": null})).await;
    assert_eq!(status, 200, "{cleared}");
    assert!(cleared["title"].is_null(), "{cleared}");
    assert_eq!(cleared["phone"], "00442079460000");
    let detail = assert_invalid(
        &patch(&app, &hunter, &path, json!({"decision_maker": null})).await,
        "decision_maker",
    );
    assert!(detail.contains("cannot be null"), "{detail}");
    assert_invalid(
        &patch(&app, &hunter, &path, json!({"phone": "nope"})).await,
        "phone",
    );
    assert_invalid(
        &patch(&app, &hunter, &path, json!({"email": "x@y.test"})).await,
        "email",
    );
    assert_eq!(
        patch(&app, &operations, &path, json!({"title": "x"}))
            .await
            .0,
        403
    );
    assert_eq!(get(&app, &hunter, "/api/v1/contacts/999").await.0, 404);

    // A change may not leave a contact nobody could name or reach.
    let named_only = created(&app, &hunter, "/api/v1/contacts", json!({"name": "Milton"})).await;
    let path = format!("/api/v1/contacts/{}", named_only["id"]);
    assert_invalid(
        &patch(&app, &hunter, &path, json!({"name": " "})).await,
        "name",
    );
    assert_eq!(get(&app, &hunter, &path).await.1["name"], "Milton");
}

#[tokio::test]
async fn contact_and_campaign_lists_paginate_with_cursors() {
    let app = TestApp::new().await;
    for i in 0..5 {
        created(
            &app,
            &app.owner,
            "/api/v1/contacts",
            json!({"email": format!("p{i}@x.test")}),
        )
        .await;
        created(
            &app,
            &app.owner,
            "/api/v1/campaigns",
            json!({"name": format!("Webinar {i}"), "channel": "webinar"}),
        )
        .await;
    }
    for list in ["/api/v1/contacts", "/api/v1/campaigns"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let page = app
                .get_json(&app.owner, &format!("{list}?limit=2&cursor={cursor}"))
                .await;
            seen.extend(ids(&page));
            pages += 1;
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{list}");
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "{list}: ascending, no repeats");
        assert_eq!(seen.len(), 5, "{list}");
    }
    assert_invalid(
        &get(&app, &app.owner, "/api/v1/contacts?limit=0").await,
        "limit",
    );
    let twice = assert_invalid(
        &get(&app, &app.owner, "/api/v1/contacts?limit=5&limit=7").await,
        "limit",
    );
    assert!(twice.contains("more than once"), "{twice}");
}

#[tokio::test]
async fn leads_are_listed_read_with_history_and_moved_with_a_reason() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(receipt["assignee_id"], hal);
    let lead = receipt["lead_id"].as_i64().unwrap();

    let mine = app
        .get_json(&hal_token, "/api/v1/leads?owner=me&stage=mql")
        .await;
    assert_eq!(ids(&mine), vec![lead]);
    assert_eq!(mine["items"][0]["queue"], "hunters");
    let in_queue = app
        .get_json(&hal_token, "/api/v1/leads?queue=hunters")
        .await;
    assert_eq!(ids(&in_queue), vec![lead]);
    let nurture = app
        .get_json(&hal_token, "/api/v1/leads?stage=nurture")
        .await;
    assert!(ids(&nurture).is_empty());
    assert_invalid(
        &get(&app, &hal_token, "/api/v1/leads?stage=hot").await,
        "stage",
    );
    assert_invalid(
        &get(&app, &hal_token, "/api/v1/leads?owner=someone").await,
        "owner",
    );

    // Hana is in no queue and owns nothing: she sees no lead.
    assert!(
        ids(&app.get_json(&hana, "/api/v1/leads").await).is_empty(),
        "a hunter sees only leads they own or in their queues"
    );
    let path = format!("/api/v1/leads/{lead}");
    assert_eq!(get(&app, &hana, &path).await.0, 403);
    assert_eq!(get(&app, &hana, "/api/v1/leads?queue=hunters").await.0, 403);
    let stage = format!("{path}/stage");
    assert_eq!(
        post(
            &app,
            &hana,
            &stage,
            json!({"stage": "sql", "reason": "mine now"})
        )
        .await
        .0,
        403
    );

    let shown = app.get_json(&hal_token, &path).await;
    assert_eq!(shown["stage"], "mql");
    assert_eq!(shown["stage_history"][0]["to_stage"], "mql");
    // Opportunity and customer follow from deals, not from a say-so.
    for by_deal in ["opportunity", "customer"] {
        let detail = assert_invalid(
            &post(
                &app,
                &hal_token,
                &stage,
                json!({"stage": by_deal, "reason": "trust me"}),
            )
            .await,
            "stage",
        );
        assert!(detail.contains("deal"), "{detail}");
    }

    assert_invalid(
        &post(&app, &hal_token, &stage, json!({"stage": "disqualified"})).await,
        "reason",
    );
    let detail = assert_invalid(
        &post(
            &app,
            &hal_token,
            &stage,
            json!({"stage": "disqualified", "reason": "  "}),
        )
        .await,
        "reason",
    );
    assert!(detail.contains("disqualified"), "{detail}");
    assert_invalid(
        &post(
            &app,
            &hal_token,
            &stage,
            json!({"stage": "frozen", "reason": "x"}),
        )
        .await,
        "stage",
    );
    let (status, moved) = post(
        &app,
        &hal_token,
        &stage,
        json!({"stage": "disqualified", "reason": "student project, no budget"}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["stage"], "disqualified");
    let last = moved["stage_history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["from_stage"], "mql");
    assert_eq!(last["to_stage"], "disqualified");
    assert_eq!(last["reason"], "student project, no budget");
    assert_eq!(last["actor_id"], hal);
    let twice = post(
        &app,
        &hal_token,
        &stage,
        json!({"stage": "disqualified", "reason": "again"}),
    )
    .await;
    assert_eq!(twice.0, 409, "{}", twice.1);
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'lead.stage_changed' AND entity_id = $1",
    )
    .bind(lead)
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let everyone = app.get_json(&app.owner, "/api/v1/leads").await;
    assert_eq!(ids(&everyone), vec![lead], "owners see every lead");
}

#[tokio::test]
async fn campaigns_store_costs_in_minor_units_and_check_their_dates() {
    let app = TestApp::new().await;
    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;

    let spring = created(
        &app,
        &marketer,
        "/api/v1/campaigns",
        json!({"name": "Spring Webinar", "channel": "webinar", "cost": "12500.50",
               "starts_on": "2026-04-01", "ends_on": "2026-04-30"}),
    )
    .await;
    assert_eq!(spring["cost_minor"], 1_250_050);
    assert_eq!(spring["cost"], "12500.50");
    assert_eq!(spring["currency"], "USD");
    assert_eq!(spring["starts_on"], "2026-04-01");
    let id = spring["id"].as_i64().unwrap();
    assert_eq!(
        app.get_json(&hunter, &format!("/api/v1/campaigns/{id}"))
            .await,
        spring
    );

    app.db.put_setting("currency", &"EUR").await.unwrap();
    let fair = created(
        &app,
        &marketer,
        "/api/v1/campaigns",
        json!({"name": "Trade fair", "channel": "event", "cost": 99.5}),
    )
    .await;
    assert_eq!(fair["currency"], "EUR", "the organisation's currency");
    assert_eq!(fair["cost_minor"], 9_950);
    let yen = created(
        &app,
        &app.owner,
        "/api/v1/campaigns",
        json!({"name": "Tokyo ads", "channel": "ads", "cost": "150000", "currency": "JPY"}),
    )
    .await;
    assert_eq!(yen["cost_minor"], 150_000);

    let bad = |body: Value| {
        let app = &app;
        let marketer = &marketer;
        async move { post(app, marketer, "/api/v1/campaigns", body).await }
    };
    let detail = assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "cost": "12.345"})).await,
        "cost",
    );
    assert!(detail.contains("too many decimals"), "{detail}");
    assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "cost": "1,000"})).await,
        "cost",
    );
    assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "cost": true})).await,
        "cost",
    );
    assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "currency": "usd"})).await,
        "currency",
    );
    assert_invalid(
        &bad(json!({"name": "A", "channel": "Direct Mail"})).await,
        "channel",
    );
    assert_invalid(&bad(json!({"name": " ", "channel": "email"})).await, "name");
    assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "starts_on": "01/04/2026"})).await,
        "starts_on",
    );
    let detail = assert_invalid(
        &bad(json!({"name": "A", "channel": "email", "starts_on": "2026-05-01", "ends_on": "2026-04-30"}))
            .await,
        "ends_on",
    );
    assert!(detail.contains("before"), "{detail}");
    let duplicate = bad(json!({"name": "SPRING webinar", "channel": "email"})).await;
    assert_eq!(duplicate.0, 409, "{}", duplicate.1);
    assert_eq!(field(&duplicate.1), "name");
    let refused = post(
        &app,
        &hunter,
        "/api/v1/campaigns",
        json!({"name": "Mine", "channel": "email"}),
    )
    .await;
    assert_eq!(refused.0, 403);

    let events = app
        .get_json(&hunter, "/api/v1/campaigns?channel=event")
        .await;
    assert_eq!(ids(&events), vec![fair["id"].as_i64().unwrap()]);

    // A change is checked as a new campaign is, and keeps what it does not name.
    let path = format!("/api/v1/campaigns/{id}");
    let (status, changed) = patch(
        &app,
        &marketer,
        &path,
        json!({"cost": "14000", "ends_on": null}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            &changed["cost_minor"],
            &changed["name"],
            &changed["ends_on"]
        ),
        (&json!(1_400_000), &json!("Spring Webinar"), &Value::Null)
    );
    assert_eq!(
        patch(&app, &marketer, &path, json!({"name": "trade FAIR"}))
            .await
            .0,
        409
    );
    assert_invalid(
        &patch(
            &app,
            &marketer,
            &path,
            json!({"starts_on": "2026-05-01", "ends_on": "2026-04-01"}),
        )
        .await,
        "ends_on",
    );
    assert_invalid(
        &patch(&app, &marketer, &path, json!({"cost": null})).await,
        "cost",
    );
    assert_eq!(
        patch(&app, &hunter, &path, json!({"cost": "1"})).await.0,
        403
    );
    assert_eq!(
        app.get_json(&hunter, &path).await["cost_minor"],
        1_400_000,
        "refused changes changed nothing"
    );
}

#[tokio::test]
async fn winning_an_opportunity_makes_its_account_and_lead_customers() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    let initech = account(&app, "Initech", "initech.test").await;

    let deal = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Initech 250 seats", "account_id": initech, "lead_id": lead,
               "amount": "30000.00", "expected_close": "2026-09-30", "product": "Maintain Pro"}),
    )
    .await;
    assert_eq!(deal["owner_id"], hal, "the caller owns it");
    let lead_contact = app
        .get_json(&hal_token, &format!("/api/v1/leads/{lead}"))
        .await["contact_id"]
        .clone();
    assert!(lead_contact.is_i64());
    assert_eq!(deal["contact_id"], lead_contact, "the lead's person");
    assert_eq!(deal["account_id"], initech, "the account named");
    assert_eq!(deal["stage"], "prospecting");
    assert_eq!(deal["probability"], 10);
    assert_eq!(deal["forecast_category"], "pipeline");
    assert_eq!(deal["amount_minor"], 3_000_000);
    assert_eq!(deal["amount"], "30000.00");
    let lead_path = format!("/api/v1/leads/{lead}");
    assert_eq!(
        app.get_json(&hal_token, &lead_path).await["stage"],
        "opportunity"
    );

    let path = format!("/api/v1/opportunities/{}", deal["id"]);
    let (status, proposal) = patch(
        &app,
        &hal_token,
        &path,
        json!({"stage": "proposal", "amount": 32000}),
    )
    .await;
    assert_eq!(status, 200, "{proposal}");
    assert_eq!(proposal["probability"], 50, "the stage's default");
    assert_eq!(proposal["forecast_category"], "best_case");
    assert_eq!(proposal["amount"], "32000.00");
    assert!(proposal["engaged_on"].is_string());
    let (_, tuned) = patch(&app, &hal_token, &path, json!({"probability": 60})).await;
    assert_eq!(tuned["probability"], 60);
    assert_eq!(tuned["stage"], "proposal");
    for field in ["stage", "amount", "probability"] {
        assert_invalid(
            &patch(&app, &hal_token, &path, json!({field: null})).await,
            field,
        );
    }
    let detail = assert_invalid(
        &patch(&app, &hal_token, &path, json!({"stage": "bogus"})).await,
        "stage",
    );
    assert!(
        detail.contains("`bogus` is not one of: prospecting, engaging")
            && !detail.contains("column"),
        "the field is named, not the parser's position: {detail}"
    );

    assert_invalid(
        &patch(&app, &hal_token, &path, json!({"stage": "lost"})).await,
        "close_reason",
    );
    assert_invalid(
        &patch(
            &app,
            &hal_token,
            &path,
            json!({"stage": "lost", "close_reason": "y".repeat(20_001)}),
        )
        .await,
        "close_reason",
    );
    assert_invalid(
        &patch(&app, &hal_token, &path, json!({"probability": 120})).await,
        "probability",
    );
    assert_invalid(
        &patch(&app, &hal_token, &path, json!({"amount": "12.345"})).await,
        "amount",
    );
    for not_a_close in ["soon", "0001-09-30", "9999-12-31"] {
        assert_invalid(
            &patch(
                &app,
                &hal_token,
                &path,
                json!({"expected_close": not_a_close}),
            )
            .await,
            "expected_close",
        );
    }
    assert_invalid(
        &patch(
            &app,
            &hal_token,
            &path,
            json!({"amount": "100000000000.01"}),
        )
        .await,
        "amount",
    );
    assert_invalid(
        &patch(
            &app,
            &hal_token,
            &path,
            json!({"stage": "won", "probability": 80}),
        )
        .await,
        "probability",
    );
    assert_invalid(
        &patch(&app, &hal_token, &path, json!({"stage": "closed"})).await,
        "stage",
    );

    let (status, won) = patch(
        &app,
        &hal_token,
        &path,
        json!({"stage": "won", "close_reason": "best uptime numbers"}),
    )
    .await;
    assert_eq!(status, 200, "{won}");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    assert_eq!(won["closed_on"], today.as_str());
    assert_eq!(won["probability"], 100);
    assert_eq!(won["forecast_category"], "commit");
    let account = app
        .get_json(&hal_token, &format!("/api/v1/accounts/{initech}"))
        .await;
    assert_eq!(account["status"], "customer");
    let lead = app.get_json(&hal_token, &lead_path).await;
    assert_eq!(lead["stage"], "customer");
    assert_eq!(
        lead["stage_history"].as_array().unwrap().last().unwrap()["reason"],
        format!("opportunity {} won", deal["id"])
    );
    let closed = patch(&app, &hal_token, &path, json!({"amount": "1"})).await;
    assert_eq!(closed.0, 409, "{}", closed.1);

    let other = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Hooli pilot", "amount": 5000, "stage": "negotiation"}),
    )
    .await;
    assert_eq!(other["probability"], 75);
    assert_eq!(other["forecast_category"], "commit");
    let other_path = format!("/api/v1/opportunities/{}", other["id"]);
    let (status, lost) = patch(
        &app,
        &hal_token,
        &other_path,
        json!({"stage": "lost", "close_reason": "wanted 40% off"}),
    )
    .await;
    assert_eq!(status, 200, "{lost}");
    assert_eq!(lost["probability"], 0);
    assert_eq!(lost["forecast_category"], "omitted");
    assert_eq!(lost["close_reason"], "wanted 40% off");

    for (body, name) in [
        (json!({"name": "X", "amount": "12.345"}), "amount"),
        (json!({"name": "X", "amount": "-5"}), "amount"),
        (json!({"name": "X"}), "amount"),
        (json!({"name": "", "amount": 1}), "name"),
        (json!({"name": "X", "amount": 1, "stage": "won"}), "stage"),
        (
            json!({"name": "X", "amount": 1, "probability": -1}),
            "probability",
        ),
        (
            json!({"name": "X", "amount": 1, "forecast_category": "maybe"}),
            "forecast_category",
        ),
        (
            json!({"name": "X", "amount": 1, "account_id": 999}),
            "account_id",
        ),
        (json!({"name": "X", "amount": 1, "lead_id": 999}), "lead_id"),
        (
            json!({"name": "X", "amount": 1, "currency": "Euro"}),
            "currency",
        ),
    ] {
        assert_invalid(
            &post(&app, &hal_token, "/api/v1/opportunities", body).await,
            name,
        );
    }
    let stages = app
        .get_json(&hal_token, "/api/v1/opportunities?owner=me&stage=won")
        .await;
    assert_eq!(ids(&stages), vec![deal["id"].as_i64().unwrap()]);
    let of_account = app
        .get_json(
            &hal_token,
            &format!("/api/v1/opportunities?account_id={initech}"),
        )
        .await;
    assert_eq!(ids(&of_account), vec![deal["id"].as_i64().unwrap()]);
}

#[tokio::test]
async fn a_hunter_cannot_read_another_hunters_opportunities() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;
    let hals = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Hal's deal", "amount": "100"}),
    )
    .await;
    let hanas = created(
        &app,
        &hana,
        "/api/v1/opportunities",
        json!({"name": "Hana's deal", "amount": "200"}),
    )
    .await;
    let path = format!("/api/v1/opportunities/{}", hals["id"]);

    assert_eq!(get(&app, &hana, &path).await.0, 403);
    assert_eq!(
        patch(&app, &hana, &path, json!({"probability": 90}))
            .await
            .0,
        403
    );
    let own = app.get_json(&hana, "/api/v1/opportunities").await;
    assert_eq!(ids(&own), vec![hanas["id"].as_i64().unwrap()]);
    assert_eq!(
        get(&app, &hana, &format!("/api/v1/opportunities?owner={hal}"))
            .await
            .0,
        403
    );
    let for_hal = post(
        &app,
        &hana,
        "/api/v1/opportunities",
        json!({"name": "For Hal", "amount": 1, "owner_id": hal}),
    )
    .await;
    assert_eq!(for_hal.0, 403);
    // Nor through a forecast line, whose actual would be the deal's revenue.
    let spying = post(
        &app,
        &hana,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": next_quarter(),
               "lines": [{"description": "spy", "amount": "1", "category": "commit",
                          "opportunity_id": hals["id"]}]}),
    )
    .await;
    assert_eq!(spying.0, 403, "{}", spying.1);
    assert_eq!(
        post(
            &app,
            &marketer,
            "/api/v1/opportunities",
            json!({"name": "Mine", "amount": 1})
        )
        .await
        .0,
        403
    );

    assert_eq!(get(&app, &manager, &path).await.0, 200);
    let everyone = app.get_json(&manager, "/api/v1/opportunities").await;
    assert_eq!(ids(&everyone).len(), 2);
    let hal_only = app
        .get_json(&manager, &format!("/api/v1/opportunities?owner={hal}"))
        .await;
    assert_eq!(ids(&hal_only), vec![hals["id"].as_i64().unwrap()]);
    let assigned = created(
        &app,
        &manager,
        "/api/v1/opportunities",
        json!({"name": "Given to Hal", "amount": 1, "owner_id": hal}),
    )
    .await;
    assert_eq!(assigned["owner_id"], hal);
}

#[tokio::test]
async fn an_activity_is_about_one_customer_and_work_already_done() {
    let app = TestApp::new().await;
    let owner = &app.owner;
    let account = |name: &str, domain: &str| {
        let body = json!({"name": name, "domain": domain});
        let app = &app;
        async move {
            created(app, &app.owner, "/api/v1/accounts", body).await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (initech, globex) = (
        account("Initech", "initech.test").await,
        account("Globex", "globex.test").await,
    );
    let bill = created(
        &app,
        owner,
        "/api/v1/contacts",
        json!({"name": "Bill", "email": "bill@initech.test", "account_id": initech}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let deal = created(
        &app,
        owner,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "900", "account_id": initech, "contact_id": bill}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let log = |body: Value| {
        let app = &app;
        async move { post(app, &app.owner, "/api/v1/activities", body).await }
    };

    let detail = assert_invalid(
        &log(json!({"type": "call", "contact_id": bill, "account_id": globex})).await,
        "account_id",
    );
    assert!(
        detail.ends_with(&format!(
            "contact {bill} belongs to account {initech}, not account {globex}"
        )),
        "{detail}"
    );
    let detail = assert_invalid(
        &log(json!({"type": "call", "opportunity_id": deal, "account_id": globex})).await,
        "account_id",
    );
    assert!(
        detail.contains(&format!("opportunity {deal} belongs to account {initech}")),
        "{detail}"
    );
    let other = created(
        &app,
        owner,
        "/api/v1/contacts",
        json!({"name": "Ann", "email": "ann@globex.test", "account_id": globex}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_invalid(
        &log(json!({"type": "call", "opportunity_id": deal, "contact_id": other})).await,
        "contact_id",
    );
    assert_eq!(
        log(json!({"type": "call", "opportunity_id": deal, "contact_id": bill, "account_id": initech}))
            .await
            .0,
        201,
        "all three agree"
    );

    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(25);
    let detail = assert_invalid(
        &log(json!({"type": "call", "contact_id": bill, "occurred_at": tomorrow.to_string()}))
            .await,
        "occurred_at",
    );
    assert!(detail.contains("in the future"), "{detail}");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM activities")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(stored, 1, "only the agreeing one");
}

#[tokio::test]
async fn activities_are_typed_by_the_charter_in_force() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, hana_token) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let contact = created(
        &app,
        &hal_token,
        "/api/v1/contacts",
        json!({"name": "Bill", "email": "bill@initech.test"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let call = created(
        &app,
        &hal_token,
        "/api/v1/activities",
        json!({"type": "call", "contact_id": contact, "occurred_at": "2026-03-02T15:00:00+01:00",
               "outcome": "demo booked", "notes": "wants SSO"}),
    )
    .await;
    assert_eq!(call["type"], "call");
    assert_eq!(call["user_id"], hal);
    assert_eq!(call["occurred_at"], 1_772_460_000_000_i64);
    let later = created(
        &app,
        &hal_token,
        "/api/v1/activities",
        json!({"type": "meeting", "contact_id": contact, "occurred_at": "2026-03-05T09:00:00Z"}),
    )
    .await;
    let now = created(
        &app,
        &hal_token,
        "/api/v1/activities",
        json!({"type": "email", "contact_id": contact}),
    )
    .await;
    assert!(now["occurred_at"].as_i64().unwrap() > 1_772_460_000_000_i64);
    let for_hana = created(
        &app,
        &manager,
        "/api/v1/activities",
        json!({"type": "cold_call", "contact_id": contact, "user_id": hana}),
    )
    .await;
    assert_eq!(for_hana["user_id"], hana);

    let bad = |body: Value| {
        let app = &app;
        let token = &hal_token;
        async move { post(app, token, "/api/v1/activities", body).await }
    };
    let detail = assert_invalid(
        &bad(json!({"type": "juggling", "contact_id": contact})).await,
        "type",
    );
    assert!(detail.contains("version 1"), "{detail}");
    assert_invalid(&bad(json!({"type": "call"})).await, "contact_id");
    assert_invalid(
        &bad(json!({"type": "call", "contact_id": contact, "occurred_at": "yesterday"})).await,
        "occurred_at",
    );
    assert_invalid(
        &bad(json!({"type": "call", "lead_id": 999})).await,
        "lead_id",
    );
    assert_eq!(
        bad(json!({"type": "call", "contact_id": contact, "user_id": hana}))
            .await
            .0,
        403,
        "a hunter logs only their own work"
    );

    let mine = app.get_json(&hal_token, "/api/v1/activities").await;
    assert_eq!(
        ids(&mine),
        vec![
            call["id"].as_i64().unwrap(),
            later["id"].as_i64().unwrap(),
            now["id"].as_i64().unwrap()
        ]
    );
    let march = app
        .get_json(
            &hal_token,
            "/api/v1/activities?user=me&from=2026-03-02&to=2026-03-04",
        )
        .await;
    assert_eq!(ids(&march), vec![call["id"].as_i64().unwrap()]);
    // Days are the organisation's: the meeting at 09:00 UTC on 5 March was
    // at 23:00 on 4 March in Honolulu (UTC−10).
    let on = |day: &str| format!("/api/v1/activities?user=me&from={day}&to={day}");
    let meeting = vec![later["id"].as_i64().unwrap()];
    assert_eq!(
        ids(&app.get_json(&hal_token, &on("2026-03-05")).await),
        meeting
    );
    let zone = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.owner)
        .json(&json!({"time_zone": "Pacific/Honolulu"}))
        .send()
        .await
        .unwrap();
    assert_eq!(zone.status(), 200);
    assert_eq!(
        ids(&app.get_json(&hal_token, &on("2026-03-04")).await),
        meeting
    );
    assert!(ids(&app.get_json(&hal_token, &on("2026-03-05")).await).is_empty());
    let meetings = app
        .get_json(&hal_token, "/api/v1/activities?type=meeting")
        .await;
    assert_eq!(ids(&meetings), vec![later["id"].as_i64().unwrap()]);
    assert_invalid(
        &get(&app, &hal_token, "/api/v1/activities?from=March").await,
        "from",
    );
    assert_invalid(
        &get(&app, &hal_token, "/api/v1/activities?type=juggling").await,
        "type",
    );
    assert_invalid(
        &get(
            &app,
            &hal_token,
            "/api/v1/activities?from=2026-03-05&to=2026-03-01",
        )
        .await,
        "to",
    );
    assert_eq!(
        get(&app, &hal_token, &format!("/api/v1/activities?user={hana}"))
            .await
            .0,
        403
    );
    let hanas = app.get_json(&hana_token, "/api/v1/activities").await;
    assert_eq!(ids(&hanas), vec![for_hana["id"].as_i64().unwrap()]);
    let all = app.get_json(&manager, "/api/v1/activities").await;
    assert_eq!(ids(&all).len(), 4);

    // A type the owner takes out of the charter cannot be logged any more.
    let response = app
        .client
        .put(app.url("/api/v1/charter"))
        .bearer_auth(&app.owner)
        .json(&json!({"note": "Calls only", "activity_types": [
            {"slug": "meeting", "name": "Meetings", "function": "hunting", "expectation": "weekly"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let detail = assert_invalid(
        &bad(json!({"type": "call", "contact_id": contact})).await,
        "type",
    );
    assert!(detail.contains("version 2"), "{detail}");
    created(
        &app,
        &hal_token,
        "/api/v1/activities",
        json!({"type": "meeting", "contact_id": contact}),
    )
    .await;
}

/// PUTs a charter as `token`.
async fn put_charter(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::PUT, token, "/api/v1/charter", Some(body)).await
}

#[tokio::test]
async fn a_hunter_is_refused_the_charter_change_and_each_change_is_a_version() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let first = app.get_json(&hunter, "/api/v1/charter").await;
    assert_eq!(first["version"], 1);
    let defaults = first["activity_types"].as_array().unwrap().len();
    assert_eq!(
        defaults,
        baton_core::charter::default_activity_types().len()
    );
    let cold_call = first["activity_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "cold_call")
        .unwrap();
    assert_eq!(cold_call["function"], "hunting");
    assert!(cold_call["expectation"].is_string());

    let charter = json!({"note": "Networking moves to marketing", "activity_types": [
        {"slug": "networking", "name": "Networking", "function": "marketing", "expectation": "two events a month"},
        {"slug": "cold_call", "name": "Cold calling", "function": "hunting", "expectation": "per call sheet"}
    ]});
    let (status, refused) = put_charter(&app, &hunter, charter.clone()).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("a hunter cannot change the charter")
    );
    assert_eq!(put_charter(&app, &manager, charter.clone()).await.0, 403);

    let type_of = |slug: &str, function: &str| json!({"slug": slug, "name": "N", "function": function, "expectation": "E"});
    for (types, name) in [
        (
            vec![type_of("call", "hunting"), type_of("call", "farming")],
            "activity_types[1].slug",
        ),
        (
            vec![type_of("Cold Call", "hunting")],
            "activity_types[0].slug",
        ),
        (vec![type_of("call", "sales")], "activity_types[0].function"),
        (vec![], "activity_types"),
        (
            vec![json!({"slug": "call", "name": " ", "function": "hunting", "expectation": "E"})],
            "activity_types[0].name",
        ),
        (
            vec![json!({"slug": "call", "name": "N", "function": "hunting", "expectation": ""})],
            "activity_types[0].expectation",
        ),
    ] {
        assert_invalid(
            &put_charter(
                &app,
                &app.owner,
                json!({"note": "n", "activity_types": types}),
            )
            .await,
            name,
        );
    }
    assert_invalid(
        &put_charter(
            &app,
            &app.owner,
            json!({"note": " ", "activity_types": [type_of("call", "hunting")]}),
        )
        .await,
        "note",
    );

    let mut based_on_first = charter.clone();
    based_on_first["based_on"] = json!(1);
    let (status, second) = put_charter(&app, &app.owner, based_on_first.clone()).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["version"], 2);
    // The same change made from version 1 again would undo version 2 unseen.
    let (status, stale) = put_charter(&app, &app.owner, based_on_first).await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["invalid-params"][0]["name"], "based_on", "{stale}");
    let mut based_on_none = charter.clone();
    based_on_none["based_on"] = json!(99);
    assert_invalid(
        &put_charter(&app, &app.owner, based_on_none).await,
        "based_on",
    );
    assert_eq!(second["note"], "Networking moves to marketing");
    assert_eq!(second["activity_types"][0]["function"], "marketing");
    assert_eq!(app.get_json(&hunter, "/api/v1/charter").await, second);
    let versions = app.get_json(&hunter, "/api/v1/charter/versions").await;
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    assert!(versions["items"][1]["created_by"].is_null());
    assert!(versions["items"][0]["created_by"].is_i64());
    assert_eq!(
        app.get_json(&hunter, "/api/v1/charter/versions/1").await,
        first,
        "an old version never changes"
    );
    assert_eq!(
        get(&app, &hunter, "/api/v1/charter/versions/9").await.0,
        404
    );
}

/// A revenue forecast body for this quarter.
fn revenue(amounts: &[&str]) -> Value {
    let lines: Vec<Value> = amounts
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            json!({"description": format!("Deal {i}"), "category": "commit", "amount": amount})
        })
        .collect();
    json!({"kind": "revenue", "quarter": this_quarter(), "lines": lines})
}

#[tokio::test]
async fn an_account_line_counts_the_forecasters_own_deals_unless_they_manage() {
    let app = TestApp::new().await;
    let (_, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let initech = created(
        &app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": "Initech", "domain": "initech.test"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let deal = created(
        &app,
        &hana,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "9000", "account_id": initech}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (status, won) = patch(
        &app,
        &hana,
        &format!("/api/v1/opportunities/{deal}"),
        json!({"stage": "won"}),
    )
    .await;
    assert_eq!(status, 200, "{won}");

    let line = json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
        {"description": "Initech", "amount": "5000", "category": "commit", "account_id": initech}]});
    let actual = |token: &str| {
        let (app, token, line) = (&app, token.to_string(), line.clone());
        async move {
            let forecast = created(app, &token, "/api/v1/forecasts", line).await;
            let lines = app
                .get_json(
                    &token,
                    &format!("/api/v1/forecasts/{}/actuals", forecast["id"]),
                )
                .await;
            lines[0]["revenue"]["actual"].clone()
        }
    };
    assert_eq!(
        actual(&hal).await,
        0,
        "Hana's win is not Hal's to see or count"
    );
    assert_eq!(actual(&hana).await, 900_000);
    assert_eq!(
        actual(&manager).await,
        900_000,
        "a manager forecasts for the team"
    );
    // A line naming a deal counts that deal, whoever won it in the end.
    let handed = created(
        &app,
        &hal,
        "/api/v1/opportunities",
        json!({"name": "Initech pilot", "amount": "700", "account_id": initech}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let deal_line = json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
        {"description": "Pilot", "amount": "700", "category": "commit", "opportunity_id": handed}]});
    let forecast = created(&app, &hal, "/api/v1/forecasts", deal_line).await;
    let hana_id = app.db.user_by_email("hana@acme.test").await.unwrap().id;
    sqlx::query(
        "UPDATE opportunities SET owner_id = $1, stage = 'won', closed_on = $2 WHERE id = $3",
    )
    .bind(hana_id)
    .bind(app.db.today().await.unwrap().to_string())
    .bind(handed)
    .execute(app.db.writer())
    .await
    .unwrap();
    let lines = app
        .get_json(
            &hal,
            &format!("/api/v1/forecasts/{}/actuals", forecast["id"]),
        )
        .await;
    assert_eq!(lines[0]["revenue"]["actual"], 70_000);
}

#[tokio::test]
async fn each_forecast_submission_is_a_new_version_and_old_ones_never_change() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;

    let first = created(
        &app,
        &hal_token,
        "/api/v1/forecasts",
        revenue(&["10000", "2500.50"]),
    )
    .await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["user_id"], hal);
    assert_eq!(first["submitted_by"], hal);
    assert_eq!(first["quarter"], this_quarter());
    assert_eq!(first["totals"]["amounts"][0]["amount_minor"], 1_250_050);
    assert_eq!(first["totals"]["amounts"][0]["amount"], "12500.50");
    assert_eq!(first["lines"].as_array().unwrap().len(), 2);

    let mut long_note = revenue(&["8000"]);
    long_note["note"] = json!("n".repeat(20_001));
    assert_invalid(
        &post(&app, &hal_token, "/api/v1/forecasts", long_note).await,
        "note",
    );
    let second = created(&app, &hal_token, "/api/v1/forecasts", revenue(&["8000"])).await;
    assert_eq!(second["version"], 2, "the refused one took no version");
    assert_ne!(second["id"], first["id"]);
    let again = app
        .get_json(&hal_token, &format!("/api/v1/forecasts/{}", first["id"]))
        .await;
    assert_eq!(again, first, "version 1 is returned unchanged");
    let other_quarter = created(
        &app,
        &hal_token,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": next_quarter(), "lines": [
            {"description": "Renewal", "amount": "100", "currency": "EUR", "category": "commit"},
            {"description": "Upsell", "amount": "50", "currency": "USD", "category": "pipeline"}
        ]}),
    )
    .await;
    assert_eq!(other_quarter["version"], 1, "versions count per quarter");
    assert_eq!(
        other_quarter["totals"]["amounts"].as_array().unwrap().len(),
        2,
        "one total per currency"
    );

    let q3 = app
        .get_json(
            &hal_token,
            &format!("/api/v1/forecasts?quarter={}&kind=revenue", this_quarter()),
        )
        .await;
    let versions: Vec<i64> = q3["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 1], "newest first");
    assert_eq!(q3["items"][1], first);
    let page = app
        .get_json(&hal_token, "/api/v1/forecasts?user=me&limit=2")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let rest = app
        .get_json(
            &hal_token,
            &format!(
                "/api/v1/forecasts?user=me&limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(ids(&rest), vec![first["id"].as_i64().unwrap()]);
    let (forecasts, lines) = (
        app.count("forecasts").await,
        app.count("forecast_lines").await,
    );
    assert_eq!((forecasts, lines), (3, 5), "rows are only ever added");

    let leads = created(
        &app,
        &marketer,
        "/api/v1/forecasts",
        json!({"kind": "leads", "quarter": this_quarter(), "note": "webinar season", "lines": [
            {"description": "Webinars", "channel": "webinar", "leads": 120, "mqls": 40, "amount": "60000"}
        ]}),
    )
    .await;
    assert_eq!(leads["totals"]["leads"], 120);
    assert_eq!(leads["totals"]["mqls"], 40);
    assert_eq!(leads["note"], "webinar season");

    assert_eq!(
        get(&app, &hana, &format!("/api/v1/forecasts/{}", first["id"]))
            .await
            .0,
        403
    );
    assert_eq!(
        get(&app, &hana, &format!("/api/v1/forecasts?user={hal}"))
            .await
            .0,
        403
    );
    assert!(ids(&app.get_json(&hana, "/api/v1/forecasts").await).is_empty());
    assert_eq!(
        post(&app, &marketer, "/api/v1/forecasts", revenue(&["1"]))
            .await
            .0,
        403,
        "marketers forecast leads, not revenue"
    );
    let hunter_leads = post(
        &app,
        &hana,
        "/api/v1/forecasts",
        json!({"kind": "leads", "quarter": this_quarter(), "lines": [{"description": "x", "amount": 1}]}),
    )
    .await;
    assert_eq!(hunter_leads.0, 403);

    let bad = |body: Value| {
        let app = &app;
        let token = &hal_token;
        async move { post(app, token, "/api/v1/forecasts", body).await }
    };
    let detail = assert_invalid(
        &bad(json!({"kind": "revenue", "quarter": "2026-Q5", "lines": []})).await,
        "quarter",
    );
    assert!(detail.contains("1 to 4"), "{detail}");
    assert_invalid(
        &bad(json!({"kind": "revenue", "quarter": "Q3 2026", "lines": []})).await,
        "quarter",
    );
    let detail = assert_invalid(
        &bad(json!({"kind": "revenue", "quarter": "2020-Q1", "lines": []})).await,
        "quarter",
    );
    assert!(detail.contains("2020-Q1 has ended"), "{detail}");
    let detail = assert_invalid(
        &bad(json!({"kind": "revenue", "quarter": "2199-Q1", "lines": []})).await,
        "quarter",
    );
    assert!(detail.contains("more than two years ahead"), "{detail}");
    assert_invalid(
        &bad(json!({"kind": "smoke", "quarter": this_quarter(), "lines": []})).await,
        "kind",
    );
    assert_invalid(
        &bad(json!({"kind": "revenue", "quarter": this_quarter(), "lines": []})).await,
        "lines",
    );
    assert_invalid(&bad(revenue(&["1", "12.345"])).await, "lines[1].amount");
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "category": "omitted"}]}),
        )
        .await,
        "lines[0].category",
    );
    let detail = assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "category": "commit"},
            {"description": "y", "amount": 2}]}),
        )
        .await,
        "lines[1].category",
    );
    assert!(detail.contains("commit, best_case or pipeline"), "{detail}");
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "category": "commit", "leads": 5}]}),
        )
        .await,
        "lines[0].leads",
    );
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": " ", "amount": 1}]}),
        )
        .await,
        "lines[0].description",
    );
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "category": "commit", "opportunity_id": 999}]}),
        )
        .await,
        "lines[0].opportunity_id",
    );
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "currency": "dollars"}]}),
        )
        .await,
        "lines[0].currency",
    );
    assert_invalid(
        &post(
            &app,
            &marketer,
            "/api/v1/forecasts",
            json!({"kind": "leads", "quarter": this_quarter(), "lines": [
                {"description": "x", "amount": 1, "leads": 5, "mqls": 9}]}),
        )
        .await,
        "lines[0].mqls",
    );
    // Each kind names only what it can be judged against.
    assert_invalid(
        &bad(
            json!({"kind": "revenue", "quarter": this_quarter(), "lines": [
            {"description": "x", "amount": 1, "category": "commit", "channel": "webinar"}]}),
        )
        .await,
        "lines[0].channel",
    );
    let lead_line = |line: Value| {
        post(
            &app,
            &marketer,
            "/api/v1/forecasts",
            json!({"kind": "leads", "quarter": this_quarter(), "lines": [line]}),
        )
    };
    let detail = assert_invalid(
        &lead_line(json!({"description": "x", "amount": 1, "leads": 3})).await,
        "lines[0].channel",
    );
    assert!(
        detail.contains("name the campaign or the channel"),
        "{detail}"
    );
    let account_id = account(&app, "Initech", "initech.test").await;
    assert_invalid(
        &lead_line(
            json!({"description": "x", "amount": 1, "leads": 3, "channel": "webinar",
                          "account_id": account_id}),
        )
        .await,
        "lines[0].account_id",
    );
    assert_eq!(
        app.count("forecasts").await,
        4,
        "refused submissions store nothing"
    );
}

#[tokio::test]
async fn managers_submit_forecasts_for_their_team_and_owners_organise_people() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    let (max, manager) = app.user("max@acme.test", Role::Manager).await;
    let (mia, _) = app.user("mia@acme.test", Role::Marketer).await;
    let owner_id = app.db.user_by_email("owner@acme.test").await.unwrap().id;

    let team = created(
        &app,
        &manager,
        "/api/v1/teams",
        json!({"name": "West hunters", "function": "hunting"}),
    )
    .await;
    assert_eq!(team["function"], "hunting");
    let team_id = team["id"].as_i64().unwrap();
    let duplicate = post(
        &app,
        &manager,
        "/api/v1/teams",
        json!({"name": "west HUNTERS", "function": "hunting"}),
    )
    .await;
    assert_eq!(duplicate.0, 409);
    assert_eq!(field(&duplicate.1), "name");
    assert_invalid(
        &post(
            &app,
            &manager,
            "/api/v1/teams",
            json!({"name": "X", "function": "sales"}),
        )
        .await,
        "function",
    );
    assert_eq!(
        post(
            &app,
            &hal_token,
            "/api/v1/teams",
            json!({"name": "Mine", "function": "hunting"})
        )
        .await
        .0,
        403
    );
    let teams = app.get_json(&hal_token, "/api/v1/teams").await;
    assert_eq!(teams["items"][0]["name"], "West hunters");

    // Renamed, and removed once nobody is in it.
    let spare = created(
        &app,
        &manager,
        "/api/v1/teams",
        json!({"name": "Spare", "function": "farming"}),
    )
    .await;
    let spare_path = format!("/api/v1/teams/{}", spare["id"]);
    let (status, renamed) = patch(
        &app,
        &manager,
        &spare_path,
        json!({"name": "Farmers North"}),
    )
    .await;
    assert_eq!((status, &renamed["name"]), (200, &json!("Farmers North")));
    let taken = patch(&app, &manager, &spare_path, json!({"name": "WEST hunters"})).await;
    assert_eq!((taken.0, field(&taken.1)), (409, "name"));
    assert_eq!(
        patch(&app, &hal_token, &spare_path, json!({"name": "Mine"}))
            .await
            .0,
        403
    );
    let gone = format!("/api/v1/teams/{team_id}");
    assert_eq!(app.delete(&manager, &spare_path).await.status(), 204);
    assert_eq!(app.delete(&manager, &spare_path).await.status(), 404);
    assert_eq!(app.delete(&hal_token, &gone).await.status(), 403);

    let (status, hal_user) = patch(
        &app,
        &app.owner,
        &format!("/api/v1/users/{hal}"),
        json!({"team_id": team_id}),
    )
    .await;
    assert_eq!(status, 200, "{hal_user}");
    assert_eq!(hal_user["team_id"], team_id);
    let (_, max_user) = patch(
        &app,
        &app.owner,
        &format!("/api/v1/users/{max}"),
        json!({"team_id": team_id}),
    )
    .await;
    assert_eq!(max_user["team_id"], team_id);
    let (_, mia_user) = patch(
        &app,
        &app.owner,
        &format!("/api/v1/users/{mia}"),
        json!({"manager_id": max}),
    )
    .await;
    assert_eq!(mia_user["manager_id"], max);
    // The audit log names what changed, with its new value; a change to
    // nothing is no change.
    let audited = |who: i64| {
        let db = app.db.clone();
        async move {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT detail FROM audit_log WHERE action = 'user.updated' AND entity_id = $1 ORDER BY id",
            )
            .bind(who)
            .fetch_all(db.reader())
            .await
            .unwrap();
            rows.into_iter()
                .map(|(details,)| serde_json::from_str::<Value>(&details).unwrap())
                .collect::<Vec<Value>>()
        }
    };
    assert_eq!(audited(mia).await, vec![json!({"manager_id": max})]);
    let (status, _) = patch(&app, &app.owner, &format!("/api/v1/users/{mia}"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        audited(mia).await.len(),
        1,
        "nothing changed, nothing audited"
    );
    // A team people are in stays until they are moved.
    let kept = app
        .delete(&manager, &format!("/api/v1/teams/{team_id}"))
        .await;
    assert_eq!(kept.status(), 409);
    let kept: Value = kept.json().await.unwrap();
    assert!(
        kept["detail"]
            .as_str()
            .unwrap()
            .contains("still has 2 people"),
        "{kept}"
    );
    // Read back one by one, and in the list, with the manager.
    let one = app
        .get_json(&manager, &format!("/api/v1/users/{mia}"))
        .await;
    assert_eq!(
        (one["id"].as_i64(), &one["manager_id"]),
        (Some(mia), &json!(max))
    );
    let listed = app.get_json(&manager, "/api/v1/users").await;
    let mia_listed = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == mia)
        .unwrap();
    assert_eq!(mia_listed["manager_id"], max);
    assert_eq!(
        app.get_json(&hal_token, &format!("/api/v1/users/{hal}"))
            .await["id"],
        hal,
        "anyone reads themselves"
    );
    let refused = app.get(&hal_token, &format!("/api/v1/users/{mia}")).await;
    assert_eq!(refused.status(), 403, "but not others");

    let for_hal = created(
        &app,
        &manager,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": this_quarter(), "user_id": hal,
               "lines": [{"description": "Initech", "amount": "30000", "category": "commit"}]}),
    )
    .await;
    assert_eq!(for_hal["user_id"], hal);
    assert_eq!(for_hal["submitted_by"], max);
    let (gone, _) = app.user("gus@acme.test", Role::Hunter).await;
    app.deactivate(gone).await;
    assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/forecasts",
            json!({"kind": "revenue", "quarter": this_quarter(), "user_id": gone,
                   "lines": [{"description": "x", "amount": "1", "category": "commit"}]}),
        )
        .await,
        "user_id",
    );
    let hals = app.get_json(&hal_token, "/api/v1/forecasts?user=me").await;
    assert_eq!(ids(&hals), vec![for_hal["id"].as_i64().unwrap()]);
    created(
        &app,
        &manager,
        "/api/v1/forecasts",
        json!({"kind": "leads", "quarter": this_quarter(), "user_id": mia,
               "lines": [{"description": "Webinars", "amount": "1000", "leads": 10,
                          "channel": "webinar"}]}),
    )
    .await;
    let not_team = post(
        &app,
        &manager,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": this_quarter(), "user_id": hana,
               "lines": [{"description": "x", "amount": "1", "category": "commit"}]}),
    )
    .await;
    assert_eq!(not_team.0, 403, "{}", not_team.1);
    assert_invalid(
        &post(
            &app,
            &manager,
            "/api/v1/forecasts",
            json!({"kind": "revenue", "quarter": this_quarter(), "user_id": mia,
                   "lines": [{"description": "x", "amount": "1", "category": "commit"}]}),
        )
        .await,
        "user_id",
    );
    let by_owner = created(
        &app,
        &app.owner,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": this_quarter(), "user_id": hana,
               "lines": [{"description": "x", "amount": "1", "category": "commit"}]}),
    )
    .await;
    assert_eq!(by_owner["user_id"], hana);
    let for_other = post(
        &app,
        &hal_token,
        "/api/v1/forecasts",
        json!({"kind": "revenue", "quarter": this_quarter(), "user_id": hana,
               "lines": [{"description": "x", "amount": "1", "category": "commit"}]}),
    )
    .await;
    assert_eq!(for_other.0, 403);

    let users = |id: i64| format!("/api/v1/users/{id}");
    assert_eq!(
        patch(&app, &manager, &users(hal), json!({"role": "farmer"}))
            .await
            .0,
        403,
        "only owners change people"
    );
    assert_invalid(
        &patch(&app, &app.owner, &users(owner_id), json!({"active": false})).await,
        "active",
    );
    assert_invalid(
        &patch(
            &app,
            &app.owner,
            &users(owner_id),
            json!({"role": "manager"}),
        )
        .await,
        "role",
    );
    assert_invalid(
        &patch(&app, &app.owner, &users(hal), json!({"team_id": 999})).await,
        "team_id",
    );
    assert_invalid(
        &patch(&app, &app.owner, &users(hal), json!({"manager_id": hal})).await,
        "manager_id",
    );
    // Max manages Mia (above); Mia may not then manage Max.
    assert_invalid(
        &patch(&app, &app.owner, &users(max), json!({"manager_id": mia})).await,
        "manager_id",
    );
    assert_invalid(
        &patch(&app, &app.owner, &users(hal), json!({"role": "wizard"})).await,
        "role",
    );
    let (_, farmer) = patch(
        &app,
        &app.owner,
        &users(hal),
        json!({"role": "farmer", "team_id": null}),
    )
    .await;
    assert_eq!(farmer["role"], "farmer");
    assert!(farmer["team_id"].is_null());
    let (status, inactive) = patch(&app, &app.owner, &users(hal), json!({"active": false})).await;
    assert_eq!(status, 200, "{inactive}");
    assert_eq!(inactive["active"], false);
    assert_eq!(
        get(&app, &hal_token, "/api/v1/me").await.0,
        401,
        "a deactivated person's token stops working"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_entity_endpoints() {
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
    for (path, method) in [
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{id}", "patch"),
        ("/api/v1/leads", "get"),
        ("/api/v1/leads/{id}/stage", "post"),
        ("/api/v1/campaigns", "post"),
        ("/api/v1/opportunities/{id}", "patch"),
        ("/api/v1/activities", "post"),
        ("/api/v1/forecasts", "post"),
        ("/api/v1/forecasts/{id}", "get"),
        ("/api/v1/charter", "put"),
        ("/api/v1/charter/versions/{version}", "get"),
        ("/api/v1/teams", "post"),
        ("/api/v1/users/{id}", "patch"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["Decimal"]["oneOf"].is_array(),
        "{}",
        schemas["Decimal"]
    );
    assert!(schemas["Forecast"].is_object());
    // A field left out keeps its value and one sent as null is refused, so
    // the document does not offer null; one that null clears does.
    let patch = &schemas["OpportunityPatch"]["properties"];
    for field in [
        "stage",
        "amount",
        "probability",
        "forecast_category",
        "close_reason",
    ] {
        assert!(
            !patch[field].to_string().contains("null"),
            "{field}: {}",
            patch[field]
        );
    }
    assert!(
        patch["expected_close"].to_string().contains("null"),
        "{}",
        patch["expected_close"]
    );
    // A report's period is required, as its answer without one says.
    let params = doc["paths"]["/api/v1/reports/funnel"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["from", "to"] {
        let param = params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(param["required"], true, "{param}");
    }
}

#[tokio::test]
async fn a_lead_becomes_one_deal_even_when_asked_twenty_times_at_once() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    let body = json!({"name": "Initech seats", "amount": "100", "lead_id": lead});
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app
            .client
            .post(app.url("/api/v1/opportunities"))
            .bearer_auth(&hal_token)
            .json(&body);
        sends.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = sends.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 409)),
        "{statuses:?}"
    );
    let again = app.post(&hal_token, "/api/v1/opportunities", &body).await;
    assert_conflict_naming(again, "lead_id").await;
    assert_eq!(app.count("opportunities").await, 1);
}

async fn assert_conflict_naming(response: reqwest::Response, field: &str) {
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("already became deal"),
        "{problem}"
    );
}

#[tokio::test]
async fn account_text_domains_and_headcounts_have_limits() {
    let app = TestApp::new().await;
    let long_label = format!("{}.test", "a".repeat(64));
    let long_name = format!("{}.test", ["abcdefghij"; 25].join("."));
    let many: Vec<String> = (0..101).map(|n| format!("d{n}.test")).collect();
    for (body, field) in [
        (
            json!({"name": "Initech", "industry": "i".repeat(301)}),
            "industry",
        ),
        (
            json!({"name": "Initech", "employees": i64::MAX}),
            "employees",
        ),
        (json!({"name": "Initech", "domain": long_label}), "domain"),
        (json!({"name": "Initech", "domain": long_name}), "domain"),
        (json!({"name": "Initech", "domains": many}), "domains"),
    ] {
        assert_invalid(
            &post(&app, &app.owner, "/api/v1/accounts", body).await,
            field,
        );
    }
    assert_eq!(app.count("accounts").await, 0);
    let (status, blank) = post(
        &app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": "Initech", "industry": "  "}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(blank["industry"], Value::Null, "blank industry is none");
}

#[tokio::test]
async fn a_change_to_nothing_writes_nothing() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let contact = created(
        &app,
        &hal_token,
        "/api/v1/contacts",
        json!({"name": "Bill Lumbergh", "email": "bill@initech.test", "title": "VP"}),
    )
    .await;
    let deal = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Seats", "amount": "500"}),
    )
    .await;
    let audited = || async {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
        count
    };
    let before = audited().await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    for (record, same) in [
        (&contact, json!({"title": "VP"})),
        (&deal, json!({"amount": "500"})),
    ] {
        let path = if record == &contact {
            format!("/api/v1/contacts/{}", record["id"])
        } else {
            format!("/api/v1/opportunities/{}", record["id"])
        };
        for body in [json!({}), same] {
            let (status, after) = patch(&app, &hal_token, &path, body.clone()).await;
            assert_eq!(status, 200, "{after}");
            assert_eq!(after["updated_at"], record["updated_at"], "{path} {body}");
        }
    }
    assert_eq!(audited().await, before, "nothing changed, nothing audited");
    let (status, changed) = patch(
        &app,
        &hal_token,
        &format!("/api/v1/contacts/{}", contact["id"]),
        json!({"title": "CEO"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(changed["updated_at"], contact["updated_at"]);
}

#[tokio::test]
async fn a_manager_hands_a_deal_and_its_lead_to_another_seller() {
    let app = TestApp::new().await;
    let (hal_id, hal) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let (fay_id, _) = app.user("fay@acme.test", Role::Farmer).await;
    let (sue_id, _) = app.user("sue@acme.test", Role::Service).await;
    let (gus_id, _) = app.user("gus@acme.test", Role::Hunter).await;
    app.deactivate(gus_id).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let sent = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = sent["lead_id"].as_i64().unwrap();
    let deal = created(
        &app,
        &hal,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "1000", "lead_id": lead}),
    )
    .await;
    let path = format!("/api/v1/opportunities/{}", deal["id"]);
    assert_eq!(deal["owner_id"], hal_id);

    assert_eq!(
        patch(&app, &hal, &path, json!({"owner_id": fay_id}))
            .await
            .0,
        403
    );
    for refused in [sue_id, gus_id, 999_999] {
        let (status, problem) = patch(&app, &manager, &path, json!({"owner_id": refused})).await;
        assert_eq!(status, 422, "{refused}: {problem}");
        assert_eq!(field(&problem), "owner_id");
    }
    let (status, handed) = patch(&app, &manager, &path, json!({"owner_id": fay_id})).await;
    assert_eq!(
        (status, &handed["owner_id"]),
        (200, &json!(fay_id)),
        "{handed}"
    );
    let lead_now = app
        .get_json(&manager, &format!("/api/v1/leads/{lead}"))
        .await;
    assert_eq!(lead_now["owner_id"], fay_id, "the lead goes with its deal");
    assert_eq!(
        app.get(&hal, &path).await.status(),
        403,
        "no longer Hal's to see"
    );
}

#[tokio::test]
async fn changes_to_one_deal_sent_at_once_each_land() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let deal = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Race", "amount": "500"}),
    )
    .await;
    let path = format!("/api/v1/opportunities/{}", deal["id"]);
    let untouched = deal["probability"].as_i64().unwrap();
    let mut sends = tokio::task::JoinSet::new();
    for i in 1..=6 {
        for body in [
            json!({"amount": format!("{i}000")}),
            json!({"probability": 20 + i}),
        ] {
            let request = app
                .client
                .patch(app.url(&path))
                .bearer_auth(&hal_token)
                .json(&body);
            sends.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
    }
    let statuses = sends.join_all().await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let after = app.get_json(&hal_token, &path).await;
    let probability = after["probability"].as_i64().unwrap();
    assert!(
        probability != untouched && (21..=26).contains(&probability),
        "a probability change acknowledged was lost: {after}"
    );
    assert_ne!(
        after["amount_minor"], deal["amount_minor"],
        "an amount change acknowledged was lost: {after}"
    );

    // A change racing the deal's close lands before it or is refused.
    let (new_amount, close) = (json!({"amount": "9999"}), json!({"stage": "won"}));
    let (amount, won) = tokio::join!(
        app.patch(&hal_token, &path, &new_amount),
        app.patch(&hal_token, &path, &close),
    );
    assert_eq!(won.status(), 200);
    let closed = app.get_json(&hal_token, &path).await;
    assert_eq!(closed["stage"], "won");
    match amount.status().as_u16() {
        200 => assert_eq!(closed["amount"], "9999.00", "{closed}"),
        409 => assert_ne!(closed["amount"], "9999.00", "{closed}"),
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn changes_to_one_contact_sent_at_once_each_land() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let contact = created(
        &app,
        &hunter,
        "/api/v1/contacts",
        json!({"name": "Bill", "email": "bill@initech.test"}),
    )
    .await;
    let path = format!("/api/v1/contacts/{}", contact["id"]);
    for round in 0..5 {
        let name = json!({"name": format!("Bill {round}")});
        let title = json!({"title": format!("VP {round}")});
        let (named, titled) = tokio::join!(
            app.patch(&hunter, &path, &name),
            app.patch(&hunter, &path, &title),
        );
        assert_eq!(
            (named.status().as_u16(), titled.status().as_u16()),
            (200, 200)
        );
        let after = app.get_json(&hunter, &path).await;
        assert_eq!(after["name"], format!("Bill {round}"), "{after}");
        assert_eq!(after["title"], format!("VP {round}"), "{after}");
    }
}

#[tokio::test]
async fn a_lead_in_an_open_deal_stays_an_opportunity_until_the_deal_closes() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    let deal = created(
        &app,
        &hal_token,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "100", "lead_id": lead}),
    )
    .await;
    let stage = format!("/api/v1/leads/{lead}/stage");
    for to in ["disqualified", "nurture", "sql"] {
        let (status, problem) = post(
            &app,
            &app.owner,
            &stage,
            json!({"stage": to, "reason": "tidying"}),
        )
        .await;
        assert_eq!(status, 409, "{to}: {problem}");
        assert_eq!(field(&problem), "stage");
        assert!(
            problem["detail"].as_str().unwrap().contains("still open"),
            "{problem}"
        );
    }
    assert_eq!(
        app.get_json(&hal_token, &format!("/api/v1/leads/{lead}"))
            .await["stage"],
        "opportunity"
    );

    // Once the deal is lost, the lead may go back to marketing.
    let lost = app
        .patch(
            &hal_token,
            &format!("/api/v1/opportunities/{}", deal["id"]),
            &json!({"stage": "lost", "close_reason": "no budget"}),
        )
        .await;
    assert_eq!(lost.status(), 200);
    // It leaves the funnel with the deal's reason, not an opportunity for good.
    let leaves = app
        .get_json(&hal_token, &format!("/api/v1/leads/{lead}"))
        .await;
    assert_eq!(leaves["stage"], "disqualified", "{leaves}");
    assert_eq!(
        leaves["stage_history"].as_array().unwrap().last().unwrap()["reason"],
        format!("opportunity {} lost: no budget", deal["id"])
    );
    let (status, moved) = post(
        &app,
        &app.owner,
        &stage,
        json!({"stage": "nurture", "reason": "try again next year"}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["stage"], "nurture");
}

#[tokio::test]
async fn deals_accounts_and_meetings_go_to_active_people_and_a_deals_contact_is_at_its_account() {
    let app = TestApp::new().await;
    let (gone, _) = app.user("gus@acme.test", Role::Hunter).await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.deactivate(gone).await;
    let initech = account(&app, "Initech", "initech.test").await;
    let hooli = account(&app, "Hooli", "hooli.test").await;
    let bill = created(
        &app,
        &app.owner,
        "/api/v1/contacts",
        json!({"name": "Bill", "email": "bill@initech.test", "account_id": initech,
               "decision_maker": true}),
    )
    .await;
    let before = app.count("opportunities").await;
    let detail = assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/opportunities",
            json!({"name": "x", "amount": "1", "owner_id": gone}),
        )
        .await,
        "owner_id",
    );
    assert!(detail.contains("deactivated"), "{detail}");
    let detail = assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/opportunities",
            json!({"name": "x", "amount": "1", "account_id": hooli, "contact_id": bill["id"]}),
        )
        .await,
        "contact_id",
    );
    assert!(detail.contains(&format!("account {initech}")), "{detail}");
    assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/opportunities",
            json!({"name": "x", "amount": "1", "product": "p".repeat(301)}),
        )
        .await,
        "product",
    );
    assert_eq!(app.count("opportunities").await, before, "nothing stored");
    created(
        &app,
        &app.owner,
        "/api/v1/opportunities",
        json!({"name": "x", "amount": "1", "account_id": initech, "contact_id": bill["id"]}),
    )
    .await;

    assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/accounts",
            json!({"name": "Umbrella", "owner_id": gone}),
        )
        .await,
        "owner_id",
    );
    assert_invalid(
        &post(
            &app,
            &app.owner,
            "/api/v1/appointments",
            json!({"contact_id": bill["id"], "starts_at": "2030-03-04T15:00:00Z", "owner_id": gone}),
        )
        .await,
        "owner_id",
    );
    assert_invalid(
        &patch(
            &app,
            &app.owner,
            &format!("/api/v1/users/{hal}"),
            json!({"manager_id": gone}),
        )
        .await,
        "manager_id",
    );
}

#[tokio::test]
async fn changes_to_one_person_at_once_never_undo_each_other() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    let mut teams = Vec::new();
    for name in ["East", "West"] {
        let team = created(
            &app,
            &app.owner,
            "/api/v1/teams",
            json!({"name": name, "function": "hunting"}),
        )
        .await;
        teams.push(team["id"].as_i64().unwrap());
    }
    let path = format!("/api/v1/users/{hal}");
    for round in 0..6 {
        let team = json!({"team_id": teams[round % 2]});
        let role = json!({"role": if round % 2 == 0 { "farmer" } else { "hunter" }});
        let (moved, promoted) = tokio::join!(
            app.patch(&app.owner, &path, &team),
            app.patch(&app.owner, &path, &role),
        );
        let (moved, promoted) = (moved.status().as_u16(), promoted.status().as_u16());
        assert!(
            [moved, promoted].iter().all(|s| matches!(s, 200 | 409)) && moved.min(promoted) == 200,
            "{moved} {promoted}"
        );
        let now = app.db.user(hal).await.unwrap();
        if moved == 200 {
            assert_eq!(now.team_id, team["team_id"].as_i64(), "round {round}");
        }
        if promoted == 200 {
            assert_eq!(now.role.as_str(), role["role"], "round {round}");
        }
    }
}

#[tokio::test]
async fn a_deal_closes_on_the_organisations_day_not_on_utcs() {
    let app = TestApp::new().await;
    // A zone whose day differs from UTC's at this moment, whatever the hour.
    let now = jiff::Timestamp::now();
    let zone = if now.to_zoned(jiff::tz::TimeZone::UTC).hour() >= 12 {
        "Pacific/Kiritimati"
    } else {
        "Etc/GMT+12"
    };
    let local_day = now
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .date()
        .to_string();
    assert_ne!(
        local_day,
        now.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
    );
    let set = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.owner)
        .json(&json!({"time_zone": zone}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let deal = created(
        &app,
        &app.owner,
        "/api/v1/opportunities",
        json!({"name": "Late evening", "amount": "100", "stage": "proposal"}),
    )
    .await;
    assert_eq!(deal["engaged_on"], local_day.as_str());
    let won = app
        .patch(
            &app.owner,
            &format!("/api/v1/opportunities/{}", deal["id"]),
            &json!({"stage": "won"}),
        )
        .await;
    assert_eq!(won.status(), 200);
    let won: Value = won.json().await.unwrap();
    assert_eq!(won["closed_on"], local_day.as_str(), "{won}");
}

#[tokio::test]
async fn an_account_added_over_the_api_is_held_by_whoever_adds_it_if_they_sell() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, mia_token) = app.user("mia@acme.test", Role::Marketer).await;
    let held = created(
        &app,
        &hal_token,
        "/api/v1/accounts",
        json!({"name": "Initech", "tier": "c", "status": "suspect"}),
    )
    .await;
    assert_eq!(held["owner_id"], hal);
    let unheld = created(
        &app,
        &mia_token,
        "/api/v1/accounts",
        json!({"name": "Hooli", "tier": "c", "status": "suspect"}),
    )
    .await;
    assert_eq!(unheld["owner_id"], Value::Null, "a marketer does not sell");
}
