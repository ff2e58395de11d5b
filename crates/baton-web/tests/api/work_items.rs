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
    let deactivate = baton_db::users::UserChange {
        active: Some(false),
        ..Default::default()
    };
    let owner = app.db.user_by_email("owner@acme.test").await.unwrap();
    app.db
        .update_user(owner.id, gone, &deactivate)
        .await
        .unwrap();
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

    let third = app.inquire(strong_lead("zed@vandelay.test")).await;
    let item3 = third["work_item_id"].as_i64().unwrap();
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
    app.assert_open_work_is_counted().await;
}
