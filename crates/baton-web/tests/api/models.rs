use crate::helpers::TestApp;
use baton_core::domain::Role;
use baton_core::learn::train::Task;
use serde_json::{Value, json};

/// A billing question or a pricing request, each with its own sender.
fn question(n: usize) -> Value {
    let message = if n.is_multiple_of(2) {
        format!("Our invoice {n} was charged twice, please refund")
    } else {
        format!("Please send pricing for {n} seats")
    };
    json!({"email": format!("person{n}@company{n}.test"), "message": message})
}

async fn correct(app: &TestApp, token: &str, id: &Value, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/inquiries/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_corrected_intent_is_kept_with_the_person_and_the_trained_model_gives_its_reasons() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(app.inquire(question(n)).await["id"].clone());
    }
    let response = correct(
        &app,
        &app.owner,
        &ids[1],
        json!({"intent": "support", "note": "the export is broken"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let corrected: Value = response.json().await.unwrap();
    assert_eq!(corrected["intent"]["value"], "support");
    assert_eq!(corrected["intent"]["version"], "person");
    assert_eq!(
        corrected["intent"]["reasons"][0]["code"],
        "corrected_by_person"
    );
    let unknown = correct(&app, &app.owner, &ids[1], json!({"intent": "gossip"})).await;
    assert_eq!(unknown.status(), 422);
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let forbidden = correct(&app, &hunter, &ids[1], json!({"intent": "billing"})).await;
    assert_eq!(forbidden.status(), 403);

    let trained = app.db.train_model(Task::Intent).await.unwrap().unwrap();
    assert!(trained.activated);
    let receipt = app.inquire(question(1000)).await;
    let inquiry = app
        .get_json(&app.owner, receipt["href"].as_str().unwrap())
        .await;
    assert_eq!(inquiry["intent"]["value"], "billing");
    assert_eq!(
        inquiry["intent"]["version"],
        format!("rules-1+intent-model-{}", trained.version)
    );
    let reason = &inquiry["intent"]["reasons"][0];
    assert_eq!(reason["code"], "intent_model");
    assert!(
        reason["text"]
            .as_str()
            .unwrap()
            .contains("reads it as billing"),
        "{reason}"
    );
    assert_eq!(
        inquiry["intent"]["confidence"].as_f64(),
        reason["weight"].as_f64()
    );
}

#[tokio::test]
async fn the_daily_job_retrains_what_is_due_once_across_servers() {
    let app = TestApp::new().await;
    for n in 0..50 {
        app.inquire(question(n)).await;
    }
    baton_web::jobs::retrain_due(&app.db, "server-a")
        .await
        .unwrap();
    let intent = app.db.model_versions(Task::Intent).await.unwrap();
    assert_eq!(intent.len(), 1);
    assert!(intent[0].active);
    // Nothing was quarantined and no lead has an outcome: too little to learn.
    assert!(app.db.model_versions(Task::Spam).await.unwrap().is_empty());
    assert!(
        app.db
            .model_versions(Task::Conversion)
            .await
            .unwrap()
            .is_empty()
    );
    // Another server the same day finds nothing due.
    baton_web::jobs::retrain_due(&app.db, "server-b")
        .await
        .unwrap();
    assert_eq!(app.db.model_versions(Task::Intent).await.unwrap().len(), 1);
}

async fn activate(app: &TestApp, token: &str, id: i64, task: &str) -> reqwest::Response {
    app.post(
        token,
        &format!("/api/v1/models/{id}/activate"),
        &json!({"task": task}),
    )
    .await
}

#[tokio::test]
async fn owners_and_managers_list_the_models_and_only_owners_activate_one_of_its_own_task() {
    let app = TestApp::new().await;
    for n in 0..50 {
        app.inquire(question(n)).await;
    }
    app.db.train_model(Task::Intent).await.unwrap().unwrap();
    app.db.train_model(Task::Intent).await.unwrap().unwrap();
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;

    let listed = app.get_json(&manager, "/api/v1/models").await;
    let models = listed["items"].as_array().unwrap();
    let shown: Vec<(&str, i64, bool)> = models
        .iter()
        .map(|m| {
            (
                m["task"].as_str().unwrap(),
                m["version"].as_i64().unwrap(),
                m["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown, [("intent", 1, false), ("intent", 2, true)]);
    assert!(models[0]["metrics"]["held_out"].is_object(), "{listed}");
    assert!(models[0]["trained_at"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(app.get(&hunter, "/api/v1/models").await.status(), 403);

    let first = models[0]["id"].as_i64().unwrap();
    assert_eq!(
        activate(&app, &manager, first, "intent").await.status(),
        403
    );
    let other_task = activate(&app, &app.owner, first, "spam").await;
    assert_eq!(other_task.status(), 409);
    let problem: Value = other_task.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("decides intent, not spam"),
        "{problem}"
    );
    assert_eq!(
        activate(&app, &app.owner, 9999, "intent").await.status(),
        404
    );

    let activated = activate(&app, &app.owner, first, "intent").await;
    assert_eq!(activated.status(), 200);
    let activated: Value = activated.json().await.unwrap();
    assert_eq!(
        (activated["version"].as_i64(), activated["active"].as_bool()),
        (Some(1), Some(true))
    );
    let active = app.db.active_model(Task::Intent).await.unwrap().unwrap();
    assert_eq!(active.version, 1);
    let listed = app.get_json(&app.owner, "/api/v1/models").await;
    let flags: Vec<bool> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["active"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [true, false]);
    let (audited,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'model.activated'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(audited, 1);

    let doc = app.get_json(&app.owner, "/api/openapi.json").await;
    assert!(doc["paths"]["/api/v1/models"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/models/{id}/activate"]["post"].is_object());
}
