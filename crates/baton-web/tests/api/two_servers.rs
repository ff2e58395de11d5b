use crate::helpers::TestApp;
use crate::server::start_server;
use baton_core::domain::Role;
use baton_db::Db;
use serde_json::json;
use std::collections::HashMap;

/// Two servers on one database, inquiries sent to both at once: every work
/// item is assigned exactly once, round robin stays balanced within one item
/// per member, and each breach is escalated once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_database_without_double_assignment() {
    let app = TestApp::new().await;
    let members = ["ana", "ben", "cy", "dee"];
    for name in members {
        app.user(&format!("{name}@acme.test"), Role::Operations)
            .await;
        app.join("operations", &format!("{name}@acme.test")).await;
    }
    // A second, independent connection pool and server on the same database.
    let second_db = Db::open(&app.test_db.options).await.unwrap();
    let (second_base, _stop) = start_server(second_db.clone(), |_| {}).await;
    let bases = [app.base.clone(), second_base];

    let total = 120;
    let mut tasks = Vec::new();
    for i in 0..total {
        let client = app.client.clone();
        let url = format!("{}/api/v1/inquiries", bases[i % 2]);
        let token = app.owner.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"email": format!("payer{i}@x.test"), "message": "question about an invoice"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let (items, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT inquiry_id) FROM work_items")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(
        (items, distinct),
        (total as i64, total as i64),
        "one work item per inquiry"
    );
    let (assignments,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM assignment_history WHERE action = 'assigned'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(assignments, total as i64, "each item assigned exactly once");
    let per_member: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT assignee_id, COUNT(*) FROM work_items GROUP BY assignee_id ORDER BY assignee_id",
    )
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    assert_eq!(per_member.len(), members.len());
    let counts: Vec<i64> = per_member.iter().map(|(_, c)| *c).collect();
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(
        max - min <= 1,
        "round robin balanced within one: {counts:?}"
    );

    // Both servers' escalation jobs run over the same breaches at once.
    let later = baton_db::now_ms() + 30 * 24 * 3600 * 1000;
    let (a, b) = tokio::join!(
        app.db.escalate_breaches(later),
        second_db.escalate_breaches(later)
    );
    let mut escalated: HashMap<i64, u32> = HashMap::new();
    for id in a.unwrap().into_iter().chain(b.unwrap()) {
        *escalated.entry(id).or_default() += 1;
    }
    assert_eq!(escalated.len(), total, "every breach escalated");
    assert!(escalated.values().all(|&n| n == 1), "and only once");
    let (recorded,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM assignment_history WHERE action = 'escalated'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(recorded, total as i64);
    app.assert_open_work_is_counted().await;
}

/// A person in two queues, capped in both, sent billing inquiries through one
/// server and support inquiries through the other at once: their cap holds
/// across the queues, and the rest wait unassigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_keep_one_cap_for_a_person_in_two_queues() {
    let app = TestApp::new().await;
    let (opal, _) = app.user("opal@acme.test", Role::Operations).await;
    let cap = 5;
    for queue in ["operations", "service"] {
        app.join(queue, "opal@acme.test").await;
        let path = format!("/api/v1/queues/{queue}/members/{opal}");
        let response = app
            .patch(&app.owner, &path, &json!({"capacity": cap}))
            .await;
        assert_eq!(response.status(), 200);
    }
    let second_db = Db::open(&app.test_db.options).await.unwrap();
    let (second_base, _stop) = start_server(second_db.clone(), |_| {}).await;
    let sends = (0..40).map(|i| {
        let (base, message) = if i % 2 == 0 {
            (
                app.base.clone(),
                "Our invoice was charged twice, please refund",
            )
        } else {
            (
                second_base.clone(),
                "The export is not working since the update, error 500",
            )
        };
        let request = app
            .client
            .post(format!("{base}/api/v1/inquiries"))
            .bearer_auth(&app.owner)
            .json(&json!({"email": format!("c{i}@x.test"), "message": message}));
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    });
    for send in sends.collect::<Vec<_>>() {
        assert_eq!(send.await.unwrap(), 201);
    }
    let (held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM work_items WHERE assignee_id = $1")
        .bind(opal)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(held, cap, "the cap holds across queues and servers");
    app.assert_open_work_is_counted().await;
}
