use crate::helpers::{TestApp, api_inquiry, process_as_one_batch, strong_lead};
use baton_core::domain::{Channel, Role};
use baton_core::intake::Staff;
use serde_json::{Value, json};

#[tokio::test]
async fn default_rules_send_each_intent_to_its_tier() {
    let app = TestApp::new().await;
    app.post(
        &app.owner,
        "/api/v1/accounts",
        &json!({"name": "Globex", "domain": "globex.test", "status": "customer", "tier": "a"}),
    )
    .await;
    let cases = [
        (
            json!({"email": "ap@umbrella.test", "message": "Our invoice 1043 was charged twice, please refund"}),
            "operations",
        ),
        (
            json!({"email": "cfo@umbrella.test", "message": "Final notice: your account is past due, outstanding balance"}),
            "operations",
        ),
        (
            json!({"email": "it@umbrella.test", "message": "The export is not working since the update, error 500"}),
            "service",
        ),
        (
            json!({"email": "buyer@umbrella.test", "message": "Attached is our RFP; the submission deadline is Friday"}),
            "hunters",
        ),
        (
            json!({"email": "lee@globex.test", "message": "We would like pricing for 20 more seats"}),
            "farmers",
        ),
        (
            json!({"email": "sam@gmail.com", "message": "Hello, what do you sell?"}),
            "nurture",
        ),
    ];
    let mut receipts = Vec::new();
    for (body, queue) in cases {
        let receipt = app.inquire(body.clone()).await;
        assert_eq!(receipt["queue"], queue, "{body}");
        receipts.push(receipt);
    }
    let customer = app
        .get_json(&app.owner, receipts[4]["href"].as_str().unwrap())
        .await;
    assert_eq!(customer["intent"]["value"], "customer_request");
    assert_eq!(customer["intent"]["reasons"][0]["code"], "matched");

    // A customer's name typed beside a free mailbox is anyone's to type: it
    // makes nobody a customer; beside a company's own domain it matches.
    let posing = app
        .inquire(json!({"email": "joe@gmail.com", "company": "Globex", "message": "Pricing for a demo, please."}))
        .await;
    assert_ne!(posing["queue"], "farmers", "{posing}");
    let shown = app
        .get_json(&app.owner, posing["href"].as_str().unwrap())
        .await;
    assert!(shown["account_id"].is_null(), "{shown}");
    let colleague = app
        .inquire(json!({"email": "kim@globex-eu.test", "company": "Globex", "message": "Pricing for 20 more seats, please."}))
        .await;
    assert_eq!(colleague["queue"], "farmers", "{colleague}");
}

#[tokio::test]
async fn round_robin_balances_members_and_full_members_are_skipped() {
    let app = TestApp::new().await;
    for name in ["ann", "bob", "cat"] {
        app.user(&format!("{name}@acme.test"), Role::Operations)
            .await;
        app.join("operations", &format!("{name}@acme.test")).await;
    }
    let mut counts = std::collections::HashMap::new();
    for i in 0..9 {
        let receipt = app
            .inquire(json!({"email": format!("c{i}@x.test"), "message": "invoice question"}))
            .await;
        *counts
            .entry(receipt["assignee_id"].as_i64().unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|&c| c == 3), "{counts:?}");

    // Cap everyone at their current load: the next item waits, visibly.
    let queue = app.get_json(&app.owner, "/api/v1/queues/operations").await;
    for member in queue["members"].as_array().unwrap() {
        let path = format!("/api/v1/queues/operations/members/{}", member["user_id"]);
        let response = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&app.owner)
            .json(&json!({"capacity": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let receipt = app
        .inquire(json!({"email": "late@x.test", "message": "invoice question"}))
        .await;
    assert!(receipt["assignee_id"].is_null());
    let item = app
        .get_json(
            &app.owner,
            &format!("/api/v1/work-items/{}", receipt["work_item_id"]),
        )
        .await;
    assert_eq!(item["status"], "unassigned");
    assert_eq!(item["history"][0]["action"], "waiting");
    assert!(
        item["history"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("capacity")
    );
}

#[tokio::test]
async fn a_cap_counts_the_work_of_every_queue_even_within_one_batch() {
    let app = TestApp::new().await;
    let (ops, _) = app.user("opal@acme.test", Role::Operations).await;
    for queue in ["operations", "service"] {
        app.join(queue, "opal@acme.test").await;
        let path = format!("/api/v1/queues/{queue}/members/{ops}");
        let response = app.patch(&app.owner, &path, &json!({"capacity": 1})).await;
        assert_eq!(response.status(), 200);
    }
    let raws = [
        api_inquiry("c0@x.test", "Our invoice was charged twice, please refund"),
        api_inquiry(
            "c1@x.test",
            "The export is not working since the update, error 500",
        ),
    ];
    let outcomes = process_as_one_batch(&app, &raws).await;
    let queues: Vec<Option<&str>> = outcomes.iter().map(|o| o.queue.as_deref()).collect();
    assert_eq!(queues, [Some("operations"), Some("service")]);
    let assigned: Vec<Option<i64>> = outcomes.iter().map(|o| o.assignee_id).collect();
    assert_eq!(
        assigned,
        [Some(ops), None],
        "full after the first, whichever queue the second comes through"
    );
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn away_members_are_skipped_and_least_loaded_is_followed() {
    let app = TestApp::new().await;
    let (ann, _) = app.user("ann@acme.test", Role::Service).await;
    let (bob, _) = app.user("bob@acme.test", Role::Service).await;
    app.join("service", "ann@acme.test").await;
    app.join("service", "bob@acme.test").await;
    let patch = |user: i64, body: serde_json::Value| {
        app.client
            .patch(app.url(&format!("/api/v1/queues/service/members/{user}")))
            .bearer_auth(&app.owner)
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(ann, json!({"away": true})).await.unwrap().status(),
        200
    );
    for i in 0..2 {
        let receipt = app
            .inquire(json!({"email": format!("u{i}@x.test"), "message": "the app is not working"}))
            .await;
        assert_eq!(receipt["assignee_id"], bob);
    }
    let bad = patch(ann, json!({"weight": 0})).await.unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn managers_edit_routing_rules_and_new_rules_apply() {
    let app = TestApp::new().await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let rules = json!([
        {"name": "Events go to hunters", "condition": {"sources": ["event"]}, "queue": "hunters"},
        {"name": "Everything else is qualified", "condition": {}, "queue": "qualification"}
    ]);
    let response = app
        .client
        .put(app.url("/api/v1/routing-rules"))
        .bearer_auth(&manager)
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let receipt = app
        .inquire(json!({"email": "a@x.test", "message": "hi", "source": "event"}))
        .await;
    assert_eq!(receipt["queue"], "hunters");
    let receipt = app
        .inquire(json!({"email": "b@x.test", "message": "invoice"}))
        .await;
    assert_eq!(receipt["queue"], "qualification");

    let unknown = json!([{"name": "x", "condition": {}, "queue": "nowhere"}]);
    let response = app
        .client
        .put(app.url("/api/v1/routing-rules"))
        .bearer_auth(&manager)
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    for (bad, field) in [
        (
            json!([{"name": "x", "condition": {}, "queue": "hunters", "bogus": 1}]),
            "[0].bogus",
        ),
        (json!([{"condition": {}, "queue": "hunters"}]), "[0].name"),
    ] {
        let response = app
            .client
            .put(app.url("/api/v1/routing-rules"))
            .bearer_auth(&manager)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
    assert_eq!(
        app.db.routing_rules().await.unwrap().len(),
        2,
        "a bad set changes nothing"
    );
}

#[tokio::test]
async fn a_rule_can_ask_for_a_skill_and_only_skilled_members_get_the_item() {
    let app = TestApp::new().await;
    let (_, _) = app.user("ann@acme.test", Role::Hunter).await;
    let (bob, _) = app.user("bob@acme.test", Role::Hunter).await;
    app.join("hunters", "ann@acme.test").await;
    app.join("hunters", "bob@acme.test").await;
    let response = app
        .patch(
            &app.owner,
            &format!("/api/v1/queues/hunters/members/{bob}"),
            &json!({"skills": ["German"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let rules = json!([
        {"name": "German site to German speakers", "condition": {"sources": ["de-website"]}, "queue": "hunters", "skills": ["german"]},
        {"name": "Everything else is qualified", "condition": {}, "queue": "qualification"}
    ]);
    let response = app
        .client
        .put(app.url("/api/v1/routing-rules"))
        .bearer_auth(&app.owner)
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    for i in 0..3 {
        let receipt = app.inquire(json!({"email": format!("k{i}@firma.test"), "message": "Angebot bitte", "source": "de-website"})).await;
        assert_eq!(receipt["assignee_id"], bob, "only the German speaker");
    }
    let inquiry = app.get_json(&app.owner, "/api/v1/inquiries/1").await;
    assert!(
        inquiry["routing"]["reasons"][0]["text"]
            .as_str()
            .unwrap()
            .contains("knows german"),
        "{inquiry}"
    );
}

#[tokio::test]
async fn a_corrected_intent_moves_the_open_work_item_to_its_new_queue() {
    let app = TestApp::new().await;
    for (email, role, queue) in [
        ("sid@acme.test", Role::Service, "service"),
        ("opal@acme.test", Role::Operations, "operations"),
    ] {
        app.user(email, role).await;
        app.join(queue, email).await;
    }
    let receipt = app
        .inquire(json!({"email": "it@umbrella.test", "message": "The export is not working since the update, error 500"}))
        .await;
    assert_eq!(receipt["queue"], "service");
    let href = receipt["href"].as_str().unwrap();
    let item = receipt["work_item_id"].as_i64().unwrap();
    let correct = |intent: &str| {
        app.client
            .patch(app.url(href))
            .bearer_auth(&app.owner)
            .json(&json!({"intent": intent, "note": "they ask about a charge"}))
            .send()
    };

    let hook = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.com/baton", "events": ["inquiry.routed"]}),
        )
        .await;
    assert_eq!(hook.status(), 201);
    let corrected: serde_json::Value = correct("billing").await.unwrap().json().await.unwrap();
    assert_eq!(corrected["queue"], "operations");
    // The webhook says what it now is, as intake's does, and the audit log
    // what it was.
    let (payload,): (String,) = sqlx::query_as(
        "SELECT payload FROM webhook_deliveries WHERE event = 'inquiry.routed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let routed = if payload.is_array() {
        payload[0].clone()
    } else {
        payload
    };
    let routed = if routed.get("data").is_some() {
        routed["data"].clone()
    } else {
        routed
    };
    assert_eq!(
        (&routed["intent"], &routed["queue"]),
        (&json!("billing"), &json!("operations")),
        "{routed}"
    );
    assert!(
        routed["score"].is_number() && routed["grade"].is_string(),
        "{routed}"
    );
    let (audited,): (String,) = sqlx::query_as(
        "SELECT detail FROM audit_log WHERE action = 'inquiry.intent_corrected' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&audited).unwrap(),
        json!({"intent": "billing", "from": "support"})
    );
    assert_eq!(corrected["work_item_id"], item, "the same item moved");
    assert_eq!(corrected["assignee"]["email"], "opal@acme.test");
    assert_eq!(corrected["routing"]["queue"], "operations");
    let codes: Vec<&str> = corrected["routing"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["intent_corrected", "rule"]);
    // What was decided before the correction is kept, and shown.
    let earlier: Vec<(&str, &str)> = corrected["superseded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        earlier.contains(&("intent", "support")) && earlier.contains(&("route", "service")),
        "{earlier:?}"
    );
    let manager = crate::pages::Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&format!("/inquiries/{}", receipt["id"])).await;
    assert!(
        page.contains("Earlier decisions") && page.contains("intent support"),
        "{page}"
    );
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["status"], "assigned");
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["action"], "rerouted");
    assert!(
        history.last().unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("from service to operations"),
        "{history:?}"
    );

    // Another intent of the same queue leaves the item where it is.
    let again: serde_json::Value = correct("collections").await.unwrap().json().await.unwrap();
    assert_eq!(again["queue"], "operations");
    let (moves, audited): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM assignment_history WHERE action = 'rerouted'),
                (SELECT COUNT(*) FROM audit_log WHERE action = 'work_item.rerouted')",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!((moves, audited), (1, 1));
}

#[tokio::test]
async fn a_lead_moved_by_a_corrected_intent_takes_the_stage_of_its_new_queue() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app
        .inquire(json!({"email": "sam@gmail.com", "message": "Hello, what do you sell?"}))
        .await;
    assert_eq!(receipt["queue"], "nurture");
    let href = receipt["href"].as_str().unwrap();
    let corrected: serde_json::Value = app
        .client
        .patch(app.url(href))
        .bearer_auth(&app.owner)
        .json(&json!({"intent": "rfp", "note": "their tender is attached"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(corrected["queue"], "hunters");
    assert_eq!(corrected["stage"], "mql");
    assert_eq!(corrected["assignee"]["email"], "hal@acme.test");
    let (reason,): (String,) = sqlx::query_as(
        "SELECT reason FROM lead_stage_history WHERE lead_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(corrected["lead_id"].as_i64().unwrap())
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert!(
        reason.starts_with("routed to hunters: intent corrected to rfp"),
        "{reason}"
    );
}

/// Corrects the inquiry at `href` to `intent` as the owner, asserting 200,
/// and returns the inquiry as it is now.
async fn correct(app: &TestApp, href: &str, intent: &str, note: &str) -> Value {
    let response = app
        .patch(&app.owner, href, &json!({"intent": intent, "note": note}))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// The codes of the reasons of the inquiry's routing decision.
fn routing_codes(inquiry: &Value) -> Vec<&str> {
    inquiry["routing"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

/// A support request from a strong contact of a known campaign, and hal
/// among the hunters, where the rules send grade A new business.
async fn support_from_a_strong_contact(app: &TestApp) -> (i64, Value) {
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.user("sid@acme.test", Role::Service).await;
    app.join("service", "sid@acme.test").await;
    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;
    let response = app
        .post(
            &marketer,
            "/api/v1/campaigns",
            &json!({"name": "Trade Fair", "channel": "event"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let mut inquiry = strong_lead("dana@initech.test");
    inquiry["message"] = json!("The export is not working since the update, error 500");
    inquiry["campaign"] = json!("trade fair");
    let receipt = app.inquire(inquiry).await;
    assert_eq!(receipt["queue"], "service");
    assert_eq!(receipt["lead_id"], Value::Null, "service work is no lead");
    (hal, receipt)
}

#[tokio::test]
async fn a_support_inquiry_corrected_to_new_business_enters_the_funnel_as_a_lead() {
    let app = TestApp::new().await;
    let (hal, receipt) = support_from_a_strong_contact(&app).await;
    let href = receipt["href"].as_str().unwrap();
    let item = receipt["work_item_id"].as_i64().unwrap();

    let corrected = correct(&app, href, "new_business", "they want 250 seats").await;
    assert_eq!(corrected["queue"], "hunters");
    assert_eq!(corrected["work_item_id"], item, "the same item moved");
    assert_eq!(corrected["assignee"]["email"], "hal@acme.test");
    assert_eq!(corrected["stage"], "mql");
    assert_eq!(
        routing_codes(&corrected),
        ["intent_corrected", "rule", "lead_created"]
    );
    let lead_id = corrected["lead_id"].as_i64().expect("a lead");

    // Made as intake makes a lead, from what intake knew of the inquiry.
    let lead = app
        .get_json(&app.owner, &format!("/api/v1/leads/{lead_id}"))
        .await;

    assert_eq!(lead["inquiry_id"], corrected["id"]);
    assert_eq!(lead["contact_id"], corrected["contact_id"]);
    assert!(lead["contact_id"].is_i64());
    assert_eq!(lead["account_id"], corrected["account_id"]);
    assert!(lead["campaign_id"].is_i64(), "{lead}");
    assert_eq!(lead["source"], "website");
    assert_eq!(lead["stage"], "mql");
    assert_eq!(lead["intent"], "new_business");
    assert_eq!(lead["score"], corrected["score"]["value"]);
    assert_eq!(
        lead["grade"], corrected["score"]["grade"],
        "one way of writing a grade"
    );
    assert_eq!(lead["owner_id"], hal);
    assert_eq!(lead["queue"], "hunters");
    let history = lead["stage_history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["from_stage"], Value::Null);
    assert_eq!(history[0]["to_stage"], "mql");
    assert!(
        history[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("routed to hunters: intent corrected to new_business by Olive Owner"),
        "{history:?}"
    );

    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["lead_id"], lead_id);
    let hal_token = app.db.create_api_token(None, hal, "tests").await.unwrap();
    let listed = app.get_json(&hal_token, "/api/v1/leads?stage=mql").await;
    let ids: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["id"])
        .collect();
    assert_eq!(ids, [&json!(lead_id)], "in the funnel of its owner");
}

#[tokio::test]
async fn a_lead_corrected_to_billing_is_disqualified_and_its_work_leaves_it() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let (_, opal) = app.user("opal@acme.test", Role::Operations).await;
    app.join("operations", "opal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(receipt["queue"], "hunters");
    let lead_id = receipt["lead_id"].as_i64().unwrap();
    let item = receipt["work_item_id"].as_i64().unwrap();

    let corrected = correct(
        &app,
        receipt["href"].as_str().unwrap(),
        "billing",
        "a question about their invoice",
    )
    .await;
    assert_eq!(corrected["queue"], "operations");
    assert_eq!(corrected["assignee"]["email"], "opal@acme.test");
    assert_eq!(corrected["lead_id"], lead_id, "the inquiry keeps its lead");
    assert_eq!(corrected["stage"], "disqualified");
    assert_eq!(
        routing_codes(&corrected),
        ["intent_corrected", "rule", "lead_left"]
    );

    let lead = app
        .get_json(&app.owner, &format!("/api/v1/leads/{lead_id}"))
        .await;
    assert_eq!(lead["intent"], "billing");
    assert_eq!(lead["owner_id"], hal, "the lead stays with its owner");
    let last = lead["stage_history"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["from_stage"], &last["to_stage"]),
        (&json!("mql"), &json!("disqualified"))
    );
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("routed to operations: intent corrected to billing by Olive Owner"),
        "{last}"
    );
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["lead_id"], Value::Null, "operations work is no lead");
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["assigned", "rerouted"],
        "the work moved on, never done: {detail}"
    );
    let theirs = app.get_json(&opal, "/api/v1/leads").await;
    assert_eq!(theirs["items"], json!([]), "{theirs}");
    let his = app.get_json(&hal_token, "/api/v1/leads").await;
    assert_eq!(his["items"][0]["stage"], "disqualified");

    // Rejecting the operations item no longer sends a lead to nurture.
    let response = app
        .post(
            &opal,
            &format!("/api/v1/work-items/{item}/reject"),
            &json!({"reason": "not ours"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let lead = app
        .get_json(&app.owner, &format!("/api/v1/leads/{lead_id}"))
        .await;
    assert_eq!(lead["stage"], "disqualified");
}

#[tokio::test]
async fn correcting_back_and_forth_keeps_one_lead_with_every_move_in_its_history() {
    let app = TestApp::new().await;
    let (hal, receipt) = support_from_a_strong_contact(&app).await;
    let href = receipt["href"].as_str().unwrap();
    let item = receipt["work_item_id"].as_i64().unwrap();

    // A second hunter, next in turn once Hal has had one.
    let (hugo, _) = app.user("hugo@acme.test", Role::Hunter).await;
    app.join("hunters", "hugo@acme.test").await;
    let first = correct(&app, href, "new_business", "").await;
    let lead_id = first["lead_id"].as_i64().unwrap();
    let holder = first["assignee"]["id"].as_i64().unwrap();
    assert!(holder == hal || holder == hugo, "{first}");
    // Another sales intent of the same queue changes nothing.
    let same = correct(&app, href, "rfp", "").await;
    assert_eq!(
        (&same["queue"], &same["lead_id"]),
        (&json!("hunters"), &json!(lead_id))
    );
    let back = correct(&app, href, "support", "it was the export after all").await;
    assert_eq!(back["queue"], "service");
    assert_eq!(
        (&back["lead_id"], &back["stage"]),
        (&json!(lead_id), &json!("disqualified"))
    );
    let again = correct(&app, href, "new_business", "and now they buy").await;
    assert_eq!(again["queue"], "hunters");
    assert_eq!(again["work_item_id"], item);
    assert_eq!(
        again["assignee"]["id"], holder,
        "back to whoever held it in hunters, not the next in turn: {again}"
    );
    assert_eq!(
        (&again["lead_id"], &again["stage"]),
        (&json!(lead_id), &json!("mql")),
        "the same lead returns"
    );
    assert_eq!(
        routing_codes(&again),
        ["intent_corrected", "rule", "lead_returned"]
    );

    assert_eq!(app.count("leads").await, 1);
    let lead = app
        .get_json(&app.owner, &format!("/api/v1/leads/{lead_id}"))
        .await;
    assert_eq!(
        (&lead["owner_id"], &lead["intent"]),
        (&json!(hal), &json!("new_business"))
    );
    let moves: Vec<(&Value, &Value)> = lead["stage_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["from_stage"], &c["to_stage"]))
        .collect();
    assert_eq!(
        moves,
        [
            (&Value::Null, &json!("mql")),
            (&json!("mql"), &json!("disqualified")),
            (&json!("disqualified"), &json!("mql")),
        ]
    );
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["lead_id"], lead_id);
    let (moved, audited, decided): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM assignment_history WHERE action = 'rerouted'),
                (SELECT COUNT(*) FROM audit_log WHERE action = 'work_item.rerouted'),
                (SELECT COUNT(*) FROM decisions WHERE kind = 'intent' AND actor_id IS NOT NULL)",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!((moved, audited, decided), (3, 3, 4));
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_dry_run_decides_like_processing_and_writes_nothing() {
    let app = TestApp::new().await;
    app.post(
        &app.owner,
        "/api/v1/accounts",
        &json!({"name": "Globex", "domain": "globex.test", "status": "customer", "tier": "a"}),
    )
    .await;
    let tables = [
        "inquiries",
        "decisions",
        "contacts",
        "leads",
        "work_items",
        "audit_log",
        "accounts",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(app.count(table).await);
    }
    let body =
        json!({"email": "lee@globex.test", "message": "We would like pricing for 20 more seats"});
    let raw = body.to_string().into_bytes();
    let (inquiry, _) =
        baton_core::intake::read(Channel::Api, &raw, None, &Staff::default()).unwrap();
    let raw = baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "dry run".into(),
        raw,
        idempotency_key: None,
        content_hash: baton_core::intake::content_hash(&inquiry),
    };
    for _ in 0..2 {
        let plan = app.db.dry_run(&raw).await.unwrap();
        assert_eq!(plan.route.queue.as_deref(), Some("farmers"));
        assert!(plan.route.rule.is_some() && !plan.route.reasons.is_empty());
        assert_eq!(plan.intent.value.to_string(), "customer_request");
        assert_eq!(plan.moderation.verdict.to_string(), "ham");
        assert!(plan.matched.account.is_some(), "matched to Globex");
    }
    let mut after = Vec::new();
    for table in tables {
        after.push(app.count(table).await);
    }
    assert_eq!(before, after, "rows in {tables:?}");

    let stored = app.inquire(body).await;
    assert_eq!(
        stored["queue"], "farmers",
        "processing agrees with the dry run"
    );
}
