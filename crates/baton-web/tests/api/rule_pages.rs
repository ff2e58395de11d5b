//! Adding and changing routing rules in the browser.

use crate::helpers::TestApp;
use crate::pages::Browser;
use baton_core::domain::{Grade, Intent, Role};
use baton_core::routing::{Condition, Rule, fingerprint};

/// Times the routing rules have been replaced, by anyone.
async fn rule_versions(app: &TestApp) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE action = 'routing.rules_replaced'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    n
}

#[tokio::test]
async fn a_manager_adds_edits_reorders_disables_and_deletes_a_routing_rule() {
    let app = TestApp::new().await;
    let defaults = app.db.routing_rules().await.unwrap();
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/queues").await;
    assert!(page.contains("href=\"/queues/rules/new\""), "{page}");
    let (status, page, _) = manager.get("/queues/rules/new").await;
    assert_eq!(status, 200);
    for help in ["Writing a condition", "new_business", "account_tiers"] {
        assert!(page.contains(help), "{help}: {page}");
    }
    let csrf = Browser::csrf(&page);

    let (status, _, location) = manager
        .post(
            "/queues/rules/new",
            &[
                ("csrf", &csrf),
                ("name", "Grade A events go to hunters"),
                (
                    "condition",
                    r#"{"sources": ["event"], "grades": ["a"], "quarantined": false}"#,
                ),
                ("queue", "hunters"),
                ("skills", "German, demos"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/queues#rules"));
    let added = Rule {
        name: "Grade A events go to hunters".into(),
        condition: Condition {
            quarantined: Some(false),
            grades: vec![Grade::A],
            sources: vec!["event".into()],
            ..Default::default()
        },
        queue: Some("hunters".into()),
        skills: vec!["German".into(), "demos".into()],
        enabled: true,
    };
    let mut expected = defaults.clone();
    expected.push(added.clone());
    assert_eq!(app.db.routing_rules().await.unwrap(), expected);
    assert_eq!(rule_versions(&app).await, 1, "stored as a new version");
    let last = defaults.len();

    let (status, page, _) = manager.get(&format!("/queues/rules/{last}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("value=\"Grade A events go to hunters\""),
        "{page}"
    );
    assert!(page.contains("value=\"German, demos\""), "{page}");
    let (status, _, _) = manager
        .post(
            &format!("/queues/rules/{last}"),
            &[
                ("csrf", &csrf),
                ("original", &fingerprint(&added)),
                ("name", "Billing from events goes to operations"),
                (
                    "condition",
                    r#"{"intents": ["billing"], "sources": ["event"]}"#,
                ),
                ("queue", "operations"),
                ("skills", ""),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let edited = Rule {
        name: "Billing from events goes to operations".into(),
        condition: Condition {
            intents: vec![Intent::Billing],
            sources: vec!["event".into()],
            ..Default::default()
        },
        queue: Some("operations".into()),
        skills: vec![],
        enabled: false,
    };
    assert_eq!(app.db.routing_rules().await.unwrap()[last], edited);
    let (_, page, _) = manager.get("/queues").await;
    assert!(page.contains("(disabled)"), "{page}");

    let at = last.to_string();
    let enabled = Rule {
        enabled: true,
        ..edited.clone()
    };
    let (status, _, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", &at),
                ("rule", &fingerprint(&edited)),
                ("action", "enable"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", &at),
                ("rule", &fingerprint(&enabled)),
                ("action", "up"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let rules = app.db.routing_rules().await.unwrap();
    assert_eq!(
        (&rules[last - 1], &rules[last]),
        (&enabled, &defaults[last - 1])
    );

    let above = (last - 1).to_string();
    let (status, _, _) = manager
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", &above),
                ("rule", &fingerprint(&enabled)),
                ("action", "delete"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(app.db.routing_rules().await.unwrap(), defaults);
    assert_eq!(rule_versions(&app).await, 5, "every change is a version");
}

#[tokio::test]
async fn an_edit_from_a_stale_page_changes_nothing_and_an_unknown_rule_is_not_found() {
    let app = TestApp::new().await;
    let defaults = app.db.routing_rules().await.unwrap();
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get("/queues/rules/0").await;
    let csrf = Browser::csrf(&page);
    let (status, page, _) = owner
        .post(
            "/queues/rules/0",
            &[
                ("csrf", &csrf),
                ("original", &fingerprint(&defaults[1])),
                ("name", "Renamed"),
                ("condition", ""),
                ("queue", ""),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("The rules changed meanwhile"), "{page}");
    assert!(
        page.contains("value=\"Renamed\""),
        "the input is kept: {page}"
    );
    assert_eq!(app.db.routing_rules().await.unwrap(), defaults);

    let (status, _, _) = owner
        .get(&format!("/queues/rules/{}", defaults.len()))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_bad_condition_an_unknown_queue_or_no_name_is_shown_by_its_field_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let defaults = app.db.routing_rules().await.unwrap();
    let mut manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let (_, page, _) = manager.get("/queues/rules/new").await;
    let csrf = Browser::csrf(&page);

    let (status, page, _) = manager
        .post(
            "/queues/rules/new",
            &[
                ("csrf", &csrf),
                ("name", "Billing to operations"),
                ("condition", "intent is billing"),
                ("queue", "operations"),
                ("skills", "Dutch"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"condition-error\""), "{page}");
    assert!(page.contains("not a condition"), "{page}");
    for kept in [
        "value=\"Billing to operations\"",
        "value=\"intent is billing\"",
        "value=\"operations\" selected",
        "value=\"Dutch\"",
        "name=\"enabled\" value=\"true\" checked",
    ] {
        assert!(page.contains(kept), "{kept}: {page}");
    }

    let (status, page, _) = manager
        .post(
            "/queues/rules/new",
            &[
                ("csrf", &csrf),
                ("name", "Billing to operations"),
                ("condition", r#"{"intents": ["invoices"]}"#),
                ("queue", "operations"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("unknown variant `invoices`"), "{page}");

    // A condition that does not read hides none of the other problems.
    let (status, page, _) = manager
        .post(
            "/queues/rules/new",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("condition", "{bad"),
                ("queue", "nowhere"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    for (field, problem) in [
        ("condition", ""),
        ("name", "every rule needs a name"),
        ("queue", "no queue `nowhere`"),
    ] {
        assert!(
            page.contains(&format!("id=\"{field}-error\"")) && page.contains(problem),
            "{field}: {page}"
        );
    }

    let (status, page, _) = manager
        .post(
            "/queues/rules/new",
            &[
                ("csrf", &csrf),
                ("name", "Billing to operations"),
                ("condition", ""),
                ("queue", "nowhere"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"queue-error\""), "{page}");
    assert!(page.contains("no queue `nowhere`"), "{page}");
    assert!(!page.contains("name=\"enabled\" value=\"true\" checked"));

    let (status, page, _) = manager
        .post(
            "/queues/rules/0",
            &[
                ("csrf", &csrf),
                ("original", &fingerprint(&defaults[0])),
                ("name", "  "),
                ("condition", "{}"),
                ("queue", ""),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"name-error\""), "{page}");
    assert!(page.contains("every rule needs a name"), "{page}");

    assert_eq!(app.db.routing_rules().await.unwrap(), defaults);
    assert_eq!(rule_versions(&app).await, 0);
}

#[tokio::test]
async fn a_hunter_neither_sees_nor_changes_the_routing_rules() {
    let app = TestApp::new().await;
    let defaults = app.db.routing_rules().await.unwrap();
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/work").await;
    assert!(!page.contains("href=\"/queues\""), "{page}");
    let csrf = Browser::csrf(&page);
    for path in ["/queues/rules/new", "/queues/rules/0"] {
        let (status, _, _) = hunter.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _, _) = hunter
        .post(
            "/queues/rules/new",
            &[("csrf", &csrf), ("name", "Mine"), ("queue", "hunters")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = hunter
        .post(
            "/queues/rules/0",
            &[
                ("csrf", &csrf),
                ("original", &fingerprint(&defaults[0])),
                ("name", "Mine"),
                ("queue", "hunters"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = hunter
        .post(
            "/queues/rules",
            &[
                ("csrf", &csrf),
                ("position", "0"),
                ("rule", &fingerprint(&defaults[0])),
                ("action", "delete"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.db.routing_rules().await.unwrap(), defaults);
}

#[tokio::test]
async fn changes_to_different_rules_sent_at_once_are_all_kept() {
    let app = TestApp::new().await;
    let defaults = app.db.routing_rules().await.unwrap();
    let mut managers = Vec::new();
    for n in 0..4 {
        let manager = Browser::person(&app, &format!("m{n}@acme.test"), Role::Manager).await;
        let (_, page, _) = manager.get("/queues").await;
        let csrf = Browser::csrf(&page);
        managers.push((manager, csrf));
    }
    let forms: Vec<[(&str, String); 4]> = (0..4)
        .map(|at| {
            [
                ("csrf", managers[at].1.clone()),
                ("position", at.to_string()),
                ("rule", fingerprint(&defaults[at])),
                ("action", "disable".to_string()),
            ]
        })
        .collect();
    let pairs: Vec<Vec<(&str, &str)>> = forms
        .iter()
        .map(|form| form.iter().map(|(k, v)| (*k, v.as_str())).collect())
        .collect();
    let [a, b, c, d] = &mut managers[..] else {
        unreachable!()
    };
    let answers = tokio::join!(
        a.0.post("/queues/rules", &pairs[0]),
        b.0.post("/queues/rules", &pairs[1]),
        c.0.post("/queues/rules", &pairs[2]),
        d.0.post("/queues/rules", &pairs[3]),
    );
    let statuses = [answers.0.0, answers.1.0, answers.2.0, answers.3.0];
    let rules = app.db.routing_rules().await.unwrap();
    for (at, status) in statuses.iter().enumerate() {
        // Each change is made again on the rules as they became.
        assert_eq!(*status, 303, "rule {at}: {statuses:?}");
        assert!(
            !rules[at].enabled,
            "rule {at} answered as done is kept: {rules:?}"
        );
    }
    assert_eq!(rules[4..], defaults[4..]);
}

#[tokio::test]
async fn an_edit_of_a_rule_that_moved_is_refused_though_another_has_its_name() {
    let app = TestApp::new().await;
    let mut rules = app.db.routing_rules().await.unwrap();
    let twin = |queue: &str| Rule {
        name: "Twin".into(),
        queue: Some(queue.into()),
        ..rules[0].clone()
    };
    let (first, second) = (twin("service"), twin("nurture"));
    rules.extend([first.clone(), second.clone()]);
    app.db
        .replace_routing_rules(None, &rules, None)
        .await
        .unwrap();
    let first_at = rules.len() - 2;

    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get(&format!("/queues/rules/{first_at}")).await;
    let csrf = Browser::csrf(&page);
    // Meanwhile the second twin moves up into the first one's place.
    let mut moved = rules.clone();
    moved.swap(first_at, first_at + 1);
    app.db
        .replace_routing_rules(None, &moved, None)
        .await
        .unwrap();

    let (status, page, _) = owner
        .post(
            &format!("/queues/rules/{first_at}"),
            &[
                ("csrf", &csrf),
                ("original", &fingerprint(&first)),
                ("name", "Twin"),
                ("condition", ""),
                ("queue", "hunters"),
            ],
        )
        .await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("The rules changed meanwhile"), "{page}");
    assert_eq!(app.db.routing_rules().await.unwrap(), moved, "nothing lost");
}
