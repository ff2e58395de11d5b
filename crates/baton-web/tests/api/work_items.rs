use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn accept_reject_and_reassign_are_recorded() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana_token) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, _) = app.user("mia@acme.test", Role::Marketer).await;
    let (gone, _) = app.user("gus@acme.test", Role::Hunter).await;
    app.deactivate(gone).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;

    let first = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(first["assignee_id"], hal);
    let item = first["work_item_id"].as_i64().unwrap();
    let not_hers = app
        .post(
            &hana_token,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(not_hers.status(), 403, "only the assignee accepts");
    let accepted = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["first_touched_at"].is_i64());
    let inquiry = app
        .get_json(&app.owner, first["href"].as_str().unwrap())
        .await;
    assert_eq!(inquiry["stage"], "sal", "accepted by sales");
    let twice = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(twice.status(), 409);

    let second = app.inquire(strong_lead("lou@hooli.test")).await;
    let item2 = second["work_item_id"].as_i64().unwrap();
    let no_reason = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item2}/reject"),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status(), 422);
    let rejected = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item2}/reject"),
            &json!({"reason": "student project, no budget"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let lead = app
        .get_json(&app.owner, second["href"].as_str().unwrap())
        .await;
    assert_eq!(lead["stage"], "nurture");
    assert_eq!(lead["queue"], "nurture", "the lead went back to marketing");
    assert_eq!(lead["assignee"]["email"], "mia@acme.test");
    // Due by nurture's business hours (5 working days), not 40 wall-clock hours.
    let (due_in,): (i64,) = sqlx::query_as(
        "SELECT first_touch_due_at - created_at FROM work_items WHERE inquiry_id = $1 AND id <> $2",
    )
    .bind(second["id"].as_i64().unwrap())
    .bind(item2)
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert!(due_in > 4 * 24 * 3600 * 1000, "{due_in} ms");

    let third = app.inquire(strong_lead("zed@vandelay.test")).await;
    let item3 = third["work_item_id"].as_i64().unwrap();
    app.join("hunters", "hana@acme.test").await;
    let path3 = format!("/api/v1/work-items/{item3}/reassign");
    let to_hal = json!({"email": "hal@acme.test", "reason": "x"});
    let already = app.post(&hal_token, &path3, &to_hal).await;
    assert_eq!(already.status(), 409, "already his");
    let to_gus = json!({"email": "gus@acme.test", "reason": "x"});
    let deactivated = app.post(&hal_token, &path3, &to_gus).await;
    assert_eq!(deactivated.status(), 422, "deactivated");
    let moved = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item3}/reassign"),
            &json!({"email": "hana@acme.test", "reason": "her territory"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item3}"))
        .await;
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["assigned", "reassigned"]);
    assert_eq!(detail["history"][1]["reason"], "her territory");

    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('work_item.accepted', 'work_item.rejected', 'work_item.reassigned')",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(audited, 3);
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn the_audit_log_refuses_changes() {
    let app = TestApp::new().await;
    app.user("x@acme.test", Role::Hunter).await;
    let update = sqlx::query("UPDATE audit_log SET action = 'forged'")
        .execute(app.db.writer())
        .await;
    assert!(update.is_err());
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(app.db.writer())
        .await;
    assert!(delete.is_err());
}

#[tokio::test]
async fn a_breach_escalates_once_to_the_next_member_then_the_next_tier() {
    let app = TestApp::new().await;
    app.user("quinn@acme.test", Role::Qualifier).await;
    app.user("quade@acme.test", Role::Qualifier).await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("qualification", "quinn@acme.test").await;
    app.join("qualification", "quade@acme.test").await;
    app.join("hunters", "hal@acme.test").await;
    // Grade B new business goes to qualification.
    let receipt = app
        .inquire(json!({
            "email": "pat@initech.test", "company": "Initech", "message": "Could we get pricing and a demo?",
            "title": "Manager", "phone": "+1 415 555 0101", "fields": {"company_size": 250}
        }))
        .await;
    assert_eq!(receipt["queue"], "qualification");
    let item = receipt["work_item_id"].as_i64().unwrap();
    let first_assignee = receipt["assignee_id"].as_i64().unwrap();

    let later = baton_db::now_ms() + 30 * 24 * 3600 * 1000;
    assert_eq!(app.db.escalate_breaches(later).await.unwrap(), vec![item]);
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["escalation_level"], 1);
    assert_ne!(
        detail["assignee_id"].as_i64().unwrap(),
        first_assignee,
        "the next member"
    );
    let lead = app
        .db
        .lead(detail["lead_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        lead.owner_id,
        detail["assignee_id"].as_i64(),
        "the lead follows its work"
    );
    // The same breach is not escalated again.
    assert!(app.db.escalate_breaches(later).await.unwrap().is_empty());

    // Breached again: the next tier (hunters).
    let much_later = later + 60 * 24 * 3600 * 1000;
    assert_eq!(
        app.db.escalate_breaches(much_later).await.unwrap(),
        vec![item]
    );
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["queue"], "hunters");
    assert_eq!(detail["escalation_level"], 2);
    let escalations = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "escalated")
        .count();
    assert_eq!(escalations, 2);
    // The new holder's clock is their queue's first-touch SLA from the
    // escalation, not the old window stretched.
    let due = detail["first_touch_due_at"].as_i64().unwrap();
    assert!(
        due > much_later && due < much_later + 7 * 24 * 3600 * 1000,
        "{detail}"
    );
    // Moved to hunters, it is resolved by hunters' SLA from now, not by
    // qualification's deadline, long past.
    let resolution = detail["resolution_due_at"].as_i64().unwrap();
    assert!(resolution >= due, "{detail}");

    // The hunters' manager is set, then leaves: a manager is a manager or
    // an owner at work, and one who left is passed over for an owner.
    let (mona, _) = app.user("mona@acme.test", Role::Manager).await;
    let (hal, _) = app.user("hal2@acme.test", Role::Hunter).await;
    for (manager, problem) in [
        (json!(hal), "a manager or an owner"),
        (json!(999_999), "no person has id"),
    ] {
        let refused = app
            .patch(
                &app.owner,
                "/api/v1/queues/hunters",
                &json!({"manager_id": manager}),
            )
            .await;
        assert_eq!(refused.status(), 422);
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["invalid-params"][0]["name"], "manager_id");
        assert!(
            refused["detail"].as_str().unwrap().contains(problem),
            "{refused}"
        );
    }
    let set = app
        .patch(
            &app.owner,
            "/api/v1/queues/hunters",
            &json!({"manager_id": mona}),
        )
        .await;
    assert_eq!(set.status(), 200);
    let set: Value = set.json().await.unwrap();
    assert_eq!(set["manager_id"], mona);
    app.deactivate(mona).await;
    let owner = app.db.user_by_email("owner@acme.test").await.unwrap();

    // Breached once more: the manager, the last step; then it stops.
    let latest = much_later + 60 * 24 * 3600 * 1000;
    assert_eq!(app.db.escalate_breaches(latest).await.unwrap(), vec![item]);
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["escalation_level"], 3);
    assert_eq!(
        detail["assignee_id"], owner.id,
        "not Mona, who left: {detail}"
    );
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .contains("escalated to an owner"),
        "{last}"
    );
    let much_much_later = latest + 60 * 24 * 3600 * 1000;
    assert!(
        app.db
            .escalate_breaches(much_much_later)
            .await
            .unwrap()
            .is_empty(),
        "escalated once along the path, and no further"
    );
    assert_eq!(history_lines(&app, item, "escalated").await, 3);
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn an_escalation_asks_the_skills_the_rule_asked() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for email in ["cy@acme.test", "bob@acme.test", "ann@acme.test"] {
        ids.push(app.user(email, Role::Hunter).await.0);
        app.join("hunters", email).await;
    }
    let (cy, bob, ann) = (ids[0], ids[1], ids[2]);
    let speaks_german = async |user: i64| {
        let response = app
            .patch(
                &app.owner,
                &format!("/api/v1/queues/hunters/members/{user}"),
                &json!({"skills": ["German"]}),
            )
            .await;
        assert_eq!(response.status(), 200);
    };
    speaks_german(bob).await;
    let rules = json!([
        {"name": "German site", "condition": {"sources": ["de-website"]}, "queue": "hunters", "skills": ["german"]}
    ]);
    assert_eq!(
        app.put(&app.owner, "/api/v1/routing-rules", &rules)
            .await
            .status(),
        200
    );
    let receipt = app
        .inquire(
            json!({"email": "k@firma.test", "message": "Angebot bitte", "source": "de-website"}),
        )
        .await;
    assert_eq!(receipt["assignee_id"], bob);
    let item = receipt["work_item_id"].as_i64().unwrap();
    // Ann is next in turn after Bob, but speaks no German.
    speaks_german(cy).await;
    let later = baton_db::now_ms() + 30 * 24 * 3600 * 1000;
    assert_eq!(app.db.escalate_breaches(later).await.unwrap(), vec![item]);
    let detail = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(detail["assignee_id"], cy, "not {ann}: {detail}");
}

/// Sends `count` copies of one POST at once; returns the statuses, sorted.
async fn all_at_once(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
    count: usize,
) -> Vec<u16> {
    let mut sends = tokio::task::JoinSet::new();
    for _ in 0..count {
        let request = app
            .client
            .post(app.url(path))
            .bearer_auth(token)
            .json(&body);
        sends.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = sends.join_all().await;
    statuses.sort_unstable();
    statuses
}

/// The number of `action` lines in an item's history.
async fn history_lines(app: &TestApp, item: i64, action: &str) -> usize {
    let history = app.db.work_item_history(item).await.unwrap();
    history.iter().filter(|h| h.action == action).count()
}

#[tokio::test]
async fn parallel_rejects_or_reassigns_of_one_item_land_exactly_once() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    app.user("mia@acme.test", Role::Marketer).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;

    let rejected = app.inquire(strong_lead("dana@initech.test")).await;
    let item = rejected["work_item_id"].as_i64().unwrap();
    let lead = app.db.work_item(item).await.unwrap().lead_id.unwrap();
    let path = format!("/api/v1/work-items/{item}/reject");
    let statuses = all_at_once(&app, &app.owner, &path, json!({"reason": "no budget"}), 8).await;
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(history_lines(&app, item, "rejected").await, 1);
    let (nurture_items,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM work_items WHERE lead_id = $1")
            .bind(lead)
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(nurture_items, 2, "the rejected item and one nurture item");

    let handed = app.inquire(strong_lead("lou@hooli.test")).await;
    let item = handed["work_item_id"].as_i64().unwrap();
    let path = format!("/api/v1/work-items/{item}/reassign");
    let to_hana = json!({"email": "hana@acme.test", "reason": "her territory"});
    let statuses = all_at_once(&app, &app.owner, &path, to_hana, 8).await;
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(history_lines(&app, item, "reassigned").await, 1);
    assert_eq!(
        app.db.work_item(item).await.unwrap().assignee_id,
        Some(hana)
    );
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn work_on_a_lead_in_a_deal_cannot_be_rejected_back_to_nurture() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.user("mia@acme.test", Role::Marketer).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    let lead = app.db.work_item(item).await.unwrap().lead_id.unwrap();
    let deal = app
        .post(
            &hal_token,
            "/api/v1/opportunities",
            &json!({"name": "Initech seats", "amount": "12000", "lead_id": lead}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let rejected = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/reject"),
            &json!({"reason": "the deal covers it"}),
        )
        .await;
    assert_eq!(rejected.status(), 409, "the deal made the work done");
    assert_eq!(
        app.db.lead(lead).await.unwrap().stage.as_str(),
        "opportunity"
    );
    let (items,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM work_items WHERE lead_id = $1")
        .bind(lead)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(items, 1, "no nurture work for a lead in a deal");
}

#[tokio::test]
async fn a_reassignment_needs_a_reason_names_the_email_and_restarts_an_untouched_clock() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    let (gone, _) = app.user("gus@acme.test", Role::Hunter).await;
    app.deactivate(gone).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    assert_eq!(receipt["assignee_id"], hal);
    app.join("hunters", "hana@acme.test").await;
    let path = format!("/api/v1/work-items/{item}/reassign");

    let problem = |body: Value| {
        let (app, path, token) = (&app, &path, &hal_token);
        async move {
            let response = app.post(token, path, &body).await;
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap();
            (
                status,
                problem["invalid-params"][0]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        }
    };
    for blank in [
        json!({"email": "hana@acme.test"}),
        json!({"email": "hana@acme.test", "reason": "  "}),
    ] {
        assert_eq!(problem(blank).await, (422, "reason".to_string()));
    }
    let too_long = json!({"email": "hana@acme.test", "reason": "x".repeat(20_001)});
    assert_eq!(problem(too_long).await, (422, "reason".to_string()));
    let deactivated = json!({"email": "gus@acme.test", "reason": "cover"});
    assert_eq!(problem(deactivated).await, (422, "email".to_string()));
    let already = json!({"email": "hal@acme.test", "reason": "cover"});
    assert_eq!(problem(already).await, (409, "email".to_string()));
    assert_eq!(
        history_lines(&app, item, "reassigned").await,
        0,
        "nothing stored"
    );

    // Overdue and escalated once, untouched: the new holder gets a fresh clock.
    sqlx::query("UPDATE work_items SET first_touch_due_at = 1, escalation_level = 1 WHERE id = $1")
        .bind(item)
        .execute(app.db.writer())
        .await
        .unwrap();
    let before = baton_db::now_ms();
    let moved = app
        .post(
            &hal_token,
            &path,
            &json!({"email": "hana@acme.test", "reason": "her territory"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved = app.db.work_item(item).await.unwrap();
    assert_eq!(moved.assignee_id, Some(hana));
    assert!(moved.first_touch_due_at > before, "{moved:?}");
    assert_eq!(moved.escalation_level, 0);
    let history = app.db.work_item_history(item).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.from_user_id, last.to_user_id),
        (Some(hal), Some(hana))
    );
}

#[tokio::test]
async fn work_touched_first_is_not_escalated_even_when_handed_on() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.user("hana@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    assert_eq!(receipt["assignee_id"], hal);
    app.join("hunters", "hana@acme.test").await;
    let accepted = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let handed = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/reassign"),
            &json!({"email": "hana@acme.test", "reason": "holiday"}),
        )
        .await;
    assert_eq!(handed.status(), 200);
    let far_later = baton_db::now_ms() + 90 * 24 * 3600 * 1000;
    assert!(
        app.db
            .escalate_breaches(far_later)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(history_lines(&app, item, "escalated").await, 0);
}

#[tokio::test]
async fn nurture_work_sent_away_does_not_come_back_to_the_same_person() {
    let app = TestApp::new().await;
    let (mia, mia_token) = app.user("mia@acme.test", Role::Marketer).await;
    let (_, max_token) = app.user("max@acme.test", Role::Marketer).await;
    app.join("nurture", "mia@acme.test").await;
    app.join("nurture", "max@acme.test").await;
    // A weak lead: nurture.
    let receipt = app
        .inquire(json!({"email": "kid@gmail.com", "message": "just curious about what you do"}))
        .await;
    assert_eq!(receipt["queue"], "nurture", "{receipt}");
    let item = receipt["work_item_id"].as_i64().unwrap();
    let holder = receipt["assignee_id"].as_i64().unwrap();
    let token = if holder == mia { mia_token } else { max_token };
    let rejected = app
        .post(
            &token,
            &format!("/api/v1/work-items/{item}/reject"),
            &json!({"reason": "not mine to nurture"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let lead = app.db.work_item(item).await.unwrap().lead_id.unwrap();
    let (again,): (Option<i64>,) =
        sqlx::query_as("SELECT assignee_id FROM work_items WHERE lead_id = $1 AND id <> $2")
            .bind(lead)
            .bind(item)
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert!(
        again.is_some() && again != Some(holder),
        "{again:?} after {holder}"
    );
}

#[tokio::test]
async fn a_holder_hands_work_on_only_to_someone_at_work_in_its_line() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    app.user("ola@acme.test", Role::Operations).await;
    let (sam, _) = app.user("sam@acme.test", Role::Service).await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("operations", "ola@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    assert_eq!(receipt["assignee_id"], hal);
    app.join("hunters", "hana@acme.test").await;
    let path = format!("/api/v1/work-items/{item}/reassign");
    let refused = |email: &str| {
        let body = json!({"email": email, "reason": "cover"});
        let (app, path, token) = (&app, &path, &hal_token);
        async move {
            let response = app.post(token, path, &body).await;
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["invalid-params"][0]["name"], "email", "{problem}");
            (status, problem["detail"].as_str().unwrap().to_string())
        }
    };

    // Sales work does not go to operations, nor to someone in no queue.
    for email in ["ola@acme.test", "sam@acme.test"] {
        let (status, detail) = refused(email).await;
        assert_eq!(status, 422, "{email}");
        assert!(detail.contains("at work in no queue"), "{detail}");
    }

    let member = format!("/api/v1/queues/hunters/members/{hana}");
    let away = app.patch(&app.owner, &member, &json!({"away": true})).await;
    assert_eq!(away.status(), 200);
    let (status, detail) = refused("hana@acme.test").await;
    assert_eq!(status, 409);
    assert!(detail.contains("away"), "{detail}");

    let back = json!({"away": false, "capacity": 0});
    assert_eq!(app.patch(&app.owner, &member, &back).await.status(), 200);
    let (status, detail) = refused("hana@acme.test").await;
    assert_eq!(status, 409);
    assert!(detail.contains("full"), "{detail}");
    // Someone at work only in another queue of the line is full at their
    // cap there: their open work counts in every queue.
    let (quinn, _) = app.user("quinn@acme.test", Role::Qualifier).await;
    app.join("qualification", "quinn@acme.test").await;
    let theirs = format!("/api/v1/queues/qualification/members/{quinn}");
    let capped = app
        .patch(&app.owner, &theirs, &json!({"capacity": 0}))
        .await;
    assert_eq!(capped.status(), 200);
    let (status, detail) = refused("quinn@acme.test").await;
    assert_eq!(status, 409);
    assert!(
        detail.contains("full") && detail.contains("every queue"),
        "{detail}"
    );
    assert_eq!(
        app.db.work_item(item).await.unwrap().assignee_id,
        Some(hal),
        "nothing changed hands"
    );

    // A manager may hand it anywhere: their decision, recorded.
    let handed = app
        .post(
            &manager,
            &path,
            &json!({"email": "sam@acme.test", "reason": "a support matter after all"}),
        )
        .await;
    assert_eq!(handed.status(), 200);
    assert_eq!(app.db.work_item(item).await.unwrap().assignee_id, Some(sam));
}

#[tokio::test]
async fn a_qualifier_hands_a_lead_to_a_hunter_in_another_queue() {
    let app = TestApp::new().await;
    let (quinn, quinn_token) = app.user("quinn@acme.test", Role::Qualifier).await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("qualification", "quinn@acme.test").await;
    app.join("hunters", "hal@acme.test").await;
    // A grade B lead goes to qualification.
    let receipt = app
        .inquire(json!({
            "email": "pat@initech.test", "company": "Initech", "message": "Could we get pricing and a demo?",
            "title": "Manager", "phone": "+1 415 555 0101", "fields": {"company_size": 250}
        }))
        .await;
    assert_eq!(receipt["queue"], "qualification", "{receipt}");
    assert_eq!(receipt["assignee_id"], quinn);
    let item = receipt["work_item_id"].as_i64().unwrap();
    let handed = app
        .post(
            &quinn_token,
            &format!("/api/v1/work-items/{item}/reassign"),
            &json!({"email": "hal@acme.test", "reason": "qualified: budget and timeline"}),
        )
        .await;
    assert_eq!(handed.status(), 200);
    assert_eq!(app.db.work_item(item).await.unwrap().assignee_id, Some(hal));
}

/// The item's status and the actions of its history, as the owner reads it.
async fn status_and_actions(app: &TestApp, item: i64) -> (String, Vec<String>) {
    let shown = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    let actions = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    (shown["status"].as_str().unwrap().to_string(), actions)
}

#[tokio::test]
async fn the_holder_marks_work_done_and_it_leaves_their_desk() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, hana_token) = app.user("hana@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(receipt["assignee_id"], hal);
    let item = receipt["work_item_id"].as_i64().unwrap();
    let done = format!("/api/v1/work-items/{item}/done");

    let not_hers = app.post(&hana_token, &done, &json!({})).await;
    assert_eq!(not_hers.status(), 403, "only the holder or a manager");
    let unknown = app.post(&hal_token, &done, &json!({"notes": "x"})).await;
    assert_eq!(unknown.status(), 422);
    let finished = app
        .post(&hal_token, &done, &json!({"note": "sent the price list"}))
        .await;
    assert_eq!(finished.status(), 200);
    let finished: Value = finished.json().await.unwrap();
    assert_eq!(finished["status"], "done");
    assert!(
        finished["first_touched_at"].is_i64(),
        "finishing is a touch"
    );
    let (status, actions) = status_and_actions(&app, item).await;
    assert_eq!(
        (status.as_str(), actions.last().unwrap().as_str()),
        ("done", "done")
    );
    let shown = app
        .get_json(&hal_token, &format!("/api/v1/work-items/{item}"))
        .await;
    assert_eq!(
        shown["history"].as_array().unwrap().last().unwrap()["reason"],
        "marked done: sent the price list"
    );
    let twice = app.post(&hal_token, &done, &json!({})).await;
    assert_eq!(twice.status(), 409);
    let on_desk = app
        .get_json(&hal_token, "/api/v1/work-items?assignee=me&status=accepted")
        .await;
    assert!(on_desk["items"].as_array().unwrap().is_empty());
    app.assert_open_work_is_counted().await;

    // Work waiting unassigned is taken before it is done.
    let away = app
        .patch(
            &app.owner,
            &format!("/api/v1/queues/hunters/members/{hal}"),
            &json!({"away": true}),
        )
        .await;
    assert_eq!(away.status(), 200);
    let waiting = app.inquire(strong_lead("lou@hooli.test")).await;
    assert!(waiting["assignee_id"].is_null(), "{waiting}");
    let item = waiting["work_item_id"].as_i64().unwrap();
    let refused = app
        .post(
            &app.owner,
            &format!("/api/v1/work-items/{item}/done"),
            &json!({}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("take it"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_leads_work_is_done_once_it_becomes_a_deal_or_is_disqualified() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;

    let converted = app.inquire(strong_lead("dana@initech.test")).await;
    let item = converted["work_item_id"].as_i64().unwrap();
    let accepted = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let deal = app
        .post(
            &hal_token,
            "/api/v1/opportunities",
            &json!({"name": "Initech seats", "amount": "1000", "lead_id": converted["lead_id"]}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: Value = deal.json().await.unwrap();
    let (status, actions) = status_and_actions(&app, item).await;
    assert_eq!(status, "done", "{actions:?}");
    let shown = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    let last = shown["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["reason"],
        format!(
            "opportunity {} opened: the work goes on in the deal",
            deal["id"]
        )
    );

    let dropped = app.inquire(strong_lead("lou@hooli.test")).await;
    let item = dropped["work_item_id"].as_i64().unwrap();
    let lead = dropped["lead_id"].as_i64().unwrap();
    let moved = app
        .post(
            &hal_token,
            &format!("/api/v1/leads/{lead}/stage"),
            &json!({"stage": "disqualified", "reason": "student project"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let (status, _) = status_and_actions(&app, item).await;
    assert_eq!(status, "done");
    let still = app
        .get_json(&hal_token, "/api/v1/work-items?assignee=me")
        .await;
    let open: Vec<&Value> = still["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] != "done")
        .collect();
    assert!(open.is_empty(), "nothing left on the desk: {open:?}");
    // A disqualified lead is brought back before a deal is opened on it.
    let refused = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Hooli seats", "amount": "1000", "lead_id": lead}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("lead {lead} is disqualified: bring it back")),
        "{problem}"
    );
    assert_eq!(app.count("opportunities").await, 1);
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_lead_disqualified_and_brought_back_at_once_ends_with_work_if_it_lives() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    for round in 0..6 {
        let inquiry = app
            .inquire(strong_lead(&format!("lou{round}@hooli.test")))
            .await;
        let lead = inquiry["lead_id"].as_i64().unwrap();
        let stage = format!("/api/v1/leads/{lead}/stage");
        let mut moves = tokio::task::JoinSet::new();
        for (to, reason) in [("disqualified", "no budget"), ("sql", "budget found")] {
            let request = app
                .client
                .post(app.url(&stage))
                .bearer_auth(&app.owner)
                .json(&json!({"stage": to, "reason": reason}));
            moves.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
        let statuses = moves.join_all().await;
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "{statuses:?}"
        );
        let now = app.db.lead(lead).await.unwrap().stage;
        let (open,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM work_items
             WHERE lead_id = $1 AND status IN ('unassigned', 'assigned', 'accepted')",
        )
        .bind(lead)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
        let expected = i64::from(now != baton_core::domain::Stage::Disqualified);
        assert_eq!(open, expected, "round {round}: lead {lead} is {now}");
    }
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_lead_brought_back_from_disqualified_gets_work_in_the_queue_of_its_stage() {
    let app = TestApp::new().await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let dropped = app.inquire(strong_lead("lou@hooli.test")).await;
    let lead = dropped["lead_id"].as_i64().unwrap();
    let stage = format!("/api/v1/leads/{lead}/stage");
    let moved = app
        .post(
            &hal_token,
            &stage,
            &json!({"stage": "disqualified", "reason": "student project"}),
        )
        .await;
    assert_eq!(moved.status(), 200);

    // Back to sales: the hunters work it again, under their SLAs.
    let back = app
        .post(
            &hal_token,
            &stage,
            &json!({"stage": "sql", "reason": "the student founded a company"}),
        )
        .await;
    assert_eq!(back.status(), 200);
    let back: Value = back.json().await.unwrap();
    assert_eq!(back["queue"], "hunters", "{back}");
    assert_eq!(back["owner_id"], hal, "{back}");
    let desk = app
        .get_json(&hal_token, "/api/v1/work-items?assignee=me")
        .await;
    let open: Vec<&Value> = desk["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "assigned")
        .collect();
    assert_eq!(open.len(), 1, "{desk}");
    assert_eq!(open[0]["lead_id"], lead);
    assert!(open[0]["first_touch_due_at"].as_i64().unwrap() > baton_db::now_ms());
    let item = open[0]["id"].as_i64().unwrap();
    let shown = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    let why = shown["history"][0]["reason"].as_str().unwrap().to_string();
    assert!(
        why.starts_with("back from disqualified as sql: the student founded a company"),
        "{why}"
    );

    // Disqualified again and back for nurturing: marketing's queue, waiting
    // there while marketing has nobody in it.
    for (to, reason) in [
        ("disqualified", "no budget after all"),
        ("nurture", "budget next year"),
    ] {
        let moved = app
            .post(&hal_token, &stage, &json!({"stage": to, "reason": reason}))
            .await;
        assert_eq!(moved.status(), 200, "{to}");
    }
    let lead_now = app
        .get_json(&app.owner, &format!("/api/v1/leads/{lead}"))
        .await;
    assert_eq!(lead_now["queue"], "nurture", "{lead_now}");
    let nurture = app
        .get_json(&app.owner, "/api/v1/work-items?queue=nurture")
        .await;
    let waiting: Vec<&Value> = nurture["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["lead_id"] == lead && i["status"] == "unassigned")
        .collect();
    assert_eq!(waiting.len(), 1, "{nurture}");

    // A move between other stages gives no new work.
    let moved = app
        .post(
            &app.owner,
            &stage,
            &json!({"stage": "mql", "reason": "engaged again"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let (open,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM work_items WHERE lead_id = $1 AND status IN ('unassigned', 'assigned', 'accepted')",
    )
    .bind(lead)
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(open, 1);
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_lead_moved_back_to_nurture_leaves_its_sales_work_for_marketings() {
    let app = TestApp::new().await;
    let (_, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let (marketer, _) = app.user("mo@acme.test", Role::Marketer).await;
    app.join("nurture", "mo@acme.test").await;
    let sent = app.inquire(strong_lead("lou@hooli.test")).await;
    let (lead, item) = (
        sent["lead_id"].as_i64().unwrap(),
        sent["work_item_id"].as_i64().unwrap(),
    );
    let stage = format!("/api/v1/leads/{lead}/stage");
    let moved = app
        .post(
            &hal_token,
            &stage,
            &json!({"stage": "nurture", "reason": "budget next year"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        (&moved["queue"], &moved["owner_id"]),
        (&json!("nurture"), &json!(marketer))
    );
    let (status, actions) = status_and_actions(&app, item).await;
    assert_eq!(status, "done", "{actions:?}");
    let shown = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{item}"))
        .await;
    let last = shown["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["reason"],
        "the lead went back to nurture: budget next year"
    );
    let open = |queue: &'static str| {
        let db = app.db.clone();
        async move {
            let (count,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM work_items w JOIN queues q ON q.id = w.queue_id
                 WHERE w.lead_id = $1 AND q.slug = $2 AND w.status IN ('unassigned', 'assigned', 'accepted')",
            )
            .bind(lead)
            .bind(queue)
            .fetch_one(db.reader())
            .await
            .unwrap();
            count
        }
    };
    assert_eq!((open("hunters").await, open("nurture").await), (0, 1));

    // Moved on within marketing's care, its nurture work stays as it is.
    for (to, reason) in [
        ("mql", "opened every mail"),
        ("nurture", "went quiet again"),
    ] {
        let moved = app
            .post(&app.owner, &stage, &json!({"stage": to, "reason": reason}))
            .await;
        assert_eq!(moved.status(), 200, "{to}");
    }
    assert_eq!((open("hunters").await, open("nurture").await), (0, 1));
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn finishing_a_leads_work_takes_its_holders_loads_in_one_order() {
    let app = TestApp::new().await;
    let (ann, _) = app.user("ann@acme.test", Role::Hunter).await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let converted = app.inquire(strong_lead("dana@initech.test")).await;
    let lead = converted["lead_id"].as_i64().unwrap();
    let first = converted["work_item_id"].as_i64().unwrap();
    // A second item on the lead, held by Ann: in item order Hal's load
    // comes first, in user order Ann's.
    let now = baton_db::now_ms();
    let (second,): (i64,) = sqlx::query_as(
        "INSERT INTO work_items (lead_id, queue_id, assignee_id, status, first_touch_due_at,
             resolution_due_at, created_at, updated_at)
         SELECT $1, queue_id, $2, 'assigned', $3, $3, $3, $3 FROM work_items WHERE id = $4
         RETURNING id",
    )
    .bind(lead)
    .bind(ann)
    .bind(now)
    .bind(first)
    .fetch_one(app.db.writer())
    .await
    .unwrap();
    assert!(ann < hal && first < second);

    let disqualify = {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/v1/leads/{lead}/stage")),
        );
        move || {
            client
                .post(url)
                .bearer_auth(hal_token)
                .json(&json!({"stage": "disqualified", "reason": "student project"}))
                .send()
        }
    };
    let answer = if app.db.backend() == baton_db::Backend::Postgres {
        // Ann's load held elsewhere: the disqualification waits for it
        // before it takes Hal's, so Hal's stays free meanwhile. (SQLite has
        // one writer, so there is no order to see there.)
        let mut holding = app.db.writer().begin().await.unwrap();
        sqlx::query("SELECT user_id FROM open_work WHERE user_id = $1 FOR UPDATE")
            .bind(ann)
            .execute(&mut *holding)
            .await
            .unwrap();
        let waiting = tokio::spawn(disqualify());
        let mut blocked = false;
        for _ in 0..100 {
            let (waiters,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
                    .fetch_one(app.db.reader())
                    .await
                    .unwrap();
            if waiters > 0 {
                blocked = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(blocked, "the disqualification waits for Ann's load");
        let mut probe = app.db.writer().begin().await.unwrap();
        let hal_free =
            sqlx::query("SELECT user_id FROM open_work WHERE user_id = $1 FOR UPDATE NOWAIT")
                .bind(hal)
                .execute(&mut *probe)
                .await;
        probe.rollback().await.unwrap();
        holding.rollback().await.unwrap();
        assert!(
            hal_free.is_ok(),
            "Hal's load is not taken before Ann's: {hal_free:?}"
        );
        waiting.await.unwrap().unwrap()
    } else {
        disqualify().await.unwrap()
    };
    assert_eq!(answer.status(), 200);
    for item in [first, second] {
        let (status, _) = status_and_actions(&app, item).await;
        assert_eq!(status, "done");
    }
    app.assert_open_work_is_counted().await;
}
