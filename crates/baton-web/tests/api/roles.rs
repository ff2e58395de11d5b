use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use serde_json::json;

#[tokio::test]
async fn a_hunter_cannot_read_another_teams_work() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.user("ola@acme.test", Role::Operations).await;
    app.join("operations", "ola@acme.test").await;
    let billing = app
        .inquire(json!({"email": "ap@x.test", "message": "invoice charged twice, refund please"}))
        .await;
    assert_eq!(billing["queue"], "operations");
    let item = billing["work_item_id"].as_i64().unwrap();

    let response = app
        .get(&hunter, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(response.status(), 403);
    let response = app.get(&hunter, billing["href"].as_str().unwrap()).await;
    assert_eq!(response.status(), 403);
    let response = app
        .get(&hunter, "/api/v1/work-items?queue=operations")
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .post(
            &hunter,
            &format!("/api/v1/work-items/{item}/reject"),
            &json!({"reason": "no"}),
        )
        .await;
    assert_eq!(response.status(), 403);

    // Their own list holds only their queues' work.
    let own = app.inquire(strong_lead("dana@initech.test")).await;
    let list = app.get_json(&hunter, "/api/v1/work-items").await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![own["work_item_id"].as_i64().unwrap()]);
    let mine = app.get(&hunter, own["href"].as_str().unwrap()).await;
    assert_eq!(mine.status(), 200);
}

#[tokio::test]
async fn a_hunter_acts_only_on_the_leads_and_deals_they_hold() {
    let app = TestApp::new().await;
    let (hal_id, hal) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, ivy) = app.user("ivy@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("hunters", "ivy@acme.test").await;
    let first = app.inquire(strong_lead("dana@initech.test")).await;
    let second = app.inquire(strong_lead("eli@globex.test")).await;
    assert_ne!(first["assignee_id"], second["assignee_id"], "round robin");
    let (hals, ivys) = match first["assignee_id"] == hal_id {
        true => (first, second),
        false => (second, first),
    };
    let lead = ivys["lead_id"].as_i64().unwrap();
    // Hal sees it (it waits in his queue) but may not move it on.
    assert_eq!(
        app.get(&hal, &format!("/api/v1/leads/{lead}"))
            .await
            .status(),
        200
    );
    let moved = app
        .post(
            &hal,
            &format!("/api/v1/leads/{lead}/stage"),
            &json!({"stage": "disqualified", "reason": "not mine"}),
        )
        .await;
    assert_eq!(moved.status(), 403);
    let deal = app
        .post(
            &hal,
            "/api/v1/opportunities",
            &json!({"name": "Taken", "amount": "10.00", "lead_id": lead}),
        )
        .await;
    assert_eq!(deal.status(), 403);
    // Ivy can; Hal cannot log work against her deal.
    let deal = app
        .post(
            &ivy,
            "/api/v1/opportunities",
            &json!({"name": "Initech", "amount": "10.00", "lead_id": lead}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: serde_json::Value = deal.json().await.unwrap();
    let call = app
        .post(
            &hal,
            "/api/v1/activities",
            &json!({"type": "call", "opportunity_id": deal["id"]}),
        )
        .await;
    assert_eq!(call.status(), 403);
    let own = hals["lead_id"].as_i64().unwrap();
    let moved = app
        .post(
            &hal,
            &format!("/api/v1/leads/{own}/stage"),
            &json!({"stage": "sal", "reason": "accepted"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
}

#[tokio::test]
async fn a_hunter_who_sent_a_lead_back_no_longer_moves_it() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (mia, _) = app.user("mia@acme.test", Role::Marketer).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(receipt["assignee_id"], hal);
    let (item, lead) = (
        receipt["work_item_id"].as_i64().unwrap(),
        receipt["lead_id"].as_i64().unwrap(),
    );
    let rejected = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/reject"),
            &json!({"reason": "too early: no budget this year"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    assert_eq!(app.db.lead(lead).await.unwrap().owner_id, Some(mia));

    let moved = app
        .post(
            &hal_token,
            &format!("/api/v1/leads/{lead}/stage"),
            &json!({"stage": "sql", "reason": "changed my mind"}),
        )
        .await;
    assert_eq!(
        moved.status(),
        403,
        "the rejected item no longer makes Hal its holder"
    );
    let deal = app
        .post(
            &hal_token,
            "/api/v1/opportunities",
            &json!({"name": "Initech", "amount": "10.00", "lead_id": lead}),
        )
        .await;
    assert_eq!(deal.status(), 403);
}

#[tokio::test]
async fn queue_members_hold_an_ownerless_lead_only_while_its_work_waits() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, ivy) = app.user("ivy@acme.test", Role::Hunter).await;
    for email in ["hal@acme.test", "hana@acme.test", "ivy@acme.test"] {
        app.join("hunters", email).await;
    }
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    // Whoever held it leaves: its work waits unassigned and the lead has no owner.
    let holder = receipt["assignee_id"].as_i64().unwrap();
    app.deactivate(holder).await;
    assert_eq!(app.db.lead(lead).await.unwrap().owner_id, None);
    let (first, second) = if holder == hal {
        (&hana, &ivy)
    } else {
        (&ivy, &hana)
    };
    let stage = format!("/api/v1/leads/{lead}/stage");
    let closed = app
        .post(
            first,
            &stage,
            &json!({"stage": "disqualified", "reason": "a student project"}),
        )
        .await;
    assert_eq!(
        closed.status(),
        200,
        "a member acts on work waiting in the queue"
    );

    // Its work is done now: nothing waits, so no member holds it any more.
    let revived = app
        .post(second, &stage, &json!({"stage": "sql", "reason": "revive"}))
        .await;
    assert_eq!(revived.status(), 403);
    let deal = app
        .post(
            second,
            "/api/v1/opportunities",
            &json!({"name": "Initech", "amount": "10.00", "lead_id": lead}),
        )
        .await;
    assert_eq!(deal.status(), 403);
}

#[tokio::test]
async fn accounts_and_deals_are_held_by_people_who_sell() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    let (mia, _) = app.user("mia@acme.test", Role::Marketer).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let account = |token: &str, name: &str, owner: i64| {
        let body = json!({"name": name, "owner_id": owner});
        let (app, token) = (&app, token.to_string());
        async move { app.post(&token, "/api/v1/accounts", &body).await }
    };
    let for_hana = account(&hal_token, "Initech", hana).await;
    assert_eq!(for_hana.status(), 403, "a hunter holds only their own");
    assert_eq!(account(&hal_token, "Initech", hal).await.status(), 201);
    assert_eq!(account(&manager, "Globex", hana).await.status(), 201);

    let to_marketer = account(&manager, "Hooli", mia).await;
    assert_eq!(to_marketer.status(), 422);
    let problem: serde_json::Value = to_marketer.json().await.unwrap();
    assert_eq!(
        problem["invalid-params"][0]["name"], "owner_id",
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("mia@acme.test is a marketer and does not hold accounts"),
        "{problem}"
    );
    let deal = |owner: i64| json!({"name": "Hooli seats", "amount": "10.00", "owner_id": owner});
    let to_marketer = app
        .post(&manager, "/api/v1/opportunities", &deal(mia))
        .await;
    assert_eq!(to_marketer.status(), 422);
    let problem: serde_json::Value = to_marketer.json().await.unwrap();
    assert_eq!(
        problem["invalid-params"][0]["name"], "owner_id",
        "{problem}"
    );
    assert_eq!(
        app.post(&manager, "/api/v1/opportunities", &deal(hana))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn only_managers_change_routing_and_queues_and_only_owners_add_people() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let rules = app
        .client
        .put(app.url("/api/v1/routing-rules"))
        .bearer_auth(&hunter)
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(rules.status(), 403);
    let join = app
        .post(
            &hunter,
            "/api/v1/queues/hunters/members",
            &json!({"email": "hal@acme.test"}),
        )
        .await;
    assert_eq!(join.status(), 403);
    let people = app.get(&hunter, "/api/v1/users").await;
    assert_eq!(people.status(), 403);
    let add = app
        .post(
            &manager,
            "/api/v1/users",
            &json!({"email": "new@acme.test", "name": "New", "role": "owner"}),
        )
        .await;
    assert_eq!(add.status(), 403, "a manager cannot make an owner");
    let add = app
        .post(
            &app.owner,
            "/api/v1/users",
            &json!({"email": "new@acme.test", "name": "New", "role": "farmer"}),
        )
        .await;
    assert_eq!(add.status(), 201);
    let again = app
        .post(
            &app.owner,
            "/api/v1/users",
            &json!({"email": "NEW@acme.test", "name": "New", "role": "farmer"}),
        )
        .await;
    assert_eq!(again.status(), 409);
    let list = app.get(&hunter, "/api/v1/inquiries").await;
    assert_eq!(list.status(), 403);
}

#[tokio::test]
async fn lists_paginate_with_cursors() {
    let app = TestApp::new().await;
    for i in 0..5 {
        app.inquire(json!({"email": format!("p{i}@x.test"), "message": "hello"}))
            .await;
    }
    let first = app.get_json(&app.owner, "/api/v1/inquiries?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &app.owner,
            &format!("/api/v1/inquiries?limit=2&cursor={cursor}"),
        )
        .await;
    let third = app
        .get_json(
            &app.owner,
            &format!(
                "/api/v1/inquiries?limit=2&cursor={}",
                second["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(third["items"].as_array().unwrap().len(), 1);
    assert!(third["next_cursor"].is_null());
    let all: Vec<i64> = [&first, &second, &third]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
        })
        .collect();
    let mut sorted = all.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 5);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = TestApp::new().await;
    let (ada, ada_token) = app.user("ada@acme.test", Role::Owner).await;
    let (bo, bo_token) = app.user("bo@acme.test", Role::Owner).await;
    let first_owner = app.db.user_by_email("owner@acme.test").await.unwrap();
    let demote = baton_db::users::UserChange {
        role: Some(Role::Manager),
        ..Default::default()
    };
    app.db
        .update_user(ada, first_owner.id, &demote)
        .await
        .unwrap();
    for change in [json!({"role": "manager"}), json!({"active": false})] {
        let mut sends = tokio::task::JoinSet::new();
        for (token, other) in [(&ada_token, bo), (&bo_token, ada)] {
            let request = app
                .client
                .patch(app.url(&format!("/api/v1/users/{other}")))
                .bearer_auth(token)
                .json(&change);
            sends.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
        let mut statuses = sends.join_all().await;
        statuses.sort_unstable();
        assert_eq!(statuses[0], 200, "{change}: {statuses:?}");
        // The other is refused; once deactivated before its own request is
        // read, its token no longer signs it in at all (401).
        assert!(
            matches!(statuses[1], 401 | 403 | 409),
            "{change}: {statuses:?}"
        );
        let (owners,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'owner' AND active = 1")
                .fetch_one(app.db.reader())
                .await
                .unwrap();
        assert_eq!(owners, 1, "{change}");
        // The next round starts again from two owners (deactivation revoked
        // the tokens of one, so it is restored here, not over the API).
        let restore = baton_db::users::UserChange {
            role: Some(Role::Owner),
            active: Some(true),
            ..Default::default()
        };
        for person in [ada, bo] {
            app.db
                .update_user(first_owner.id, person, &restore)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn deactivation_ends_sessions_and_tokens_for_good_and_returns_held_work() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let session = app.db.create_session(hal).await.unwrap();
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    assert_eq!(receipt["assignee_id"], hal);

    let path = format!("/api/v1/users/{hal}");
    let off = app
        .patch(&app.owner, &path, &json!({"active": false}))
        .await;
    assert_eq!(off.status(), 200);
    let on = app.patch(&app.owner, &path, &json!({"active": true})).await;
    assert_eq!(on.status(), 200);
    assert_eq!(app.get(&hal_token, "/api/v1/me").await.status(), 401);
    assert!(app.db.session(&session).await.unwrap().is_none());

    let released = app.db.work_item(item).await.unwrap();
    assert_eq!(
        (released.assignee_id, released.status.as_str()),
        (None, "unassigned")
    );
    let lead = app.db.lead(released.lead_id.unwrap()).await.unwrap();
    assert_eq!(lead.owner_id, None, "the lead waits with its work");
    let history = app.db.work_item_history(item).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.from_user_id),
        ("waiting", Some(hal))
    );
    assert!(
        last.reason.contains("hal@acme.test was deactivated"),
        "{}",
        last.reason
    );
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn passwords_of_only_spaces_huge_ones_and_the_same_one_again_are_refused() {
    let app = TestApp::new().await;
    for password in [" ".repeat(10), "p".repeat(1_001), "short".to_string()] {
        let add = app
            .post(
                &app.owner,
                "/api/v1/users",
                &json!({"email": "new@acme.test", "name": "New", "role": "farmer", "password": password}),
            )
            .await;
        assert_eq!(add.status(), 422);
        let problem: serde_json::Value = add.json().await.unwrap();
        assert_eq!(
            problem["invalid-params"][0]["name"], "password",
            "{problem}"
        );
    }
    let old = "a long old password";
    let hal = app
        .db
        .create_user(baton_db::users::NewUser {
            email: "hal@acme.test",
            name: "Hal",
            role: Role::Hunter,
            password: Some(old),
        })
        .await
        .unwrap();
    let session = app.db.create_session(hal.id).await.unwrap();
    let same = app.db.change_password(hal.id, &session, old, old).await;
    assert!(
        matches!(same, Err(baton_db::DbError::Invalid { ref field, .. }) if field == "password"),
        "{same:?}"
    );
    let spaces = app
        .db
        .change_password(hal.id, &session, old, &" ".repeat(12))
        .await;
    assert!(
        matches!(spaces, Err(baton_db::DbError::Invalid { .. })),
        "{spaces:?}"
    );
    assert!(
        app.db
            .check_password("hal@acme.test", old)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn queue_members_and_routing_rules_are_read_by_those_who_run_the_queues() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, service) = app.user("sam@acme.test", Role::Service).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    for path in ["/api/v1/queues/hunters", "/api/v1/routing-rules"] {
        for token in [&hunter, &service] {
            assert_eq!(app.get(token, path).await.status(), 403, "{path}");
        }
        assert_eq!(app.get(&manager, path).await.status(), 200, "{path}");
        assert_eq!(app.get(&app.owner, path).await.status(), 200, "{path}");
    }
    let refused: serde_json::Value = app
        .get(&service, "/api/v1/routing-rules")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        refused["detail"], "someone in service cannot read the routing rules",
        "{refused}"
    );
    // The queues themselves, to filter work by, stay readable by all.
    let queues = app.get_json(&hunter, "/api/v1/queues").await;
    assert!(queues["items"][0].get("members").is_none(), "{queues}");
    // So does the charter: what each function owns and is expected to do.
    assert_eq!(app.get(&hunter, "/api/v1/charter").await.status(), 200);
}

#[tokio::test]
async fn a_caller_without_the_role_is_refused_whatever_body_they_send() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    for (method, path) in [
        (reqwest::Method::POST, "/api/v1/users"),
        (reqwest::Method::PUT, "/api/v1/settings"),
        (reqwest::Method::PUT, "/api/v1/routing-rules"),
        (reqwest::Method::POST, "/api/v1/webhooks"),
    ] {
        for (body, content_type) in [
            ("{\"email\": ", "application/json"),
            ("[1, 2]", "application/json"),
            ("email=x", "application/x-www-form-urlencoded"),
        ] {
            let status = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&hunter)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 403, "{method} {path} with {body}");
        }
    }
    // The owner, who may, hears what is wrong with the body.
    let status = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&app.owner)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
}
