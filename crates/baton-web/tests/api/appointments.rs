//! Appointments with decision makers and the calendar feed that publishes
//! them: scheduling, privacy, changes raising the sequence, renewal revoking
//! the old address, and problems that name the field.

use crate::helpers::TestApp;
use baton_core::domain::Role;
use serde_json::{Value, json};

/// An account with one contact; returns (account id, contact id).
async fn account_with_contact(app: &TestApp, decision_maker: bool) -> (i64, i64) {
    let account: Value = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &json!({"name": "Initech", "domain": "initech.test"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let contact: Value = app
        .post(
            &app.owner,
            "/api/v1/contacts",
            &json!({"name": "Bill Lumbergh", "email": "bill@initech.test",
                    "account_id": account["id"], "decision_maker": decision_maker}),
        )
        .await
        .json()
        .await
        .unwrap();
    (
        account["id"].as_i64().unwrap(),
        contact["id"].as_i64().unwrap(),
    )
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .patch(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app.post(token, path, &body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The feed at `url`, fetched without credentials: (status, body).
async fn feed(app: &TestApp, url: &str) -> (u16, String) {
    let response = app.client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        let kind = response.headers()["content-type"].to_str().unwrap();
        assert!(kind.starts_with("text/calendar"), "{kind}");
    }
    (status, response.text().await.unwrap())
}

/// The unfolded content lines of a feed.
fn lines(feed: &str) -> Vec<String> {
    feed.replace("\r\n ", "")
        .split("\r\n")
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn an_appointment_with_a_decision_maker_is_published_in_its_owners_feed() {
    let app = TestApp::new().await;
    let (hunter_id, hunter) = app.user("hank@acme.test", Role::Hunter).await;
    let (account_id, contact_id) = account_with_contact(&app, false).await;
    let meeting = json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z",
                         "location": "Initech HQ, room 4"});

    let (status, problem) = post(&app, &hunter, "/api/v1/appointments", meeting.clone()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["invalid-params"][0]["name"], "contact_id");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not flagged as a decision maker"),
        "{problem}"
    );
    let (status, _) = patch(
        &app,
        &app.owner,
        &format!("/api/v1/contacts/{contact_id}"),
        json!({"decision_maker": true}),
    )
    .await;
    assert_eq!(status, 200);
    // A title is one line: it heads the event in every calendar.
    let mut broken = meeting.clone();
    broken["title"] = json!("Demo\r\nBEGIN:VEVENT");
    let (status, problem) = post(&app, &hunter, "/api/v1/appointments", broken).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["invalid-params"][0]["name"], "title", "{problem}");

    let (status, appointment) = post(&app, &hunter, "/api/v1/appointments", meeting).await;
    assert_eq!(status, 201, "{appointment}");
    assert_eq!(appointment["owner_id"], hunter_id);
    assert_eq!(
        appointment["account_id"], account_id,
        "the contact's account"
    );
    assert_eq!(appointment["title"], "Meeting with Bill Lumbergh");
    assert_eq!(appointment["status"], "scheduled");
    let starts = appointment["starts_at"].as_i64().unwrap();
    assert_eq!(
        appointment["ends_at"].as_i64().unwrap() - starts,
        30 * 60_000
    );

    let (status, created) = post(&app, &hunter, "/api/v1/calendar-feed", json!({})).await;
    assert_eq!(status, 201);
    let url = created["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&app.base) && url.ends_with(".ics"), "{url}");
    let (status, body) = feed(&app, &url).await;
    assert_eq!(status, 200);
    let event = lines(&body);
    for expected in [
        "SUMMARY:Meeting with Bill Lumbergh",
        "DTSTART:20300304T150000Z",
        "DTEND:20300304T153000Z",
        "LOCATION:Initech HQ\\, room 4",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
    ] {
        assert!(event.iter().any(|l| l == expected), "{expected} in {body}");
    }
    // Another server, at another address, gives each event the same UID:
    // calendar programs would otherwise show it twice.
    let uid = |lines: &[String]| lines.iter().find(|l| l.starts_with("UID:")).cloned();
    let (other, _stop) = crate::server::start_server(app.db.clone(), |_| {}).await;
    assert_ne!(other, app.base);
    let elsewhere = feed(&app, &url.replace(&app.base, &other)).await.1;
    assert_eq!(uid(&lines(&elsewhere)), uid(&event));
    assert!(
        uid(&event).is_some_and(|u| !u.contains("127.0.0.1")),
        "{event:?}"
    );

    let id = appointment["id"].as_i64().unwrap();
    let (status, moved) = patch(
        &app,
        &hunter,
        &format!("/api/v1/appointments/{id}"),
        json!({"starts_at": "2030-03-05T09:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        moved["ends_at"].as_i64().unwrap() - moved["starts_at"].as_i64().unwrap(),
        30 * 60_000,
        "moving keeps the length"
    );
    let held_early = patch(
        &app,
        &hunter,
        &format!("/api/v1/appointments/{id}"),
        json!({"status": "held"}),
    )
    .await;
    assert_eq!(held_early.0, 422, "not before it starts: {}", held_early.1);
    let (status, _) = patch(
        &app,
        &hunter,
        &format!("/api/v1/appointments/{id}"),
        json!({"status": "cancelled"}),
    )
    .await;
    assert_eq!(status, 200);
    let held_cancelled = patch(
        &app,
        &hunter,
        &format!("/api/v1/appointments/{id}"),
        json!({"status": "held"}),
    )
    .await;
    assert_eq!(held_cancelled.0, 422, "{}", held_cancelled.1);
    // A change to nothing is no change: calendars are not told of one.
    for nothing in [json!({}), json!({"status": "cancelled"})] {
        let (status, same) = patch(
            &app,
            &hunter,
            &format!("/api/v1/appointments/{id}"),
            nothing,
        )
        .await;
        assert_eq!((status, &same["sequence"]), (200, &json!(2)), "{same}");
    }
    let event = lines(&feed(&app, &url).await.1);
    for expected in ["DTSTART:20300305T090000Z", "STATUS:CANCELLED", "SEQUENCE:2"] {
        assert!(event.iter().any(|l| l == expected), "{expected}");
    }

    let (_, renewed) = post(&app, &hunter, "/api/v1/calendar-feed", json!({})).await;
    let new_url = renewed["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    assert_eq!(feed(&app, &url).await.0, 404, "the old address is revoked");
    assert_eq!(feed(&app, new_url).await.0, 200);
    assert_eq!(
        feed(&app, &format!("{}/calendar/not-a-token.ics", app.base))
            .await
            .0,
        404
    );
    // Deactivation ends the address for good, as it ends tokens: coming
    // back takes a new one.
    app.deactivate(hunter_id).await;
    let owner = app.db.user_by_email("owner@acme.test").await.unwrap();
    let back = baton_db::users::UserChange {
        active: Some(true),
        ..Default::default()
    };
    app.db
        .update_user(owner.id, hunter_id, &back)
        .await
        .unwrap();
    assert_eq!(feed(&app, new_url).await.0, 404);
}

#[tokio::test]
async fn appointments_are_seen_by_their_owner_and_managers_only() {
    let app = TestApp::new().await;
    let (hunter_id, hunter) = app.user("hank@acme.test", Role::Hunter).await;
    let (_, other) = app.user("hugo@acme.test", Role::Hunter).await;
    let (_, manager) = app.user("mona@acme.test", Role::Manager).await;
    let (_, contact_id) = account_with_contact(&app, true).await;
    let (_, appointment) = post(
        &app,
        &hunter,
        "/api/v1/appointments",
        json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "minutes": 45}),
    )
    .await;
    let path = format!("/api/v1/appointments/{}", appointment["id"]);

    assert_eq!(app.get(&other, &path).await.status(), 403);
    let (status, _) = patch(&app, &other, &path, json!({"status": "cancelled"})).await;
    assert_eq!(status, 403);
    let listed = app
        .get(&other, &format!("/api/v1/appointments?owner={hunter_id}"))
        .await;
    assert_eq!(listed.status(), 403);
    let own = app.get_json(&other, "/api/v1/appointments").await;
    assert_eq!(own["items"].as_array().unwrap().len(), 0);
    let (status, _) = post(
        &app,
        &other,
        "/api/v1/appointments",
        json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "owner_id": hunter_id}),
    )
    .await;
    assert_eq!(status, 403, "a hunter books only their own meetings");

    // Nor about a deal of someone else's, which would tell its people.
    let account_id = app
        .get_json(&app.owner, &format!("/api/v1/contacts/{contact_id}"))
        .await["account_id"]
        .as_i64()
        .unwrap();
    let (status, deal) = post(
        &app,
        &hunter,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "100", "account_id": account_id,
               "contact_id": contact_id}),
    )
    .await;
    assert_eq!(status, 201, "{deal}");
    let (status, problem) = post(
        &app,
        &other,
        "/api/v1/appointments",
        json!({"contact_id": contact_id, "starts_at": "2030-03-05T15:00:00Z",
               "opportunity_id": deal["id"]}),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    let (status, _) = post(
        &app,
        &hunter,
        "/api/v1/appointments",
        json!({"contact_id": contact_id, "starts_at": "2030-03-05T15:00:00Z",
               "opportunity_id": deal["id"]}),
    )
    .await;
    assert_eq!(status, 201, "the deal's holder books it");

    assert_eq!(app.get(&manager, &path).await.status(), 200);
    let seen = app
        .get_json(&manager, &format!("/api/v1/appointments?owner={hunter_id}"))
        .await;
    assert_eq!(seen["items"][0]["id"], appointment["id"]);
}

#[tokio::test]
async fn bad_appointments_are_refused_naming_the_field() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hank@acme.test", Role::Hunter).await;
    let (account_id, contact_id) = account_with_contact(&app, true).await;
    // A decision maker at another company is not one of Initech's people.
    let (_, hooli) = post(
        &app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": "Hooli", "domain": "hooli.test"}),
    )
    .await;
    let (_, gavin) = post(
        &app,
        &app.owner,
        "/api/v1/contacts",
        json!({"name": "Gavin Belson", "account_id": hooli["id"], "decision_maker": true}),
    )
    .await;
    let (status, deal) = post(
        &app,
        &hunter,
        "/api/v1/opportunities",
        json!({"name": "Initech seats", "amount": "1000", "account_id": account_id}),
    )
    .await;
    assert_eq!(status, 201, "{deal}");
    let before = app.count("appointments").await;
    for (body, field) in [
        (
            json!({"contact_id": gavin["id"], "starts_at": "2030-03-04T15:00:00Z", "account_id": account_id}),
            "contact_id",
        ),
        (
            json!({"contact_id": gavin["id"], "starts_at": "2030-03-04T15:00:00Z", "opportunity_id": deal["id"]}),
            "contact_id",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "next tuesday"}),
            "starts_at",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z",
                   "ends_at": "2030-03-04T14:00:00Z"}),
            "ends_at",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "minutes": 0}),
            "minutes",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z",
                   "ends_at": "2030-03-04T16:00:00Z", "minutes": 30}),
            "minutes",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "0001-03-04T15:00:00Z"}),
            "starts_at",
        ),
        // Already past: a meeting that took place is an activity.
        (
            json!({"contact_id": contact_id, "starts_at": "2021-03-04T15:00:00Z"}),
            "starts_at",
        ),
        (
            json!({"contact_id": 999_999, "starts_at": "2030-03-04T15:00:00Z"}),
            "contact_id",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "lead_id": 999_999}),
            "lead_id",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "title": "t".repeat(301)}),
            "title",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "location": "l".repeat(301)}),
            "location",
        ),
        (
            json!({"contact_id": contact_id, "starts_at": "2030-03-04T15:00:00Z", "notes": "n".repeat(20_001)}),
            "notes",
        ),
    ] {
        let (status, problem) = post(&app, &hunter, "/api/v1/appointments", body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
    assert_eq!(app.count("appointments").await, before, "nothing stored");
}
