//! The list of people in settings: search, filters, sort, pages, CSV
//! export and empty state, for the owner and managers only, with each
//! row's changes returning to the list they were made from.

use crate::helpers::TestApp;
use crate::pages::Browser;
use baton_core::domain::{Function, Role};
use baton_db::users::{NewUser, UserChange};

/// Adds someone who cannot sign in with a password; returns their id.
async fn person(app: &TestApp, name: &str, email: &str, role: Role) -> i64 {
    app.db
        .create_user(NewUser {
            email,
            name,
            role,
            password: None,
        })
        .await
        .unwrap()
        .id
}

fn in_order(page: &str, names: &[&str]) -> bool {
    let at: Vec<usize> = names
        .iter()
        .map(|name| page.find(name).unwrap_or_else(|| panic!("{name} missing")))
        .collect();
    at.windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn people_are_searched_filtered_sorted_paged_and_exported_by_owners_and_managers() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap().id;
    let east = app
        .db
        .create_team(None, "East", Function::Hunting)
        .await
        .unwrap()
        .id;
    let hana = person(&app, "Hana Hunter", "hana@acme.test", Role::Hunter).await;
    let zed = person(&app, "Zed Hunter", "zed@corp.test", Role::Hunter).await;
    let fay = person(&app, "Fay Farmer", "fay@acme.test", Role::Farmer).await;
    for id in [hana, zed] {
        let change = UserChange {
            team_id: Some(Some(east)),
            ..UserChange::default()
        };
        app.db.update_user(olga, id, &change).await.unwrap();
    }
    let change = UserChange {
        active: Some(false),
        ..UserChange::default()
    };
    app.db.update_user(olga, fay, &change).await.unwrap();

    let (status, page, _) = owner.get("/settings/people").await;
    assert_eq!(status, 200);
    // The role filter and the new person's role are two elements.
    let mut ids: Vec<&str> = page
        .split(" id=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an id used twice: {ids:?}");
    assert!(page.contains("<label for=\"filter-role\">"), "{page}");
    assert!(page.contains("1–5 of 5"), "{page}");
    assert!(
        in_order(
            &page,
            &["Fay Farmer", "Hana Hunter", "Olive Owner", "Zed Hunter"]
        ),
        "by name at first"
    );
    assert!(
        page.contains("Add the person"),
        "the owner still adds people"
    );
    assert!(page.contains("Deactivate Hana Hunter") && page.contains("Reactivate Fay Farmer"));

    let (_, page, _) = owner.get("/settings/people?q=CORP").await;
    assert!(page.contains("Zed Hunter") && !page.contains("Hana Hunter"));
    assert!(page.contains("1–1 of 1"), "search reaches the e-mail");
    let (_, page, _) = owner.get("/settings/people?q=hana").await;
    assert!(page.contains("Hana Hunter") && !page.contains("Zed Hunter"));

    let (_, page, _) = owner.get("/settings/people?role=hunter").await;
    assert!(page.contains("1–2 of 2") && !page.contains("Fay Farmer"));
    let (_, page, _) = owner.get(&format!("/settings/people?team={east}")).await;
    assert!(page.contains("1–2 of 2") && page.contains("Zed Hunter"));
    let (_, page, _) = owner.get("/settings/people?active=no").await;
    assert!(page.contains("1–1 of 1") && page.contains("Fay Farmer"));
    let (_, page, _) = owner.get("/settings/people?role=qualifier").await;
    assert!(
        page.contains("Nothing matches these filters"),
        "an empty list says how to widen it"
    );
    let (status, _, _) = owner.get("/settings/people?role=emperor").await;
    assert_eq!(status, 422);

    let (_, page, _) = owner
        .get("/settings/people?role=hunter&sort=name&dir=desc")
        .await;
    assert!(in_order(&page, &["Zed Hunter", "Hana Hunter"]));
    assert!(page.contains("aria-sort=\"descending\""));
    let (_, page, _) = owner.get("/settings/people?sort=team").await;
    assert!(
        in_order(&page, &["Hana Hunter", "Zed Hunter", "Fay Farmer"]),
        "people with a team come first, then those without"
    );

    let (_, page, _) = owner.get("/settings/people?per=25&page=2").await;
    assert!(page.contains("past the end"));
    for i in 0..26 {
        person(
            &app,
            &format!("Filler {i:02}"),
            &format!("filler{i}@acme.test"),
            Role::Qualifier,
        )
        .await;
    }
    let (_, page, _) = owner.get("/settings/people?per=25&page=2").await;
    assert!(
        page.contains("26–31 of 31") && page.contains("rel=\"prev\""),
        "{page}"
    );

    let response = owner
        .fetch("/settings/people.csv?role=hunter&sort=name")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"people.csv\""
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("Person,E-mail,Role,Team,Access,Added"));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Hana Hunter,hana@acme.test,hunter,East,signs in,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Zed Hunter,zed@corp.test,hunter,East,signs in,")
    );
    assert_eq!(lines.next(), None);
    let csv = owner
        .fetch("/settings/people.csv?per=25")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 32, "the export holds every page");

    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (status, page, _) = manager.get("/settings/people?q=zed").await;
    assert_eq!(status, 200);
    assert!(page.contains("Zed Hunter") && !page.contains("Deactivate Zed Hunter"));
    assert_eq!(manager.fetch("/settings/people.csv").await.status(), 200);

    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    assert_eq!(hunter.fetch("/settings/people.csv").await.status(), 403);
    let csv = hunter
        .fetch("/settings/people.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !csv.contains("zed@corp.test"),
        "a refused export shows nobody"
    );
}

#[tokio::test]
async fn the_api_pages_people_by_id_with_role_team_and_active_filters() {
    let app = TestApp::new().await;
    let olga = app.db.user_by_email("owner@acme.test").await.unwrap().id;
    let east = app
        .db
        .create_team(None, "East", Function::Hunting)
        .await
        .unwrap()
        .id;
    let mut hunters = Vec::new();
    for n in 0..5 {
        let email = format!("hunter{n}@acme.test");
        hunters.push(person(&app, &format!("Hunter {n}"), &email, Role::Hunter).await);
    }
    let fay = person(&app, "Fay Farmer", "fay@acme.test", Role::Farmer).await;
    let change = UserChange {
        team_id: Some(Some(east)),
        ..UserChange::default()
    };
    app.db.update_user(olga, hunters[1], &change).await.unwrap();
    let change = UserChange {
        active: Some(false),
        ..UserChange::default()
    };
    app.db.update_user(olga, hunters[3], &change).await.unwrap();

    // Two by two, each page continuing where the last one stopped.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(
                &app.owner,
                &format!("/api/v1/users?role=hunter&limit=2&cursor={cursor}"),
            )
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, hunters);

    let ids = |page: serde_json::Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect()
    };
    let in_east = app
        .get_json(&app.owner, &format!("/api/v1/users?team_id={east}"))
        .await;
    assert_eq!(ids(in_east), [hunters[1]]);
    let away = app.get_json(&app.owner, "/api/v1/users?active=false").await;
    assert_eq!(ids(away), [hunters[3]]);
    let farmers = app
        .get_json(&app.owner, "/api/v1/users?role=farmer&active=true")
        .await;
    assert_eq!(ids(farmers), [fay]);

    for (query, field) in [
        ("role=pilot", "role"),
        ("active=maybe", "active"),
        ("team_id=east", "team_id"),
        ("limit=0", "limit"),
    ] {
        let refused = app.get(&app.owner, &format!("/api/v1/users?{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
        let problem: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(
            problem["invalid-params"][0]["name"], field,
            "{query}: {problem}"
        );
    }
}

#[tokio::test]
async fn a_change_made_on_the_list_returns_to_the_same_list() {
    let app = TestApp::new().await;
    let mut owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let hana = person(&app, "Hana Hunter", "hana@acme.test", Role::Hunter).await;

    let (_, page, _) = owner.get("/settings/people?role=hunter&sort=role").await;
    assert!(
        page.contains("name=\"back\" value=\"role=hunter&#38;sort=role\""),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, location) = owner
        .post(
            &format!("/settings/people/{hana}"),
            &[
                ("csrf", csrf.as_str()),
                ("active", "false"),
                ("back", "role=hunter&sort=role"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/settings/people?role=hunter&sort=role")
    );
    assert!(!app.db.user(hana).await.unwrap().active);
}
