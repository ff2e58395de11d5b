//! Work waiting unassigned in a queue: its members see it on My work and take
//! it in one click or one API call; non-members, away or full members and
//! latecomers are refused.

use crate::helpers::{TestApp, strong_lead};
use crate::pages::Browser;
use baton_core::domain::Role;
use baton_db::queues::MemberChange;
use serde_json::{Value, json};

/// Receipts of inquiries routed to the hunters while nobody is a member, so
/// their items wait unassigned.
async fn waiting_items(app: &TestApp, senders: &[&str]) -> Vec<Value> {
    let mut receipts = Vec::new();
    for sender in senders {
        let receipt = app.inquire(strong_lead(sender)).await;
        assert_eq!(receipt["queue"], "hunters");
        assert!(receipt["assignee_id"].is_null(), "{receipt}");
        receipts.push(receipt);
    }
    receipts
}

fn item(receipt: &Value) -> i64 {
    receipt["work_item_id"].as_i64().unwrap()
}

async fn cap(app: &TestApp, queue: &str, user_id: i64, capacity: i64) {
    let queue = app.db.queue(queue).await.unwrap().id;
    let change = MemberChange {
        capacity: Some(Some(capacity)),
        ..Default::default()
    };
    app.db
        .update_queue_member(None, queue, user_id, &change)
        .await
        .unwrap();
}

#[tokio::test]
async fn members_see_and_take_the_work_waiting_in_their_queues_on_my_work() {
    let app = TestApp::new().await;
    let receipts = waiting_items(&app, &["dana@initech.test", "lou@hooli.test"]).await;
    let (dana, lou) = (&receipts[0], &receipts[1]);
    sqlx::query("UPDATE work_items SET first_touch_due_at = 1000 WHERE id = $1")
        .bind(item(lou))
        .execute(app.db.reader())
        .await
        .unwrap();
    let mut hal = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let mut hugo = Browser::person(&app, "hugo@acme.test", Role::Hunter).await;
    let mut hana = Browser::person(&app, "hana@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("hunters", "hugo@acme.test").await;
    let hal_id = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let dana_link = format!("href=\"/leads/{}\"", dana["lead_id"]);
    let lou_link = format!("href=\"/leads/{}\"", lou["lead_id"]);
    let take_lou = format!("action=\"/work/{}/take\"", item(lou));

    let (status, page, _) = hal.get("/work").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&dana_link) && page.contains(&take_lou),
        "{page}"
    );
    assert!(
        page.find(&lou_link) < page.find(&dana_link),
        "the overdue item first: {page}"
    );
    assert!(page.contains("class=\"overdue\">overdue by"), "{page}");
    assert!(
        !page.contains("/accept\""),
        "a waiting item is taken, not accepted"
    );
    let (_, page, _) = hal.get("/work?status=unassigned").await;
    assert!(page.contains(&dana_link) && page.contains("waiting in my queues"));
    let (_, page, _) = hal.get("/work?status=assigned").await;
    assert!(!page.contains(&dana_link), "{page}");
    let csv = hal
        .fetch("/work.csv?status=unassigned")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().contains(",hunters,unassigned,"),
        "{csv}"
    );

    let (_, page, _) = hana.get("/work").await;
    assert!(!page.contains(&dana_link), "not her queue: {page}");
    let csv = hana.fetch("/work.csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (_, page, _) = hana.get("/work?status=unassigned").await;
    let (status, page, _) = hana
        .post(
            &format!("/work/{}/take", item(lou)),
            &[("csrf", &Browser::csrf(&page))],
        )
        .await;
    assert_eq!(status, 403);
    assert!(page.contains("only members of the hunters queue"), "{page}");

    let (_, page, _) = hal.get("/work?status=unassigned").await;
    let csrf = Browser::csrf(&page);
    let (status, _, _) = hal
        .post(&format!("/work/{}/take", item(lou)), &[("csrf", "forged")])
        .await;
    assert_eq!(status, 403);
    let (status, _, location) = hal
        .post(
            &format!("/work/{}/take", item(lou)),
            &[("csrf", &csrf), ("back", "status=unassigned")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/work?status=unassigned"))
    );
    let taken = app.db.work_item(item(lou)).await.unwrap();
    assert_eq!(
        (taken.assignee_id, taken.status.as_str()),
        (Some(hal_id), "assigned")
    );
    let history = app.db.work_item_history(item(lou)).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.reason.as_str(), last.to_user_id),
        ("assigned", "taken by hal@acme.test", Some(hal_id))
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'work_item.taken'")
            .await,
        1
    );
    let (open,): (i64,) = sqlx::query_as("SELECT items FROM open_work WHERE user_id = $1")
        .bind(hal_id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(open, 1);
    app.assert_open_work_is_counted().await;
    let (_, page, _) = hal.get("/work").await;
    assert!(
        page.contains(&format!("action=\"/work/{}/accept\"", item(lou))),
        "taken, it is the viewer's to accept: {page}"
    );

    let (_, page, _) = hugo.get("/work").await;
    assert!(
        !page.contains(&take_lou),
        "taken work no longer waits: {page}"
    );
    let (status, page, _) = hugo
        .post(
            &format!("/work/{}/take", item(lou)),
            &[("csrf", &Browser::csrf(&page))],
        )
        .await;
    assert_eq!(status, 409, "as the API answers");
    assert!(page.contains("already been taken"), "{page}");

    cap(&app, "hunters", hal_id, 1).await;
    let (status, page, _) = hal
        .post(&format!("/work/{}/take", item(dana)), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 409);
    assert!(
        page.contains("you are full: you hold 1 open items and your cap in the hunters queue is 1"),
        "{page}"
    );
    assert!(
        app.db
            .work_item(item(dana))
            .await
            .unwrap()
            .assignee_id
            .is_none()
    );
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn the_api_takes_waiting_work_once_for_members_with_room() {
    let app = TestApp::new().await;
    let receipts = waiting_items(
        &app,
        &["dana@initech.test", "lou@hooli.test", "zed@vandelay.test"],
    )
    .await;
    let (hal, hal_token) = app.user("hal@acme.test", Role::Hunter).await;
    let (hugo, hugo_token) = app.user("hugo@acme.test", Role::Hunter).await;
    let (_, hana_token) = app.user("hana@acme.test", Role::Hunter).await;
    let (_, away_token) = app.user("abe@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("hunters", "hugo@acme.test").await;
    app.join("hunters", "abe@acme.test").await;
    let take = |receipt: &Value| format!("/api/v1/work-items/{}/take", item(receipt));

    let refused = app.post(&hana_token, &take(&receipts[0]), &json!({})).await;
    assert_eq!(refused.status(), 403, "not a member");
    let hunters = app.db.queue("hunters").await.unwrap().id;
    let abe = app.db.user_by_email("abe@acme.test").await.unwrap().id;
    let away = MemberChange {
        away: Some(true),
        ..Default::default()
    };
    app.db
        .update_queue_member(None, hunters, abe, &away)
        .await
        .unwrap();
    let refused = app.post(&away_token, &take(&receipts[0]), &json!({})).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("marked away"));

    // Two members take the same item at once: exactly one gets it.
    let (path, empty) = (take(&receipts[0]), json!({}));
    let (first, second) = tokio::join!(
        app.post(&hal_token, &path, &empty),
        app.post(&hugo_token, &path, &empty)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let winner = app.db.work_item(item(&receipts[0])).await.unwrap();
    assert!(matches!(winner.assignee_id, Some(id) if id == hal || id == hugo));
    let detail = app
        .get_json(
            &hal_token,
            &format!("/api/v1/work-items/{}", item(&receipts[0])),
        )
        .await;
    let taken: Vec<&Value> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["reason"].as_str().unwrap().starts_with("taken by"))
        .collect();
    assert_eq!(taken.len(), 1, "{detail}");
    assert_eq!(taken[0]["to_user_id"], json!(winner.assignee_id));
    assert_eq!(
        app.count("audit_log WHERE action = 'work_item.taken'")
            .await,
        1
    );

    let mine = app.post(&hal_token, &take(&receipts[1]), &json!({})).await;
    let loser = if winner.assignee_id == Some(hal) {
        &hugo_token
    } else {
        &hal_token
    };
    assert_eq!(mine.status(), 200);
    let mine: Value = mine.json().await.unwrap();
    assert_eq!(
        (&mine["status"], &mine["assignee_id"]),
        (&json!("assigned"), &json!(hal))
    );
    let again = app.post(loser, &take(&receipts[1]), &json!({})).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already been taken"));
    cap(&app, "hunters", hal, 1).await;
    let holding = if winner.assignee_id == Some(hal) {
        2
    } else {
        1
    };
    let full = app.post(&hal_token, &take(&receipts[2]), &json!({})).await;
    assert_eq!(full.status(), 409);
    assert!(
        full.text()
            .await
            .unwrap()
            .contains(&format!("you are full: you hold {holding} open items")),
    );
    app.assert_open_work_is_counted().await;
    // Work finished is not "taken": it says what it is.
    let item = receipts[1]["work_item_id"].as_i64().unwrap();
    let done = app
        .post(
            &hal_token,
            &format!("/api/v1/work-items/{item}/done"),
            &json!({}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let finished = app.post(loser, &take(&receipts[1]), &json!({})).await;
    assert_eq!(finished.status(), 409);
    assert!(
        finished
            .text()
            .await
            .unwrap()
            .contains("the work item is done, not waiting")
    );
}
