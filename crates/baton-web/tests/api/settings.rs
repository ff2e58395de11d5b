use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use serde_json::{Value, json};

/// The owner's `PUT /api/v1/settings`.
async fn put_settings(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.owner)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn owners_change_settings_and_the_next_inquiry_follows_them() {
    let app = TestApp::new().await;
    let (_, manager) = app.user("max@acme.test", Role::Manager).await;
    let settings = app.get_json(&manager, "/api/v1/settings").await;
    assert_eq!(settings["time_zone"], "UTC");
    assert_eq!(settings["business_hours"], "mon-fri 09:00-17:00");
    assert_eq!(settings["scoring"]["decision_maker_points"], 20);

    let put = |token: String, body: Value| {
        let request = app
            .client
            .put(app.url("/api/v1/settings"))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(
        put(manager.clone(), json!({"currency": "EUR"}))
            .await
            .status(),
        403
    );

    let mut scoring = settings["scoring"].clone();
    scoring["decision_maker_points"] = json!(0);
    let changed = put(
        app.owner.clone(),
        json!({"time_zone": "Europe/Berlin", "business_hours": "mon-thu 08:00-16:00", "scoring": scoring}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["time_zone"], "Europe/Berlin");
    assert_eq!(changed["currency"], "USD", "untouched fields stay");

    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let inquiry = app
        .get_json(&app.owner, receipt["href"].as_str().unwrap())
        .await;
    let codes: Vec<&str> = inquiry["score"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.contains(&"decision_maker"),
        "no points for titles now: {codes:?}"
    );

    for (body, field) in [
        (
            json!({"moderation": {"honeypot": -5}}),
            "moderation.honeypot",
        ),
        (
            json!({"moderation": {"threshold": 0}}),
            "moderation.threshold",
        ),
        (
            json!({"moderation": {"threshold": "high"}}),
            "moderation.threshold",
        ),
        (json!({"accountability": []}), "accountability"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"business_hours": "someday"}), "business_hours"),
        (json!({"currency": "dollars"}), "currency"),
        (json!({"colour": "red"}), "colour"),
        (
            json!({"scoring": {"decision_maker_pionts": 5}}),
            "scoring.decision_maker_pionts",
        ),
        (
            json!({"moderation": {"blocklist": {"domian": ["x.test"]}}}),
            "moderation.blocklist.domian",
        ),
    ] {
        let response = put(app.owner.clone(), body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["invalid-params"][0]["name"], field, "{problem}");
    }
    assert_eq!(
        app.get_json(&manager, "/api/v1/settings").await["time_zone"],
        "Europe/Berlin"
    );
}

#[tokio::test]
async fn a_settings_group_changes_only_the_fields_given() {
    let app = TestApp::new().await;
    let first = put_settings(
        &app,
        json!({
            "moderation": {"threshold": 0.8, "blocklist": {"domains": ["spam.test"]}},
            "scoring": {"phone_given_points": 9},
            "accountability": {"smoke_tolerance": 0.25},
        }),
    )
    .await;
    assert_eq!(first.status(), 200);
    let second = put_settings(
        &app,
        json!({
            "moderation": {"shouting": 0.1},
            "scoring": {"decision_maker_points": 12},
            "accountability": {"forecast_cutoff_days": 14},
        }),
    )
    .await;
    assert_eq!(second.status(), 200);
    let settings = app.get_json(&app.owner, "/api/v1/settings").await;
    let moderation = &settings["moderation"];
    assert_eq!(
        (
            &moderation["threshold"],
            &moderation["shouting"],
            &moderation["blocklist"]["domains"]
        ),
        (&json!(0.8), &json!(0.1), &json!(["spam.test"])),
        "{settings}"
    );
    assert_eq!(settings["moderation"]["honeypot"], 0.99, "never given");
    assert_eq!(
        (
            &settings["scoring"]["phone_given_points"],
            &settings["scoring"]["decision_maker_points"]
        ),
        (&json!(9), &json!(12))
    );
    assert_eq!(
        (
            &settings["accountability"]["smoke_tolerance"],
            &settings["accountability"]["forecast_cutoff_days"]
        ),
        (&json!(0.25), &json!(14))
    );

    // Within the blocklist too, only the lists named change.
    let more = put_settings(
        &app,
        json!({"moderation": {"blocklist": {"phrases": ["free money"]}}}),
    )
    .await;
    assert_eq!(more.status(), 200);
    let settings = app.get_json(&app.owner, "/api/v1/settings").await;
    assert_eq!(
        (
            &settings["moderation"]["blocklist"]["domains"],
            &settings["moderation"]["blocklist"]["phrases"]
        ),
        (&json!(["spam.test"]), &json!(["free money"]))
    );

    // Null puts one field back to its default.
    let reset = put_settings(&app, json!({"moderation": {"threshold": null}})).await;
    assert_eq!(reset.status(), 200);
    let settings = app.get_json(&app.owner, "/api/v1/settings").await;
    assert_eq!(settings["moderation"]["threshold"], 0.7);
    assert_eq!(settings["moderation"]["shouting"], 0.1);
}

#[tokio::test]
async fn business_hours_may_break_for_lunch_and_never_overlap() {
    let app = TestApp::new().await;
    let lunch = put_settings(
        &app,
        json!({"business_hours": "mon-fri 13:00-17:00, mon-fri 09:00-12:00"}),
    )
    .await;
    assert_eq!(lunch.status(), 200);
    let lunch: Value = lunch.json().await.unwrap();
    assert_eq!(
        lunch["business_hours"], "mon-fri 09:00-12:00, mon-fri 13:00-17:00",
        "kept in order"
    );

    let overlapping = put_settings(
        &app,
        json!({"business_hours": "mon-fri 09:00-17:00, wed 12:00-18:00"}),
    )
    .await;
    assert_eq!(overlapping.status(), 422);
    let problem: Value = overlapping.json().await.unwrap();
    assert_eq!(problem["invalid-params"][0]["name"], "business_hours");
    assert_eq!(
        problem["invalid-params"][0]["reason"], "wed 12:00-18:00 overlaps 09:00-17:00",
        "{problem}"
    );
    assert_eq!(
        app.get_json(&app.owner, "/api/v1/settings").await["business_hours"],
        "mon-fri 09:00-12:00, mon-fri 13:00-17:00"
    );
    // A time zone is kept as the time zone database spells it.
    let zone = put_settings(&app, json!({"time_zone": "europe/berlin"})).await;
    assert_eq!(zone.status(), 200);
    let zone: Value = zone.json().await.unwrap();
    assert_eq!(zone["time_zone"], "Europe/Berlin");
}
