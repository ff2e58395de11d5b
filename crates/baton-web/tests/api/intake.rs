use crate::helpers::{TestApp, api_inquiry, process_as_one_batch, strong_lead};
use baton_core::domain::Role;
use serde_json::json;

#[tokio::test]
async fn a_posted_inquiry_is_stored_raw_and_explained() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let body = strong_lead("dana@initech.test");
    let receipt = app.inquire(body.clone()).await;
    assert_eq!(receipt["status"], "processed");
    assert_eq!(receipt["intent"], "new_business");
    assert_eq!(receipt["queue"], "hunters");

    let inquiry = app
        .get_json(&app.owner, receipt["href"].as_str().unwrap())
        .await;
    assert_eq!(inquiry["raw"], body, "raw is exactly what was sent");
    let received = inquiry["received_at"].as_i64().unwrap_or_default();
    assert!(
        received > baton_db::now_ms() - 60_000,
        "UTC milliseconds, like every time the API gives: {inquiry}"
    );
    assert_eq!(inquiry["status"], "processed");
    assert_eq!(inquiry["moderation"]["verdict"], "ham");
    assert_eq!(inquiry["intent"]["value"], "new_business");
    assert!(inquiry["intent"]["confidence"].as_f64().unwrap() > 0.5);
    assert_eq!(inquiry["score"]["grade"], "A");
    assert!(inquiry["score"]["value"].as_u64().unwrap() >= 75);
    let reasons: Vec<&str> = inquiry["score"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"decision_maker") && reasons.contains(&"company_size"),
        "{reasons:?}"
    );
    assert_eq!(inquiry["stage"], "mql");
    assert_eq!(inquiry["queue"], "hunters");
    assert_eq!(inquiry["assignee"]["email"], "hal@acme.test");
    let picked = inquiry["assignee"]["reason"].as_str().unwrap();
    assert!(picked.contains("round_robin"), "{picked}");
    assert!(
        inquiry["routing"]["reasons"][0]["text"]
            .as_str()
            .unwrap()
            .contains("hunters")
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_result_and_stores_nothing() {
    let app = TestApp::new().await;
    let send = || {
        app.client
            .post(app.url("/api/v1/inquiries"))
            .bearer_auth(&app.owner)
            .header("Idempotency-Key", "order-42")
            .json(&strong_lead("kim@globex.test"))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].to_str().unwrap().to_string();
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/inquiries/{}", first["id"]));
    let before = (
        app.count("inquiries").await,
        app.count("decisions").await,
        app.count("work_items").await,
    );
    let second = send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert!(second.headers().get("location").is_none());
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["repeat"], true);
    assert_eq!(second["queue"], first["queue"]);
    let after = (
        app.count("inquiries").await,
        app.count("decisions").await,
        app.count("work_items").await,
    );
    assert_eq!(before, after);
}

#[tokio::test]
async fn spam_is_quarantined_never_deleted_and_gets_no_queue() {
    let app = TestApp::new().await;
    let receipt = app
        .inquire(json!({
            "email": "deals@mailinator.com",
            "message": "CHEAP SEO http://a.biz http://b.biz http://c.biz"
        }))
        .await;
    assert_eq!(receipt["status"], "quarantined");
    assert!(receipt["queue"].is_null());
    let inquiry = app
        .get_json(&app.owner, receipt["href"].as_str().unwrap())
        .await;
    assert_eq!(inquiry["moderation"]["verdict"], "spam");
    let codes: Vec<&str> = inquiry["moderation"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"disposable_mailbox") && codes.contains(&"many_links"),
        "{codes:?}"
    );
    assert_eq!(app.count("work_items").await, 0);
    assert_eq!(app.count("inquiries").await, 1);
}

#[tokio::test]
async fn the_same_message_twice_in_a_day_counts_as_repetition() {
    let app = TestApp::new().await;
    let body = json!({"email": "ann@acme.test", "message": "Please call me about pricing"});
    app.inquire(body.clone()).await;
    let second = app.inquire(body).await;
    let inquiry = app
        .get_json(&app.owner, second["href"].as_str().unwrap())
        .await;
    let codes: Vec<&str> = inquiry["moderation"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"repeated_submission"), "{codes:?}");
}

#[tokio::test]
async fn a_failed_processing_waits_in_needs_attention_and_reprocess_retries_it() {
    let app = TestApp::new().await;
    // A raw inquiry whose payload cannot be read as an inquiry: stored, never lost.
    let (stored, _) = app
        .db
        .store_raw(&[baton_db::intake::RawInquiry {
            channel: baton_core::domain::Channel::Api,
            origin: "test".into(),
            raw: br#"{"email": 42}"#.to_vec(),
            idempotency_key: None,
            content_hash: "x".into(),
        }])
        .await
        .unwrap();
    let id = stored[0].id();
    let outcomes = app.db.process_inquiries(&[id]).await.unwrap();
    assert_eq!(
        outcomes[0].status,
        baton_core::domain::InquiryStatus::NeedsAttention
    );
    let inquiry = app
        .get_json(&app.owner, &format!("/api/v1/inquiries/{id}"))
        .await;
    assert_eq!(inquiry["status"], "needs_attention");
    assert!(
        inquiry["error"].as_str().unwrap().contains("invalid type"),
        "{inquiry}"
    );
    assert_eq!(app.db.waiting_inquiries(10).await.unwrap(), vec![id]);
}

#[tokio::test]
async fn an_inquiry_that_cannot_be_written_waits_alone_and_the_others_are_processed() {
    let app = TestApp::new().await;
    let done = app.inquire(strong_lead("dana@initech.test")).await;
    let broken = done["id"].as_i64().unwrap();
    // Its lead is there already: written again, it breaks a unique key.
    sqlx::query("UPDATE inquiries SET status = 'received' WHERE id = $1")
        .bind(broken)
        .execute(app.db.writer())
        .await
        .unwrap();
    let raw = serde_json::to_vec(&strong_lead("lou@hooli.test")).unwrap();
    let (stored, _) = app
        .db
        .store_raw(&[baton_db::intake::RawInquiry {
            channel: baton_core::domain::Channel::Api,
            origin: "test".into(),
            raw,
            idempotency_key: None,
            content_hash: "lou".into(),
        }])
        .await
        .unwrap();
    let fresh = stored[0].id();
    let outcomes = app.db.process_inquiries(&[broken, fresh]).await.unwrap();
    let status_of = |id: i64| {
        outcomes
            .iter()
            .find(|o| o.inquiry_id == id)
            .map(|o| (o.status, o.error.is_some()))
    };
    use baton_core::domain::InquiryStatus;
    assert_eq!(
        status_of(broken),
        Some((InquiryStatus::NeedsAttention, true)),
        "{outcomes:?}"
    );
    assert_eq!(
        status_of(fresh),
        Some((InquiryStatus::Processed, false)),
        "{outcomes:?}"
    );
    let shown = app
        .get_json(&app.owner, &format!("/api/v1/inquiries/{broken}"))
        .await;
    assert_eq!(shown["status"], "needs_attention", "{shown}");
    assert_eq!(app.db.waiting_inquiries(10).await.unwrap(), vec![broken]);
}

#[tokio::test]
async fn a_person_writing_again_while_their_lead_is_worked_is_named_to_both_holders() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let first = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(first["assignee_id"], hal);
    let (first_lead, first_item) = (
        first["lead_id"].as_i64().unwrap(),
        first["work_item_id"].as_i64().unwrap(),
    );

    let mut again = strong_lead("dana@initech.test");
    again["message"] = json!("Also: do you integrate with our ERP? We need it for the rollout.");
    let second = app.inquire(again).await;
    let second_lead = second["lead_id"].as_i64().unwrap();
    assert_ne!(second_lead, first_lead, "a lead of its own");
    let shown = app
        .get_json(&app.owner, second["href"].as_str().unwrap())
        .await;
    let named = shown["routing"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "other_open_lead")
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        named["text"]
            .as_str()
            .unwrap()
            .contains(&format!("already has lead {first_lead}")),
        "{named}"
    );
    let history = app
        .get_json(&app.owner, &format!("/api/v1/work-items/{first_item}"))
        .await;
    let last = history["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "wrote_again", "{history}");
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("inquiry {}, lead {second_lead}", second["id"])),
        "{last}"
    );
    // The first item is still Hal's, and open.
    assert_eq!(
        (&history["status"], &history["assignee_id"]),
        (&json!("assigned"), &json!(hal))
    );
}

#[tokio::test]
async fn openapi_document_lists_the_api() {
    let app = TestApp::new().await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    for path in [
        "/api/v1/inquiries",
        "/api/v1/inquiries/{id}",
        "/api/v1/work-items",
        "/api/v1/work-items/{id}/take",
        "/api/v1/queues/{id}/members",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["InquiryInput"].is_object());
    let rule = &doc["components"]["schemas"]["Rule"];
    assert!(
        rule["properties"]["condition"].is_object() && rule["properties"]["queue"].is_object(),
        "the routing rules are typed: {rule}"
    );
    // Every reference names a schema the document holds.
    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| references(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    references(&doc, &mut found);
    for target in found {
        let name = target.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{target} does not resolve"
        );
    }

    // What OpenAPI requires and clients rely on, for every operation.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_string()), "{at}: operation id {id} twice");
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                if in_path || parameter["in"] != "header" {
                    let declared = if in_path { "path" } else { "query" };
                    assert_eq!(parameter["in"], declared, "{at}: {name}");
                }
            }
            let answers = operation["responses"].as_object().unwrap();
            for (code, answer) in answers {
                assert!(
                    answer["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{at}: {code} has no description"
                );
                if code.starts_with('4') {
                    assert!(
                        answer["content"]["application/problem+json"].is_object(),
                        "{at}: {code} is not a problem"
                    );
                }
            }
            if operation["security"].is_array() {
                assert!(answers.contains_key("401"), "{at}: no 401");
            }
            if operation["requestBody"].is_object() {
                for code in ["400", "413", "415"] {
                    assert!(answers.contains_key(code), "{at}: no {code}");
                }
            }
            // Any operation refuses an undocumented query parameter; a path
            // id may not parse; a write may conflict.
            assert!(answers.contains_key("422"), "{at}: no 422");
            if path.contains('{') {
                assert!(answers.contains_key("400"), "{at}: no 400");
            }
            if method != "get" {
                assert!(answers.contains_key("409"), "{at}: no 409");
            }
        }
    }
    let reassign = &doc["components"]["schemas"]["ReassignIn"]["required"];
    assert_eq!(*reassign, json!(["email", "reason"]));
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_moderator_releases_or_confirms_quarantined_inquiries() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, qualifier) = app.user("quinn@acme.test", Role::Qualifier).await;
    let spammy = json!({
        "email": "buyer@mailinator.com",
        "message": "Pricing please http://a.example http://b.example http://c.example"
    });
    let first = app.inquire(spammy.clone()).await;
    assert_eq!(first["status"], "quarantined");
    let path = format!("/api/v1/inquiries/{}", first["id"]);

    let refused = app
        .post(&hunter, &format!("{path}/release"), &json!({}))
        .await;
    assert_eq!(refused.status(), 403);
    let released = app
        .post(
            &qualifier,
            &format!("{path}/release"),
            &json!({"note": "a real buyer"}),
        )
        .await;
    assert_eq!(released.status(), 200);
    let released: serde_json::Value = released.json().await.unwrap();
    assert_eq!(released["status"], "processed");
    assert_eq!(released["moderation"]["verdict"], "ham");
    assert!(
        released["moderation"]["reasons"][0]["text"]
            .as_str()
            .unwrap()
            .contains("quinn")
    );
    // Why it was held stays in view after the release.
    let reasons = released["moderation"]["reasons"].to_string();
    assert!(
        reasons.contains("judged spam before: ") && reasons.contains("disposable"),
        "{reasons}"
    );
    assert!(
        released["queue"].is_string(),
        "routed after release: {released}"
    );
    let again = app
        .post(&qualifier, &format!("{path}/release"), &json!({}))
        .await;
    assert_eq!(again.status(), 409);

    let second = app.inquire(json!({"email": "x@mailinator.com", "message": "SEO http://a.biz http://b.biz http://c.biz"})).await;
    let path = format!("/api/v1/inquiries/{}", second["id"]);
    let confirmed = app
        .post(&qualifier, &format!("{path}/confirm-spam"), &json!({}))
        .await;
    assert_eq!(confirmed.status(), 200);
    let confirmed: serde_json::Value = confirmed.json().await.unwrap();
    assert_eq!(confirmed["status"], "spam");
    assert!(confirmed["queue"].is_null());
    assert_eq!(app.count("inquiries").await, 2, "nothing deleted");
}

#[tokio::test]
async fn when_decisions_cannot_be_written_the_raw_inquiry_is_still_kept() {
    // Writing a lead's stage history fails, after the raw inquiry is stored.
    raw_inquiry_is_kept_while_a_table_is_away("lead_stage_history", false).await;
}

#[tokio::test]
async fn when_an_inquiry_cannot_be_decided_the_raw_inquiry_is_still_kept() {
    // Reading the routing rules fails while the raw inquiry is being stored.
    raw_inquiry_is_kept_while_a_table_is_away("routing_rules", false).await;
}

#[tokio::test]
async fn when_an_acknowledged_inquirys_decisions_cannot_be_written_it_is_still_kept() {
    raw_inquiry_is_kept_while_a_table_is_away("lead_stage_history", true).await;
}

#[tokio::test]
async fn when_an_acknowledged_inquiry_cannot_be_decided_it_is_still_kept() {
    raw_inquiry_is_kept_while_a_table_is_away("routing_rules", true).await;
}

/// Posts an inquiry while `table` is renamed away (with `Prefer:
/// respond-async` when `respond_async`): it is acknowledged and stored raw
/// with nothing decided, and processed once the table is back.
async fn raw_inquiry_is_kept_while_a_table_is_away(table: &str, respond_async: bool) {
    let app = TestApp::new().await;
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    let away = format!("{table}_away");
    sqlx::query(&rename(table, &away))
        .execute(app.db.writer())
        .await
        .unwrap();
    let body = crate::helpers::strong_lead("dana@initech.test");
    let response = if respond_async {
        inquire_async(&app, &body).await
    } else {
        app.post(&app.owner, "/api/v1/inquiries", &body).await
    };
    assert_eq!(response.status(), if respond_async { 202 } else { 201 });
    let receipt: serde_json::Value = response.json().await.unwrap();
    assert_eq!(receipt["status"], "received", "{receipt}");
    if respond_async {
        // Processing follows the answer: give it time to try and fail.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let inquiry = app
            .get_json(&app.owner, receipt["href"].as_str().unwrap())
            .await;
        assert_eq!(inquiry["status"], "received", "{inquiry}");
    }
    assert_eq!(app.count("inquiries").await, 1);
    assert_eq!(app.count("decisions").await, 0, "no decision half-stored");
    assert_eq!(app.count("leads").await, 0);

    sqlx::query(&rename(&away, table))
        .execute(app.db.writer())
        .await
        .unwrap();
    let waiting = app.db.waiting_inquiries(10).await.unwrap();
    assert_eq!(waiting, vec![receipt["id"].as_i64().unwrap()]);
    let outcomes = app.db.process_inquiries(&waiting).await.unwrap();
    assert_eq!(outcomes[0].queue.as_deref(), Some("hunters"));
    assert_eq!(app.count("leads").await, 1);
    // The writer goes on: the next inquiry is processed as usual.
    let next = app
        .inquire(crate::helpers::strong_lead("kim@globex.test"))
        .await;
    assert_eq!(next["status"], "processed", "{next}");
}

/// The same sender's same message, ready to be stored.
fn repeated_inquiry(content_hash: &str) -> baton_db::intake::RawInquiry {
    baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "test".into(),
        raw: serde_json::to_vec(&crate::helpers::strong_lead("dana@initech.test")).unwrap(),
        idempotency_key: None,
        content_hash: content_hash.into(),
    }
}

/// The text of an inquiry's repeated-submission reason, if moderation gave one.
async fn repeat_reason(app: &TestApp, id: i64) -> Option<String> {
    let view = app.db.inquiry(id).await.unwrap();
    let moderation = view
        .decisions
        .iter()
        .find(|d| d.kind == "moderation")
        .unwrap();
    moderation
        .reasons
        .iter()
        .find(|r| r.code == "repeated_submission")
        .map(|r| r.text.clone())
}

#[tokio::test]
async fn repeats_within_one_batch_count_as_repeated_submissions() {
    let app = TestApp::new().await;
    let raw = repeated_inquiry("same sender, same message");
    let batch = vec![raw.clone(), raw.clone(), raw];
    let (stored, outcomes) = app.db.take(&batch).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(
        repeat_reason(&app, stored[0].id()).await,
        None,
        "the first is no repeat"
    );
    assert!(
        repeat_reason(&app, stored[2].id())
            .await
            .unwrap()
            .contains("2 time(s)"),
        "the third follows two earlier ones of its batch"
    );
}

#[tokio::test]
async fn only_repeats_from_the_last_day_count() {
    let app = TestApp::new().await;
    let raw = repeated_inquiry("sent two days ago and again now");
    let (old, _) = app.db.take(std::slice::from_ref(&raw)).await.unwrap();
    let two_days_ms: i64 = 2 * 24 * 3600 * 1000;
    sqlx::query("UPDATE inquiries SET received_at = received_at - $1 WHERE id = $2")
        .bind(two_days_ms)
        .bind(old[0].id())
        .execute(app.db.writer())
        .await
        .unwrap();
    let (again, _) = app.db.take(std::slice::from_ref(&raw)).await.unwrap();
    let (third, _) = app.db.take(&[raw]).await.unwrap();
    assert_eq!(
        repeat_reason(&app, again[0].id()).await,
        None,
        "the one two days old is past the window"
    );
    assert!(
        repeat_reason(&app, third[0].id())
            .await
            .unwrap()
            .contains("1 time(s)"),
        "only the one from today counts"
    );
}

/// Posts an inquiry as the owner asking to be answered once it is stored.
async fn inquire_async(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .header("Prefer", "respond-async")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Reads an inquiry until it has left `received`, for at most ten seconds.
async fn once_processed(app: &TestApp, href: &str) -> serde_json::Value {
    for _ in 0..200 {
        let inquiry = app.get_json(&app.owner, href).await;
        if inquiry["status"] != "received" {
            return inquiry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{href} was not processed within ten seconds");
}

#[tokio::test]
async fn an_inquiry_sent_with_respond_async_is_answered_once_stored_and_processed_after() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let body = strong_lead("dana@initech.test");
    let response = inquire_async(&app, &body).await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.headers()["preference-applied"],
        "respond-async",
        "the client is told its preference was honoured"
    );
    let receipt: serde_json::Value = response.json().await.unwrap();
    assert_eq!(receipt["status"], "received");
    assert_eq!(receipt["repeat"], false);
    assert!(receipt["queue"].is_null() && receipt["intent"].is_null());
    let href = receipt["href"].as_str().unwrap();

    // Stored before the answer: readable at once, exactly as sent.
    let stored = app.get_json(&app.owner, href).await;
    assert_eq!(stored["raw"], body);

    let inquiry = once_processed(&app, href).await;
    assert_eq!(inquiry["status"], "processed");
    assert_eq!(inquiry["intent"]["value"], "new_business");
    assert_eq!(inquiry["score"]["grade"], "A");
    assert_eq!(inquiry["queue"], "hunters");
    assert_eq!(inquiry["assignee"]["email"], "hal@acme.test");
    assert_eq!(inquiry["moderation"]["verdict"], "ham");
    assert_eq!(app.count("work_items").await, 1);
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_sent_with_respond_async_stores_nothing_new() {
    let app = TestApp::new().await;
    let send = || {
        app.client
            .post(app.url("/api/v1/inquiries"))
            .bearer_auth(&app.owner)
            .header("Idempotency-Key", "order-43")
            .header("Prefer", "respond-async")
            .json(&strong_lead("kim@globex.test"))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 202);
    let first: serde_json::Value = first.json().await.unwrap();
    once_processed(&app, first["href"].as_str().unwrap()).await;
    let before = (app.count("inquiries").await, app.count("decisions").await);
    let second = send().await.unwrap();
    assert_eq!(
        second.status(),
        200,
        "a repeat is answered with what is stored"
    );
    assert!(second.headers().get("preference-applied").is_none());
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["repeat"], true);
    assert_eq!(second["status"], "processed");
    let after = (app.count("inquiries").await, app.count("decisions").await);
    assert_eq!(before, after);
}

#[tokio::test]
async fn inquiries_sent_at_once_with_and_without_respond_async_are_each_routed_once() {
    let app = TestApp::new().await;
    for k in 0..3 {
        let email = format!("hunter{k}@acme.test");
        app.user(&email, Role::Hunter).await;
        app.join("hunters", &email).await;
    }
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..60 {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/inquiries"),
            app.owner.clone(),
        );
        sends.spawn(async move {
            let mut request = client
                .post(url)
                .bearer_auth(token)
                .json(&strong_lead(&format!("buyer{n}@company{n}.test")));
            let respond_async = n % 3 != 0;
            if respond_async {
                request = request.header("Prefer", "respond-async");
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), if respond_async { 202 } else { 201 });
            let receipt: serde_json::Value = response.json().await.unwrap();
            let expected = if respond_async {
                "received"
            } else {
                "processed"
            };
            assert_eq!(receipt["status"], expected, "{receipt}");
            receipt["href"].as_str().unwrap().to_string()
        });
    }
    let hrefs = sends.join_all().await;
    for href in &hrefs {
        let inquiry = once_processed(&app, href).await;
        assert_eq!(inquiry["queue"], "hunters", "{href}");
    }
    assert_eq!(app.count("inquiries").await, 60);
    assert_eq!(app.count("work_items").await, 60, "one work item each");
    let (decisions,): (i64,) =
        sqlx::query_as("SELECT COUNT(DISTINCT inquiry_id) FROM decisions WHERE kind = 'route'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(decisions, 60);
    // Round robin over three hunters stays balanced within one item.
    let loads: Vec<(i64,)> =
        sqlx::query_as("SELECT COUNT(*) FROM work_items GROUP BY assignee_id ORDER BY COUNT(*)")
            .fetch_all(app.db.reader())
            .await
            .unwrap();
    assert_eq!(loads.len(), 3);
    assert!(loads[2].0 - loads[0].0 <= 1, "{loads:?}");
    app.assert_open_work_is_counted().await;
}

#[tokio::test]
async fn a_large_batch_is_decided_each_by_its_own_message_and_assigned_in_arrival_order() {
    let app = TestApp::new().await;
    for name in ["ann", "bob"] {
        app.user(&format!("{name}@acme.test"), Role::Operations)
            .await;
        app.join("operations", &format!("{name}@acme.test")).await;
    }
    // Large enough to be decided in two halves; billing and support alternate.
    let raws: Vec<baton_db::intake::RawInquiry> = (0..20)
        .map(|i| {
            let message = if i % 2 == 0 {
                "Our invoice was charged twice, please refund"
            } else {
                "The export is not working since the update, error 500"
            };
            api_inquiry(&format!("c{i}@x.test"), message)
        })
        .collect();
    let outcomes = process_as_one_batch(&app, &raws).await;

    let answered: Vec<i64> = outcomes.iter().map(|o| o.inquiry_id).collect();
    assert_eq!(answered.len(), 20);
    assert!(
        answered.windows(2).all(|pair| pair[0] < pair[1]),
        "outcomes in arrival order: {answered:?}"
    );
    for (i, outcome) in outcomes.iter().enumerate() {
        let queue = if i % 2 == 0 { "operations" } else { "service" };
        assert_eq!(outcome.queue.as_deref(), Some(queue), "inquiry {i}");
    }
    // Round robin follows arrival: the two members take turns.
    let assignees: Vec<i64> = outcomes
        .iter()
        .filter(|o| o.queue.as_deref() == Some("operations"))
        .map(|o| o.assignee_id.unwrap())
        .collect();
    assert_eq!(assignees.len(), 10);
    for pair in assignees.windows(2) {
        assert_ne!(pair[0], pair[1], "{assignees:?}");
    }
}

#[tokio::test]
async fn an_intent_corrected_in_quarantine_stands_when_the_inquiry_is_released() {
    let app = TestApp::new().await;
    let (_, qualifier) = app.user("quinn@acme.test", Role::Qualifier).await;
    app.user("sam@acme.test", Role::Service).await;
    app.join("service", "sam@acme.test").await;
    let held = app
        .inquire(json!({
            "email": "kim@mailinator.com",
            "message": "Screenshots: http://a.example/1 http://a.example/2 http://a.example/3"
        }))
        .await;
    assert_eq!(held["status"], "quarantined");
    let path = format!("/api/v1/inquiries/{}", held["id"]);
    let corrected = app
        .patch(
            &qualifier,
            &path,
            &json!({"intent": "support", "note": "screenshots of a bug"}),
        )
        .await;
    assert_eq!(corrected.status(), 200);
    let released = app
        .post(&qualifier, &format!("{path}/release"), &json!({}))
        .await;
    assert_eq!(released.status(), 200);
    let inquiry = app.get_json(&app.owner, &path).await;
    assert_eq!(inquiry["status"], "processed", "{inquiry}");
    assert_eq!(inquiry["intent"]["value"], "support", "{inquiry}");
    assert_eq!(inquiry["queue"], "service", "{inquiry}");

    // The person's decisions are stored once each, as theirs.
    let kinds: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "SELECT kind, value, actor_id FROM decisions
         WHERE inquiry_id = $1 AND kind IN ('moderation', 'intent') ORDER BY id",
    )
    .bind(held["id"].as_i64().unwrap())
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    let by_hand = |kind: &str| {
        kinds
            .iter()
            .filter(|(k, _, actor)| k == kind && actor.is_some())
            .count()
    };
    assert_eq!(
        (by_hand("moderation"), by_hand("intent")),
        (1, 1),
        "{kinds:?}"
    );
    let after_release: Vec<&(String, String, Option<i64>)> = kinds
        .iter()
        .skip_while(|(k, v, _)| !(k == "moderation" && v == "ham"))
        .skip(1)
        .collect();
    assert!(
        after_release.is_empty(),
        "nothing decided again after the release: {kinds:?}"
    );
}

#[tokio::test]
async fn the_same_message_sent_again_joins_the_open_work_of_the_first() {
    let app = TestApp::new().await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.user("hana@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("hunters", "hana@acme.test").await;
    let body = strong_lead("dana@initech.test");
    let first = app.inquire(body.clone()).await;
    // Sent again with other spacing and capitals: the same message.
    let mut again = body.clone();
    again["message"] = json!(format!(
        "  {}  ",
        body["message"].as_str().unwrap().to_uppercase()
    ));
    let second = app.inquire(again).await;
    assert_eq!(second["status"], "processed", "{second}");
    assert_eq!(second["repeat_of"], first["id"], "{second}");
    for field in ["work_item_id", "lead_id", "queue", "assignee_id"] {
        assert_eq!(second[field], first[field], "{field}: {second}");
    }
    let work: (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM work_items), (SELECT COUNT(*) FROM leads)")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(work, (1, 1), "no second work item or lead");
    // Whoever holds the work reads that the person wrote again.
    let item = app
        .get_json(
            &app.owner,
            &format!("/api/v1/work-items/{}", first["work_item_id"]),
        )
        .await;
    let last = item["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "sent_again", "{item}");
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .ends_with(&format!("inquiry {}", second["id"])),
        "{item}"
    );

    let view = app
        .get_json(&app.owner, second["href"].as_str().unwrap())
        .await;
    assert_eq!(view["repeat_of"], first["id"]);
    assert_eq!(view["queue"], "hunters");
    assert_eq!(view["work_item_id"], first["work_item_id"]);
    // Why the holder holds it is still how it was handed to them.
    let first_view = app
        .get_json(&app.owner, first["href"].as_str().unwrap())
        .await;
    let why = first_view["assignee"]["reason"].as_str().unwrap();
    assert!(why.contains("picked by round_robin"), "{first_view}");
    let reasons = view["routing"]["reasons"].to_string();
    assert!(reasons.contains("sent again word for word"), "{reasons}");
    let manager = crate::pages::Browser::person(&app, "mona@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get(&format!("/inquiries/{}", second["id"])).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("href=\"/inquiries/{}\"", first["id"])),
        "{page}"
    );
    // Its intent is corrected on the first inquiry, whose work it joined.
    let corrected = app
        .patch(
            &app.owner,
            second["href"].as_str().unwrap(),
            &json!({"intent": "support"}),
        )
        .await;
    assert_eq!(corrected.status(), 409);
    let problem: serde_json::Value = corrected.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .ends_with(&format!("correct the intent of inquiry {}", first["id"])),
        "{problem}"
    );

    // Another message from the same sender is new work.
    let mut other = body.clone();
    other["message"] = json!("Also: a quote for 30 seats of the analytics add-on, please.");
    let third = app.inquire(other).await;
    assert_eq!(third["repeat_of"], serde_json::Value::Null, "{third}");
    assert_ne!(third["work_item_id"], first["work_item_id"]);
}

#[tokio::test]
async fn the_same_message_after_its_work_is_closed_is_new_work() {
    let app = TestApp::new().await;
    let body = strong_lead("dana@initech.test");
    let first = app.inquire(body.clone()).await;
    sqlx::query("UPDATE work_items SET status = 'done' WHERE id = $1")
        .bind(first["work_item_id"].as_i64().unwrap())
        .execute(app.db.writer())
        .await
        .unwrap();
    let second = app.inquire(body).await;
    assert_eq!(second["repeat_of"], serde_json::Value::Null, "{second}");
    assert!(second["work_item_id"].as_i64().is_some(), "{second}");
    assert_ne!(second["work_item_id"], first["work_item_id"]);
}

#[tokio::test]
async fn repeats_within_one_batch_share_the_first_ones_work() {
    let app = TestApp::new().await;
    let raw = repeated_inquiry("sent three times at once");
    let (stored, outcomes) = app.db.take(&[raw.clone(), raw.clone(), raw]).await.unwrap();
    let first = &outcomes[0];
    assert!(first.work_item_id.is_some(), "{first:?}");
    assert_eq!(first.repeat_of, None);
    for outcome in &outcomes[1..] {
        assert_eq!(outcome.repeat_of, Some(stored[0].id()), "{outcome:?}");
        assert_eq!(outcome.work_item_id, first.work_item_id);
        assert_eq!(outcome.lead_id, first.lead_id);
    }
    let (items,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM work_items")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(items, 1);
}

#[tokio::test]
async fn every_later_copy_joins_the_first_whether_answered_at_once_or_once_stored() {
    let app = TestApp::new().await;
    let body = strong_lead("dana@initech.test");
    let first = app.inquire(body.clone()).await;
    let second = app.inquire(body.clone()).await;
    assert_eq!(second["repeat_of"], first["id"], "{second}");
    let third = app.inquire(body.clone()).await;
    assert_eq!(
        third["repeat_of"], first["id"],
        "a repeat of a repeat: {third}"
    );
    let answered = inquire_async(&app, &body).await;
    assert_eq!(answered.status(), 202);
    let receipt: serde_json::Value = answered.json().await.unwrap();
    let fourth = once_processed(&app, receipt["href"].as_str().unwrap()).await;
    assert_eq!(fourth["repeat_of"], first["id"], "{fourth}");
    assert_eq!(fourth["work_item_id"], first["work_item_id"], "{fourth}");
    assert_eq!(app.count("work_items").await, 1);
}

#[tokio::test]
async fn an_inquiry_released_after_its_message_came_again_joins_that_work() {
    let app = TestApp::new().await;
    let (moderator, _) = app.user("mo@acme.test", Role::Manager).await;
    // Held in quarantine, as a form submission with its honeypot filled is.
    let body = strong_lead("dana@initech.test");
    let raw = baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "test".into(),
        raw: serde_json::to_vec(&body).unwrap(),
        idempotency_key: None,
        content_hash: baton_core::intake::content_hash(
            &baton_core::inquiry::Inquiry::parse(&serde_json::from_value(body.clone()).unwrap())
                .unwrap(),
        ),
    };
    let (held, _) = app.db.store_raw(&[raw]).await.unwrap();
    let held = held[0].id();
    sqlx::query("UPDATE inquiries SET status = 'quarantined' WHERE id = $1")
        .bind(held)
        .execute(app.db.writer())
        .await
        .unwrap();
    // The same message again, as ham: new work, since the first has none.
    let again = app.inquire(body).await;
    assert_eq!(again["repeat_of"], serde_json::Value::Null, "{again}");
    let released = app.db.release_inquiry(moderator, held, "").await.unwrap();
    assert_eq!(released.repeat_of, again["id"].as_i64(), "{released:?}");
    assert_eq!(released.work_item_id, again["work_item_id"].as_i64());
    assert_eq!(app.count("work_items").await, 1);
    assert_eq!(app.count("leads").await, 1);
}

#[tokio::test]
async fn work_released_from_moderation_is_due_from_its_release_not_its_arrival() {
    let app = TestApp::new().await;
    let (_, qualifier) = app.user("quinn@acme.test", Role::Qualifier).await;
    app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("qualification", "quinn@acme.test").await;
    let held = app
        .inquire(json!({
            "email": "buyer@mailinator.com",
            "message": "Pricing please http://a.example http://b.example http://c.example"
        }))
        .await;
    assert_eq!(held["status"], "quarantined");
    let id = held["id"].as_i64().unwrap();
    // It waited a month in quarantine before a moderator saw it.
    let a_month = 30 * 24 * 3_600_000_i64;
    sqlx::query("UPDATE inquiries SET received_at = received_at - $1 WHERE id = $2")
        .bind(a_month)
        .bind(id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let before = baton_db::now_ms();
    let released = app
        .post(
            &qualifier,
            &format!("/api/v1/inquiries/{id}/release"),
            &json!({}),
        )
        .await;
    assert_eq!(released.status(), 200);
    let released: serde_json::Value = released.json().await.unwrap();
    let item = app
        .db
        .work_item(released["work_item_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert!(
        item.first_touch_due_at > before && item.resolution_due_at > item.first_touch_due_at,
        "due from the release: {item:?}"
    );
    let escalated = app.db.escalate_breaches(baton_db::now_ms()).await.unwrap();
    assert!(
        escalated.is_empty(),
        "not overdue the moment it is released"
    );
}

#[tokio::test]
async fn spam_that_got_past_moderation_is_confirmed_and_leaves_the_funnel() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let (_, qualifier) = app.user("quinn@acme.test", Role::Qualifier).await;
    app.join("hunters", "hal@acme.test").await;
    // A pitch dressed as a buyer: no signal the rules know fires.
    let mut pitch = strong_lead("kelly@growth-agency.test");
    pitch["message"] =
        json!("We are evaluating tools for 250 seats and would like pricing and a demo next week.");
    let passed = app.inquire(pitch).await;
    assert_eq!(passed["status"], "processed");
    let path = format!("/api/v1/inquiries/{}/report-spam", passed["id"]);
    let refused = app.post(&hunter, &path, &json!({})).await;
    assert_eq!(refused.status(), 403);
    // Confirming is for what waits in quarantine: a released one stays released.
    let quarantine_only = format!("/api/v1/inquiries/{}/confirm-spam", passed["id"]);
    let not_held = app.post(&qualifier, &quarantine_only, &json!({})).await;
    assert_eq!(not_held.status(), 409);

    let confirmed = app
        .post(&qualifier, &path, &json!({"note": "an agency fishing"}))
        .await;
    assert_eq!(confirmed.status(), 200);
    let confirmed: serde_json::Value = confirmed.json().await.unwrap();
    assert_eq!(confirmed["status"], "spam");
    assert_eq!(confirmed["moderation"]["verdict"], "spam");
    assert_eq!(confirmed["stage"], "disqualified", "{confirmed}");
    let item = app
        .db
        .work_item(passed["work_item_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(item.status.as_str(), "done");
    let history = app.db.work_item_history(item.id).await.unwrap();
    assert!(
        history
            .last()
            .unwrap()
            .reason
            .contains("spam that got past moderation, confirmed as spam by quinn"),
        "{history:?}"
    );
    app.assert_open_work_is_counted().await;
    let again = app.post(&qualifier, &path, &json!({})).await;
    assert_eq!(again.status(), 409);

    // The spam model learns the person's word; the conversion model does
    // not count spam as a lost lead.
    let spam = app
        .db
        .training_examples(baton_core::learn::train::Task::Spam)
        .await
        .unwrap();
    let label = spam
        .iter()
        .find(|e| e.key == passed["id"].as_i64().unwrap());
    assert_eq!(label.map(|e| e.label.as_str()), Some("spam"));
    let conversion = app
        .db
        .training_examples(baton_core::learn::train::Task::Conversion)
        .await
        .unwrap();
    assert!(
        conversion
            .iter()
            .all(|e| e.key != passed["lead_id"].as_i64().unwrap()),
        "{conversion:?}"
    );
}

#[tokio::test]
async fn an_inquiry_in_a_known_persons_name_fills_in_their_contact_and_changes_nothing() {
    let app = TestApp::new().await;
    let known = app
        .post(
            &app.owner,
            "/api/v1/contacts",
            &json!({"name": "Maria Bauer", "email": "maria@stambrose.example", "title": "VP of Operations"}),
        )
        .await;
    assert_eq!(known.status(), 201);
    let known: serde_json::Value = known.json().await.unwrap();
    // Anyone can post in her name: what her contact holds stays.
    let mut posted = strong_lead("maria@stambrose.example");
    posted["name"] = json!("Mallory");
    posted["title"] = json!("Intern");
    posted["phone"] = json!("+1 555 0100");
    app.inquire(posted).await;
    let contact = app
        .get_json(&app.owner, &format!("/api/v1/contacts/{}", known["id"]))
        .await;
    assert_eq!(
        (&contact["name"], &contact["title"]),
        (&json!("Maria Bauer"), &json!("VP of Operations")),
        "{contact}"
    );
    assert_eq!(
        contact["phone"], "+15550100",
        "what was missing is filled in: {contact}"
    );
}

#[tokio::test]
async fn the_raw_payload_is_given_back_byte_for_byte() {
    let app = TestApp::new().await;
    // Key order, number forms and big numbers a parser would change.
    let sent = r#"{"message": "Pricing please", "email": "ann@initech.test", "fields": {"n": 1.10, "big": 12345678901234567890123}}"#;
    let stored = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .header("content-type", "application/json")
        .body(sent)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let stored: serde_json::Value = stored.json().await.unwrap();
    let answer = app
        .get(&app.owner, stored["href"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(answer.contains(&format!("\"raw\":{sent}")), "{answer}");
}
