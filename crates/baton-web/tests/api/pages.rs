use crate::helpers::{TestApp, strong_lead};
use baton_core::domain::Role;
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
async fn a_hunter_logs_a_call_converts_the_lead_and_wins_the_deal_seen_on_the_dashboard() {
    let app = TestApp::new().await;
    let (mut hunter, lead, _) = hunter_with_a_lead(&app).await;
    let (status, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Dana Reyes") && page.contains("Nothing has been logged"));
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
    let (_, page, _) = hunter.get(&format!("/leads/{lead}")).await;
    assert!(page.contains("Hand the work on"));
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
}

#[tokio::test]
async fn a_hunter_calls_down_todays_sheet_and_a_manager_sees_completion() {
    let app = TestApp::new().await;
    let (mut hunter, _, item) = hunter_with_a_lead(&app).await;
    let (status, page, _) = hunter.get("/call-sheets").await;
    assert_eq!(status, 200);
    assert!(page.contains("You have no call sheets yet"), "{page}");
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
    assert!(page.contains("0 of 1 call(s) done"), "{page}");
    let line = app.db.call_sheet(id).await.unwrap().lines[0].id;
    let done = format!("{sheet_path}/lines/{line}/done");

    let (status, page, _) = hunter
        .post(
            &done,
            &[("csrf", &csrf), ("outcome", " "), ("type", "call")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("say how the call went"), "{page}");
    assert!(
        page.contains("aria-invalid=\"true\""),
        "the error is beside the field"
    );
    let activities = app.count("activities").await;
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
    assert!(page.contains("1 of 1 call(s) done"), "{page}");
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
async fn the_call_sheet_list_shows_the_recent_weeks_newest_first() {
    let app = TestApp::new().await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let today = app.db.today().await.unwrap();
    for days_ago in [90, 9, 2] {
        let day = today.checked_sub(jiff::Span::new().days(days_ago)).unwrap();
        app.db
            .generate_call_sheet(None, hal, baton_core::domain::SheetPeriod::Day, day)
            .await
            .unwrap();
    }
    let (_, page, _) = hunter.get("/call-sheets").await;
    let shown = |days_ago: i64| {
        let day = today.checked_sub(jiff::Span::new().days(days_ago)).unwrap();
        page.find(&format!("The day of {day}"))
    };
    assert!(shown(90).is_none(), "older sheets are left out: {page}");
    assert!(
        shown(2).unwrap() < shown(9).unwrap(),
        "the newest first: {page}"
    );
}
