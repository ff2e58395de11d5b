use crate::helpers::{TestApp, this_quarter};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use baton_web::webhooks::{Courier, Reach, Sender};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a receiver saw: (event header, signature header, body).
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A webhook receiver on loopback that fails its first `failures` calls.
async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State((seen, failures)): State<(Seen, usize)>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    let mut seen = seen.lock().unwrap();
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default()
                    };
                    seen.push((
                        header("x-baton-event"),
                        header("x-baton-signature"),
                        body.to_vec(),
                    ));
                    if seen.len() <= failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                },
            ),
        )
        .with_state((seen.clone(), failures));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A receiver on loopback that answers only once the test lets it, at
/// `{base}/{n}`; it counts the requests arrived per path.
struct HeldReceiver {
    base: String,
    arrivals: tokio::sync::watch::Sender<HashMap<String, usize>>,
    answer: tokio::sync::watch::Sender<bool>,
}

async fn held_receiver() -> HeldReceiver {
    type Held = (
        tokio::sync::watch::Sender<HashMap<String, usize>>,
        tokio::sync::watch::Receiver<bool>,
    );
    let (arrivals, _) = tokio::sync::watch::channel(HashMap::new());
    let (answer, answered) = tokio::sync::watch::channel(false);
    let app = axum::Router::new()
        .route(
            "/hook/{n}",
            axum::routing::post(
                |State((arrivals, mut answered)): State<Held>,
                 axum::extract::Path(n): axum::extract::Path<String>| async move {
                    arrivals.send_modify(|arrived| *arrived.entry(n).or_default() += 1);
                    answered.wait_for(|answer| *answer).await.unwrap();
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state((arrivals.clone(), answered));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    HeldReceiver {
        base,
        arrivals,
        answer,
    }
}

/// Sends `count` invoice questions from as many senders: each is routed.
async fn send_invoice_questions(app: &TestApp, count: usize) {
    for n in 0..count {
        app.inquire(json!({"email": format!("ap{n}@x.test"), "message": "invoice charged twice"}))
            .await;
    }
}

/// Sends what is due as a server's delivery loop does, until nothing due
/// is left for lack of room, and waits for every answer; returns how many
/// deliveries it sent.
async fn deliver_due(db: &baton_db::Db) -> usize {
    let mut sender = Sender::new(db.clone(), Courier::new(Reach::AnyNetwork));
    let mut sent = sender.start_due().await.unwrap();
    while let Some(recorded) = sender.finish_one().await {
        recorded.unwrap();
        if sender.more_due() {
            sent += sender.start_due().await.unwrap();
        }
    }
    sent
}

/// Subscribes `url` to routed inquiries; returns the new webhook.
async fn subscribe_to_routing(app: &TestApp, url: &str) -> Value {
    let created = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": url, "events": ["inquiry.routed"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    created.json().await.unwrap()
}

#[tokio::test]
async fn by_default_nothing_is_sent_to_the_servers_own_machine_or_network() {
    let app = TestApp::new().await;
    let (url, seen) = receiver(0).await;
    let by_name = url.replace("127.0.0.1", "localhost");
    let hooks = [
        subscribe_to_routing(&app, &url).await["id"]
            .as_i64()
            .unwrap(),
        subscribe_to_routing(&app, &by_name).await["id"]
            .as_i64()
            .unwrap(),
    ];
    send_invoice_questions(&app, 1).await;
    let mut sender = Sender::new(app.db.clone(), Courier::new(Reach::Public));
    assert_eq!(sender.start_due().await.unwrap(), 2);
    while let Some(recorded) = sender.finish_one().await {
        recorded.unwrap();
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing arrived");
    for hook in hooks {
        let delivery = &app.db.deliveries(hook, None, 5).await.unwrap()[0];
        let error = delivery.last_error.as_deref().unwrap_or_default();
        assert!(
            error.contains("is a private address")
                && error.contains("--webhooks-to-private-networks"),
            "{error}"
        );
        assert_eq!(
            (delivery.status.as_str(), delivery.response_code),
            ("pending", None)
        );
    }
}

#[tokio::test]
async fn routed_inquiries_are_delivered_signed_and_failures_retried() {
    let app = TestApp::new().await;
    let (url, seen) = receiver(1).await;
    let created = subscribe_to_routing(&app, &url).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let hook = created["id"].as_i64().unwrap();
    // The same event to the same address again would arrive twice.
    let twice = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": url, "events": ["work_item.sla_breached", "inquiry.routed"]}),
        )
        .await;
    assert_eq!(twice.status(), 409);
    let problem: Value = twice.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("webhook {hook} already delivers inquiry.routed")),
        "{problem}"
    );

    let receipt = app
        .inquire(json!({"email": "ap@x.test", "message": "invoice charged twice, refund"}))
        .await;
    assert_eq!(deliver_due(&app.db).await, 1);
    let deliveries = app
        .get_json(&app.owner, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await["items"]
        .clone();
    assert_eq!(deliveries[0]["status"], "pending");
    let unknown = app
        .get(&app.owner, "/api/v1/webhooks/999999/deliveries")
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(deliveries[0]["response_code"], 500);
    assert_eq!(deliveries[0]["attempts"], 1);
    // Not due again until its back-off has passed.
    assert_eq!(deliver_due(&app.db).await, 0);
    sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = 0")
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(deliver_due(&app.db).await, 1);
    let deliveries = app
        .get_json(&app.owner, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await["items"]
        .clone();
    assert_eq!(deliveries[0]["status"], "delivered");
    assert!(
        deliveries[0]["next_attempt_at"].as_i64().unwrap() <= baton_db::now_ms(),
        "nothing more is due of a delivery that landed: {}",
        deliveries[0]
    );
    assert_eq!(deliveries[0]["attempts"], 2);
    let history: Vec<Value> = deliveries[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["response_code"].clone())
        .collect();
    assert_eq!(history, [json!(500), json!(204)], "every attempt is kept");
    let manager =
        crate::pages::Browser::person(&app, "max@acme.test", baton_core::domain::Role::Manager)
            .await;
    let (status, page, _) = manager.get("/settings/webhooks").await;
    assert_eq!(status, 200);
    assert!(page.contains("HTTP 500 → HTTP 204"), "{page}");

    let seen = seen.lock().unwrap();
    let (event, signature, body) = seen.last().unwrap();
    assert_eq!(event, "inquiry.routed");
    assert_eq!(signature, &baton_core::auth::sign_webhook(&secret, body));
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["data"]["inquiry_id"], receipt["id"]);
    assert_eq!(body["data"]["queue"], "operations");
}

#[tokio::test]
async fn webhook_subscriptions_are_validated_and_for_managers() {
    let app = TestApp::new().await;
    let (_, hunter) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    let refused = app
        .post(
            &hunter,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/x", "events": ["inquiry.routed"]}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let bad_event = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/x", "events": ["deal.won"]}),
        )
        .await;
    assert_eq!(bad_event.status(), 422);
    let bad_url = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "ftp://x", "events": ["inquiry.routed"]}),
        )
        .await;
    assert_eq!(bad_url.status(), 422);
    assert_eq!(app.count("webhooks").await, 0);
    let twice = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/x",
                    "events": ["work_item.sla_breached", "inquiry.routed", "inquiry.routed"]}),
        )
        .await;
    assert_eq!(twice.status(), 201);
    let created: Value = twice.json().await.unwrap();
    assert_eq!(
        created["events"],
        json!(["inquiry.routed", "work_item.sla_breached"]),
        "each event once"
    );
}

#[tokio::test]
async fn a_paused_subscription_is_told_nothing_until_resumed() {
    let app = TestApp::new().await;
    let created = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/x", "events": ["inquiry.routed"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/webhooks/{id}");
    let (_, hunter) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    let pause = json!({"active": false});
    assert_eq!(app.patch(&hunter, &path, &pause).await.status(), 403);
    let wrong_type = app.patch(&app.owner, &path, &json!({"active": "no"})).await;
    assert_eq!(wrong_type.status(), 422);
    let problem: serde_json::Value = wrong_type.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail == "active: must be true or false, not the text \"no\"",
        "the field is named once: {detail}"
    );
    assert_eq!(
        app.patch(&app.owner, "/api/v1/webhooks/999999", &pause)
            .await
            .status(),
        404
    );
    let paused = app.patch(&app.owner, &path, &pause).await;
    assert_eq!(paused.status(), 200);
    assert_eq!(paused.json::<Value>().await.unwrap()["active"], false);
    let routed = app
        .post(
            &app.owner,
            "/api/v1/inquiries",
            &crate::helpers::strong_lead("dana@initech.test"),
        )
        .await;
    assert_eq!(routed.status(), 201);
    assert_eq!(
        app.count("webhook_deliveries").await,
        0,
        "nothing queued while paused"
    );

    let resumed = app.patch(&app.owner, &path, &json!({"active": true})).await;
    assert_eq!(resumed.json::<Value>().await.unwrap()["active"], true);
    let routed = app
        .post(
            &app.owner,
            "/api/v1/inquiries",
            &crate::helpers::strong_lead("eve@initech.test"),
        )
        .await;
    assert_eq!(routed.status(), 201);
    assert_eq!(
        app.count("webhook_deliveries").await,
        1,
        "queued again once resumed"
    );

    // The address was mistyped: put right, the queued delivery goes there.
    let (url, seen) = receiver(0).await;
    let bad = app
        .patch(&app.owner, &path, &json!({"url": "hooks.example"}))
        .await;
    assert_eq!(bad.status(), 422);
    let unknown = app
        .patch(&app.owner, &path, &json!({"events": ["lead.sold"]}))
        .await;
    assert_eq!(unknown.status(), 422);
    let moved = app.patch(&app.owner, &path, &json!({"url": url})).await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        (&moved["url"], &moved["events"]),
        (&json!(url), &json!(["inquiry.routed"]))
    );
    assert_eq!(deliver_due(&app.db).await, 1);
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "delivered at the new address"
    );
    // Events change too, listed once each in their usual order.
    let events = json!({"events": ["lead.stage_changed", "inquiry.routed", "lead.stage_changed"]});
    let widened: Value = app
        .patch(&app.owner, &path, &events)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&widened["url"], &widened["events"]),
        (
            &json!(url),
            &json!(["inquiry.routed", "lead.stage_changed"])
        )
    );
    // A second subscription may not take the same address for the same event.
    let other = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/y", "events": ["inquiry.routed"]}),
        )
        .await;
    let other: Value = other.json().await.unwrap();
    let clash = app
        .patch(
            &app.owner,
            &format!("/api/v1/webhooks/{}", other["id"]),
            &json!({"url": url}),
        )
        .await;
    assert_eq!(clash.status(), 409);
}

#[tokio::test]
async fn deliveries_are_paged_newest_first() {
    let app = TestApp::new().await;
    let created = app
        .post(
            &app.owner,
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:1/x", "events": ["inquiry.routed"]}),
        )
        .await;
    let hook = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    for n in 0..5 {
        app.inquire(crate::helpers::strong_lead(&format!("p{n}@initech.test")))
            .await;
    }
    let newest_first: Vec<i64> =
        sqlx::query_as::<_, (i64,)>("SELECT id FROM webhook_deliveries ORDER BY id DESC")
            .fetch_all(app.db.reader())
            .await
            .unwrap()
            .into_iter()
            .map(|(id,)| id)
            .collect();
    assert_eq!(newest_first.len(), 5);

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &app.owner,
                &format!("/api/v1/webhooks/{hook}/deliveries?limit=2&cursor={cursor}"),
            )
            .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);
    let refused = app
        .get(
            &app.owner,
            &format!("/api/v1/webhooks/{hook}/deliveries?cursor=x"),
        )
        .await;
    assert_eq!(refused.status(), 422);
}

#[tokio::test]
async fn stage_changes_and_breaches_are_queued_for_subscribers() {
    let app = TestApp::new().await;
    app.post(
        &app.owner,
        "/api/v1/webhooks",
        &json!({"url": "http://127.0.0.1:9/hook", "events": ["lead.stage_changed", "work_item.sla_breached"]}),
    )
    .await;
    let (_, hal) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app
        .inquire(crate::helpers::strong_lead("dana@initech.test"))
        .await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    app.post(
        &hal,
        &format!("/api/v1/work-items/{item}/accept"),
        &json!({}),
    )
    .await;
    let other = app
        .inquire(crate::helpers::strong_lead("lou@hooli.test"))
        .await;
    app.db
        .escalate_breaches(baton_db::now_ms() + 30 * 24 * 3600 * 1000)
        .await
        .unwrap();
    let events: Vec<(String,)> = sqlx::query_as("SELECT event FROM webhook_deliveries ORDER BY id")
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    let events: Vec<&str> = events.iter().map(|(e,)| e.as_str()).collect();
    assert_eq!(
        events,
        ["lead.stage_changed", "work_item.sla_breached"],
        "{other}"
    );
}

#[tokio::test]
async fn a_forecast_submission_is_announced() {
    let app = TestApp::new().await;
    app.post(
        &app.owner,
        "/api/v1/webhooks",
        &json!({"url": "http://127.0.0.1:9/hook", "events": ["forecast.submitted"]}),
    )
    .await;
    let (_, hal) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    let forecast = json!({
        "kind": "revenue", "quarter": this_quarter(),
        "lines": [{"description": "Initech renewal", "category": "commit", "amount": "12000", "currency": "USD"}]
    });
    let response = app.post(&hal, "/api/v1/forecasts", &forecast).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, payload FROM webhook_deliveries")
            .fetch_all(app.db.reader())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "forecast.submitted");
    let payload: Value = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(payload["data"]["quarter"], this_quarter());
    assert_eq!(payload["data"]["version"], 1);
}

#[tokio::test]
async fn servers_delivering_at_once_send_each_delivery_once() {
    let app = TestApp::new().await;
    let (url, seen) = receiver(0).await;
    let hook = subscribe_to_routing(&app, &url).await["id"]
        .as_i64()
        .unwrap();
    send_invoice_questions(&app, 12).await;
    // Two servers' delivery rounds at the same moment, on one database,
    // until nothing is due.
    let mut rounds = Vec::new();
    loop {
        let (first, second) = tokio::join!(deliver_due(&app.db), deliver_due(&app.db));
        if first + second == 0 {
            break;
        }
        rounds.push(first + second);
    }
    assert_eq!(rounds.iter().sum::<usize>(), 12, "{rounds:?}");
    assert_eq!(seen.lock().unwrap().len(), 12, "none sent twice");
    let delivered = app
        .db
        .deliveries(hook, None, 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.status == "delivered" && d.attempts == 1 && d.history.len() == 1)
        .count();
    assert_eq!(delivered, 12);
}

#[tokio::test]
async fn slow_receivers_hold_a_few_sends_each_and_never_another_webhooks_place() {
    let app = TestApp::new().await;
    let (fast_url, fast_seen) = receiver(0).await;
    // Eight subscriptions on a receiver that answers only once the test
    // lets it: enough backlog to take every place if age alone chose.
    let slow = held_receiver().await;
    // The slow subscriptions came first, so their deliveries are the oldest.
    let mut slow_hooks = Vec::new();
    for n in 0..8 {
        let hook = subscribe_to_routing(&app, &format!("{}/{n}", slow.base)).await;
        slow_hooks.push(hook["id"].as_i64().unwrap());
    }
    let fast_hook = subscribe_to_routing(&app, &fast_url).await["id"]
        .as_i64()
        .unwrap();
    send_invoice_questions(&app, 12).await;

    let delivered = |hook| {
        let db = app.db.clone();
        async move {
            db.deliveries(hook, None, 50)
                .await
                .unwrap()
                .iter()
                .filter(|d| d.status == "delivered")
                .count()
        }
    };
    let mut sender = Sender::new(app.db.clone(), Courier::new(Reach::AnyNetwork));
    sender.start_due().await.unwrap();
    let all_fast_delivered = async {
        while delivered(fast_hook).await < 12 {
            sender.finish_one().await.unwrap().unwrap();
            if sender.more_due() {
                sender.start_due().await.unwrap();
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), all_fast_delivered)
        .await
        .expect("every delivery to the fast receiver lands while the slow ones have not answered");
    let held = slow.arrivals.borrow().clone();
    assert_eq!(
        held.len(),
        8,
        "every slow subscription was sent to: {held:?}"
    );
    assert!(
        held.values().all(|&n| n <= 4),
        "each holds four sends at most: {held:?}"
    );
    assert_eq!(fast_seen.lock().unwrap().len(), 12, "each sent once");
    assert_eq!(delivered(slow_hooks[0]).await, 0);

    slow.answer.send(true).unwrap();
    while let Some(recorded) = sender.finish_one().await {
        recorded.unwrap();
        sender.start_due().await.unwrap();
    }
    for hook in slow_hooks {
        assert_eq!(delivered(hook).await, 12);
    }
    let arrivals: usize = slow.arrivals.borrow().values().sum();
    assert_eq!(arrivals, 8 * 12, "each sent once");
}

#[tokio::test]
async fn a_stopping_server_lets_a_send_under_way_land_and_records_it() {
    let app = TestApp::new().await;
    let receiver = held_receiver().await;
    let hook = subscribe_to_routing(&app, &format!("{}/0", receiver.base)).await["id"]
        .as_i64()
        .unwrap();
    send_invoice_questions(&app, 1).await;

    // A server whose background jobs send the delivery.
    let (_, stop) = crate::server::start_server(app.db.clone(), |options| {
        options.background_jobs = true;
        options.job_interval = std::time::Duration::from_millis(100);
        options.webhook_reach = Reach::AnyNetwork;
    })
    .await;
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        receiver
            .arrivals
            .subscribe()
            .wait_for(|arrived| !arrived.is_empty()),
    )
    .await
    .expect("the delivery is sent")
    .unwrap();
    stop.send(()).unwrap();
    // The server has stopped serving by now; its send is still under way.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    receiver.answer.send(true).unwrap();
    let mut status = String::new();
    for _ in 0..100 {
        let deliveries = app.db.deliveries(hook, None, 5).await.unwrap();
        status.clone_from(&deliveries[0].status);
        if status == "delivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        status, "delivered",
        "the answer that came while the server stopped is recorded, so the delivery is not sent again"
    );
}

#[tokio::test]
async fn a_failed_send_records_why_it_failed() {
    let app = TestApp::new().await;
    // An address nothing listens on any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let hook = subscribe_to_routing(&app, &url).await["id"]
        .as_i64()
        .unwrap();
    send_invoice_questions(&app, 1).await;
    assert_eq!(deliver_due(&app.db).await, 1);
    let deliveries = app
        .get_json(&app.owner, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await["items"]
        .clone();
    let error = deliveries[0]["last_error"].as_str().unwrap().to_lowercase();
    assert!(error.contains("refused"), "the cause is kept: {error}");
}
