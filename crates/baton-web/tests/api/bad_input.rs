use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use serde_json::{Value, json};

/// Posts a raw body and returns (status, problem document).
async fn post_raw(
    app: &TestApp,
    body: impl Into<reqwest::Body>,
    content_type: &str,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    (status, response.json().await.unwrap())
}

fn invalid_field(problem: &Value) -> &str {
    problem["invalid-params"][0]["name"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn each_bad_request_gets_a_clear_problem_and_stores_nothing() {
    let app = TestApp::new().await;
    let json = "application/json";
    let (status, problem) = post_raw(&app, "{\"email\": ", json).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{problem}"
    );

    let (status, problem) = post_raw(&app, r#"{"email": 42}"#, json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "email", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("must be text, not 42"),
        "{problem}"
    );

    let (status, problem) = post_raw(&app, r#"{"name": "Ann", "message": "hi"}"#, json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "email");
    assert!(problem["detail"].as_str().unwrap().contains("required"));

    let (status, problem) = post_raw(&app, r#"{"email": "ann@"}"#, json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "email");
    assert!(problem["detail"].as_str().unwrap().contains("ann@"));

    let (status, problem) =
        post_raw(&app, r#"{"email": "ann@acme.test", "colour": "red"}"#, json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "colour", "{problem}");

    let (status, problem) = post_raw(&app, vec![b'{', 0xff, 0xfe, b'}'], json).await;
    assert_eq!(status, 400);
    assert!(problem["detail"].as_str().unwrap().contains("UTF-8"));

    let (status, _) = post_raw(&app, r#"{"email": "ann@acme.test"}"#, "text/plain").await;
    assert_eq!(status, 415);
    // Media types are compared without regard to case.
    let (status, problem) =
        post_raw(&app, r#"{"email": 7}"#, "Application/JSON; charset=utf-8").await;
    assert_eq!(
        (status, invalid_field(&problem)),
        (422, "email"),
        "{problem}"
    );

    // Serde would fill the fields from an array, one by one in order.
    let (status, problem) = post_raw(&app, r#"["Ann", "ann@acme.test"]"#, json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "body", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("object"));

    let huge = format!(
        r#"{{"email": "ann@acme.test", "message": "{}"}}"#,
        "x".repeat(baton_web::MAX_BODY_BYTES)
    );
    let (status, problem) = post_raw(&app, huge, json).await;
    assert_eq!(status, 413, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("larger than"),
        "{problem}"
    );

    let long_message = serde_json::json!({"email": "ann@acme.test", "message": "x".repeat(20_001)});
    let (status, problem) = post_raw(&app, long_message.to_string(), json).await;
    assert_eq!(status, 422);
    assert_eq!(invalid_field(&problem), "message");

    assert_eq!(app.count("inquiries").await, 0, "nothing stored half-way");
    // The server keeps serving.
    app.inquire(strong_lead("ok@initech.test")).await;
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused() {
    let app = TestApp::new().await;
    let anonymous = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .json(&strong_lead("a@b.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let wrong = app
        .post(
            "bt_not-a-token",
            "/api/v1/inquiries",
            &strong_lead("a@b.test"),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(app.count("inquiries").await, 0);
}

#[tokio::test]
async fn a_bad_idempotency_key_is_named() {
    let app = TestApp::new().await;
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .header("Idempotency-Key", "k".repeat(201))
        .json(&strong_lead("a@b.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "Idempotency-Key");
}

#[tokio::test]
async fn bad_pagination_and_filters_are_named() {
    let app = TestApp::new().await;
    let response = app.get(&app.owner, "/api/v1/inquiries?limit=0").await;
    assert_eq!(response.status(), 422);
    let response = app.get(&app.owner, "/api/v1/inquiries?cursor=abc").await;
    assert_eq!(response.status(), 422);
    let response = app.get(&app.owner, "/api/v1/inquiries?status=lost").await;
    let problem: Value = response.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "status");
    assert!(problem["detail"].as_str().unwrap().contains("quarantined"));
    // A filter the list does not offer is refused rather than ignored.
    for (path, field) in [
        ("/api/v1/accounts?tier=a", "tier"),
        ("/api/v1/leads?grade=a&limit=5", "grade"),
        ("/api/v1/inquiries?channel=email", "channel"),
        ("/api/v1/me?verbose=1", "verbose"),
    ] {
        let response = app.get(&app.owner, path).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), field, "{path}: {problem}");
    }
    let offered = app.get(&app.owner, "/api/v1/leads?stage=mql&limit=5").await;
    assert_eq!(offered.status(), 200);
    let first_page = app.get(&app.owner, "/api/v1/leads?cursor=").await;
    assert_eq!(
        first_page.status(),
        200,
        "an empty cursor is the first page"
    );
    // Ids start at 1: a 0, which would read as no filter, is refused.
    for (path, field) in [
        ("/api/v1/leads?owner=0", "owner"),
        ("/api/v1/work-items?assignee=-1", "assignee"),
        ("/api/v1/contacts?account_id=0", "account_id"),
        ("/api/v1/opportunities?account_id=0", "account_id"),
        // Given without a value, as an unset variable in a script would be.
        ("/api/v1/leads?stage=", "stage"),
        ("/api/v1/accounts?status=%20", "status"),
        ("/api/v1/accounts?limit=", "limit"),
    ] {
        let response = app.get(&app.owner, path).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), field, "{path}: {problem}");
    }
}

#[tokio::test]
async fn a_value_of_the_wrong_kind_for_a_closed_set_names_its_field() {
    let app = TestApp::new().await;
    for (path, body, field) in [
        (
            "/api/v1/accounts",
            serde_json::json!({"name": "Initech", "tier": 1}),
            "tier",
        ),
        (
            "/api/v1/accounts",
            serde_json::json!({"name": "Initech", "tier": ["a"]}),
            "tier",
        ),
        (
            "/api/v1/teams",
            serde_json::json!({"name": "East", "function": null}),
            "function",
        ),
    ] {
        let response = app.post(&app.owner, path, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), field, "{body}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            (detail.contains("wrong type") || detail.contains("must be"))
                && !detail.contains("column"),
            "{problem}"
        );
    }
    assert_eq!(app.count("accounts").await, 0);
    assert_eq!(app.count("teams").await, 0);
    let (status, problem) = post_raw(&app, "{\"email\": ", "application/json").await;
    assert_eq!(status, 400, "broken JSON stays a 400: {problem}");
}

#[tokio::test]
async fn accounts_validate_their_fields_and_domains() {
    let app = TestApp::new().await;
    let created = app
        .post(&app.owner, "/api/v1/accounts", &serde_json::json!({"name": "Globex", "domain": "globex.test", "status": "customer", "tier": "a"}))
        .await;
    assert_eq!(created.status(), 201);
    let taken = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "Other", "domain": "globex.test"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let twice = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "Twice", "domain": "twice.test", "domains": ["TWICE.test"]}),
        )
        .await;
    assert_eq!(twice.status(), 201, "one domain given twice is one claim");
    let no_owner = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "Orphan", "owner_id": 99999}),
        )
        .await;
    assert_eq!(no_owner.status(), 422);
    let problem: Value = no_owner.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "owner_id", "{problem}");
    let bad_tier = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "X", "tier": "z"}),
        )
        .await;
    assert_eq!(bad_tier.status(), 422);
    let problem: Value = bad_tier.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "tier", "{problem}");
    let no_name = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": " "}),
        )
        .await;
    assert_eq!(no_name.status(), 422);
    assert_eq!(app.count("accounts").await, 2, "Globex and Twice only");
}

#[tokio::test]
async fn a_key_used_again_for_another_body_is_refused_and_stores_nothing() {
    let app = TestApp::new().await;
    let send = |body: serde_json::Value| {
        app.client
            .post(app.url("/api/v1/inquiries"))
            .bearer_auth(&app.owner)
            .header("Idempotency-Key", "order-7")
            .json(&body)
            .send()
    };
    let first = send(strong_lead("kim@globex.test")).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let before = app.count("inquiries").await;
    let other = send(strong_lead("lee@globex.test")).await.unwrap();
    assert_eq!(other.status(), 422);
    let problem: Value = other.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "Idempotency-Key");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("inquiry {}", first["id"])),
        "{problem}"
    );
    assert_eq!(app.count("inquiries").await, before);

    // The same inquiry with its keys in another order and other spacing is
    // a retry, not another body.
    let lead = strong_lead("kim@globex.test");
    let reordered: Vec<String> = lead
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(key, value)| format!("{key:?} :  {value}"))
        .collect();
    let retry = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .header("Idempotency-Key", "order-7")
        .header("content-type", "application/json")
        .body(format!("{{ {} }}", reordered.join(" , ")))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(
        (retry["id"].clone(), retry["repeat"].clone()),
        (first["id"].clone(), Value::Bool(true))
    );
    assert_eq!(app.count("inquiries").await, before);
}

#[tokio::test]
async fn every_client_error_of_the_api_is_a_problem_document() {
    let app = TestApp::new().await;
    let problem = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/problem+json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], status);
        // RFC 9457: an `about:blank` problem is titled with the status's phrase.
        let phrase = reqwest::StatusCode::from_u16(status)
            .unwrap()
            .canonical_reason()
            .unwrap();
        assert_eq!(
            (&body["type"], &body["title"]),
            (&json!("about:blank"), &json!(phrase))
        );
        (status, headers, body)
    };
    let (status, _, body) = problem(app.get(&app.owner, "/api/v1/inquiries/abc").await).await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "id: `abc` is not an id", "{body}");
    assert_eq!(invalid_field(&body), "id", "{body}");
    // Of several ids in the path, the one that does not parse is named.
    let member = "/api/v1/queues/service/members/abc";
    let away = serde_json::json!({"away": true});
    let (status, _, body) = problem(app.patch(&app.owner, member, &away).await).await;
    assert_eq!((status, invalid_field(&body)), (400, "user_id"), "{body}");
    let version = "/api/v1/charter/versions/abc";
    let (status, _, body) = problem(app.get(&app.owner, version).await).await;
    assert_eq!((status, invalid_field(&body)), (400, "version"), "{body}");

    // Lists whose filters are read beside the page parameters too.
    for list in ["inquiries", "work-items", "leads", "accounts"] {
        let (status, _, body) = problem(
            app.get(&app.owner, &format!("/api/v1/{list}?limit=many"))
                .await,
        )
        .await;
        assert_eq!(status, 422, "{list}: {body}");
        assert_eq!(invalid_field(&body), "limit", "{list}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.starts_with("limit: "), "{list}: {body}");
    }

    let array = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!(["Initech"]),
        )
        .await;
    let (status, _, body) = problem(array).await;
    assert_eq!((status, invalid_field(&body)), (422, "body"), "{body}");

    let (status, _, _) = problem(app.get(&app.owner, "/api/v1/nothing-here").await).await;
    assert_eq!(status, 404);

    let put = app
        .client
        .put(app.url("/api/v1/inquiries"))
        .bearer_auth(&app.owner)
        .send()
        .await
        .unwrap();
    let (status, headers, _) = problem(put).await;
    assert_eq!(status, 405);
    assert!(headers["allow"].to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn money_in_a_made_up_currency_is_refused() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let deal = app
        .post(
            &hunter,
            "/api/v1/opportunities",
            &serde_json::json!({"name": "o", "amount": "10", "currency": "ZZZ"}),
        )
        .await;
    assert_eq!(deal.status(), 422);
    let problem: Value = deal.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "currency", "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("ISO 4217"));
    assert_eq!(app.count("opportunities").await, 0);
}

#[tokio::test]
async fn names_and_texts_have_a_length_limit() {
    let app = TestApp::new().await;
    let long = "x".repeat(301);
    for (path, body, field) in [
        (
            "/api/v1/accounts",
            serde_json::json!({"name": long}),
            "name",
        ),
        (
            "/api/v1/contacts",
            serde_json::json!({"name": long}),
            "name",
        ),
        (
            "/api/v1/contacts",
            serde_json::json!({"name": "Ann", "title": long}),
            "title",
        ),
        (
            "/api/v1/campaigns",
            serde_json::json!({"name": long, "channel": "email"}),
            "name",
        ),
        (
            "/api/v1/teams",
            serde_json::json!({"name": long, "function": "hunting"}),
            "name",
        ),
    ] {
        let response = app.post(&app.owner, path, &body).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), field, "{path}: {problem}");
    }
    assert_eq!(app.count("accounts").await, 0);
    assert_eq!(app.count("contacts").await, 0);
}

#[tokio::test]
async fn a_huge_refused_value_is_not_echoed_back_whole() {
    let app = TestApp::new().await;
    let huge = "9".repeat(100_000);
    let response = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "Initech", "domain": huge}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    let reason = problem["invalid-params"][0]["reason"].as_str().unwrap();
    assert!(
        detail.chars().count() <= 1_001 && detail.ends_with('…'),
        "{}",
        detail.len()
    );
    assert!(
        reason.chars().count() <= 1_001 && reason.ends_with('…'),
        "{}",
        reason.len()
    );
}

#[tokio::test]
async fn text_holding_the_nul_character_is_refused_naming_where() {
    let app = TestApp::new().await;
    let before = app.count("inquiries").await;
    for (path, body, field) in [
        (
            "/api/v1/inquiries",
            r#"{"email": "ann@acme.io", "message": "hello\u0000there"}"#,
            "message",
        ),
        (
            "/api/v1/inquiries",
            r#"{"email": "ann@acme.io", "message": "hi", "fields": {"size": ["1", "a\u0000"]}}"#,
            "fields.size[1]",
        ),
        (
            "/api/v1/accounts",
            r#"{"name": "Initech", "industry": "\u0000"}"#,
            "industry",
        ),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .bearer_auth(&app.owner)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), field, "{problem}");
    }
    assert_eq!(app.count("inquiries").await, before, "nothing stored");
    // Every place holding NUL is named at once.
    let response = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&app.owner)
        .header("content-type", "application/json")
        .body(r#"{"name": "Init\u0000ech", "industry": "\u0000"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let named: Vec<&str> = problem["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["industry", "name"], "{problem}");
    // A backslash followed by u0000 is text, not NUL.
    let literal = app
        .client
        .post(app.url("/api/v1/accounts"))
        .bearer_auth(&app.owner)
        .header("content-type", "application/json")
        .body(r#"{"name": "Initech", "industry": "\\u0000"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(literal.status(), 201);
}

#[tokio::test]
async fn names_with_line_breaks_or_control_characters_are_refused() {
    let app = TestApp::new().await;
    for (path, body) in [
        (
            "/api/v1/accounts",
            serde_json::json!({"name": "Acme\nCorp", "domain": "acme.example"}),
        ),
        (
            "/api/v1/users",
            serde_json::json!({"email": "esc@acme.example", "name": "Red\u{1b}[31m", "role": "hunter"}),
        ),
        (
            "/api/v1/contacts",
            serde_json::json!({"name": "Two\nLines", "email": "two@acme.example"}),
        ),
    ] {
        let response = app.post(&app.owner, path, &body).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), "name", "{path}: {problem}");
        assert!(
            problem["invalid-params"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("one line"),
            "{problem}"
        );
    }
    assert_eq!(app.count("accounts").await, 0);
    assert_eq!(app.count("contacts").await, 0);
}

#[tokio::test]
async fn the_nul_character_in_a_query_and_line_breaks_in_charter_and_forecast_names_are_refused() {
    let app = TestApp::new().await;
    let response = app.get(&app.owner, "/api/v1/accounts?search=a%00b").await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "search", "{problem}");

    let charter = serde_json::json!({"note": "Calls", "activity_types": [
        {"slug": "call", "name": "Call\nnow", "function": "hunting", "expectation": "daily"}
    ]});
    let response = app.put(&app.owner, "/api/v1/charter", &charter).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        invalid_field(&problem),
        "activity_types[0].name",
        "{problem}"
    );

    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;
    let forecast = serde_json::json!({"kind": "leads", "quarter": crate::helpers::next_quarter(),
        "lines": [{"description": "Webinars\u{1b}[2J", "amount": "5", "leads": 10, "mqls": 1}]});
    let response = app.post(&marketer, "/api/v1/forecasts", &forecast).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "lines[0].description", "{problem}");
    assert_eq!(app.count("forecasts").await, 0);
}

#[tokio::test]
async fn notes_reasons_and_forecast_counts_have_limits() {
    let app = TestApp::new().await;
    let (_, marketer) = app.user("mia@acme.test", Role::Marketer).await;
    let too_many = app
        .post(
            &marketer,
            "/api/v1/forecasts",
            &serde_json::json!({"kind": "leads", "quarter": crate::helpers::next_quarter(),
                   "lines": [{"description": "a", "amount": "5", "leads": i64::MAX, "mqls": 1}]}),
        )
        .await;
    assert_eq!(too_many.status(), 422);
    let problem: Value = too_many.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "lines[0].leads", "{problem}");

    let long = "n".repeat(20_001);
    let lead = app.inquire(strong_lead("dana@initech.test")).await["lead_id"]
        .as_i64()
        .unwrap();
    let moved = app
        .post(
            &app.owner,
            &format!("/api/v1/leads/{lead}/stage"),
            &serde_json::json!({"stage": "sal", "reason": long}),
        )
        .await;
    assert_eq!(moved.status(), 422);
    let problem: Value = moved.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "reason", "{problem}");

    let held = app
        .inquire(serde_json::json!({
            "email": "buyer@mailinator.com",
            "message": "Pricing please http://a.example http://b.example http://c.example"
        }))
        .await;
    assert_eq!(held["status"], "quarantined");
    let path = format!("/api/v1/inquiries/{}", held["id"]);
    for word in ["release", "confirm-spam"] {
        let refused = app
            .post(
                &app.owner,
                &format!("{path}/{word}"),
                &serde_json::json!({"note": long}),
            )
            .await;
        assert_eq!(refused.status(), 422, "{word}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(invalid_field(&problem), "note", "{word}: {problem}");
    }
    let after = app.get_json(&app.owner, &path).await;
    assert_eq!(after["status"], "quarantined", "nothing was decided");
}

#[tokio::test]
async fn headers_slas_and_time_ranges_are_checked_as_documented() {
    let app = TestApp::new().await;
    for keys in [&["a b"][..], &["order-1", "order-2"][..]] {
        let mut request = app
            .client
            .post(app.url("/api/v1/inquiries"))
            .bearer_auth(&app.owner)
            .json(&strong_lead("kim@globex.test"));
        for key in keys {
            request = request.header("Idempotency-Key", *key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 422, "{keys:?}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(invalid_field(&problem), "Idempotency-Key", "{problem}");
    }
    assert_eq!(app.count("inquiries").await, 0);

    let response = app
        .patch(
            &app.owner,
            "/api/v1/queues/service",
            &serde_json::json!({"first_touch_sla_minutes": i64::MAX}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        invalid_field(&problem),
        "first_touch_sla_minutes",
        "{problem}"
    );

    let response = app
        .get(
            &app.owner,
            "/api/v1/appointments?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z",
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(invalid_field(&problem), "to", "{problem}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_is_disconnected_and_others_are_served() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let (base, _stop) = crate::server::start_server(app.db.clone(), |options| {
        options.client_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let address = base.trim_start_matches("http://");
    let started = std::time::Instant::now();
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"POST /f/contact HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(address).await.unwrap();
    // A whole head, then a body that stops coming.
    let mut stalled = tokio::net::TcpStream::connect(address).await.unwrap();
    stalled
        .write_all(
            b"POST /f/contact HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
        )
        .await
        .unwrap();
    let health = app
        .client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "others are served meanwhile");
    let mut rest = Vec::new();
    for stream in [&mut slow, &mut silent, &mut stalled] {
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut rest),
        )
        .await;
        assert!(
            read.is_ok(),
            "the server ends a request whose head or body never comes"
        );
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "not before the deadline"
    );
}

#[tokio::test]
async fn a_client_past_its_connection_cap_is_closed_at_once_and_served_once_one_ends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let (base, _stop) = crate::server::start_server(app.db.clone(), |options| {
        options.connections_per_client = 3;
    })
    .await;
    let address = base.trim_start_matches("http://");
    let ask_health = async |stream: &mut tokio::net::TcpStream| {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut answer),
        )
        .await
        .expect("the server answers or closes")
        .ok()?;
        Some(String::from_utf8_lossy(&answer).into_owned())
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(address).await.unwrap());
    }
    // The connections are accepted in the order they were made: the fourth
    // is past the cap.
    let mut fourth = tokio::net::TcpStream::connect(address).await.unwrap();
    let answer = ask_health(&mut fourth).await.unwrap_or_default();
    assert!(
        !answer.starts_with("HTTP/1.1 200"),
        "the fourth connection is closed unanswered: {answer}"
    );
    let answer = ask_health(&mut held[0]).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // That answered connection has ended; its place is free again once the
    // server has counted it off.
    let mut served = false;
    for _ in 0..50 {
        let mut again = tokio::net::TcpStream::connect(address).await.unwrap();
        if ask_health(&mut again)
            .await
            .is_some_and(|answer| answer.starts_with("HTTP/1.1 200"))
        {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "a client below its cap is served again");

    // A trusted proxy carries many clients' connections: it is not capped.
    let (base, _stop) = crate::server::start_server(app.db.clone(), |options| {
        options.connections_per_client = 1;
        options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let address = base.trim_start_matches("http://");
    let _held = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut second = tokio::net::TcpStream::connect(address).await.unwrap();
    let answer = ask_health(&mut second).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
