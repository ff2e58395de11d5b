//! Changing queues and their members over the API.

use crate::helpers::TestApp;
use baton_core::domain::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn a_manager_changes_a_queues_strategy_slas_and_escalation() {
    let app = TestApp::new().await;
    let (_, manager) = app.user("mia@acme.test", Role::Manager).await;
    let response = app
        .patch(
            &manager,
            "/api/v1/queues/service",
            &json!({
                "strategy": "least_loaded",
                "first_touch_sla_minutes": 30,
                "resolution_sla_minutes": 480,
                "escalation_queue": "operations",
            }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let queue: Value = response.json().await.unwrap();
    assert_eq!(queue["strategy"], "least_loaded");
    assert_eq!(queue["first_touch_sla_minutes"], 30);
    assert_eq!(queue["resolution_sla_minutes"], 480);
    assert_eq!(queue["escalation_queue"], "operations");

    let response = app
        .patch(
            &app.owner,
            "/api/v1/queues/service",
            &json!({"escalation_queue": null}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let queue = app.get_json(&app.owner, "/api/v1/queues/service").await;
    assert!(queue["escalation_queue"].is_null());
    assert_eq!(queue["strategy"], "least_loaded", "absent fields stay");
    assert_eq!(queue["first_touch_sla_minutes"], 30);

    // Nurture escalates to qualification by default: the reverse would loop.
    let looping = app
        .patch(
            &manager,
            "/api/v1/queues/qualification",
            &json!({"escalation_queue": "nurture"}),
        )
        .await;
    assert_eq!(looping.status(), 422);
    let problem: Value = looping.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("loop"),
        "{problem}"
    );
}

#[tokio::test]
async fn bad_queue_changes_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    for (body, field) in [
        (json!({"strategy": "fastest"}), "strategy"),
        (
            json!({"first_touch_sla_minutes": 0}),
            "first_touch_sla_minutes",
        ),
        (
            json!({"first_touch_sla_minutes": 60, "resolution_sla_minutes": 30}),
            "resolution_sla_minutes",
        ),
        (json!({"escalation_queue": "nowhere"}), "escalation_queue"),
        (json!({"escalation_queue": "service"}), "escalation_queue"),
        (
            json!({"first_touch_sla_minutes": 60, "resolution_sla_minutes": 9_000_000_000_000_i64}),
            "resolution_sla_minutes",
        ),
    ] {
        let response = app.patch(&app.owner, "/api/v1/queues/service", &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
    let missing = app
        .patch(&app.owner, "/api/v1/queues/nowhere", &json!({}))
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_manager_takes_a_member_out_of_a_queue() {
    let app = TestApp::new().await;
    let (_, manager) = app.user("mia@acme.test", Role::Manager).await;
    let (ann, _) = app.user("ann@acme.test", Role::Service).await;
    app.join("service", "ann@acme.test").await;
    let path = format!("/api/v1/queues/service/members/{ann}");
    assert_eq!(app.delete(&manager, &path).await.status(), 204);
    let queue = app.get_json(&app.owner, "/api/v1/queues/service").await;
    assert!(
        queue["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user_id"] != ann)
    );
    assert_eq!(app.delete(&manager, &path).await.status(), 404);
}

#[tokio::test]
async fn a_hunter_cannot_change_queues_or_their_members() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (ann, _) = app.user("ann@acme.test", Role::Service).await;
    app.join("service", "ann@acme.test").await;
    let member = format!("/api/v1/queues/service/members/{ann}");
    let before = app.get_json(&app.owner, "/api/v1/queues/service").await;
    let change = app
        .patch(
            &hunter,
            "/api/v1/queues/service",
            &json!({"strategy": "weighted"}),
        )
        .await;
    assert_eq!(change.status(), 403);
    let cap = app
        .patch(&hunter, &member, &json!({"capacity": 1, "away": true}))
        .await;
    assert_eq!(cap.status(), 403);
    assert_eq!(app.delete(&hunter, &member).await.status(), 403);
    let after = app.get_json(&app.owner, "/api/v1/queues/service").await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_deactivated_person_or_an_absurd_cap_is_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let (gone, _) = app.user("gus@acme.test", Role::Service).await;
    app.deactivate(gone).await;
    let before = app.count("queue_members").await;
    let added = app
        .post(
            &app.owner,
            "/api/v1/queues/service/members",
            &json!({"email": "gus@acme.test"}),
        )
        .await;
    assert_eq!(added.status(), 422);
    let problem: Value = added.json().await.unwrap();
    assert_eq!(problem["invalid-params"][0]["name"], "email", "{problem}");
    assert!(
        problem["invalid-params"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("deactivated")
    );
    assert_eq!(app.count("queue_members").await, before, "nothing stored");

    let (ann, _) = app.user("ann@acme.test", Role::Service).await;
    app.join("service", "ann@acme.test").await;
    let member = format!("/api/v1/queues/service/members/{ann}");
    for (body, field) in [
        (json!({"capacity": 4_294_967_296_i64}), "capacity"),
        (json!({"capacity": -1}), "capacity"),
        (json!({"skills": vec!["x".repeat(301)]}), "skills"),
        (json!({"skills": ["billing", "  "]}), "skills"),
        (
            json!({"skills": (0..51).map(|n| n.to_string()).collect::<Vec<_>>()}),
            "skills",
        ),
    ] {
        let response = app.patch(&app.owner, &member, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
}

/// Sends `n` strong leads (to hunters) and counts who got them, by e-mail.
async fn hunters_given(
    app: &TestApp,
    n: usize,
    from: usize,
) -> std::collections::BTreeMap<i64, usize> {
    let mut given = std::collections::BTreeMap::new();
    for i in from..from + n {
        let receipt = app
            .inquire(crate::helpers::strong_lead(&format!(
                "buyer{i}@initech.test"
            )))
            .await;
        assert_eq!(receipt["queue"], "hunters", "{receipt}");
        *given
            .entry(receipt["assignee_id"].as_i64().unwrap())
            .or_default() += 1;
    }
    given
}

#[tokio::test]
async fn weighted_shares_start_again_when_the_line_up_changes() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    let strategy = app
        .patch(
            &app.owner,
            "/api/v1/queues/hunters",
            &json!({"strategy": "weighted"}),
        )
        .await;
    assert_eq!(strategy.status(), 200);
    app.join("hunters", "hal@acme.test").await;
    assert_eq!(hunters_given(&app, 6, 0).await[&hal], 6);

    // A newcomer gets an even share from now on, not every item until
    // they have caught up with Hal's six.
    app.join("hunters", "hana@acme.test").await;
    let given = hunters_given(&app, 6, 6).await;
    assert_eq!((given[&hal], given[&hana]), (3, 3), "{given:?}");

    // Hana's weight tripled: three of every four from now on.
    let member = format!("/api/v1/queues/hunters/members/{hana}");
    assert_eq!(
        app.patch(&app.owner, &member, &json!({"weight": 3}))
            .await
            .status(),
        200
    );
    let given = hunters_given(&app, 8, 12).await;
    assert_eq!((given[&hal], given[&hana]), (2, 6), "{given:?}");
}

#[tokio::test]
async fn changes_sent_at_once_to_different_fields_are_all_kept() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let member = format!("/api/v1/queues/hunters/members/{hal}");
    for round in 1..=8 {
        let reset = json!({"capacity": null, "away": false, "skills": []});
        assert_eq!(app.patch(&app.owner, &member, &reset).await.status(), 200);
        let changes = [
            json!({"capacity": 10 + round}),
            json!({"away": true}),
            json!({"skills": ["sap"]}),
        ];
        let (cap, away, skills) = tokio::join!(
            app.patch(&app.owner, &member, &changes[0]),
            app.patch(&app.owner, &member, &changes[1]),
            app.patch(&app.owner, &member, &changes[2]),
        );
        assert!([cap, away, skills].iter().all(|r| r.status() == 200));
        let queue = app.get_json(&app.owner, "/api/v1/queues/hunters").await;
        let kept = &queue["members"][0];
        assert_eq!(
            (&kept["capacity"], &kept["away"], &kept["skills"]),
            (&json!(10 + round), &json!(true), &json!(["sap"])),
            "round {round}: {queue}"
        );

        let reset = json!({"strategy": "round_robin", "first_touch_sla_minutes": 480});
        let path = "/api/v1/queues/farmers";
        assert_eq!(app.patch(&app.owner, path, &reset).await.status(), 200);
        let sla = 300 + round;
        let changes = [
            json!({"strategy": "least_loaded"}),
            json!({"first_touch_sla_minutes": sla}),
        ];
        let (strategy, first_touch) = tokio::join!(
            app.patch(&app.owner, path, &changes[0]),
            app.patch(&app.owner, path, &changes[1]),
        );
        assert!([strategy, first_touch].iter().all(|r| r.status() == 200));
        let queue = app.get_json(&app.owner, path).await;
        assert_eq!(
            (&queue["strategy"], &queue["first_touch_sla_minutes"]),
            (&json!("least_loaded"), &json!(sla)),
            "round {round}: {queue}"
        );
    }
}

#[tokio::test]
async fn routing_rules_put_with_the_etag_they_were_read_with_undo_nothing_made_since() {
    let app = TestApp::new().await;
    let read = app
        .client
        .get(app.url("/api/v1/routing-rules"))
        .bearer_auth(&app.owner)
        .send()
        .await
        .unwrap();
    let etag = read.headers()["etag"].to_str().unwrap().to_string();
    let mut rules: Vec<Value> = read.json().await.unwrap();
    rules[0]["enabled"] = json!(false);
    let put = |tag: String, rules: Vec<Value>| {
        app.client
            .put(app.url("/api/v1/routing-rules"))
            .bearer_auth(&app.owner)
            .header("if-match", tag)
            .json(&rules)
            .send()
    };
    let first = put(etag.clone(), rules.clone()).await.unwrap();
    assert_eq!(first.status(), 200);
    let new_etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    // Another change made from the same reading is refused, not applied
    // over the first.
    rules[0]["enabled"] = json!(true);
    rules[1]["enabled"] = json!(false);
    let second = put(etag.clone(), rules.clone()).await.unwrap();
    assert_eq!(second.status(), 409);
    let problem: Value = second.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("changed since"),
        "{problem}"
    );
    assert_eq!(
        problem["invalid-params"][0]["name"], "If-Match",
        "{problem}"
    );
    let now = app.get_json(&app.owner, "/api/v1/routing-rules").await;
    assert_eq!(
        (&now[0]["enabled"], &now[1]["enabled"]),
        (&json!(false), &json!(true))
    );
    // A weak tag never matches; a list matches by any of its tags; `*`
    // matches whatever the rules are now.
    let weak = put(format!("W/{new_etag}"), rules.clone()).await.unwrap();
    assert_eq!(weak.status(), 409);
    let listed = put(format!("{etag}, {new_etag}"), rules.clone())
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    rules[2]["enabled"] = json!(false);
    let any = put("*".to_string(), rules).await.unwrap();
    assert_eq!(any.status(), 200);
    let now = app.get_json(&app.owner, "/api/v1/routing-rules").await;
    assert_eq!(now[2]["enabled"], json!(false));
}
