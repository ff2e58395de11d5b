use crate::helpers::{TestApp, sign_in_for, strong_lead};
use baton_core::domain::Role;
use baton_core::routing::fingerprint;
use baton_db::users::NewUser;

/// A browser without JavaScript: follows no redirects, keeps the session cookie.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
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

    /// The whole answer to a GET, headers and all.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let response = self.fetch(path).await;
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

    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
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

    /// Adds a person with `role` who signs in with a fixed password, and signs them in.
    pub async fn person(app: &TestApp, email: &str, role: Role) -> Browser {
        app.db
            .create_user(NewUser {
                email,
                name: email,
                role,
                password: Some("long password"),
            })
            .await
            .unwrap();
        let mut browser = Browser::new(app);
        let (status, _, _) = browser
            .post(
                "/sign-in",
                &[("email", email), ("password", "long password")],
            )
            .await;
        assert_eq!(status, 303, "{email} signs in");
        browser
    }

    /// The CSRF token of the last page's forms.
    pub fn csrf(page: &str) -> String {
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
    let (base, _stop) = crate::server::start_server(test_db.db.clone(), |_| {}).await;
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
    assert_eq!((status, location), (303, Some(sign_in_for("/work"))));
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
        page.contains("open work is under All open work"),
        "empty state says what happens next"
    );

    let (status, _, _) = browser.post("/sign-out", &[("csrf", "forged")]).await;
    assert_eq!(status, 403, "forms without the session's token are refused");
    let csrf = Browser::csrf(&page);
    let (status, _, location) = browser.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/sign-in")));
    let (_, _, location) = browser.get("/work").await;
    assert_eq!(location, Some(sign_in_for("/work")));

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
async fn of_several_setting_up_an_empty_database_at_once_one_becomes_its_owner() {
    let test_db = baton_db::testing::TestDb::new().await.unwrap();
    let (base, _stop) = crate::server::start_server(test_db.db.clone(), |_| {}).await;
    let mut setups = tokio::task::JoinSet::new();
    for i in 0..6 {
        let mut browser = Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.clone(),
            cookie: None,
        };
        setups.spawn(async move {
            let email = format!("owner{i}@acme.test");
            let form = [
                ("name", "Olive"),
                ("email", &email),
                ("password", "long enough pw"),
            ];
            browser.post("/setup", &form).await.2
        });
    }
    let places: Vec<Option<String>> = setups.join_all().await;
    let owners = places
        .iter()
        .filter(|p| p.as_deref() == Some("/work"))
        .count();
    assert_eq!(owners, 1, "{places:?}");
    assert!(
        places
            .iter()
            .all(|p| matches!(p.as_deref(), Some("/work" | "/sign-in")))
    );
    let people = test_db.db.users().await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
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
    let confidence = page
        .split("confidence ")
        .nth(1)
        .and_then(|rest| rest.split_once('%'))
        .map(|(number, _)| number);
    assert!(
        confidence.is_some_and(|n| n.parse::<u8>().is_ok()),
        "a confidence written as 99%: {page}"
    );
    assert!(
        page.contains("<dt>Company</dt><dd class=\"said\">Initech</dd>")
            && page.contains("<dt>industry</dt><dd class=\"said\">software</dd>"),
        "what they wrote, read: {page}"
    );
    let lead = app.db.work_item(item).await.unwrap().lead_id.unwrap();
    assert!(page.contains(&format!("href=\"/leads/{lead}\"")), "{page}");
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
async fn the_owner_edits_the_charter_as_a_new_version_which_a_hunter_only_reads() {
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
    // Everyone reads what each function owns, as over the API.
    let (status, page, _) = hunter.get("/charter").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chasing past-due accounts"), "{page}");
    assert!(
        !page.contains("name=\"expectation\""),
        "no editor for a hunter"
    );
    let (_, work, _) = hunter.get("/work").await;
    assert!(work.contains("href=\"/charter\""), "linked for everyone");

    let mut owner = Browser::new(&app);
    owner
        .post(
            "/sign-in",
            &[("email", "boss@acme.test"), ("password", "owner password")],
        )
        .await;
    // A reader sees the charter without the empty row that adds an activity.
    let manager = Browser::person(&app, "mo@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/charter").await;
    assert_eq!(status, 200);
    assert!(page.contains("Chasing past-due accounts"), "{page}");
    assert!(!page.contains("<tr><td></td>"), "no empty row: {page}");
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
    // A new activity typed without its code is not dropped: the page asks
    // for the code, the row as typed.
    let form = [
        ("csrf", csrf.as_str()),
        ("slug", "cold_call"),
        ("name", "Cold calling"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("slug", ""),
        ("name", "Webinars"),
        ("function", "marketing"),
        ("expectation", "monthly"),
        ("slug", "events"),
        ("name", ""),
        ("function", "marketing"),
        ("expectation", "quarterly"),
        ("note", "Add webinars"),
    ];
    let (status, page, _) = owner.post("/charter", &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("Row 2: give the activity a code"), "{page}");
    assert!(
        page.contains("id=\"slug-2-error\""),
        "beside the code: {page}"
    );
    assert!(page.contains("<li>Row 3, name: "), "and the others: {page}");
    assert!(page.contains("value=\"Webinars\""), "input kept");
    // A code twice is named by the page's row, not the stored list's index.
    let form = [
        ("csrf", csrf.as_str()),
        ("slug", ""),
        ("name", "Chasing past-due accounts"),
        ("function", "operations"),
        ("expectation", ""),
        ("slug", "cold_call"),
        ("name", "Cold calling"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("slug", "cold_call"),
        ("name", "Cold calls again"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("slug", "demo"),
        ("name", " "),
        ("function", "hunting"),
        ("expectation", "weekly"),
        ("note", "Twice"),
    ];
    let (status, page, _) = owner.post("/charter", &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("The charter was not saved:"), "{page}");
    assert!(
        page.contains("<li>Row 3, code: ") && page.contains("<li>Row 4, name: "),
        "every problem is named at once: {page}"
    );
    assert!(
        page.contains("id=\"slug-3-error\"")
            && page.contains("aria-describedby=\"name-4-error\"")
            && !page.contains("id=\"slug-2-error\""),
        "and beside its field: {page}"
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

    // Saved from a page that showed version 1, the change would undo
    // version 2 unseen: the page shows version 2 instead.
    let mut stale = form.to_vec();
    stale.truncate(5);
    stale.extend([("based_on", "1"), ("note", "Only calls")]);
    let (status, page, _) = owner.post("/charter", &stale).await;
    assert_eq!(status, 409);
    assert!(
        page.contains(
            "The charter changed since this page showed version 1: version 2 is in force now"
        ),
        "{page}"
    );
    assert!(
        page.contains("value=\"billing_issue\"") && page.contains("Save as version 3"),
        "the charter as it is now: {page}"
    );
    assert_eq!(app.db.current_charter().await.unwrap().version.version, 2);
    let (_, page, _) = owner.get("/charter").await;
    assert!(page.contains("name=\"based_on\" value=\"2\""), "{page}");
}

#[tokio::test]
async fn a_marketer_publishes_a_form_with_its_snippet_and_a_hunter_is_refused_the_page() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, _, _) = hunter.get("/forms").await;
    assert_eq!(status, 403);
    let (_, work, _) = hunter.get("/work").await;
    let csrf = Browser::csrf(&work);
    let (status, _, _) = hunter
        .post("/forms", &[("csrf", &csrf), ("slug", "x"), ("name", "X")])
        .await;
    assert_eq!(status, 403, "no publishing either");
    // Managers publish forms on the page as over the API.
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/forms").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/forms\""), "navigation shows Forms");

    let mut marketer = Browser::person(&app, "mia@acme.test", Role::Marketer).await;
    let (status, page, _) = marketer.get("/forms").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/forms\""), "navigation shows Forms");
    assert!(
        page.contains("/f/contact") && page.contains("&#60;form method=&#34;post&#34;"),
        "the default form with its snippet, escaped: {page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = marketer
        .post(
            "/forms",
            &[("csrf", "forged"), ("slug", "demo"), ("name", "Demo")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, page, _) = marketer
        .post(
            "/forms",
            &[
                ("csrf", &csrf),
                ("slug", "Bad Slug"),
                ("name", "Spring demo"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"slug-error\"") && page.contains("value=\"Spring demo\""),
        "error beside the field, input kept"
    );
    let (status, _, location) = marketer
        .post(
            "/forms",
            &[
                ("csrf", &csrf),
                ("slug", "spring-demo"),
                ("name", "Spring demo"),
            ],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/forms")));
    let (_, page, _) = marketer.get("/forms").await;
    assert!(page.contains("/f/spring-demo"));
    let (status, _, _) = marketer.get("/f/spring-demo").await;
    assert_eq!(status, 200, "the form is public");
}

/// A hunter signed in with an accepted lead from their queue: (browser, lead id, work item id).
async fn hunter_with_a_lead(app: &TestApp) -> (Browser, i64, i64) {
    let mut hunter = Browser::person(app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    let item = receipt["work_item_id"].as_i64().unwrap();
    let (_, page, _) = hunter.get("/work").await;
    let csrf = Browser::csrf(&page);
    hunter
        .post(&format!("/work/{item}/accept"), &[("csrf", &csrf)])
        .await;
    let lead = app.db.work_item(item).await.unwrap().lead_id.unwrap();
    assert!(
        page.contains(&format!("href=\"/leads/{lead}\"")),
        "My work links the lead"
    );
    (hunter, lead, item)
}

#[tokio::test]
async fn an_inquirys_timeline_names_the_queue_each_step_happened_in_and_whom_work_went_to() {
    let app = TestApp::new().await;
    for (email, role, queue) in [
        ("quinn@acme.test", Role::Qualifier, "qualification"),
        ("quade@acme.test", Role::Qualifier, "qualification"),
        ("hal@acme.test", Role::Hunter, "hunters"),
        ("hana@acme.test", Role::Hunter, "hunters"),
    ] {
        app.user(email, role).await;
        app.join(queue, email).await;
    }
    // Grade B new business goes to qualification, then escalates twice.
    let receipt = app
        .inquire(serde_json::json!({
            "email": "pat@initech.test", "company": "Initech", "message": "Could we get pricing and a demo?",
            "title": "Manager", "phone": "+1 415 555 0101", "fields": {"company_size": 250}
        }))
        .await;
    assert_eq!(receipt["queue"], "qualification");
    let item = receipt["work_item_id"].as_i64().unwrap();
    let day = 24 * 3600 * 1000;
    for later in [30, 90] {
        let at = baton_db::now_ms() + later * day;
        assert_eq!(app.db.escalate_breaches(at).await.unwrap(), vec![item]);
    }
    let holder = app.db.work_item(item).await.unwrap().assignee_id.unwrap();
    let other = if holder == app.db.user_by_email("hal@acme.test").await.unwrap().id {
        "hana@acme.test"
    } else {
        "hal@acme.test"
    };
    let moved = app
        .post(
            &app.owner,
            &format!("/api/v1/work-items/{item}/reassign"),
            &serde_json::json!({"email": other, "reason": "her territory"}),
        )
        .await;
    assert_eq!(moved.status(), 200);

    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get(&format!("/inquiries/{}", receipt["id"])).await;
    assert_eq!(status, 200);
    for line in [
        "assigned in qualification: ",
        "escalated in qualification: first touch overdue; next member",
        "escalated in hunters: first touch overdue; next tier",
        &format!(
            "reassigned in hunters to {} by Olive Owner: her territory",
            other.split('@').next().unwrap()
        ),
    ] {
        assert!(page.contains(line), "{line}: {page}");
    }
}

#[tokio::test]
async fn a_lead_is_moved_from_its_page_by_whoever_holds_it_with_a_reason_shown_in_its_stages() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let mut other = Browser::person(&app, "hana@acme.test", Role::Hunter).await;
    let receipt = app.inquire(strong_lead("lou@hooli.test")).await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    let path = format!("/leads/{lead}");
    let (status, page, _) = hunter.get(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("Move to another stage") && page.contains("<h2>Stages</h2>"));
    let csrf = Browser::csrf(&page);

    let stage = format!("/leads/{lead}/stage");
    let (status, page, _) = hunter
        .post(&stage, &[("csrf", &csrf), ("stage", ""), ("reason", "")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"move-stage-error\"") && page.contains("id=\"move-reason-error\""),
        "both problems at once: {page}"
    );
    let (status, page, _) = hunter
        .post(
            &stage,
            &[("csrf", &csrf), ("stage", "disqualified"), ("reason", " ")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"move-reason-error\"")
            && page.contains("say why the lead is disqualified"),
        "{page}"
    );
    let (status, _, _) = hunter
        .post(
            &stage,
            &[
                ("csrf", &csrf),
                ("stage", "disqualified"),
                ("reason", "student project"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hunter.get(&path).await;
    assert!(
        page.contains("disqualified</strong>") && page.contains("student project"),
        "{page}"
    );
    assert_eq!(
        app.db.lead(lead).await.unwrap().stage,
        baton_core::domain::Stage::Disqualified
    );

    // Someone who does not hold it is refused, and offered no form.
    app.join("hunters", "hana@acme.test").await;
    let (_, page, _) = other.get(&path).await;
    assert!(!page.contains("Move to another stage"), "{page}");
    let other_csrf = Browser::csrf(&page);
    let (status, _, _) = other
        .post(
            &stage,
            &[
                ("csrf", &other_csrf),
                ("stage", "sql"),
                ("reason", "mine now"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    // Brought back, it is worked again.
    let (status, _, _) = hunter
        .post(
            &stage,
            &[
                ("csrf", &csrf),
                ("stage", "sql"),
                ("reason", "they founded a company"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hunter.get(&path).await;
    assert!(
        page.contains("disqualified → sql") && page.contains("back from disqualified as sql"),
        "{page}"
    );
}

#[tokio::test]
async fn a_manager_hands_a_deal_on_from_its_page_and_a_hunter_is_offered_no_such_choice() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal_id = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let (fay_id, _) = app.user("fay@acme.test", Role::Farmer).await;
    let deal = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &serde_json::json!({"name": "Seats", "amount": "500", "owner_id": hal_id}),
        )
        .await;
    assert_eq!(deal.status(), 201);
    let deal: serde_json::Value = deal.json().await.unwrap();
    let path = format!("/opportunities/{}", deal["id"]);

    let (_, page, _) = hunter.get(&path).await;
    assert!(!page.contains("Held by"), "{page}");
    let csrf = Browser::csrf(&page);
    let fay = fay_id.to_string();
    let form = [
        ("stage", "engaging"),
        ("amount", "500"),
        ("expected_close", ""),
        ("owner_id", fay.as_str()),
    ];
    let (status, _, _) = hunter
        .post(&path, &[&[("csrf", csrf.as_str())][..], &form].concat())
        .await;
    assert_eq!(status, 303);
    let kept = app
        .db
        .opportunity(deal["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        kept.owner_id,
        Some(hal_id),
        "a hunter's form hands nothing on"
    );

    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&path).await;
    assert!(
        page.contains("Held by") && page.contains("fay (farmer)"),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = manager
        .post(&path, &[&[("csrf", csrf.as_str())][..], &form].concat())
        .await;
    assert_eq!(status, 303);
    let handed = app
        .db
        .opportunity(deal["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(handed.owner_id, Some(fay_id));

    // Every problem of the form at once, each beside its field.
    let wrong = [
        ("csrf", csrf.as_str()),
        ("stage", "bogus"),
        ("amount", "abc"),
        ("expected_close", "2026-13-45"),
        ("owner_id", "999999"),
    ];
    let (status, page, _) = manager.post(&path, &wrong).await;
    assert_eq!(status, 422);
    for field in ["stage", "amount", "expected_close", "held-owner_id"] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")),
            "{field}: {page}"
        );
    }
    let kept = app
        .db
        .opportunity(deal["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (kept.owner_id, kept.amount_minor),
        (Some(fay_id), 50_000),
        "nothing stored"
    );

    // Won, with a word on why.
    let won = format!("{path}/won");
    let (status, _, _) = manager
        .post(
            &won,
            &[("csrf", csrf.as_str()), ("close_reason", "budget freed up")],
        )
        .await;
    assert_eq!(status, 303);
    let closed = app
        .db
        .opportunity(deal["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(closed.close_reason.as_deref(), Some("budget freed up"));
}

#[tokio::test]
async fn an_account_is_changed_on_its_page_by_whoever_holds_it_every_problem_named() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let mut other = Browser::person(&app, "hana@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let made = app
        .post(
            &app.owner,
            "/api/v1/accounts",
            &serde_json::json!({"name": "Initech", "domain": "initech.test", "owner_id": hal}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.unwrap();
    app.post(
        &app.owner,
        "/api/v1/accounts",
        &serde_json::json!({"name": "Hooli", "domain": "hooli.test"}),
    )
    .await;
    let path = format!("/accounts/{}", made["id"]);
    let (_, page, _) = hunter.get(&path).await;
    assert!(page.contains("Change the account") && page.contains("value=\"initech.test\""));
    let csrf = Browser::csrf(&page);

    let (status, page, _) = hunter
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("domains", "initech.test, hooli.test"),
                ("tier", "a"),
                ("status", "prospect"),
                ("industry", ""),
                ("employees", "lots"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for error in ["id=\"name-error\"", "id=\"employees-error\""] {
        assert!(page.contains(error), "{error}: {page}");
    }
    assert!(
        page.contains("value=\"initech.test, hooli.test\""),
        "typed kept"
    );
    let (status, page, _) = hunter
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Initech"),
                ("domains", "initech.test, hooli.test"),
                ("tier", "a"),
                ("status", "prospect"),
                ("industry", ""),
                ("employees", "250"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"domains-error\"") && page.contains("hooli.test already belongs"),
        "{page}"
    );
    let (status, _, _) = hunter
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Initech Corp"),
                ("domains", "initech.test, initrode.test"),
                ("tier", "a"),
                ("status", "prospect"),
                ("industry", "Software"),
                ("employees", "250"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let account = app.db.account(made["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(
        (
            account.name.as_str(),
            account.tier,
            account.employees,
            account.domains.len()
        ),
        ("Initech Corp", baton_core::domain::Tier::A, Some(250), 2)
    );

    // A manager hands it on; a hunter is offered no such choice.
    let (_, page, _) = hunter.get(&path).await;
    assert!(!page.contains("Held by"), "{page}");
    let (fay, _) = app.user("fay@acme.test", Role::Farmer).await;
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&path).await;
    assert!(
        page.contains("Held by") && page.contains("fay (farmer)"),
        "{page}"
    );
    let manager_csrf = Browser::csrf(&page);
    let fay_text = fay.to_string();
    let (status, _, _) = manager
        .post(
            &path,
            &[
                ("csrf", manager_csrf.as_str()),
                ("name", "Initech Corp"),
                ("domains", "initech.test, initrode.test"),
                ("tier", "a"),
                ("status", "prospect"),
                ("industry", "Software"),
                ("employees", "250"),
                ("owner_id", fay_text.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let account = app.db.account(made["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(account.owner_id, Some(fay));

    // Someone else's account: no form, and a post is refused.
    let (_, page, _) = other.get(&path).await;
    assert!(!page.contains("Change the account"));
    let csrf = Browser::csrf(&page);
    let (status, _, _) = other
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("name", "Mine"),
                ("tier", "c"),
                ("status", "suspect"),
            ],
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_queues_settings_form_names_every_problem_at_once() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/queues/hunters").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = manager
        .post(
            "/queues/hunters",
            &[
                ("csrf", &csrf),
                ("strategy", "bogus"),
                ("first_touch_sla_minutes", "-1"),
                ("resolution_sla_minutes", "60"),
                ("escalation_queue", "hunters"),
                ("manager_id", "abc"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for (field, problem) in [
        ("strategy", "bogus"),
        ("first_touch_sla_minutes", "between 1 and"),
        ("escalation_queue", "cannot escalate to itself"),
        ("manager_id", "choose a person"),
    ] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")) && page.contains(problem),
            "{field}: {page}"
        );
    }
    assert_eq!(
        app.db
            .queue("hunters")
            .await
            .unwrap()
            .first_touch_sla_minutes,
        480,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_lead_page_shows_others_activities_only_to_managers_as_the_api_does() {
    let app = TestApp::new().await;
    let (hunter, lead, _) = hunter_with_a_lead(&app).await;
    let (max, _) = app.user("max@acme.test", Role::Manager).await;
    app.db
        .create_activity(
            Some(max),
            &baton_db::activities::NewActivity {
                type_slug: "call".into(),
                user_id: max,
                occurred_at: None,
                contact_id: None,
                account_id: None,
                lead_id: Some(lead),
                opportunity_id: None,
                outcome: Some("offered 40% off".into()),
                notes: Some("a manager's own notes".into()),
            },
        )
        .await
        .unwrap();
    let (status, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("a manager&#39;s own notes") && !page.contains("40% off"));
    assert!(
        page.contains("<h2>Your activities</h2>")
            && page.contains("You have logged nothing about this lead yet."),
        "{page}"
    );
    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("<h2>Activities</h2>") && page.contains("offered 40% off"));
}

#[tokio::test]
async fn a_hunter_logs_a_call_converts_the_lead_and_wins_the_deal_seen_on_the_dashboard() {
    let app = TestApp::new().await;
    // The sender's company is known, so the lead and its deal have an account.
    app.db
        .create_account(
            None,
            &baton_db::accounts::NewAccount {
                name: "Initech".into(),
                domains: vec!["initech.test".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (mut hunter, lead, _) = hunter_with_a_lead(&app).await;
    let (status, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Dana Reyes") && page.contains("You have logged nothing"));
    assert!(
        page.contains(&format!("value=\"Dana Reyes — lead {lead}\"")),
        "the deal is named after the person"
    );
    let csrf = Browser::csrf(&page);

    let activity = format!("/leads/{lead}/activities");
    let (status, page, _) = hunter
        .post(
            &activity,
            &[
                ("csrf", &csrf),
                ("type", "juggling"),
                ("outcome", "voicemail"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"type-error\"") && page.contains("value=\"voicemail\""),
        "error beside the type, outcome kept: {page}"
    );
    let (status, _, _) = hunter
        .post(
            &activity,
            &[
                ("csrf", &csrf),
                ("type", "call"),
                ("outcome", "booked a demo"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("booked a demo") && page.contains("Calls"));

    let convert = format!("/leads/{lead}/opportunity");
    let (status, page, _) = hunter
        .post(
            &convert,
            &[
                ("csrf", &csrf),
                ("name", "Initech seats"),
                ("amount", "lots"),
                ("expected_close", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"amount-error\"") && page.contains("value=\"Initech seats\""));
    let (status, _, location) = hunter
        .post(
            &convert,
            &[
                ("csrf", &csrf),
                ("name", "Initech seats"),
                ("amount", "12500"),
                ("expected_close", "2030-01-31"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let deal_page = location.unwrap();
    let (status, page, _) = hunter.get(&deal_page).await;
    assert_eq!(status, 200);
    assert!(page.contains("Initech seats") && page.contains("prospecting"));
    assert!(page.contains(&format!("href=\"/leads/{lead}\"")), "{page}");
    // Both pages link the lead's contact and account.
    let stored = app.db.lead(lead).await.unwrap();
    let contact = format!("href=\"/contacts/{}\"", stored.contact_id.unwrap());
    let account = format!("href=\"/accounts/{}\"", stored.account_id.unwrap());
    assert!(page.contains(&contact) && page.contains(&account), "{page}");
    // The lead links to the deal opened on it.
    let (_, lead_page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(
        lead_page.contains(&format!(
            "deal <a href=\"{deal_page}\">Initech seats (prospecting)</a>"
        )),
        "{lead_page}"
    );
    assert!(
        lead_page.contains(&contact) && lead_page.contains(&account),
        "{lead_page}"
    );
    let (_, work, _) = hunter.get("/work").await;
    assert!(
        work.contains(&format!("href=\"{deal_page}\"")),
        "My work lists the deal"
    );

    let (status, page, _) = hunter
        .post(
            &format!("{deal_page}/lost"),
            &[("csrf", &csrf), ("close_reason", " ")],
        )
        .await;
    assert_eq!(status, 422, "a lost deal needs a reason");
    assert!(page.contains("id=\"close_reason-error\""));
    let (status, _, _) = hunter
        .post(
            &deal_page,
            &[
                ("csrf", &csrf),
                ("stage", "negotiation"),
                ("amount", "15000"),
                ("expected_close", "2030-02-28"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    // Moved to service, the deal's owner reads it but changes it no more.
    let (boss, _) = app.user("olga@acme.test", Role::Owner).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap();
    let set_role = async |role| {
        let change = baton_db::users::UserChange {
            role: Some(role),
            ..Default::default()
        };
        app.db.update_user(boss, hal.id, &change).await.unwrap();
    };
    set_role(Role::Service).await;
    let (status, _, _) = hunter.get(&deal_page).await;
    assert_eq!(status, 200);
    for (action, fields) in [
        ("/won", vec![]),
        ("/lost", vec![("close_reason", "lost interest")]),
        (
            "",
            vec![
                ("stage", "proposal"),
                ("amount", "1"),
                ("expected_close", ""),
            ],
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        let (status, page, _) = hunter.post(&format!("{deal_page}{action}"), &form).await;
        assert_eq!(status, 403, "{action}: {page}");
        assert!(page.contains("does not change opportunities"), "{page}");
    }
    let kept = app.db.lead(lead).await.unwrap();
    assert_eq!(kept.stage, baton_core::domain::Stage::Opportunity);
    set_role(Role::Hunter).await;
    let (status, _, _) = hunter
        .post(&format!("{deal_page}/won"), &[("csrf", "forged")])
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = hunter
        .post(&format!("{deal_page}/won"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hunter.get(&deal_page).await;
    assert!(page.contains("won") && page.contains("A closed deal does not change"));
    assert_eq!(
        app.db.lead(lead).await.unwrap().stage,
        baton_core::domain::Stage::Customer
    );

    let (status, _, _) = hunter.get("/dashboard").await;
    assert_eq!(status, 403, "a hunter does not see the dashboard");
    let owner = Browser::person(&app, "boss@acme.test", Role::Owner).await;
    let (status, page, _) = owner.get("/dashboard").await;
    assert_eq!(status, 200);
    assert!(page.contains("15000.00"), "revenue won shown: {page}");
    assert!(page.contains("role=\"img\"") && page.contains("<title id=\"revenue-title\">"));
    assert!(page.contains("<th scope=\"col\">Conversion from the stage before</th>"));
    assert!(
        page.contains("<td>customer</td><td>1</td><td>100%</td>"),
        "funnel: {page}"
    );
    assert!(
        page.contains("id=\"queues-heading\"") && page.contains("<title id=\"queues-title\">"),
        "queue load shown: {page}"
    );
    assert!(
        page.contains("<td>Hunters (new business)</td><td>0</td><td>0</td><td>0</td>"),
        "the work ended in the deal: nothing open, waiting or overdue: {page}"
    );
    assert!(
        page.contains("<title id=\"intents-title\">")
            && page.contains("<th scope=\"col\">Intent</th>")
            && page.contains("<title id=\"sources-title\">")
            && page.contains("<td>website</td><td>1</td></tr>"),
        "inquiries by intent and source: {page}"
    );
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/dashboard").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"inquiries-heading\""));

    let stranger = Browser::person(&app, "sam@acme.test", Role::Hunter).await;
    let (status, _, _) = stranger.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 403, "another hunter's lead");
    let (status, _, _) = stranger.get(&deal_page).await;
    assert_eq!(status, 403, "another hunter's deal");
}

#[tokio::test]
async fn the_assignee_hands_a_lead_on_with_a_reason() {
    let app = TestApp::new().await;
    let (mut hunter, lead, item) = hunter_with_a_lead(&app).await;
    let colleague = app.user("hugo@acme.test", Role::Hunter).await.0;
    app.join("hunters", "hugo@acme.test").await;
    app.user("zoe@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("Hand the work on"));
    let score = app.db.lead(lead).await.unwrap().score;
    assert!(
        page.contains(&format!("score {score} (A)")),
        "score and grade as every page writes them: {page}"
    );
    assert!(
        page.contains("hugo (hunter)") && !page.contains("zoe (hunter)"),
        "only the queue's members are offered: {page}"
    );
    assert!(
        page.contains("<option value=\"\" selected>Choose a person</option>"),
        "nobody is chosen beforehand: {page}"
    );
    let csrf = Browser::csrf(&page);
    let path = format!("/leads/{lead}/reassign");
    let (status, page, _) = hunter
        .post(
            &path,
            &[("csrf", &csrf), ("assignee_id", ""), ("reason", "on leave")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"assignee_id-error\"") && page.contains("value=\"on leave\""));
    // With no reason either, both are named at once.
    let (status, page, _) = hunter
        .post(
            &path,
            &[("csrf", &csrf), ("assignee_id", "abc"), ("reason", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"assignee_id-error\"") && page.contains("id=\"reason-error\""),
        "{page}"
    );
    let (status, _, location) = hunter
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("assignee_id", &colleague.to_string()),
                ("reason", "on leave"),
            ],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/work")));
    assert_eq!(
        app.db.work_item(item).await.unwrap().assignee_id,
        Some(colleague)
    );
    let history = app.db.work_item_history(item).await.unwrap();
    assert_eq!(history.last().unwrap().reason, "on leave");
    // Finished since the page was shown: nothing to hand on, said as such.
    app.db
        .finish_work_item(colleague, item, "called back")
        .await
        .unwrap();
    let mut manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&format!("/leads/{lead}")).await;
    let manager_csrf = Browser::csrf(&page);
    let (status, page, _) = manager
        .post(
            &path,
            &[
                ("csrf", &manager_csrf),
                ("assignee_id", &colleague.to_string()),
                ("reason", "covering"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("has no open work to hand on"), "{page}");
}

#[tokio::test]
async fn a_hunter_calls_down_todays_sheet_and_a_manager_sees_completion() {
    let app = TestApp::new().await;
    let (mut hunter, _, item) = hunter_with_a_lead(&app).await;
    let (status, page, _) = hunter.get("/call-sheets").await;
    assert_eq!(status, 200);
    assert!(page.contains("No call sheets yet"), "{page}");
    assert!(!page.contains("Completion by person"));
    let csrf = Browser::csrf(&page);
    let (status, _, location) = hunter
        .post("/call-sheets", &[("csrf", &csrf), ("period", "day")])
        .await;
    assert_eq!(status, 303);
    let sheet_path = location.unwrap();
    let id: i64 = sheet_path.rsplit('/').next().unwrap().parse().unwrap();
    let (status, page, _) = hunter.get(&sheet_path).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("work item {item}")), "{page}");
    assert!(page.contains("0 of 1 call done"), "{page}");
    let line = app.db.call_sheet(id).await.unwrap().lines[0].clone();
    // Each line leads to the form that books a decision maker for its lead.
    let schedule = format!("/leads/{}#schedule", line.lead_id.unwrap());
    assert!(
        page.contains(&format!("href=\"{schedule}\">Schedule an appointment")),
        "{page}"
    );
    let (status, lead_page, _) = hunter.get(schedule.split('#').next().unwrap()).await;
    assert_eq!(status, 200);
    assert!(lead_page.contains("id=\"schedule\""), "{lead_page}");
    let line = line.id;
    let done = format!("{sheet_path}/lines/{line}/done");

    let (status, page, _) = hunter
        .post(
            &done,
            &[
                ("csrf", &csrf),
                ("outcome", " "),
                ("type", "carrier-pigeon"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("say how the call went"), "{page}");
    assert!(
        page.contains(&format!("id=\"outcome-{line}-error\""))
            && page.contains(&format!("id=\"type-{line}-error\"")),
        "both errors, each beside its field: {page}"
    );
    // Refused for its type: what was typed stays, the error is beside the type.
    let (status, page, _) = hunter
        .post(
            &done,
            &[
                ("csrf", &csrf),
                ("outcome", "left a voicemail"),
                ("type", "carrier-pigeon"),
                ("notes", "try again Friday"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"type-{line}-error\""))
            && !page.contains(&format!("id=\"outcome-{line}-error\"")),
        "{page}"
    );
    assert!(
        page.contains("value=\"left a voicemail\"") && page.contains("value=\"try again Friday\""),
        "{page}"
    );
    let activities = app.count("activities").await;
    // No person types NUL, and PostgreSQL could not store it.
    let (status, page, _) = hunter
        .post(
            &done,
            &[("csrf", &csrf), ("outcome", "nul\0call"), ("type", "call")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("`outcome` must not contain the NUL character"),
        "{page}"
    );
    assert_eq!(app.count("activities").await, activities);
    let (status, _, _) = hunter
        .post(
            &done,
            &[
                ("csrf", &csrf),
                ("outcome", "meeting booked"),
                ("type", "call"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.count("activities").await, activities + 1);
    let (_, page, _) = hunter.get(&sheet_path).await;
    assert!(page.contains("1 of 1 call done"), "{page}");
    // Sent again, from a page opened before: said beside the line.
    let (status, page, _) = hunter
        .post(
            &done,
            &[
                ("csrf", &csrf),
                ("outcome", "meeting booked"),
                ("type", "call"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        page.contains("<p class=\"error\" role=\"alert\">this call is already marked done</p>"),
        "{page}"
    );
    assert_eq!(app.count("activities").await, activities + 1);
    let (status, print, _) = hunter.get(&format!("{sheet_path}/print")).await;
    assert_eq!(status, 200);
    assert!(
        print.contains("meeting booked") && !print.contains("<form"),
        "{print}"
    );

    let other = Browser::person(&app, "hugo@acme.test", Role::Hunter).await;
    assert_eq!(other.get(&sheet_path).await.0, 403);
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/call-sheets").await;
    assert!(page.contains("Completion by person and week"), "{page}");
    assert!(
        page.contains("hal@acme.test") && page.contains("100%"),
        "{page}"
    );
}

#[tokio::test]
async fn my_work_lists_coming_appointments_and_gives_a_calendar_feed_address() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let contact = app
        .db
        .create_contact(
            None,
            &baton_db::contacts::NewContact {
                name: Some("Bill Lumbergh".into()),
                email: Some("bill@initech.test".into()),
                decision_maker: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.db
        .create_appointment(
            None,
            &baton_db::appointments::NewAppointment {
                owner_id: hal,
                contact_id: contact.id,
                starts_at: "2099-03-04T15:00:00Z".into(),
                location: Some("Initech HQ".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (_, page, _) = hunter.get("/work").await;
    assert!(
        page.contains("Meeting with Bill Lumbergh") && page.contains("2099-03-04 15:00 UTC"),
        "{page}"
    );
    // Pages show times in the organisation's zone, which forms are read in.
    let set = app
        .client
        .put(app.url("/api/v1/settings"))
        .bearer_auth(&app.owner)
        .json(&serde_json::json!({"time_zone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let (_, page, _) = hunter.get("/work").await;
    assert!(page.contains("2099-03-04 16:00 CET"), "{page}");
    let csrf = Browser::csrf(&page);
    let (status, page, _) = hunter.post("/work/calendar-feed", &[("csrf", &csrf)]).await;
    assert_eq!(status, 200);
    let start = page.find(&app.base).expect("the feed address is shown");
    let end = start + page[start..].find(".ics").unwrap() + 4;
    let feed = reqwest::get(&page[start..end]).await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(
        feed.text()
            .await
            .unwrap()
            .contains("SUMMARY:Meeting with Bill Lumbergh")
    );
}

#[tokio::test]
async fn a_password_change_checks_the_current_one_and_signs_out_other_browsers() {
    let app = TestApp::new().await;
    let mut here = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let mut elsewhere = Browser::new(&app);
    let (status, _, _) = elsewhere
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "long password")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page, _) = here.get("/account").await;
    assert_eq!(status, 200);
    // Password managers know which field is which.
    assert!(
        page.contains("id=\"current\" name=\"current\" type=\"password\" value=\"\" required autocomplete=\"current-password\"")
            && page.contains("name=\"repeat\" type=\"password\" value=\"\" required autocomplete=\"new-password\""),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("current", current.to_string()),
            ("password", new.to_string()),
            ("repeat", repeat.to_string()),
        ]
    };
    let post = async |browser: &mut Browser, form: [(&str, String); 4]| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.post("/account/password", &form).await
    };
    let (status, page, _) = post(
        &mut here,
        change("wrong guess", "a new long one", "a new long one"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("not your current password"), "{page}");
    let (status, page, _) = post(
        &mut here,
        change("long password", "a new long one", "a new lng one"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("the two new passwords differ"), "{page}");
    let (status, page, _) = post(&mut here, change("long password", "short", "short")).await;
    assert_eq!(status, 422);
    assert!(page.contains("at least 10 characters"), "{page}");

    let (status, page, _) = post(
        &mut here,
        change("long password", "a new long one", "a new long one"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("every other browser is signed out"), "{page}");
    assert_eq!(
        here.get("/work").await.0,
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        elsewhere.get("/work").await.0,
        303,
        "the other is signed out"
    );
    let mut again = Browser::new(&app);
    let old = again
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "long password")],
        )
        .await;
    assert_ne!(old.0, 303, "the old password no longer works");
    let new = again
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "a new long one")],
        )
        .await;
    assert_eq!(new.0, 303);
}

#[tokio::test]
async fn the_call_sheet_list_shows_the_newest_first_and_narrows_to_dates() {
    let app = TestApp::new().await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let today = app.db.today().await.unwrap();
    let day = |days_ahead: i64| {
        today
            .checked_add(jiff::Span::new().days(days_ahead))
            .unwrap()
    };
    for days_ahead in [2, 9, 90] {
        app.db
            .generate_call_sheet(
                None,
                hal,
                baton_core::domain::SheetPeriod::Day,
                day(days_ahead),
            )
            .await
            .unwrap();
    }
    let (_, page, _) = hunter.get("/call-sheets").await;
    let shown = |page: &str, days_ahead: i64| page.find(&format!("The day of {}", day(days_ahead)));
    assert!(
        shown(&page, 90).unwrap() < shown(&page, 9).unwrap()
            && shown(&page, 9).unwrap() < shown(&page, 2).unwrap(),
        "the newest first: {page}"
    );
    let (_, page, _) = hunter
        .get(&format!("/call-sheets?from={}&to={}", day(5), day(30)))
        .await;
    assert!(shown(&page, 9).is_some(), "{page}");
    assert!(shown(&page, 90).is_none() && shown(&page, 2).is_none());
}

#[tokio::test]
async fn a_moderator_releases_ticked_inquiries_at_once_and_each_is_recorded() {
    let app = TestApp::new().await;
    let mut held = Vec::new();
    for n in 0..3 {
        let spam = app
            .inquire(serde_json::json!({"email": format!("deals{n}@mailinator.com"), "message": format!("SEO {n} http://a.biz http://b.biz http://c.biz")}))
            .await;
        assert_eq!(spam["status"], "quarantined");
        held.push(spam["id"].as_i64().unwrap().to_string());
    }
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    let csrf = Browser::csrf(&page);
    let (status, _, _) = hunter
        .post(
            "/moderation/decide",
            &[("csrf", &csrf), ("decision", "release"), ("id", &held[0])],
        )
        .await;
    assert_eq!(status, 403, "a hunter does not moderate");

    let mut qualifier = Browser::person(&app, "quinn@acme.test", Role::Qualifier).await;
    let (_, page, _) = qualifier.get("/moderation?select=all").await;
    assert_eq!(
        page.matches(" checked>").count(),
        3,
        "tick all without JavaScript"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = qualifier
        .post(
            "/moderation/decide",
            &[
                ("csrf", "0".repeat(32).as_str()),
                ("decision", "release"),
                ("id", &held[0]),
            ],
        )
        .await;
    assert_eq!(status, 403, "a form without the session's token");

    let (status, page, _) = qualifier
        .post(
            "/moderation/decide",
            &[("csrf", &csrf), ("decision", "release")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Tick at least one inquiry"), "{page}");

    let (status, _, location) = qualifier
        .post(
            "/moderation/decide",
            &[
                ("csrf", &csrf),
                ("decision", "release"),
                ("id", &held[0]),
                ("id", &held[1]),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = qualifier.get(location.as_deref().unwrap()).await;
    assert!(page.contains("Released 2 inquiries."), "{page}");
    assert!(!page.contains(&format!("Inquiry {}<", held[0])), "{page}");

    // One was released meanwhile: it is skipped, the other confirmed.
    let (status, _, location) = qualifier
        .post(
            "/moderation/decide",
            &[
                ("csrf", &csrf),
                ("decision", "confirm"),
                ("id", &held[1]),
                ("id", &held[2]),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = qualifier.get(location.as_deref().unwrap()).await;
    assert!(
        page.contains("Confirmed 1 inquiry as spam. 1 inquiry was no longer waiting"),
        "{page}"
    );
    assert!(page.contains("No inquiry is waiting"), "{page}");
    // A single decision on one decided meanwhile goes back to the list too.
    let (status, _, location) = qualifier
        .post(
            &format!("/moderation/{}/release", held[2]),
            &[("csrf", &csrf), ("back", "")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = qualifier.get(location.as_deref().unwrap()).await;
    assert!(
        page.contains("1 inquiry was no longer waiting: someone had decided it"),
        "{page}"
    );

    for (id, status) in [
        (&held[0], baton_core::domain::InquiryStatus::Processed),
        (&held[1], baton_core::domain::InquiryStatus::Processed),
        (&held[2], baton_core::domain::InquiryStatus::Spam),
    ] {
        let view = app.db.inquiry(id.parse().unwrap()).await.unwrap();
        assert_eq!(view.status, status, "inquiry {id}");
    }
    let (by_hand,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM decisions WHERE kind = 'moderation' AND actor_id IS NOT NULL",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(
        by_hand, 3,
        "one moderator decision per inquiry, as a single one"
    );
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('inquiry.released', 'inquiry.confirmed_spam')",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[tokio::test]
async fn a_manager_sees_every_queues_open_work_and_who_holds_it() {
    let app = TestApp::new().await;
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let held = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(held["assignee_id"], hal);
    // Nobody serves operations: the billing question waits there.
    let waiting = app
        .inquire(serde_json::json!({"email": "ap@globex.test", "message": "invoice charged twice, refund"}))
        .await;
    assert!(waiting["assignee_id"].is_null(), "{waiting}");

    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/work/all").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("Inquiry {}", held["id"])), "{page}");
    assert!(
        page.contains(&format!("Inquiry {}", waiting["id"])),
        "{page}"
    );
    assert!(page.contains("<td>hal</td>"), "who holds it: {page}");

    let operations = app.db.queue("operations").await.unwrap().id;
    let (_, page, _) = manager.get(&format!("/work/all?queue={operations}")).await;
    assert!(
        page.contains(&format!("Inquiry {}", waiting["id"])),
        "{page}"
    );
    assert!(!page.contains(&format!("Inquiry {}", held["id"])), "{page}");
    let (_, page, _) = manager.get("/queues/operations").await;
    assert!(
        page.contains(&format!("href=\"/work/all?queue={operations}\"")),
        "the queue page links its work: {page}"
    );
    let (_, csv, _) = manager.get("/work/all.csv?status=unassigned").await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].ends_with(",SLA,Assignee"), "{csv}");

    let hunter = Browser::person(&app, "hana@acme.test", Role::Hunter).await;
    let (status, _, _) = hunter.get("/work/all").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_manager_sets_a_queues_service_levels_and_members_while_a_hunter_is_refused() {
    let app = TestApp::new().await;
    let (hal_id, _) = app.user("hal@acme.test", Role::Hunter).await;
    let mut hunter = Browser::person(&app, "hunter2@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    assert!(!page.contains("href=\"/queues\""), "no link for a hunter");
    let hunter_csrf = Browser::csrf(&page);
    for path in ["/queues", "/queues/hunters"] {
        let (status, _, _) = hunter.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _, _) = hunter
        .post(
            "/queues/hunters",
            &[
                ("csrf", &hunter_csrf),
                ("strategy", "weighted"),
                ("first_touch_sla_minutes", "1"),
                ("resolution_sla_minutes", "2"),
            ],
        )
        .await;
    assert_eq!(status, 403, "a hunter does not edit queues");
    let (status, _, _) = hunter
        .post(
            "/queues/hunters/members",
            &[("csrf", &hunter_csrf), ("email", "hal@acme.test")],
        )
        .await;
    assert_eq!(status, 403);

    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/queues").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/queues\"") && page.contains("Hunters (new business)"));
    let csrf = Browser::csrf(&page);

    let (status, page, _) = manager
        .post(
            "/queues/hunters",
            &[
                ("csrf", &csrf),
                ("strategy", "least_loaded"),
                ("first_touch_sla_minutes", "120"),
                ("resolution_sla_minutes", "60"),
                ("escalation_queue", "farmers"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"resolution_sla_minutes-error\"") && page.contains("value=\"120\""),
        "error beside the field, input kept: {page}"
    );
    assert_eq!(
        app.db
            .queue("hunters")
            .await
            .unwrap()
            .first_touch_sla_minutes,
        480,
        "nothing stored"
    );
    let (status, _, _) = manager
        .post(
            "/queues/hunters",
            &[
                ("csrf", &csrf),
                ("strategy", "least_loaded"),
                ("first_touch_sla_minutes", "120"),
                ("resolution_sla_minutes", "960"),
                ("escalation_queue", "farmers"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let hunters = app.db.queue("hunters").await.unwrap();
    assert_eq!(
        (
            hunters.strategy,
            hunters.first_touch_sla_minutes,
            hunters.resolution_sla_minutes,
            hunters.escalation_queue.as_deref()
        ),
        (
            baton_core::domain::Strategy::LeastLoaded,
            120,
            960,
            Some("farmers")
        )
    );
    assert_eq!(
        hunters.manager_id, None,
        "a form without the field leaves it"
    );

    // The manager a breach reaches last is chosen among managers and owners.
    let mia = app.db.user_by_email("mia@acme.test").await.unwrap();
    let (_, page, _) = manager.get("/queues/hunters").await;
    assert!(
        page.contains(&format!("<option value=\"{}\"", mia.id))
            && !page.contains(&format!("<option value=\"{hal_id}\"")),
        "{page}"
    );
    let mia_id = mia.id.to_string();
    let settings = [
        ("csrf", csrf.as_str()),
        ("strategy", "least_loaded"),
        ("first_touch_sla_minutes", "120"),
        ("resolution_sla_minutes", "960"),
        ("escalation_queue", "farmers"),
    ];
    let (status, _, _) = manager
        .post(
            "/queues/hunters",
            &[&settings[..], &[("manager_id", mia_id.as_str())]].concat(),
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.db.queue("hunters").await.unwrap().manager_id,
        Some(mia.id)
    );
    let hal_text = hal_id.to_string();
    let (status, page, _) = manager
        .post(
            "/queues/hunters",
            &[&settings[..], &[("manager_id", hal_text.as_str())]].concat(),
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"manager_id-error\""), "{page}");
    assert_eq!(
        app.db.queue("hunters").await.unwrap().manager_id,
        Some(mia.id)
    );
    // Mia leaves: the page says so, and saving other settings keeps her
    // named until someone chooses another.
    let mut max = Browser::person(&app, "max@acme.test", Role::Manager).await;
    app.deactivate(mia.id).await;
    let (_, page, _) = max.get("/queues/hunters").await;
    assert!(
        page.contains(&format!(
            "<option value=\"{}\" selected>mia@acme.test (deactivated: breaches go to an owner)",
            mia.id
        )),
        "{page}"
    );
    let max_csrf = Browser::csrf(&page);
    let (status, _, _) = max
        .post(
            "/queues/hunters",
            &[
                ("csrf", max_csrf.as_str()),
                ("strategy", "round_robin"),
                ("first_touch_sla_minutes", "120"),
                ("resolution_sla_minutes", "960"),
                ("escalation_queue", "farmers"),
                ("manager_id", mia_id.as_str()),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.db.queue("hunters").await.unwrap().manager_id,
        Some(mia.id)
    );
    // Mia's session ended with her; Max goes on.
    let (mut manager, csrf) = (max, max_csrf);

    let (status, page, _) = manager
        .post(
            "/queues/hunters/members",
            &[("csrf", &csrf), ("email", "nobody@acme.test")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"email-error\"") && page.contains("value=\"nobody@acme.test\""));
    let (status, _, _) = manager
        .post(
            "/queues/hunters/members",
            &[("csrf", &csrf), ("email", "hal@acme.test")],
        )
        .await;
    assert_eq!(status, 303);
    let member = format!("/queues/hunters/members/{hal_id}");
    let (status, page, _) = manager
        .post(&member, &[("csrf", &csrf), ("capacity", "-2")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"capacity-{hal_id}-error\"")) && page.contains("value=\"-2\"")
    );
    manager
        .post(&member, &[("csrf", &csrf), ("capacity", "5")])
        .await;
    manager
        .post(&member, &[("csrf", &csrf), ("away", "true")])
        .await;
    let members = app.db.queue_members(hunters.id).await.unwrap();
    assert_eq!(
        (members[0].capacity, members[0].away),
        (Some(5), true),
        "the cap stays when presence changes"
    );
    let (_, page, _) = manager.get("/queues/hunters").await;
    assert!(page.contains("Mark hal back"), "{page}");

    let (status, _, _) = hunter
        .post(&format!("{member}/remove"), &[("csrf", &hunter_csrf)])
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = manager
        .post(&format!("{member}/remove"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    assert!(app.db.queue_members(hunters.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_test_box_shows_each_decision_with_reasons_and_stores_nothing() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get("/queues").await;
    let csrf = Browser::csrf(&page);

    let (status, page, _) = owner
        .post(
            "/queues/try",
            &[
                ("csrf", &csrf),
                ("email", "not-an-address"),
                ("company", "Initech"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"email-error\"") && page.contains("value=\"Initech\""),
        "{page}"
    );

    let (status, page, _) = owner
        .post(
            "/queues/try",
            &[
                ("csrf", &csrf),
                ("name", "Dana Reyes"),
                ("email", "dana@initech.example"),
                ("company", "Initech"),
                ("title", "VP Operations"),
                ("company_size", "1200"),
                (
                    "message",
                    "Attached is our RFP; the submission deadline is Friday",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    for shown in [
        "What would happen",
        "ham",
        "rfp",
        "grade",
        "Requests for proposal go to hunters",
        "hunters",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert_eq!(app.count("inquiries").await, 0, "a dry run stores nothing");
    assert_eq!(app.count("contacts").await, 0);

    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    let (status, _, _) = hunter
        .post(
            "/queues/try",
            &[("csrf", &Browser::csrf(&page)), ("message", "Hello")],
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_manager_moves_and_retargets_a_routing_rule_and_a_stale_page_changes_nothing() {
    let app = TestApp::new().await;
    let before = app.db.routing_rules().await.unwrap();
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/queues").await;
    assert!(page.contains(&before[1].name), "{page}");
    let csrf = Browser::csrf(&page);
    let (status, _, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "1"),
                ("rule", &fingerprint(&before[1])),
                ("action", "down"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let after = app.db.routing_rules().await.unwrap();
    assert_eq!((&after[1], &after[2]), (&before[2], &before[1]));

    let (status, page, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "1"),
                ("rule", &fingerprint(&before[1])),
                ("action", "up"),
            ],
        )
        .await;
    assert_eq!(status, 409, "the page named the rule that has moved since");
    assert!(page.contains("The rules changed meanwhile"));
    assert_eq!(app.db.routing_rules().await.unwrap(), after);

    let (status, _, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "2"),
                ("rule", &fingerprint(&after[2])),
                ("queue", "service"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let retargeted = app.db.routing_rules().await.unwrap();
    assert_eq!(
        (retargeted[2].name.as_str(), retargeted[2].queue.as_deref()),
        (after[2].name.as_str(), Some("service"))
    );
    let (status, page, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "2"),
                ("rule", &fingerprint(&retargeted[2])),
                ("queue", "nowhere"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("no queue `nowhere`"), "{page}");
    assert_eq!(app.db.routing_rules().await.unwrap(), retargeted);
    let after = retargeted;
    // A button no page has is named, not taken for a stale page.
    let (status, page, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "2"),
                ("rule", &fingerprint(&after[2])),
                ("action", "sideways"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("`sideways` is not one of: up, down, enable, disable, delete"),
        "{page}"
    );
    assert_eq!(app.db.routing_rules().await.unwrap(), after);
    let missing = format!("/queues/rules/{}", after.len() + 5);
    let (status, page, _) = manager.get(&missing).await;
    assert_eq!(status, 404);
    assert!(page.contains(&format!("({missing})")), "{page}");

    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    let (status, _, _) = hunter
        .post(
            "/queues/rules",
            &[
                ("csrf", &Browser::csrf(&page)),
                ("position", "1"),
                ("rule", &fingerprint(&after[1])),
                ("action", "down"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.db.routing_rules().await.unwrap(), after);
}

#[tokio::test]
async fn the_owner_adds_a_person_changes_their_role_and_deactivates_them() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (status, page, _) = owner.get("/settings").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("href=\"/settings/people\"") && page.contains("href=\"/settings/tokens\"")
    );
    let csrf = Browser::csrf(&page);

    let (status, page, _) = owner
        .post(
            "/settings/people",
            &[
                ("csrf", &csrf),
                ("name", "Hal"),
                ("email", "hal@"),
                ("role", "hunter"),
                ("password", "long password"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"email-error\"") && page.contains("value=\"Hal\""),
        "{page}"
    );
    assert!(
        !page.contains("long password"),
        "a password is never sent back"
    );
    // Refused from a filtered list: the same list comes back.
    let (status, page, _) = owner
        .post(
            "/settings/people",
            &[
                ("csrf", &csrf),
                ("name", "Hal"),
                ("email", "hal@"),
                ("role", "hunter"),
                ("back", "q=nobody-like-this"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("value=\"nobody-like-this\"")
            && page.contains("Nothing matches these filters"),
        "{page}"
    );
    let (status, _, _) = owner
        .post(
            "/settings/people",
            &[
                ("csrf", &csrf),
                ("name", "Hal"),
                ("email", "hal@acme.test"),
                ("role", "hunter"),
                ("password", "long password"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap();
    assert_eq!(hal.role, Role::Hunter);
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap();
    let (actor,): (Option<i64>,) = sqlx::query_as(
        "SELECT actor_id FROM audit_log WHERE action = 'user.created' AND entity_id = $1",
    )
    .bind(hal.id)
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(actor, Some(olga.id), "the log names who added them");

    // A role that does not read hides none of the other problems.
    let (status, page, _) = owner
        .post(
            "/settings/people",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("email", "bad"),
                ("role", "wizard"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for error in ["name-error", "email-error", "role-error", "password-error"] {
        assert!(page.contains(&format!("id=\"{error}\"")), "{error}: {page}");
    }

    let mut hunter = Browser::new(&app);
    let (status, _, _) = hunter
        .post(
            "/sign-in",
            &[("email", "hal@acme.test"), ("password", "long password")],
        )
        .await;
    assert_eq!(status, 303, "the new person signs in");
    let (_, page, _) = hunter.get("/work").await;
    assert!(
        !page.contains("href=\"/settings\""),
        "no settings link for a hunter"
    );
    let hunter_csrf = Browser::csrf(&page);
    for path in [
        "/settings",
        "/settings/people",
        "/settings/tokens",
        "/settings/organisation",
        "/settings/teams",
        "/settings/webhooks",
    ] {
        let (status, _, _) = hunter.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _, _) = hunter
        .post(
            &format!("/settings/people/{}", hal.id),
            &[("csrf", &hunter_csrf), ("role", "owner")],
        )
        .await;
    assert_eq!(status, 403, "a hunter does not promote themselves");

    let (status, _, _) = owner
        .post(
            &format!("/settings/people/{}", hal.id),
            &[("csrf", &csrf), ("role", "farmer")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.db.user(hal.id).await.unwrap().role, Role::Farmer);

    // Put in a team from the list, and taken out of it.
    let north = app
        .db
        .create_team(None, "Farmers North", baton_core::domain::Function::Farming)
        .await
        .unwrap();
    let (_, page, _) = owner.get("/settings/people").await;
    assert!(
        page.contains("Team of Hal") && page.contains(">Farmers North</option>"),
        "{page}"
    );
    let person = format!("/settings/people/{}", hal.id);
    let team = north.id.to_string();
    let (status, _, _) = owner
        .post(&person, &[("csrf", &csrf), ("team", &team)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.db.user(hal.id).await.unwrap().team_id, Some(north.id));
    let (status, page, _) = owner
        .post(&person, &[("csrf", &csrf), ("team", "999999")])
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"person-{}-error\"", hal.id)),
        "{page}"
    );
    let (status, _, _) = owner.post(&person, &[("csrf", &csrf), ("team", "")]).await;
    assert_eq!(status, 303);
    let hal_now = app.db.user(hal.id).await.unwrap();
    assert_eq!((hal_now.team_id, hal_now.role), (None, Role::Farmer));

    let me = app.db.user_by_email("olga@acme.test").await.unwrap();
    let (status, page, _) = owner
        .post(
            &format!("/settings/people/{}", me.id),
            &[("csrf", &csrf), ("role", "hunter")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(&format!("id=\"person-{}-error\"", me.id)),
        "{page}"
    );
    assert_eq!(app.db.user(me.id).await.unwrap().role, Role::Owner);

    let (status, _, _) = owner
        .post(
            &format!("/settings/people/{}", hal.id),
            &[("csrf", &csrf), ("active", "false")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, location) = hunter.get("/work").await;
    assert_eq!(
        (status, location),
        (303, Some(sign_in_for("/work"))),
        "a deactivated person is signed out"
    );
    let (_, page, _) = owner.get("/settings/people").await;
    assert!(page.contains("Reactivate Hal"), "{page}");
}

#[tokio::test]
async fn the_owner_issues_a_token_shown_once_and_revokes_it_while_a_manager_is_refused() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get("/settings/tokens").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("holder", "olga@acme.test"), ("name", " ")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"name-error\""), "{page}");
    let (status, page, _) = owner
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("holder", "nobody@acme.test"),
                ("name", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"name-error\"") && page.contains("id=\"holder-error\""),
        "both at once: {page}"
    );
    // Refused without a holder, it comes back with none chosen, not the owner.
    let (status, page, _) = owner
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("holder", ""), ("name", "ci")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<option value=\"\" selected>Choose a person</option>")
            && !page.contains("<option value=\"olga@acme.test\" selected>"),
        "{page}"
    );

    let (status, page, _) = owner
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("holder", "olga@acme.test"),
                ("name", "crm sync"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let at = page
        .find("id=\"issued-token\" readonly value=\"")
        .expect("the token, once")
        + 34;
    let token = page[at..].split('"').next().unwrap().to_string();
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap();
    let (issued_by,): (Option<i64>,) = sqlx::query_as(
        "SELECT actor_id FROM audit_log WHERE action = 'token.created' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(issued_by, Some(olga.id), "the audit names who issued it");
    let (_, page, _) = owner.get("/settings/tokens").await;
    assert!(
        page.contains("crm sync") && !page.contains(&token),
        "never shown again"
    );

    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (status, _, _) = manager.get("/settings/tokens").await;
    assert_eq!(status, 403);
    let (status, page, _) = manager.get("/settings/people").await;
    assert_eq!(status, 200, "a manager reads who works here");
    assert!(
        page.contains("olga@acme.test")
            && !page.contains("method=\"post\" action=\"/settings/people"),
        "a manager has no form that changes people"
    );
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap();
    let (status, _, _) = manager
        .post(
            &format!("/settings/people/{}", olga.id),
            &[("csrf", &Browser::csrf(&page)), ("active", "false")],
        )
        .await;
    assert_eq!(status, 403, "but changes nobody");
    assert!(app.db.user(olga.id).await.unwrap().active);
    let (_, page, _) = manager.get("/settings").await;
    assert!(!page.contains("/settings/tokens") && page.contains("/settings/webhooks"));
    let id = app.db.api_tokens().await.unwrap()[0].id;
    let (status, _, _) = manager
        .post(
            &format!("/settings/tokens/{id}/revoke"),
            &[("csrf", &Browser::csrf(&page))],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);

    let (status, _, _) = owner
        .post(&format!("/settings/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn the_owner_sets_the_time_zone_and_hours_which_a_manager_only_reads() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get("/settings/organisation").await;
    assert!(page.contains("value=\"UTC\""), "{page}");
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/settings/organisation",
            &[
                ("csrf", &csrf),
                ("time_zone", "Mars/Olympus"),
                ("business_hours", "mon-thu 08:00-16:00"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"time_zone-error\"") && page.contains("value=\"mon-thu 08:00-16:00\""),
        "{page}"
    );
    assert_eq!(
        app.db.organisation().await.unwrap().time_zone,
        "UTC",
        "nothing stored"
    );
    // A long value refused is kept in its field, but not quoted in full.
    let long = "x".repeat(5_000);
    let (status, page, _) = owner
        .post(
            "/settings/organisation",
            &[
                ("csrf", &csrf),
                ("time_zone", &long),
                ("business_hours", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    let error = page.split("id=\"time_zone-error\">").nth(1).unwrap();
    let error = &error[..error.find("</p>").unwrap()];
    assert!(error.starts_with("`xxx") && error.ends_with('…'), "{error}");
    assert!(error.chars().count() <= 300, "{error}");
    let (status, _, _) = owner
        .post(
            "/settings/organisation",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Berlin"),
                ("business_hours", "mon-thu 08:00-16:00"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let organisation = app.db.organisation().await.unwrap();
    assert_eq!(
        (
            organisation.time_zone.as_str(),
            organisation.business_hours.as_str()
        ),
        ("Europe/Berlin", "mon-thu 08:00-16:00")
    );

    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/settings/organisation").await;
    assert_eq!(status, 200);
    assert!(page.contains("Europe/Berlin") && !page.contains("action=\"/settings/organisation\""));
    let (status, _, _) = manager
        .post(
            "/settings/organisation",
            &[
                ("csrf", &Browser::csrf(&page)),
                ("time_zone", "UTC"),
                ("business_hours", "mon-fri 09:00-17:00"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.db.organisation().await.unwrap().time_zone,
        "Europe/Berlin"
    );
}

#[tokio::test]
async fn a_manager_adds_a_team_and_a_webhook_and_sees_its_deliveries() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/settings/teams").await;
    let csrf = Browser::csrf(&page);
    let (status, _, _) = manager
        .post(
            "/settings/teams",
            &[
                ("csrf", &csrf),
                ("name", "Hunters West"),
                ("function", "hunting"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page, _) = manager
        .post(
            "/settings/teams",
            &[
                ("csrf", &csrf),
                ("name", "hunters west"),
                ("function", "hunting"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"name-error\"") && page.contains("value=\"hunters west\""),
        "{page}"
    );
    assert_eq!(app.db.teams().await.unwrap().len(), 1);
    let (status, page, _) = manager
        .post(
            "/settings/teams",
            &[("csrf", &csrf), ("name", ""), ("function", "sales")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"name-error\"") && page.contains("id=\"function-error\""),
        "both at once: {page}"
    );

    let (status, page, _) = manager
        .post(
            "/settings/webhooks",
            &[("csrf", &csrf), ("url", "https://hooks.acme.test/baton")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"events-error\"")
            && page.contains("value=\"https://hooks.acme.test/baton\""),
        "{page}"
    );
    let (status, page, _) = manager
        .post(
            "/settings/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "https://hooks.acme.test/baton"),
                ("events", "inquiry.routed"),
                ("events", "lead.stage_changed"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"webhook-secret\""), "the secret, once");
    app.inquire(strong_lead("dana@initech.example")).await;
    let (_, page, _) = manager.get("/settings/webhooks").await;
    assert!(
        page.contains("inquiry.routed, lead.stage_changed")
            && page.contains("<td>inquiry.routed</td>"),
        "{page}"
    );
    assert!(!page.contains("id=\"webhook-secret\""));

    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    let hunter_csrf = Browser::csrf(&page);
    for (path, form) in [
        (
            "/settings/teams",
            vec![
                ("csrf", hunter_csrf.as_str()),
                ("name", "Mine"),
                ("function", "hunting"),
            ],
        ),
        (
            "/settings/webhooks",
            vec![
                ("csrf", hunter_csrf.as_str()),
                ("url", "https://x.test"),
                ("events", "inquiry.routed"),
            ],
        ),
    ] {
        let (status, _, _) = hunter.post(path, &form).await;
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(app.db.teams().await.unwrap().len(), 1);
    assert_eq!(app.db.webhooks().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_owners_report_pages_draw_their_charts_and_export_every_table_as_csv() {
    let app = TestApp::new().await;
    baton_db::testing::scenario::accountability(&app.db).await;
    let hunter = Browser::person(&app, "hunter@acme.test", Role::Hunter).await;
    let marketer = Browser::person(&app, "marketer@acme.test", Role::Marketer).await;
    let manager = Browser::person(&app, "manager@acme.test", Role::Manager).await;
    let owner = Browser::person(&app, "boss@acme.test", Role::Owner).await;
    let pages = [
        "/reports",
        "/reports/funnel?from=2026-07-01&to=2026-09-30",
        "/reports/handover?quarter=2026-Q3",
        "/reports/lead-quality?from=2026-07-01&to=2026-09-30",
        "/reports/revenue?quarter=2026-Q3",
        "/reports/activity?from=2026-07-01&to=2026-09-30",
        "/reports/forecast-accuracy?quarter=2026-Q3&group=person",
    ];
    for page in pages {
        assert_eq!(hunter.get(page).await.0, 403, "{page}");
        assert_eq!(marketer.get(page).await.0, 403, "{page}");
        assert_eq!(manager.get(page).await.0, 200, "{page}");
    }
    let (_, index, _) = owner.get("/reports").await;
    assert!(index.contains("href=\"/reports/lead-quality\""));

    let (status, funnel, _) = owner.get(pages[1]).await;
    assert_eq!(status, 200);
    assert!(funnel.contains("<title id=\"time-in-stage-title\">"));
    assert!(
        funnel.contains("<td>mql</td><td>3</td><td>50%</td>"),
        "{funnel}"
    );
    assert!(
        funnel
            .contains("href=\"/reports/funnel?from=2026-07-01&#38;to=2026-09-30&#38;csv=funnel\""),
        "{funnel}"
    );

    // Medians in the CSV to the hundredth, as the API and the command line
    // give them; the page rounds to a tenth.
    let (_, csv, _) = owner.get(&format!("{}&csv=funnel", pages[1])).await;
    let medians: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').nth(3))
        .filter(|median| !median.is_empty())
        .collect();
    assert!(!medians.is_empty(), "{csv}");
    for median in medians {
        assert_eq!(
            median.split_once('.').map(|(_, d)| d.len()),
            Some(2),
            "{csv}"
        );
    }

    let (_, revenue, _) = owner.get(pages[4]).await;
    assert!(revenue.contains("<line x1="), "forecast marks: {revenue}");
    let (_, activity, _) = owner.get(pages[5]).await;
    assert!(activity.contains("<circle") && activity.contains("<title>Hugo</title>"));
    let (_, accuracy, _) = owner.get(pages[6]).await;
    assert!(accuracy.contains("SMOKE") && accuracy.contains("Leaderboard"));

    // Every table downloads; cells with commas are quoted.
    sqlx::query("UPDATE campaigns SET name = 'Webinar, \"W\"'")
        .execute(app.db.writer())
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .get(format!(
            "{}/reports/lead-quality?from=2026-07-01&to=2026-09-30&csv=by-campaign",
            app.base
        ))
        .header("cookie", owner.cookie.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"by-campaign.csv\""
    );
    let csv = response.text().await.unwrap();
    assert!(
        csv.starts_with("Campaign,Leads,MQLs,Accepted by sales,"),
        "{csv}"
    );
    // Plain numbers for a spreadsheet: shares as fractions, money in
    // major units with the currency in the heading.
    assert!(
        csv.contains(",Revenue won (USD),Cost (USD),Cost per lead (USD),Return on cost\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\r\n\"Webinar, \"\"W\"\"\",3,2,1,0.5000,0,0.0000,500.00,"),
        "{csv}"
    );
    for (page, table) in [
        (pages[2], "rejection-reasons"),
        (pages[4], "by-month"),
        (pages[5], "people"),
        (pages[6], "leaderboard"),
    ] {
        let (status, body, _) = owner.get(&format!("{page}&csv={table}")).await;
        assert_eq!(status, 200, "{page} {table}");
        assert!(!body.contains("<html"), "{page} {table}: {body}");
    }
    assert_eq!(owner.get(&format!("{}&csv=nothing", pages[1])).await.0, 404);
    assert_eq!(hunter.get(&format!("{}&csv=funnel", pages[1])).await.0, 403);
    let (status, page, _) = owner
        .get("/reports/funnel?from=2026-09-30&to=2026-07-01")
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains(">the period ends (2026-07-01) before it starts (2026-09-30)<"),
        "said beside the field without its name again: {page}"
    );
    assert_eq!(owner.get("/reports/handover?quarter=2026-Q9").await.0, 422);
    // The form again, with what was typed and the problem beside its field.
    for (path, field, typed) in [
        (
            "/reports/funnel?from=2026-07-01&to=garbage",
            "to",
            "garbage",
        ),
        (
            "/reports/activity?from=0001-01-01&to=2026-07-01",
            "from",
            "0001-01-01",
        ),
        ("/reports/revenue?quarter=2026Q1", "quarter", "2026Q1"),
        (
            "/reports/forecast-accuracy?quarter=2026-Q3&group=nope",
            "group",
            "2026-Q3",
        ),
    ] {
        let (status, page, _) = owner.get(path).await;
        assert_eq!(status, 422, "{path}");
        assert!(
            page.contains(&format!("id=\"{field}-error\""))
                && page.contains(&format!("value=\"{typed}\"")),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn an_appointment_with_a_decision_maker_is_scheduled_from_the_lead_and_the_deal() {
    let app = TestApp::new().await;
    let (mut hunter, lead, _) = hunter_with_a_lead(&app).await;
    let path = format!("/leads/{lead}/appointments");
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(
        page.contains("Nobody here is flagged as a decision maker"),
        "{page}"
    );
    let contact = app.db.lead(lead).await.unwrap().contact_id.unwrap();
    sqlx::query("UPDATE contacts SET decision_maker = 1 WHERE id = $1")
        .bind(contact)
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("Schedule it") && page.contains(&format!("<option value=\"{contact}\"")));
    let csrf = Browser::csrf(&page);
    let hunter_id = app.db.lead(lead).await.unwrap().owner_id.unwrap();
    let colleague = app.user("hugo@acme.test", Role::Hunter).await.0;
    let form = |starts_at: &'static str, owner: i64| {
        vec![
            ("csrf", csrf.clone()),
            ("contact_id", contact.to_string()),
            ("starts_at", starts_at.to_string()),
            ("minutes", "45".to_string()),
            ("owner_id", owner.to_string()),
        ]
    };
    let (status, page, _) = post_owned(&mut hunter, &path, &form("next tuesday", hunter_id)).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"starts_at-error\"") && page.contains("value=\"next tuesday\""));
    let (status, page, _) = post_owned(&mut hunter, &path, &form("whenever", colleague)).await;
    assert_eq!(
        status, 422,
        "a hunter schedules only their own appointments"
    );
    assert!(
        page.contains("id=\"owner_id-error\"") && page.contains("id=\"starts_at-error\""),
        "both problems at once: {page}"
    );
    let mut no_length = form("whenever", hunter_id);
    no_length[3].1 = "0".into();
    let (status, page, _) = post_owned(&mut hunter, &path, &no_length).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"starts_at-error\"") && page.contains("must be between 1 and 1440"),
        "the length's problem beside the time's: {page}"
    );
    // A day without its time, and a year far off, are named as typed.
    let (status, page, _) = post_owned(&mut hunter, &path, &form("2030-03-04", hunter_id)).await;
    assert_eq!(status, 422);
    assert!(page.contains("a day without a time"), "{page}");
    let (status, page, _) =
        post_owned(&mut hunter, &path, &form("0001-01-01T10:00", hunter_id)).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("`0001-01-01T10:00` is outside the years"),
        "{page}"
    );
    let mut forged = form("2030-03-04T10:30", hunter_id);
    forged[0].1 = "forged".into();
    assert_eq!(post_owned(&mut hunter, &path, &forged).await.0, 403);
    let (status, _, location) =
        post_owned(&mut hunter, &path, &form("2030-03-04T10:30", hunter_id)).await;
    assert_eq!((status, location), (303, Some(format!("/leads/{lead}"))));

    let deal = app
        .db
        .create_opportunity(
            Some(hunter_id),
            &baton_db::opportunities::NewOpportunity {
                name: "Initech seats".into(),
                account_id: app.db.lead(lead).await.unwrap().account_id,
                contact_id: Some(contact),
                lead_id: Some(lead),
                owner_id: hunter_id,
                product: None,
                amount: baton_core::money::Decimal("1000".into()),
                currency: None,
                stage: None,
                probability: None,
                forecast_category: None,
                expected_close: None,
            },
        )
        .await
        .unwrap();
    let deal_path = format!("/opportunities/{}/appointments", deal.id);
    let (status, _, _) = post_owned(
        &mut hunter,
        &deal_path,
        &form("2030-03-05T09:00", hunter_id),
    )
    .await;
    assert_eq!(status, 303);
    // Each page lists what is booked about it.
    let (_, page, _) = hunter.get(&format!("/opportunities/{}", deal.id)).await;
    assert!(
        page.contains("<caption class=\"muted\">Booked</caption>")
            && page.contains("2030-03-05 09:00 UTC")
            && !page.contains("2030-03-04 10:30 UTC"),
        "the deal's own: {page}"
    );
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("2030-03-04 10:30 UTC"), "{page}");
    // A manager books the hunter's appointment for them.
    let mut manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get(&format!("/leads/{lead}")).await;
    let mut booked_by_manager = form("2030-03-06T14:00", hunter_id);
    booked_by_manager[0].1 = Browser::csrf(&page);
    let (status, _, _) = post_owned(&mut manager, &path, &booked_by_manager).await;
    assert_eq!(status, 303);

    let booked = app
        .db
        .appointments(
            &baton_db::appointments::AppointmentFilter {
                owner_id: Some(hunter_id),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(booked.len(), 3);
    assert_eq!(
        (
            booked[0].lead_id,
            booked[0].opportunity_id,
            booked[0].contact_id
        ),
        (Some(lead), None, contact)
    );
    assert_eq!(booked[0].ends_at - booked[0].starts_at, 45 * 60_000);
    assert_eq!(booked[1].opportunity_id, Some(deal.id));

    let mut stranger = Browser::person(&app, "sam@acme.test", Role::Hunter).await;
    let (_, page, _) = stranger.get("/work").await;
    let mut theirs = form("2030-03-04T10:30", hunter_id);
    theirs[0].1 = Browser::csrf(&page);
    assert_eq!(
        post_owned(&mut stranger, &path, &theirs).await.0,
        403,
        "another hunter's lead"
    );
}

/// Posts a form whose values are owned strings.
async fn post_owned(
    browser: &mut Browser,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String, Option<String>) {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.post(path, &pairs).await
}

#[tokio::test]
async fn a_manager_reads_the_charter_but_is_told_only_an_owner_changes_it() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "mo@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/charter").await;
    assert_eq!(status, 200);
    let csrf = Browser::csrf(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("slug", "cold_call"),
        ("name", "Cold calling"),
        ("function", "hunting"),
        ("expectation", "40 calls a week"),
        ("note", "mine now"),
    ];
    let (status, page, _) = manager.post("/charter", &form).await;
    assert_eq!(status, 403);
    assert!(page.contains("only an owner changes it"), "{page}");
    assert_eq!(app.db.current_charter().await.unwrap().version.version, 1);
}

#[tokio::test]
async fn unknown_pages_wrong_methods_and_unreadable_requests_get_a_page_that_says_so() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter.get("/no-such-page").await;
    assert_eq!(status, 404);
    assert!(page.contains("There is nothing at this address"), "{page}");
    let (status, page, _) = hunter.get("/leads/not-a-number").await;
    assert_eq!(status, 404, "no lead has that id");
    assert!(page.contains("There is nothing at this address"), "{page}");
    let (status, page, _) = hunter
        .get("/reports/funnel?from=2026-01-01&from=2026-02-01")
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("The request was not understood") && page.contains("</html>"),
        "{page}"
    );
    let (_, work, _) = hunter.get("/work").await;
    let csrf = Browser::csrf(&work);
    let (status, page, _) = hunter.post("/work", &[("csrf", &csrf)]).await;
    assert_eq!(status, 405);
    assert!(
        page.contains("does not take that kind of request"),
        "{page}"
    );
    let (status, page, _) = hunter.post("/call-sheets", &[("period", "day")]).await;
    assert_eq!(status, 403, "no csrf field: refused like a wrong one");
    assert!(page.contains("The form has expired"), "{page}");
    let (status, page, _) = hunter.post("/call-sheets", &[("csrf", &csrf)]).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("missing field `period`") && page.contains("</html>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_lead_becomes_a_deal_once_and_only_by_its_holder() {
    let app = TestApp::new().await;
    let (mut hunter, lead, _) = hunter_with_a_lead(&app).await;
    // A colleague in the same queue sees the lead but does not hold it.
    let mut colleague = Browser::person(&app, "hugo@acme.test", Role::Hunter).await;
    app.join("hunters", "hugo@acme.test").await;
    let (status, page, _) = colleague.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("name=\"amount\""), "no deal form for him");
    let deal = |csrf: String| {
        [
            ("csrf", csrf),
            ("name", "Initech seats".to_string()),
            ("amount", "12500".to_string()),
            ("expected_close", String::new()),
        ]
    };
    let convert = format!("/leads/{lead}/opportunity");
    let csrf = Browser::csrf(&page);
    let form = deal(csrf);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page, _) = colleague.post(&convert, &form).await;
    assert_eq!(status, 403);
    assert!(page.contains("held by someone else"), "{page}");
    assert_eq!(app.count("opportunities").await, 0);

    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    let form = deal(Browser::csrf(&page));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = hunter.post(&convert, &form).await;
    assert_eq!(status, 303);
    let (status, page, _) = hunter.post(&convert, &form).await;
    assert_eq!(status, 409, "converted once");
    assert!(page.contains("cannot become a new deal"), "{page}");
    assert_eq!(app.count("opportunities").await, 1);
}

#[tokio::test]
async fn only_failed_sign_ins_count_towards_the_limit_of_an_address() {
    let app = TestApp::new().await;
    Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let sign_in = |password: &'static str| {
        let mut browser = Browser::new(&app);
        async move {
            let credentials = [("email", "hal@acme.test"), ("password", password)];
            browser.post("/sign-in", &credentials).await.0
        }
    };
    // A whole office behind one address signs in freely.
    for _ in 0..15 {
        assert_eq!(sign_in("long password").await, 303);
    }
    for _ in 0..10 {
        assert_eq!(sign_in("wrong password").await, 401);
    }
    let refused = app
        .client
        .post(app.url("/sign-in"))
        .form(&[("email", "hal@acme.test"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    assert_eq!(
        sign_in("long password").await,
        429,
        "blocked until the window ends"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_limited_and_an_account_is_limited_across_addresses()
{
    let app = TestApp::new().await;
    Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    Browser::person(&app, "ann@acme.test", Role::Hunter).await;
    let (proxied, _stop) = crate::server::start_server(app.db.clone(), |options| {
        options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = async |base: &str, from: &str, email: &str, password: &str| {
        client
            .post(format!("{base}/sign-in"))
            .header("x-forwarded-for", from)
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    // Without a trusted proxy the header is anyone's word: every guess
    // counts against the connection's address.
    for n in 0..10 {
        let from = format!("203.0.113.{n}");
        assert_eq!(
            sign_in(&app.base, &from, "hal@acme.test", "guess").await,
            401
        );
    }
    assert_eq!(
        sign_in(&app.base, "198.51.100.1", "ann@acme.test", "long password").await,
        429
    );
    // Behind the trusted proxy, the client it names is limited, not everyone.
    for _ in 0..10 {
        assert_eq!(
            sign_in(&proxied, "203.0.113.7", "ann@acme.test", "guess").await,
            401
        );
    }
    assert_eq!(
        sign_in(&proxied, "203.0.113.7", "ann@acme.test", "guess").await,
        429
    );
    assert_eq!(
        sign_in(&proxied, "198.51.100.1", "hal@acme.test", "long password").await,
        303,
        "another client behind the same proxy signs in"
    );
    // Guesses at one account from many addresses: 20, then the account
    // waits for every address that failed on it, even with the right
    // password; others do not.
    for n in 0..10 {
        let from = format!("192.0.2.{n}");
        assert_eq!(
            sign_in(&proxied, &from, "ann@acme.test", "guess").await,
            401
        );
    }
    assert_eq!(
        sign_in(&proxied, "192.0.2.3", "ann@acme.test", "long password").await,
        429
    );
    assert_eq!(
        sign_in(&proxied, "192.0.2.201", "hal@acme.test", "long password").await,
        303
    );
    // An address that never failed on the account is not locked out by
    // those guesses: its first attempt is checked, and a failure closes
    // the account to it too.
    assert_eq!(
        sign_in(&proxied, "192.0.2.200", "ann@acme.test", "long password").await,
        303,
        "nobody locks the real person out"
    );
    assert_eq!(
        sign_in(&proxied, "192.0.2.202", "ann@acme.test", "guess").await,
        401
    );
    assert_eq!(
        sign_in(&proxied, "192.0.2.202", "ann@acme.test", "long password").await,
        429
    );
}

#[tokio::test]
async fn parallel_wrong_passwords_are_all_counted() {
    let app = TestApp::new().await;
    Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..30 {
        let request = client.post(app.url("/sign-in")).form(&[
            ("email", "hal@acme.test"),
            ("password", &format!("guess {n}")),
        ]);
        sends.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = sends.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20);
}

#[tokio::test]
async fn every_answer_forbids_scripts_and_framing_and_https_is_kept_to_once_used() {
    let app = TestApp::new().await;
    for path in ["/sign-in", "/api/v1/queues", "/f/nowhere", "/healthz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("script-src"), "no script runs: {policy}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{path}: served over http, nothing to keep to"
        );
    }
    let (https_base, _stop) = crate::server::start_server(app.db.clone(), |options| {
        options.base_url = "https://baton.example.com".into();
    })
    .await;
    let response = app
        .client
        .get(format!("{https_base}/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn a_sign_in_sent_from_another_site_is_refused() {
    let app = TestApp::new().await;
    Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let host = app.base.trim_start_matches("http://").to_string();
    let send = async |headers: &[(&str, &str)]| {
        let mut request = client
            .post(app.url("/sign-in"))
            .form(&[("email", "hal@acme.test"), ("password", "long password")]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        (
            response.status().as_u16(),
            response.headers().contains_key("set-cookie"),
        )
    };
    for refused in [
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null")],
        vec![
            ("origin", "https://evil.example"),
            ("host", "baton-upstream:7878"),
        ],
    ] {
        assert_eq!(send(&refused).await, (403, false), "{refused:?}");
    }
    let own_origin = format!("http://{host}");
    for accepted in [
        vec![],
        vec![
            ("origin", own_origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
        // Behind a proxy that passes its own name for the host, the origin
        // is the address people use: the base URL.
        vec![
            ("origin", own_origin.as_str()),
            ("host", "baton-upstream:7878"),
        ],
        vec![
            ("origin", "http://baton-upstream:7878"),
            ("host", "baton-upstream:7878"),
        ],
    ] {
        assert_eq!(send(&accepted).await, (303, true), "{accepted:?}");
    }
}

#[tokio::test]
async fn guessing_the_current_password_is_limited_like_signing_in() {
    let app = TestApp::new().await;
    let mut hal = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hal.get("/account").await;
    let csrf = Browser::csrf(&page);
    let mut change = async |current: &str| {
        let form = [
            ("csrf", csrf.as_str()),
            ("current", current),
            ("password", "a new long one"),
            ("repeat", "a new long one"),
        ];
        hal.post("/account/password", &form).await.0
    };
    for n in 0..10 {
        assert_eq!(change(&format!("guess {n}")).await, 422);
    }
    assert_eq!(change("guess 11").await, 429);
    assert_eq!(
        change("long password").await,
        429,
        "the right one too, until the window ends"
    );
}

#[tokio::test]
async fn pages_and_answers_are_not_kept_in_caches() {
    let app = TestApp::new().await;
    let hal = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    for response in [
        hal.fetch("/work").await,
        hal.fetch("/sign-in").await,
        app.get(&app.owner, "/api/v1/users").await,
    ] {
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{}",
            response.url()
        );
    }
}

#[tokio::test]
async fn a_hunter_marks_work_done_and_a_rejection_reason_stays_in_view() {
    let app = TestApp::new().await;
    for (email, name, role) in [
        ("hal@acme.test", "Hal Hunter", Role::Hunter),
        ("mia@acme.test", "Mia Marketer", Role::Marketer),
    ] {
        app.db
            .create_user(NewUser {
                email,
                name,
                role,
                password: Some("long enough password"),
            })
            .await
            .unwrap();
    }
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;
    let kept = app.inquire(strong_lead("dana@initech.test")).await;
    let sent_back = app.inquire(strong_lead("lou@hooli.test")).await;

    let mut hal = Browser::new(&app);
    hal.post(
        "/sign-in",
        &[
            ("email", "hal@acme.test"),
            ("password", "long enough password"),
        ],
    )
    .await;
    let (_, page, _) = hal.get("/work").await;
    let csrf = Browser::csrf(&page);
    let item = kept["work_item_id"].as_i64().unwrap();
    assert!(
        page.contains(&format!("action=\"/work/{item}/done\"")),
        "{page}"
    );
    let (status, _, _) = hal
        .post(
            &format!("/work/{item}/done"),
            &[("csrf", &csrf), ("note", "sent the price list")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page, _) = hal.get("/work").await;
    assert!(
        !page.contains(&format!("Inquiry {}", kept["id"])),
        "done work leaves the desk: {page}"
    );
    let history = app.db.work_item_history(item).await.unwrap();
    assert!(
        history
            .last()
            .is_some_and(|h| h.reason.contains("sent the price list")),
        "the note is in its history: {history:?}"
    );

    let item = sent_back["work_item_id"].as_i64().unwrap();
    let reject = format!("/work/{item}/reject");
    let (status, page, _) = hal
        .post(
            &reject,
            &[
                ("csrf", &csrf),
                ("reason", "   "),
                ("back", "status=assigned"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("role=\"alert\">That did not work: say why the item is rejected")
            && page.contains(&format!("Inquiry {}", sent_back["id"]))
            && page.contains("<option value=\"assigned\" selected"),
        "My work again, as it was filtered, with the problem: {page}"
    );
    assert!(
        page.contains(&format!("aria-describedby=\"reason-{item}-error\""))
            && page.contains(&format!("id=\"reason-{item}-error\">say why")),
        "and beside the reason it is about: {page}"
    );
    let (status, _, _) = hal
        .post(
            &reject,
            &[("csrf", &csrf), ("reason", "student project, no budget")],
        )
        .await;
    assert_eq!(status, 303);
    // Marketing, now holding the lead in nurture, reads why sales sent it back.
    let mut mia = Browser::new(&app);
    mia.post(
        "/sign-in",
        &[
            ("email", "mia@acme.test"),
            ("password", "long enough password"),
        ],
    )
    .await;
    let lead = sent_back["lead_id"].as_i64().unwrap();
    for path in [
        format!("/leads/{lead}"),
        format!("/inquiries/{}", sent_back["id"]),
    ] {
        let (status, page, _) = mia.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("rejected in hunters by Hal Hunter: student project, no budget"),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn a_hunter_flags_a_decision_maker_on_the_contact_page_and_can_then_book_them() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let receipt = app
        .inquire(serde_json::json!({
            "name": "Lou Park", "email": "lou@hooli.test", "company": "Hooli",
            "message": "RFP attached: we need a vendor for 300 seats, proposals due next month."
        }))
        .await;
    let lead = receipt["lead_id"].as_i64().unwrap();
    let contact = app.db.lead(lead).await.unwrap().contact_id.unwrap();
    let (status, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            "<a href=\"/contacts/{contact}\">mark one on their contact page</a>"
        )),
        "{page}"
    );

    let flag = format!("/contacts/{contact}/decision-maker");
    let (_, page, _) = hunter.get(&format!("/contacts/{contact}")).await;
    assert!(page.contains(&format!("action=\"{flag}\"")), "{page}");
    let csrf = Browser::csrf(&page);
    let mut operations = Browser::person(&app, "otto@acme.test", Role::Operations).await;
    let (_, page, _) = operations.get(&format!("/contacts/{contact}")).await;
    assert!(!page.contains(&format!("action=\"{flag}\"")), "{page}");
    let (status, _, _) = operations
        .post(
            &flag,
            &[("csrf", &Browser::csrf(&page)), ("decision_maker", "true")],
        )
        .await;
    assert_eq!(status, 403, "operations does not edit contacts");
    assert!(!app.db.contact(contact).await.unwrap().decision_maker);

    let (status, _, _) = hunter
        .post(&flag, &[("csrf", &csrf), ("decision_maker", "true")])
        .await;
    assert_eq!(status, 303);
    assert!(app.db.contact(contact).await.unwrap().decision_maker);
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(
        page.contains(&format!("<option value=\"{contact}\"")),
        "the decision maker is offered for a meeting: {page}"
    );
    let (_, page, _) = hunter.get(&format!("/contacts/{contact}")).await;
    assert!(page.contains("No longer a decision maker"), "{page}");
}

#[tokio::test]
async fn a_moderator_confirms_from_its_page_an_inquiry_that_got_past_moderation() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let passed = app.inquire(strong_lead("kelly@growth-agency.test")).await;
    let page_path = format!("/inquiries/{}", passed["id"]);
    let form = format!("action=\"{page_path}/spam\"");

    let (status, page, _) = hunter.get(&page_path).await;
    assert_eq!(status, 200);
    assert!(!page.contains(&form), "a hunter does not moderate");
    let (status, _, _) = hunter
        .post(
            &format!("{page_path}/spam"),
            &[("csrf", &Browser::csrf(&page))],
        )
        .await;
    assert_eq!(status, 403);

    let mut qualifier = Browser::person(&app, "quinn@acme.test", Role::Qualifier).await;
    let (_, page, _) = qualifier.get(&page_path).await;
    assert!(page.contains(&form), "{page}");
    let (status, _, location) = qualifier
        .post(
            &format!("{page_path}/spam"),
            &[("csrf", &Browser::csrf(&page)), ("note", "agency pitch")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(page_path.as_str()))
    );
    let (_, page, _) = qualifier.get(&page_path).await;
    assert!(
        page.contains("<strong>spam</strong>")
            && page.contains("confirmed as spam by")
            && !page.contains(&form),
        "{page}"
    );
}

#[tokio::test]
async fn my_work_offers_no_take_in_a_queue_where_one_is_away_or_full() {
    let app = TestApp::new().await;
    let hal = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let hal_id = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let away = app
        .patch(
            &app.owner,
            &format!("/api/v1/queues/hunters/members/{hal_id}"),
            &serde_json::json!({"away": true}),
        )
        .await;
    assert_eq!(away.status(), 200);
    let waiting = app.inquire(strong_lead("dana@initech.test")).await;
    assert!(waiting["assignee_id"].is_null(), "{waiting}");
    let item = waiting["work_item_id"].as_i64().unwrap();
    let (_, page, _) = hal.get("/work").await;
    assert!(
        page.contains(&format!("Inquiry {}", waiting["id"]))
            && page.contains("You are marked away in this queue")
            && !page.contains(&format!("action=\"/work/{item}/take\"")),
        "{page}"
    );
    let back = app
        .patch(
            &app.owner,
            &format!("/api/v1/queues/hunters/members/{hal_id}"),
            &serde_json::json!({"away": false}),
        )
        .await;
    assert_eq!(back.status(), 200);
    let (_, page, _) = hal.get("/work").await;
    assert!(
        page.contains(&format!("action=\"/work/{item}/take\"")),
        "{page}"
    );
    // At the cap, a take would be refused: none is offered.
    let full = app
        .patch(
            &app.owner,
            &format!("/api/v1/queues/hunters/members/{hal_id}"),
            &serde_json::json!({"capacity": 0}),
        )
        .await;
    assert_eq!(full.status(), 200);
    let (_, page, _) = hal.get("/work").await;
    assert!(
        page.contains("You are at your cap")
            && !page.contains(&format!("action=\"/work/{item}/take\"")),
        "{page}"
    );
}

#[tokio::test]
async fn signing_in_goes_back_to_the_page_asked_for_and_never_to_another_site() {
    let app = TestApp::new().await;
    Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let asked = "/leads?stage=sal&page=2";
    let mut browser = Browser::new(&app);
    let (_, _, location) = browser.get(asked).await;
    let sign_in = location.unwrap();
    assert_eq!(sign_in, sign_in_for(asked));
    let (_, page, _) = browser.get(&sign_in).await;
    assert!(
        page.contains("name=\"next\" value=\"/leads?stage=sal&#38;page=2\""),
        "{page}"
    );
    let credentials = |next: &'static str| {
        [
            ("email", "hal@acme.test"),
            ("password", "long password"),
            ("next", next),
        ]
    };
    let (status, _, location) = browser.post("/sign-in", &credentials(asked)).await;
    assert_eq!((status, location.as_deref()), (303, Some(asked)));
    for elsewhere in [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example",
        "evil",
    ] {
        let mut browser = Browser::new(&app);
        let (status, _, location) = browser.post("/sign-in", &credentials(elsewhere)).await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/work")),
            "{elsewhere}"
        );
    }
}
