use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use serde_json::{Value, json};

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

    let mut moderation = settings["moderation"].clone();
    moderation["honeypot"] = json!(-5);
    let mut threshold = settings["moderation"].clone();
    threshold["threshold"] = json!(0);
    for (body, field) in [
        (json!({"moderation": moderation}), "moderation.honeypot"),
        (json!({"moderation": threshold}), "moderation.threshold"),
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
