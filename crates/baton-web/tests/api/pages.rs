use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
use baton_db::users::NewUser;

/// A browser without JavaScript: follows no redirects, keeps the session cookie.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: app.base.clone(),
            cookie: None,
        }
    }

    async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (
            response.status().as_u16(),
            response.text().await.unwrap(),
            location,
        )
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (
            response.status().as_u16(),
            response.text().await.unwrap(),
            location,
        )
    }

    /// The CSRF token of the last page's forms.
    fn csrf(page: &str) -> String {
        let at = page
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        page[at..at + 32].to_string()
    }
}

#[tokio::test]
async fn the_first_owner_is_set_up_in_the_browser_and_signs_in_and_out() {
    let test_db = baton_db::testing::TestDb::new().await.unwrap();
    let (base, _stop) = crate::server::start_server(test_db.db.clone()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut browser = Browser {
        client,
        base,
        cookie: None,
    };

    let (status, _, location) = browser.get("/work").await;
    assert_eq!((status, location.as_deref()), (303, Some("/sign-in")));
    let (_, _, location) = browser.get("/sign-in").await;
    assert_eq!(
        location.as_deref(),
        Some("/setup"),
        "an empty database asks for its owner"
    );

    let (status, page, _) = browser
        .post(
            "/setup",
            &[
                ("name", "Olive"),
                ("email", "olive@"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"email-error\"") && page.contains("value=\"Olive\""),
        "error beside the field, input kept"
    );

    let (status, _, location) = browser
        .post(
            "/setup",
            &[
                ("name", "Olive"),
                ("email", "olive@acme.test"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/work")));
    let (status, page, _) = browser.get("/work").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Nothing is waiting for you"),
        "empty state says what happens next"
    );

    let (status, _, _) = browser.post("/sign-out", &[("csrf", "forged")]).await;
    assert_eq!(status, 403, "forms without the session's token are refused");
    let csrf = Browser::csrf(&page);
    let (status, _, location) = browser.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/sign-in")));
    let (_, _, location) = browser.get("/work").await;
    assert_eq!(location.as_deref(), Some("/sign-in"));

    let (status, page, _) = browser
        .post(
            "/sign-in",
            &[("email", "olive@acme.test"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(status, 401);
    assert!(page.contains("do not match") && page.contains("value=\"olive@acme.test\""));
}

#[tokio::test]
async fn a_hunter_sees_and_accepts_their_work_and_reads_its_reasons() {
    let app = TestApp::new().await;
    app.db
        .create_user(NewUser {
            email: "hal@acme.test",
            name: "Hal Hunter",
            role: Role::Hunter,
            password: Some("hunter password"),
        })
        .await
        .unwrap();
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;

    let mut browser = Browser::new(&app);
    let (status, _, _) = browser
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "hunter password")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = browser.get("/work").await;
    assert!(
        page.contains(&format!("Inquiry {}", receipt["id"])),
        "{page}"
    );
    assert!(page.contains("hunters") && page.contains("due in"));

    let item = receipt["work_item_id"].as_i64().unwrap();
    let csrf = Browser::csrf(&page);
    let (status, _, _) = browser
        .post(&format!("/work/{item}/accept"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.db.work_item(item).await.unwrap().status,
        baton_core::domain::WorkStatus::Accepted
    );

    let (status, page, _) = browser.get(&format!("/inquiries/{}", receipt["id"])).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("marks a decision maker"),
        "score reasons shown"
    );
    assert!(
        page.contains("Grade A new business goes to hunters"),
        "routing reason shown"
    );
    assert!(page.contains("accepted by the assignee"), "timeline shown");
    // The raw JSON is shown as text: its quotes are escaped, never markup.
    assert!(page.contains("dana@initech.test"), "raw shown");
    assert!(
        !page.contains(r#""email":"dana@initech.test""#),
        "raw escaped"
    );

    let billing = app
        .inquire(
            serde_json::json!({"email": "ap@x.test", "message": "invoice charged twice, refund"}),
        )
        .await;
    let (status, _, _) = browser.get(&format!("/inquiries/{}", billing["id"])).await;
    assert_eq!(status, 403, "another team's inquiry");
}

#[tokio::test]
async fn a_spam_submission_lands_in_moderation_and_is_released_while_a_hunter_is_refused() {
    let app = TestApp::new().await;
    for (email, role) in [
        ("quinn@acme.test", Role::Qualifier),
        ("hal@acme.test", Role::Hunter),
    ] {
        app.db
            .create_user(NewUser {
                email,
                name: email,
                role,
                password: Some("long password"),
            })
            .await
            .unwrap();
    }
    let spam = app
        .inquire(serde_json::json!({"email": "deals@mailinator.com", "message": "SEO http://a.biz http://b.biz http://c.biz"}))
        .await;
    assert_eq!(spam["status"], "quarantined");

    let mut hunter = Browser::new(&app);
    hunter
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "long password")],
        )
        .await;
    let (status, _, _) = hunter.get("/moderation").await;
    assert_eq!(status, 403);

    let mut qualifier = Browser::new(&app);
    qualifier
        .post(
            "/sign-in",
            &[("email", "quinn@acme.test"), ("password", "long password")],
        )
        .await;
    let (status, page, _) = qualifier.get("/moderation").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("Inquiry {}", spam["id"])) && page.contains("throw-away mailboxes"),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = qualifier
        .post(
            &format!("/moderation/{}/release", spam["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = qualifier.get("/moderation").await;
    assert!(page.contains("No inquiry is waiting"), "released: {page}");
    let view = app.db.inquiry(spam["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(view.status, baton_core::domain::InquiryStatus::Processed);
}

#[tokio::test]
async fn the_owner_edits_the_charter_as_a_new_version_and_a_hunter_is_refused_the_page() {
    let app = TestApp::new().await;
    app.db
        .create_user(NewUser {
            email: "boss@acme.test",
            name: "Boss",
            role: Role::Owner,
            password: Some("owner password"),
        })
        .await
        .unwrap();
    app.db
        .create_user(NewUser {
            email: "hal@acme.test",
            name: "Hal",
            role: Role::Hunter,
            password: Some("long password"),
        })
        .await
        .unwrap();
    let mut hunter = Browser::new(&app);
    hunter
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "long password")],
        )
        .await;
    let (status, page, _) = hunter.get("/charter").await;
    assert_eq!(status, 403);
    assert!(
        !page.contains("name=\"expectation\""),
        "no editor for a hunter"
    );
    let (_, work, _) = hunter.get("/work").await;
    assert!(!work.contains("href=\"/charter\""), "no link either");

    let mut owner = Browser::new(&app);
    owner
        .post(
            "/sign-in",
            &[("email", "boss@acme.test"), ("password", "owner password")],
        )
        .await;
    let (status, page, _) = owner.get("/charter").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chasing past-due accounts") && page.contains("Save as version 2"));
    let csrf = Browser::csrf(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("slug", "cold_call"),
        ("name", "Cold calling"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("slug", "billing_issue"),
        ("name", "Solving billing issues"),
        ("function", "operations"),
        ("expectation", "2 days"),
        ("slug", "bad one!"),
        ("name", "x"),
        ("function", "hunting"),
        ("expectation", "y"),
        ("note", "Trimmed to what we track"),
    ];
    let (status, page, _) = owner.post("/charter", &form).await;
    assert_eq!(status, 422, "a bad code is refused");
    assert!(
        page.contains("value=\"bad one!\"") && page.contains("value=\"Trimmed to what we track\""),
        "input kept"
    );

    let form = [
        ("csrf", csrf.as_str()),
        ("slug", "cold_call"),
        ("name", "Cold calling"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("slug", "billing_issue"),
        ("name", "Solving billing issues"),
        ("function", "operations"),
        ("expectation", "2 days"),
        ("slug", ""),
        ("name", ""),
        ("function", "marketing"),
        ("expectation", ""),
        ("note", "Trimmed to what we track"),
    ];
    let (status, _, location) = owner.post("/charter", &form).await;
    assert_eq!((status, location.as_deref()), (303, Some("/charter")));
    let charter = app.db.current_charter().await.unwrap();
    assert_eq!(charter.version.version, 2);
    assert_eq!(charter.activity_types.len(), 2);
    assert_eq!(
        app.db.charter(1).await.unwrap().activity_types.len(),
        32,
        "version 1 unchanged"
    );
}
