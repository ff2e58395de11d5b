//! The settings lists whose rows carry their own forms: searched, filtered,
//! sorted, paged and exported like every list, for their roles only, and
//! exported without a secret.

use crate::helpers::TestApp;
use crate::pages::Browser;
use baton_core::domain::{Function, Role};
use baton_db::users::NewUser;

fn in_order(page: &str, names: &[&str]) -> bool {
    let at: Vec<usize> = names
        .iter()
        .map(|name| page.find(name).unwrap_or_else(|| panic!("{name} missing")))
        .collect();
    at.windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn api_tokens_are_searched_filtered_sorted_paged_and_exported_without_secrets() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap().id;
    let hana = app
        .db
        .create_user(NewUser {
            email: "hana@acme.test",
            name: "Hana Hunter",
            role: Role::Hunter,
            password: None,
        })
        .await
        .unwrap()
        .id;

    let (status, page, _) = owner.get(&format!("/settings/tokens?person={hana}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Nothing matches these filters") && page.contains("Issue the token"),
        "an empty list says how to widen it, and the token is issued below: {page}"
    );

    let crm = app
        .db
        .create_api_token(None, olga, "crm sync")
        .await
        .unwrap();
    let billing = app
        .db
        .create_api_token(None, hana, "billing export")
        .await
        .unwrap();
    let old = app
        .db
        .create_api_token(None, hana, "old import")
        .await
        .unwrap();
    assert_eq!(app.get(&crm, "/api/v1/me").await.status(), 200);
    let (_, page, _) = owner.get("/settings/tokens").await;
    let csrf = Browser::csrf(&page);
    let old_id = app
        .db
        .api_tokens()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "old import")
        .unwrap()
        .id;
    let (status, _, location) = owner
        .post(
            &format!("/settings/tokens/{old_id}/revoke"),
            &[("csrf", csrf.as_str()), ("back", "active=yes&sort=name")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/settings/tokens?active=yes&sort=name"),
        "a revocation returns to the list it was made from"
    );

    let (status, page, _) = owner.get("/settings/tokens").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("1–4 of 4"),
        "revoked tokens stay listed: {page}"
    );
    assert!(
        in_order(&page, &["old import", "billing export", "crm sync"]),
        "newest issued first"
    );
    assert!(page.contains("Revoke “crm sync”") && !page.contains("Revoke “old import”"));
    assert!(
        page.contains("Issue the token"),
        "tokens are still issued here"
    );

    let (_, page, _) = owner.get("/settings/tokens?q=HANA").await;
    assert!(page.contains("1–2 of 2") && !page.contains("crm sync"));
    let (_, page, _) = owner.get("/settings/tokens?q=crm").await;
    assert!(page.contains("1–1 of 1") && page.contains("crm sync"));
    let (_, page, _) = owner.get(&format!("/settings/tokens?person={olga}")).await;
    assert!(page.contains("1–1 of 1") && page.contains("crm sync"));
    let (_, page, _) = owner.get("/settings/tokens?active=no").await;
    assert!(page.contains("1–1 of 1") && page.contains("old import"));
    let (_, page, _) = owner.get("/settings/tokens?active=yes").await;
    assert!(page.contains("1–3 of 3") && !page.contains("old import"));
    let (_, page, _) = owner.get("/settings/tokens?q=nothing-like-it").await;
    assert!(page.contains("Nothing matches these filters"));
    let (status, _, _) = owner.get("/settings/tokens?active=maybe").await;
    assert_eq!(status, 422);

    let (_, page, _) = owner.get("/settings/tokens?sort=used").await;
    assert!(
        in_order(&page, &["crm sync", "old import", "billing export"]),
        "the token used comes first, the unused after it"
    );
    let (_, page, _) = owner.get("/settings/tokens?sort=name&dir=asc").await;
    assert!(in_order(
        &page,
        &["billing export", "crm sync", "old import"]
    ));
    assert!(page.contains("aria-sort=\"ascending\""));

    let mut secrets = vec![crm, billing, old];
    for i in 0..26 {
        secrets.push(
            app.db
                .create_api_token(None, hana, &format!("filler {i:02}"))
                .await
                .unwrap(),
        );
    }
    let (_, page, _) = owner.get("/settings/tokens?per=25&page=2").await;
    assert!(
        page.contains("26–30 of 30") && page.contains("rel=\"prev\""),
        "{page}"
    );

    let response = owner.fetch("/settings/tokens.csv?active=no").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"tokens.csv\""
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Token,For,Issued,Last used,Revoked"));
    let revoked = lines.next().unwrap();
    assert!(
        revoked.starts_with("old import,Hana Hunter (hana@acme.test),"),
        "{revoked}"
    );
    assert!(
        !revoked.ends_with(','),
        "the revocation is dated: {revoked}"
    );
    assert_eq!(lines.next(), None);
    let csv = owner
        .fetch("/settings/tokens.csv?per=25")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 31, "the export holds every page");
    let (hashes,): (String,) = sqlx::query_as("SELECT token_hash FROM api_tokens LIMIT 1")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert!(
        secrets.iter().all(|s| !csv.contains(s.as_str())) && !csv.contains(&hashes),
        "no token and no hash of one is exported"
    );

    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/settings/tokens").await;
    assert_eq!(status, 403);
    assert!(!page.contains("crm sync"));
    let response = manager.fetch("/settings/tokens.csv").await;
    assert_eq!(response.status(), 403);
    assert!(!response.text().await.unwrap().contains("crm sync"));
}

/// Sends the hosted form `slug` an inquiry from `email`.
async fn submit(app: &TestApp, slug: &str, email: &str) {
    let response = app
        .client
        .post(app.url(&format!("/f/{slug}")))
        .form(&[
            ("name", "Ann Lee"),
            ("email", email),
            ("message", &format!("Pricing for 40 seats? {email}")),
            ("website", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn forms_are_searched_filtered_sorted_paged_and_exported_with_their_submissions() {
    let app = TestApp::new().await;
    let marketer = Browser::person(&app, "mia@acme.test", Role::Marketer).await;
    app.db
        .create_form(None, "spring-demo", "Spring demo", "", None, None)
        .await
        .unwrap();
    app.db
        .create_form(None, "webinar", "Autumn webinar", "", None, None)
        .await
        .unwrap();
    submit(&app, "webinar", "ann@initech.test").await;
    submit(&app, "webinar", "bob@globex.test").await;
    submit(&app, "contact", "cy@umbrella.test").await;
    sqlx::query("UPDATE forms SET active = 0 WHERE slug = 'spring-demo'")
        .execute(app.db.writer())
        .await
        .unwrap();

    let (status, page, _) = marketer.get("/forms").await;
    assert_eq!(status, 200);
    assert!(page.contains("1–3 of 3"), "{page}");
    assert!(
        in_order(&page, &["Autumn webinar", "Contact us", "Spring demo"]),
        "by name at first"
    );
    assert!(
        page.contains("&#60;form method=&#34;post&#34;") && page.contains("Publish the form"),
        "each form keeps its escaped snippet and new ones are still published"
    );

    let (_, page, _) = marketer.get("/forms?q=WEBINAR").await;
    assert!(page.contains("1–1 of 1") && page.contains("Autumn webinar"));
    let (_, page, _) = marketer.get("/forms?q=spring-d").await;
    assert!(page.contains("1–1 of 1"), "search reaches the address");
    let (_, page, _) = marketer.get("/forms?open=no").await;
    assert!(page.contains("1–1 of 1") && page.contains("Spring demo"));
    let (_, page, _) = marketer.get("/forms?open=yes&q=spring").await;
    assert!(page.contains("Nothing matches these filters"));
    let (status, _, _) = marketer.get("/forms?open=perhaps").await;
    assert_eq!(status, 422);

    let (_, page, _) = marketer.get("/forms?sort=submissions&dir=desc").await;
    assert!(in_order(
        &page,
        &["Autumn webinar", "Contact us", "Spring demo"]
    ));
    assert!(page.contains("aria-sort=\"descending\""));
    let (_, page, _) = marketer.get("/forms?sort=name&dir=desc").await;
    assert!(in_order(
        &page,
        &["Spring demo", "Contact us", "Autumn webinar"]
    ));

    for i in 0..23 {
        app.db
            .create_form(
                None,
                &format!("filler-{i:02}"),
                &format!("Filler {i:02}"),
                "",
                None,
                None,
            )
            .await
            .unwrap();
    }
    let (_, page, _) = marketer.get("/forms?per=25&page=2").await;
    assert!(
        page.contains("26–26 of 26") && page.contains("rel=\"prev\""),
        "{page}"
    );

    let response = marketer.fetch("/forms.csv?q=webinar").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"forms.csv\""
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("Form,Public address,Campaign,Source,State,Submissions,Created")
    );
    let webinar = lines.next().unwrap();
    assert!(
        webinar.starts_with(&format!("Autumn webinar,{}/f/webinar,,,open,2,", app.base)),
        "{webinar}"
    );
    assert_eq!(lines.next(), None);
    let csv = marketer
        .fetch("/forms.csv?per=25")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 27, "the export holds every page");

    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter.get("/forms").await;
    assert_eq!(status, 403);
    assert!(!page.contains("Autumn webinar"));
    let response = hunter.fetch("/forms.csv").await;
    assert_eq!(response.status(), 403);
    assert!(!response.text().await.unwrap().contains("Autumn webinar"));
}

#[tokio::test]
async fn a_marketer_closes_a_form_to_submissions_and_opens_it_again() {
    let app = TestApp::new().await;
    let mut marketer = Browser::person(&app, "mia@acme.test", Role::Marketer).await;
    let form = app
        .db
        .create_form(None, "webinar", "Autumn webinar", "", None, None)
        .await
        .unwrap();
    let path = format!("/forms/{}/open", form.id);
    let (_, page, _) = marketer.get("/forms?q=webinar").await;
    assert!(page.contains("Close “Autumn webinar”"), "{page}");
    let csrf = Browser::csrf(&page);

    let (status, _, location) = marketer
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("open", "0"),
                ("back", "q=webinar"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/forms?q=webinar"),
        "back to the same list"
    );
    assert!(!app.db.form("webinar").await.unwrap().active);
    let closed = app
        .client
        .post(app.url("/f/webinar"))
        .form(&[
            ("name", "Ann Lee"),
            ("email", "ann@initech.test"),
            ("message", "Pricing?"),
            ("website", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 404, "a closed form takes nothing");
    let (_, page, _) = marketer.get("/forms?open=no").await;
    assert!(page.contains("Open “Autumn webinar”"), "{page}");

    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, hunter_page, _) = hunter.get("/work").await;
    let hunter_csrf = Browser::csrf(&hunter_page);
    let (status, _, _) = hunter
        .post(&path, &[("csrf", hunter_csrf.as_str()), ("open", "1")])
        .await;
    assert_eq!(status, 403, "a hunter does not open forms");
    assert!(!app.db.form("webinar").await.unwrap().active);
    let (status, _, _) = marketer
        .post(&path, &[("csrf", "forged"), ("open", "1")])
        .await;
    assert_eq!(status, 403, "a forged form changes nothing");
    assert!(!app.db.form("webinar").await.unwrap().active);

    let (status, _, _) = marketer
        .post(&path, &[("csrf", csrf.as_str()), ("open", "1")])
        .await;
    assert_eq!(status, 303);
    submit(&app, "webinar", "ann@initech.test").await;
    let (status, _, _) = marketer
        .post(
            "/forms/999999/open",
            &[("csrf", csrf.as_str()), ("open", "0")],
        )
        .await;
    assert_eq!(status, 404, "an unknown form is not found");
    let actions: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM audit_log WHERE entity = 'form' AND action <> 'form.created' ORDER BY id",
    )
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [("form.closed".to_string(),), ("form.opened".to_string(),)]
    );
}

#[tokio::test]
async fn a_manager_pauses_a_webhook_and_resumes_it() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let max = app.db.user_by_email("max@acme.test").await.unwrap().id;
    let routed = vec!["inquiry.routed".to_string()];
    let (hook, _) = app
        .db
        .create_webhook(max, "https://hooks.acme.test/crm", &routed)
        .await
        .unwrap();
    let active = || async {
        app.db
            .webhooks()
            .await
            .unwrap()
            .into_iter()
            .find(|w| w.id == hook.id)
            .unwrap()
            .active
    };
    let (_, page, _) = manager.get("/settings/webhooks").await;
    assert!(page.contains("Pause https://hooks.acme.test/crm"), "{page}");
    let csrf = Browser::csrf(&page);
    let path = format!("/settings/webhooks/{}/active", hook.id);

    let (status, _, location) = manager
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("active", "0"),
                ("back", "active=yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/settings/webhooks?active=yes"));
    assert!(!active().await);
    let (_, page, _) = manager.get("/settings/webhooks?active=no").await;
    assert!(
        page.contains("Resume https://hooks.acme.test/crm"),
        "{page}"
    );

    let mut marketer = Browser::person(&app, "mia@acme.test", Role::Marketer).await;
    let (_, marketer_page, _) = marketer.get("/forms").await;
    let marketer_csrf = Browser::csrf(&marketer_page);
    let (status, _, _) = marketer
        .post(&path, &[("csrf", marketer_csrf.as_str()), ("active", "1")])
        .await;
    assert_eq!(status, 403, "a marketer does not manage webhooks");
    assert!(!active().await);

    let (status, _, _) = manager
        .post(&path, &[("csrf", csrf.as_str()), ("active", "1")])
        .await;
    assert_eq!(status, 303);
    assert!(active().await);
    let actions: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM audit_log WHERE entity = 'webhook' AND action <> 'webhook.created' ORDER BY id",
    )
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            ("webhook.paused".to_string(),),
            ("webhook.resumed".to_string(),)
        ]
    );
}

#[tokio::test]
async fn webhooks_are_searched_filtered_sorted_paged_and_exported_without_secrets() {
    let app = TestApp::new().await;
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let max = app.db.user_by_email("max@acme.test").await.unwrap().id;
    let (status, page, _) = manager.get("/settings/webhooks").await;
    assert_eq!(status, 200);
    assert!(page.contains("No webhook yet. Add one below"), "{page}");

    let routed = vec!["inquiry.routed".to_string()];
    let mut secrets = Vec::new();
    for url in [
        "https://hooks.acme.test/crm",
        "https://zapier.example/catch",
        "http://old.acme.test/legacy",
    ] {
        let (_, secret) = app.db.create_webhook(max, url, &routed).await.unwrap();
        secrets.push(secret);
    }
    sqlx::query("UPDATE webhooks SET active = 0 WHERE url = 'http://old.acme.test/legacy'")
        .execute(app.db.writer())
        .await
        .unwrap();

    let (_, page, _) = manager.get("/settings/webhooks").await;
    assert!(page.contains("1–3 of 3"), "{page}");
    assert!(
        in_order(
            &page,
            &["hooks.acme.test/crm", "zapier.example", "old.acme.test"]
        ),
        "in the order they were added"
    );
    assert!(
        page.contains("Add the webhook"),
        "webhooks are still added here"
    );
    assert!(secrets.iter().all(|s| !page.contains(s.as_str())));

    let (_, page, _) = manager.get("/settings/webhooks?q=ACME.TEST").await;
    assert!(page.contains("1–2 of 2") && !page.contains("zapier.example"));
    let (_, page, _) = manager.get("/settings/webhooks?active=no").await;
    assert!(page.contains("1–1 of 1") && page.contains("old.acme.test"));
    let (_, page, _) = manager.get("/settings/webhooks?active=yes&q=legacy").await;
    assert!(page.contains("Nothing matches these filters"));
    let (status, _, _) = manager.get("/settings/webhooks?active=sometimes").await;
    assert_eq!(status, 422);

    let (_, page, _) = manager.get("/settings/webhooks?sort=url").await;
    assert!(in_order(
        &page,
        &["old.acme.test", "hooks.acme.test/crm", "zapier.example"]
    ));
    let (_, page, _) = manager.get("/settings/webhooks?sort=url&dir=desc").await;
    assert!(in_order(
        &page,
        &["zapier.example", "hooks.acme.test/crm", "old.acme.test"]
    ));
    assert!(page.contains("aria-sort=\"descending\""));

    for i in 0..23 {
        let (_, secret) = app
            .db
            .create_webhook(max, &format!("https://filler.example/{i:02}"), &routed)
            .await
            .unwrap();
        secrets.push(secret);
    }
    let (_, page, _) = manager.get("/settings/webhooks?per=25&page=2").await;
    assert!(
        page.contains("26–26 of 26") && page.contains("rel=\"prev\""),
        "{page}"
    );

    let response = manager.fetch("/settings/webhooks.csv?active=no").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"webhooks.csv\""
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Address,Events,State,Added"));
    let legacy = lines.next().unwrap();
    assert!(
        legacy.starts_with("http://old.acme.test/legacy,inquiry.routed,paused,"),
        "{legacy}"
    );
    assert_eq!(lines.next(), None);
    let csv = manager
        .fetch("/settings/webhooks.csv?per=25")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 27, "the export holds every page");
    assert!(
        secrets.iter().all(|s| !csv.contains(s.as_str())),
        "no signing secret is exported"
    );

    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter.get("/settings/webhooks").await;
    assert_eq!(status, 403);
    assert!(!page.contains("zapier.example"));
    let response = hunter.fetch("/settings/webhooks.csv").await;
    assert_eq!(response.status(), 403);
    assert!(!response.text().await.unwrap().contains("zapier.example"));
}

#[tokio::test]
async fn teams_are_searched_filtered_sorted_paged_and_exported() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/settings/teams").await;
    assert_eq!(status, 200);
    assert!(page.contains("No team yet. Teams group people"), "{page}");
    let csrf = Browser::csrf(&page);
    let (status, _, location) = manager
        .post(
            "/settings/teams",
            &[
                ("csrf", csrf.as_str()),
                ("name", "West hunters"),
                ("function", "hunting"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/settings/teams")),
        "teams are still added here"
    );
    for (name, function) in [
        ("East hunters", Function::Hunting),
        ("Accounts", Function::Farming),
    ] {
        app.db.create_team(None, name, function).await.unwrap();
    }

    let (_, page, _) = manager.get("/settings/teams").await;
    assert!(page.contains("1–3 of 3"), "{page}");
    assert!(in_order(
        &page,
        &["Delete Accounts", "East hunters", "West hunters"]
    ));
    let (_, page, _) = manager.get("/settings/teams?q=HUNTERS").await;
    assert!(page.contains("1–2 of 2") && !page.contains("Delete Accounts"));
    let (_, page, _) = manager.get("/settings/teams?serves=farming").await;
    assert!(page.contains("1–1 of 1") && page.contains("Delete Accounts"));
    let (_, page, _) = manager.get("/settings/teams?serves=farming&q=east").await;
    assert!(page.contains("Nothing matches these filters"));
    let (status, _, _) = manager.get("/settings/teams?serves=juggling").await;
    assert_eq!(status, 422);
    let (_, page, _) = manager.get("/settings/teams?sort=created&dir=desc").await;
    assert!(in_order(
        &page,
        &["Delete Accounts", "East hunters", "West hunters"]
    ));
    assert!(page.contains("aria-sort=\"descending\""));

    for i in 0..23 {
        app.db
            .create_team(None, &format!("Filler {i:02}"), Function::Qualification)
            .await
            .unwrap();
    }
    let (_, page, _) = manager.get("/settings/teams?per=25&page=2").await;
    assert!(
        page.contains("26–26 of 26") && page.contains("rel=\"prev\""),
        "{page}"
    );

    let response = manager
        .fetch("/settings/teams.csv?serves=hunting&sort=name&dir=desc")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"teams.csv\""
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Team,Function,People,Added"));
    assert!(lines.next().unwrap().starts_with("West hunters,hunting,"));
    assert!(lines.next().unwrap().starts_with("East hunters,hunting,"));
    assert_eq!(lines.next(), None);

    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter.get("/settings/teams").await;
    assert_eq!(status, 403);
    assert!(!page.contains("East hunters"));
    let response = hunter.fetch("/settings/teams.csv").await;
    assert_eq!(response.status(), 403);
    assert!(!response.text().await.unwrap().contains("East hunters"));
}

#[tokio::test]
async fn a_team_is_renamed_and_deleted_from_its_line() {
    let app = TestApp::new().await;
    let mut manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let east = app
        .db
        .create_team(None, "East hunters", Function::Hunting)
        .await
        .unwrap();
    let west = app
        .db
        .create_team(None, "West hunters", Function::Hunting)
        .await
        .unwrap();
    let (_, page, _) = manager.get("/settings/teams?q=hunters").await;
    let csrf = Browser::csrf(&page);
    assert!(page.contains(&format!("action=\"/settings/teams/{}\"", east.id)));

    let east_line = format!("/settings/teams/{}", east.id);
    let (status, _, location) = manager
        .post(
            &east_line,
            &[
                ("csrf", &csrf),
                ("name", "North hunters"),
                ("back", "q=hunters"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/settings/teams?q=hunters")),
        "back to the list it was renamed from"
    );
    assert_eq!(app.db.team(east.id).await.unwrap().name, "North hunters");

    // A name taken, whatever its case, or no name, is refused and says why.
    let (status, page, _) = manager
        .post(
            &east_line,
            &[
                ("csrf", &csrf),
                ("name", "west HUNTERS"),
                ("back", "q=hunters"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    // Refused beside its line, the list and what was typed kept.
    let error_id = format!("team-name-{}-error", east.id);
    assert!(
        page.contains(&format!("id=\"{error_id}\""))
            && page.contains("value=\"west HUNTERS\"")
            && page.contains("1–2 of 2"),
        "{page}"
    );
    let (status, _, _) = manager
        .post(&east_line, &[("csrf", &csrf), ("name", "  ")])
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.db.team(east.id).await.unwrap().name, "North hunters");

    // A team with people in it stays, and the page says how many.
    let (hal, _) = app.user("hal@acme.test", Role::Hunter).await;
    let max = app.db.user_by_email("max@acme.test").await.unwrap();
    app.db
        .update_user(
            max.id,
            hal,
            &baton_db::users::UserChange {
                team_id: Some(Some(west.id)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let west_line = format!("/settings/teams/{}", west.id);
    let (_, page, _) = manager.get("/settings/teams?q=hunters").await;
    assert!(
        !page.contains("Delete West hunters") && page.contains("Move its people to another team"),
        "a team with people offers no delete: {page}"
    );
    let (status, page, _) = manager
        .post(&west_line, &[("csrf", &csrf), ("delete", "1")])
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("still has 1 person"), "{page}");
    assert!(app.db.team(west.id).await.is_ok());

    let (status, _, _) = manager
        .post(&east_line, &[("csrf", &csrf), ("delete", "1")])
        .await;
    assert_eq!(status, 303);
    assert!(app.db.team(east.id).await.is_err());

    // Without the form's token, or by someone who does not keep teams: nothing.
    let (status, _, _) = manager
        .post(&west_line, &[("csrf", "forged"), ("delete", "1")])
        .await;
    assert_eq!(status, 403);
    let mut hunter = Browser::person(&app, "hank@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    let hunter_csrf = Browser::csrf(&page);
    let (status, _, _) = hunter
        .post(&east_line, &[("csrf", &hunter_csrf), ("name", "Mine")])
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.db.team(west.id).await.unwrap().name, "West hunters");
}

#[tokio::test]
async fn a_new_team_webhook_or_token_refused_or_added_keeps_the_list_it_was_sent_from() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let searched = "q=east&sort=created";
    let kept = "name=\"back\" value=\"q=east&#38;sort=created\"";
    let search_box = "name=\"q\" type=\"search\" value=\"east\"";

    for list in ["/settings/teams", "/settings/webhooks", "/settings/tokens"] {
        let (status, page, _) = owner.get(&format!("{list}?{searched}")).await;
        assert_eq!(status, 200, "{list}");
        assert!(page.contains(kept), "{list} sends its list along: {page}");
    }
    let (_, page, _) = owner.get("/settings/teams").await;
    let csrf = Browser::csrf(&page);

    let refused = [
        (
            "/settings/teams",
            vec![("name", " "), ("function", "hunting")],
        ),
        (
            "/settings/webhooks",
            vec![("url", "ftp://x.test/"), ("events", "inquiry.routed")],
        ),
        (
            "/settings/tokens",
            vec![("holder", "nobody@acme.test"), ("name", "ci")],
        ),
    ];
    for (list, fields) in refused {
        let mut form = vec![("csrf", csrf.as_str()), ("back", searched)];
        form.extend(fields);
        let (status, page, _) = owner.post(list, &form).await;
        assert_eq!(status, 422, "{list}: {page}");
        assert!(
            page.contains(search_box) && page.contains(kept),
            "{list} shows the searched list again: {page}"
        );
    }

    let (status, _, location) = owner
        .post(
            "/settings/teams",
            &[
                ("csrf", csrf.as_str()),
                ("back", searched),
                ("name", "East"),
                ("function", "hunting"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/settings/teams?q=east&sort=created")
    );
    let (status, page, _) = owner
        .post(
            "/settings/tokens",
            &[
                ("csrf", csrf.as_str()),
                ("back", searched),
                ("holder", "olga@acme.test"),
                ("name", "ci"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(search_box),
        "the new token is shown on the searched list: {page}"
    );
}
