use crate::helpers::TestApp;

async fn send_form(app: &TestApp, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url("/f/contact"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn submit(app: &TestApp, body: &'static str) -> (u16, String) {
    let response = send_form(app, body).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_hosted_form_takes_an_inquiry_and_thanks_the_visitor() {
    let app = TestApp::new().await;
    let page = app.client.get(app.url("/f/contact")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"email\">") && html.contains("name=\"website\""));

    let (status, html) = submit(
        &app,
        "name=Ann+Lee&email=ann%40initech.test&message=Pricing+for+40+seats%3F&website=",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Thank you"));
    let list = app.get_json(&app.owner, "/api/v1/inquiries").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let inquiry = app
        .get_json(&app.owner, &format!("/api/v1/inquiries/{id}"))
        .await;
    assert_eq!(inquiry["channel"], "form");
    assert_eq!(inquiry["origin"], "form:contact");
    assert!(inquiry["raw"].as_str().unwrap().starts_with("name=Ann+Lee"));
    assert_eq!(inquiry["status"], "processed");
}

#[tokio::test]
async fn a_form_sent_in_another_encoding_is_told_so_and_stores_nothing() {
    let app = TestApp::new().await;
    for content_type in ["multipart/form-data; boundary=x", "text/plain"] {
        let response = app
            .client
            .post(app.url("/f/contact"))
            .header("content-type", content_type)
            .body("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nann@acme.io\r\n--x--\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Remove the <code>enctype</code>") && !html.contains("e-mail address"),
            "{html}"
        );
    }
    let list = app.get_json(&app.owner, "/api/v1/inquiries").await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_filled_honeypot_is_thanked_but_quarantined() {
    let app = TestApp::new().await;
    let (status, html) = submit(
        &app,
        "email=bot%40spam.test&message=hi&website=http%3A%2F%2Fspam.biz",
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Thank you"));
    let list = app
        .get_json(&app.owner, "/api/v1/inquiries?status=quarantined")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn errors_are_shown_next_to_the_field_with_the_input_kept() {
    let app = TestApp::new().await;
    let (status, html) = submit(&app, "name=%3Cb%3EAnn&email=ann%40&message=hello").await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"email-error\""));
    assert!(
        html.contains("value=\"&lt;b&gt;Ann\""),
        "input kept and escaped"
    );
    assert!(!html.contains("<b>Ann"));
    // Escapes that decode to bytes that are not UTF-8.
    let (status, html) = submit(&app, "name=Ann&email=%FF%FE%40b.example&message=hello").await;
    assert_eq!(status, 400);
    assert!(html.contains("not valid UTF-8"), "{html}");
    // Too much for the body limit: a page for the visitor, not a problem document.
    let huge = format!(
        "email=ann%40acme.test&message={}",
        "x".repeat(baton_web::MAX_BODY_BYTES)
    );
    let response = send_form(&app, huge).await;
    assert_eq!(response.status(), 413);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("Too much was sent"));
    // Too many extra fields: no input to mark, so the problem is said at the top.
    let extra: String = (0..60).map(|n| format!("&extra{n}=x")).collect();
    let response = send_form(&app, format!("email=ann%40acme.test&message=hello{extra}")).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("The form could not be sent") && html.contains("free fields are accepted"),
        "{html}"
    );
    assert_eq!(app.count("inquiries").await, 0);
    let missing = app.client.get(app.url("/f/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn one_address_is_rate_limited() {
    let app = TestApp::new().await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(
            submit(&app, "email=ann%40initech.test&message=hello")
                .await
                .0,
        );
    }
    assert!(statuses[..10].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[10], 429);
}

#[tokio::test]
async fn marketers_create_forms_that_work_at_once_and_can_be_embedded() {
    let app = TestApp::new().await;
    let (_, marketer) = app
        .user("mia@acme.test", baton_core::domain::Role::Marketer)
        .await;
    let (_, hunter) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    let body = serde_json::json!({"slug": "webinar-2026", "name": "Webinar sign-up"});
    assert_eq!(
        app.post(&hunter, "/api/v1/forms", &body).await.status(),
        403
    );
    let created = app.post(&marketer, "/api/v1/forms", &body).await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["url"], format!("{}/f/webinar-2026", app.base));
    let snippet = created["embed_html"].as_str().unwrap();
    assert!(
        snippet.contains(&format!("action=\"{}/f/webinar-2026\"", app.base)),
        "{snippet}"
    );
    assert!(
        snippet.contains("name=\"website\""),
        "the honeypot comes along"
    );
    assert_eq!(
        app.post(&marketer, "/api/v1/forms", &body).await.status(),
        409
    );
    let bad = serde_json::json!({"slug": "Not A Slug", "name": "x"});
    assert_eq!(
        app.post(&marketer, "/api/v1/forms", &bad).await.status(),
        422
    );

    let page = app
        .client
        .get(app.url("/f/webinar-2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let list = app.get_json(&marketer, "/api/v1/forms").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "the default contact form and the new one"
    );
    // Those who do not publish forms read them neither, as on the page.
    assert_eq!(app.get(&hunter, "/api/v1/forms").await.status(), 403);
    let one = format!("/api/v1/forms/{}", created["slug"].as_str().unwrap());
    assert_eq!(app.get(&hunter, &one).await.status(), 403);
}

#[tokio::test]
async fn a_form_closed_over_the_api_takes_nothing_until_opened() {
    let app = TestApp::new().await;
    let (_, marketer) = app
        .user("mia@acme.test", baton_core::domain::Role::Marketer)
        .await;
    let (_, hunter) = app
        .user("hal@acme.test", baton_core::domain::Role::Hunter)
        .await;
    let close = serde_json::json!({"active": false});
    assert_eq!(
        app.patch(&hunter, "/api/v1/forms/contact", &close)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.patch(&marketer, "/api/v1/forms/nowhere", &close)
            .await
            .status(),
        404
    );
    let closed = app.patch(&marketer, "/api/v1/forms/contact", &close).await;
    assert_eq!(closed.status(), 200);
    assert_eq!(
        closed.json::<serde_json::Value>().await.unwrap()["active"],
        false
    );
    let (status, _) = submit(
        &app,
        "name=Ann&email=ann%40initech.test&message=Pricing%3F&website=",
    )
    .await;
    assert_eq!(status, 404, "a closed form takes nothing");
    let opened = app
        .patch(
            &marketer,
            "/api/v1/forms/contact",
            &serde_json::json!({"active": true}),
        )
        .await;
    assert_eq!(opened.status(), 200);
    let (status, _) = submit(
        &app,
        "name=Ann&email=ann%40initech.test&message=Pricing%3F&website=",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_form_with_a_campaign_and_a_source_gives_them_whatever_the_visitor_sends() {
    use serde_json::json;
    let app = TestApp::new().await;
    let (_, marketer) = app
        .user("mia@acme.test", baton_core::domain::Role::Marketer)
        .await;
    let mut campaign_ids = Vec::new();
    for name in ["Spring webinar", "Rival campaign"] {
        let body = json!({"name": name, "channel": "webinar"});
        let created = app.post(&marketer, "/api/v1/campaigns", &body).await;
        assert_eq!(created.status(), 201);
        let created: serde_json::Value = created.json().await.unwrap();
        campaign_ids.push(created["id"].as_i64().unwrap());
    }
    let body = json!({"slug": "webinar", "name": "Webinar sign-up", "campaign": "Nope"});
    let refused = app.post(&marketer, "/api/v1/forms", &body).await;
    assert_eq!(refused.status(), 422);
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        refused["invalid-params"][0]["name"], "campaign",
        "{refused}"
    );
    let body =
        json!({"slug": "webinar", "name": "Webinar sign-up", "source": "Line one\nline two"});
    let refused = app.post(&marketer, "/api/v1/forms", &body).await;
    assert_eq!(refused.status(), 422);
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(refused["invalid-params"][0]["name"], "source", "{refused}");
    let body = json!({"slug": "webinar", "name": "Webinar sign-up",
                      "campaign": "spring WEBINAR", "source": " Webinar "});
    let created = app.post(&marketer, "/api/v1/forms", &body).await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["source"], "webinar");
    let send = async |path: &str, body: &str| {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    };
    // A campaign or source the form replaces cannot refuse a submission.
    let long = "x".repeat(400);
    send(
        "/f/webinar",
        &format!("email=ann%40initech.test&message=Count+me+in&source={long}&campaign={long}"),
    )
    .await;
    send(
        "/f/webinar",
        "email=bob%40globex.test&message=Count+me+in&campaign=Rival+campaign&source=partner",
    )
    .await;
    // A form without a campaign or source of its own takes those its page
    // names.
    send(
        "/f/contact",
        "email=cy%40hooli.test&message=Pricing+please&campaign=Rival+campaign&source=partner",
    )
    .await;
    let leads = app.get_json(&app.owner, "/api/v1/leads").await;
    let mut credited = Vec::new();
    for lead in leads["items"].as_array().unwrap() {
        let contact = app
            .get_json(
                &app.owner,
                &format!("/api/v1/contacts/{}", lead["contact_id"]),
            )
            .await;
        credited.push((
            contact["email"].as_str().unwrap().to_string(),
            lead["campaign_id"].as_i64(),
            lead["source"].as_str().map(String::from),
        ));
    }
    credited.sort();
    assert_eq!(
        credited,
        [
            (
                "ann@initech.test".to_string(),
                Some(campaign_ids[0]),
                Some("webinar".to_string())
            ),
            (
                "bob@globex.test".to_string(),
                Some(campaign_ids[0]),
                Some("webinar".to_string())
            ),
            (
                "cy@hooli.test".to_string(),
                Some(campaign_ids[1]),
                Some("partner".to_string())
            ),
        ]
    );
    // The inquiry's page shows what Ann wrote, though the form replaced a
    // source it would refuse.
    let ann_inquiry = leads["items"]
        .as_array()
        .unwrap()
        .iter()
        // Leads are listed oldest first: Ann's is the first from the form.
        .find(|lead| lead["source"] == "webinar")
        .map(|lead| lead["inquiry_id"].clone())
        .unwrap();
    let owner =
        crate::pages::Browser::person(&app, "olga@acme.test", baton_core::domain::Role::Owner)
            .await;
    let (status, page, _) = owner.get(&format!("/inquiries/{ann_inquiry}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Count me in"), "{page}");
    // The models learn what intake decided on: the form's source.
    let examples = app
        .db
        .training_examples(baton_core::learn::train::Task::Spam)
        .await
        .unwrap();
    let mut sources: Vec<&str> = examples.iter().map(|e| e.row[5].as_str()).collect();
    sources.sort();
    assert_eq!(sources, ["partner", "webinar", "webinar"]);
}
