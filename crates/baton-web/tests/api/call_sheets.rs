//! Call sheets: generated from a person's work in priority order, lines
//! marked done with an outcome that logs the activity, refreshes that keep
//! what was done, completion by person and week, the list of sheets with
//! its filters, sort, pages and export, and who may see what.

use crate::helpers::{TestApp, invalid_names, strong_lead};
use crate::pages::Browser;
use baton_core::domain::{Role, SheetPeriod};
use serde_json::{Value, json};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = app.post(token, path, &body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A hunter with a routed lead, an open deal and a quiet customer account.
async fn hunter_with_work(app: &TestApp) -> (i64, String) {
    let (hunter_id, hunter) = app.user("hank@acme.test", Role::Hunter).await;
    app.join("hunters", "hank@acme.test").await;
    let receipt = app.inquire(strong_lead("dana@initech.test")).await;
    assert_eq!(receipt["queue"], "hunters", "{receipt}");
    let (status, deal) = post(
        app,
        &app.owner,
        "/api/v1/opportunities",
        json!({"name": "Globex renewal", "amount": "48000", "owner_id": hunter_id,
               "stage": "proposal", "expected_close": "2030-06-30"}),
    )
    .await;
    assert_eq!(status, 201, "{deal}");
    let (status, customer) = post(
        app,
        &app.owner,
        "/api/v1/accounts",
        json!({"name": "Umbrella", "status": "customer", "tier": "a", "owner_id": hunter_id}),
    )
    .await;
    assert_eq!(status, 201, "{customer}");
    (hunter_id, hunter)
}

fn reasons(sheet: &Value) -> Vec<String> {
    sheet["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_sheet_ranks_sla_work_first_and_done_lines_log_the_call() {
    let app = TestApp::new().await;
    let (hunter_id, hunter) = hunter_with_work(&app).await;

    let (status, sheet) = post(
        &app,
        &hunter,
        "/api/v1/call-sheets",
        json!({"period": "day", "date": "2030-01-08"}),
    )
    .await;
    assert_eq!(status, 201, "{sheet}");
    assert_eq!(sheet["user_id"], hunter_id);
    assert_eq!(sheet["starts_on"], "2030-01-08");
    assert_eq!(sheet["week_starts_on"], "2030-01-07");
    let reasons = reasons(&sheet);
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("first touch due"), "{reasons:?}");
    assert!(reasons[1].contains("Globex renewal"), "{reasons:?}");
    assert!(
        reasons[2].contains("tier a customer never contacted"),
        "{reasons:?}"
    );
    let first = &sheet["lines"][0];
    assert_eq!(first["subject"], "Dana Reyes");
    assert_eq!(first["phone"], "+14155550100");
    assert!(first["lead_id"].is_i64() && first["due_at"].is_i64());
    assert_eq!(sheet["lines"][1]["value_minor"], 4_800_000);

    let sheet_id = sheet["id"].as_i64().unwrap();
    let done_path = format!("/api/v1/call-sheets/{sheet_id}/lines/{}/done", first["id"]);
    let (status, problem) = post(&app, &hunter, &done_path, json!({"outcome": " "})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["invalid-params"][0]["name"], "outcome");
    let activities = app.count("activities").await;
    let (status, problem) = post(
        &app,
        &hunter,
        &done_path,
        json!({"outcome": "", "type": "juggling", "notes": "n".repeat(20_001)}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        invalid_names(&problem),
        ["outcome", "type", "notes"],
        "{problem}"
    );
    assert_eq!(app.count("activities").await, activities);
    let (status, line) = post(
        &app,
        &hunter,
        &done_path,
        json!({"outcome": "meeting booked", "notes": "wants a demo on Friday"}),
    )
    .await;
    assert_eq!(status, 200, "{line}");
    assert_eq!(line["outcome"], "meeting booked");
    assert!(line["done_at"].is_i64());
    assert_eq!(app.count("activities").await, activities + 1);
    let activity = app
        .get_json(
            &hunter,
            &format!("/api/v1/activities?user={hunter_id}&type=call"),
        )
        .await;
    let logged = &activity["items"][0];
    assert_eq!(logged["id"], line["activity_id"]);
    assert_eq!(logged["lead_id"], first["lead_id"]);
    assert_eq!(logged["outcome"], "meeting booked");
    let (status, _) = post(&app, &hunter, &done_path, json!({"outcome": "again"})).await;
    assert_eq!(status, 409, "a call is done once");
    assert_eq!(app.count("activities").await, activities + 1);

    // Refreshing keeps the done line and does not offer the same call again.
    let (status, refreshed) = post(
        &app,
        &hunter,
        "/api/v1/call-sheets",
        json!({"period": "day", "date": "2030-01-08"}),
    )
    .await;
    assert_eq!(status, 200, "the sheet there was, refreshed");
    assert_eq!(refreshed["id"], sheet_id);
    let lines = refreshed["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{refreshed}");
    assert_eq!(lines[0]["id"], first["id"]);
    assert_eq!(lines[0]["outcome"], "meeting booked");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["work_item_id"] == first["work_item_id"])
            .count(),
        1
    );

    let listed = app.get_json(&hunter, "/api/v1/call-sheets").await;
    assert_eq!(listed["items"][0]["lines"], 3);
    assert_eq!(listed["items"][0]["done"], 1);
}

#[tokio::test]
async fn managers_see_completion_by_person_and_week_and_reps_only_their_own() {
    let app = TestApp::new().await;
    let (hunter_id, hunter) = hunter_with_work(&app).await;
    let (_, other) = app.user("hugo@acme.test", Role::Hunter).await;
    let (manager_id, manager) = app.user("mona@acme.test", Role::Manager).await;
    let (_, sheet) = post(
        &app,
        &manager,
        "/api/v1/call-sheets",
        json!({"period": "week", "date": "2030-01-09", "user_id": hunter_id}),
    )
    .await;
    assert_eq!(sheet["starts_on"], "2030-01-07", "a week starts on Monday");
    let sheet_id = sheet["id"].as_i64().unwrap();
    let line = sheet["lines"][1]["id"].as_i64().unwrap();
    let done_path = format!("/api/v1/call-sheets/{sheet_id}/lines/{line}/done");

    let sheet_path = format!("/api/v1/call-sheets/{sheet_id}");
    assert_eq!(app.get(&other, &sheet_path).await.status(), 403);
    let (status, _) = post(&app, &other, &done_path, json!({"outcome": "no"})).await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &app,
        &other,
        "/api/v1/call-sheets",
        json!({"period": "day", "user_id": hunter_id}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &app,
        &hunter,
        &done_path,
        json!({"outcome": "proposal sent"}),
    )
    .await;
    assert_eq!(status, 200);

    let path = "/api/v1/reports/call-sheet-completion?from=2030-01-01&to=2030-01-31";
    let report = app.get_json(&manager, path).await;
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report}");
    assert_eq!(rows[0]["user_id"], hunter_id);
    assert_eq!(rows[0]["week_starts_on"], "2030-01-07");
    assert_eq!(rows[0]["lines"], 3);
    assert_eq!(rows[0]["done"], 1);
    assert!((rows[0]["completion"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);

    let own = app.get_json(&hunter, path).await;
    assert_eq!(own["rows"].as_array().unwrap().len(), 1);
    let refused = app.get(&other, &format!("{path}&user={hunter_id}")).await;
    assert_eq!(refused.status(), 403);
    let none = app.get_json(&other, path).await;
    assert_eq!(none["rows"].as_array().unwrap().len(), 0);
    let backwards = app
        .get(
            &manager,
            "/api/v1/reports/call-sheet-completion?from=2030-02-01&to=2030-01-01",
        )
        .await;
    assert_eq!(backwards.status(), 422);

    // A call the manager marks done on the rep's sheet is the rep's, and
    // says whose hand recorded it; the rep's own says nothing more.
    let other_line = sheet["lines"][2]["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &manager,
        &format!("/api/v1/call-sheets/{sheet_id}/lines/{other_line}/done"),
        json!({"outcome": "left a message"}),
    )
    .await;
    assert_eq!(status, 200);
    let activities = app
        .get_json(&manager, &format!("/api/v1/activities?user={hunter_id}"))
        .await;
    let recorded: Vec<(String, Value)> = activities["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().unwrap().to_string(),
                a["recorded_by"].clone(),
            )
        })
        .collect();
    assert!(
        recorded.contains(&("left a message".into(), json!(manager_id))),
        "{activities}"
    );
    assert!(
        recorded.contains(&("proposal sent".into(), Value::Null)),
        "{activities}"
    );
}

#[tokio::test]
async fn the_sheet_list_filters_sorts_pages_and_exports_and_shows_a_hunter_only_their_own() {
    let app = TestApp::new().await;
    let (hank_id, hank) = hunter_with_work(&app).await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal_id = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;

    let (status, page, _) = hunter.get("/call-sheets").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("No call sheets yet. Make today"),
        "the empty list says how to make a sheet: {page}"
    );
    assert!(
        page.contains("method=\"post\" action=\"/call-sheets\""),
        "the form that makes a sheet stays"
    );

    let day = |d: &str| d.parse::<jiff::civil::Date>().unwrap();
    for n in 1..=26 {
        let date = day("2030-02-01")
            .checked_add(jiff::Span::new().days(n))
            .unwrap();
        app.db
            .generate_call_sheet(None, hal_id, SheetPeriod::Day, date)
            .await
            .unwrap();
    }
    let (hank_day, _) = app
        .db
        .generate_call_sheet(None, hank_id, SheetPeriod::Day, day("2030-01-08"))
        .await
        .unwrap();
    app.db
        .generate_call_sheet(None, hank_id, SheetPeriod::Week, day("2030-01-07"))
        .await
        .unwrap();
    let line = hank_day.lines[0].id;
    let (status, _) = post(
        &app,
        &hank,
        &format!("/api/v1/call-sheets/{}/lines/{line}/done", hank_day.id),
        json!({"outcome": "left a message"}),
    )
    .await;
    assert_eq!(status, 200);

    let (_, page, _) = hunter.get("/call-sheets?per=25").await;
    assert!(page.contains("1–25 of 26"), "a hunter's own sheets: {page}");
    assert!(!page.contains("hank@acme.test") && !page.contains("2030-01-08"));
    assert!(
        page.find("The day of 2030-02-27").unwrap() < page.find("The day of 2030-02-26").unwrap(),
        "the newest first"
    );
    assert!(
        !page.contains("name=\"person\""),
        "a hunter picks no person"
    );
    let (_, page, _) = hunter.get(&format!("/call-sheets?person={hank_id}")).await;
    assert!(page.contains("of 26") && !page.contains("2030-01-08"));
    let (_, page, _) = hunter.get("/call-sheets?per=25&page=2").await;
    assert!(page.contains("26–26 of 26") && page.contains("The day of 2030-02-02"));
    let csv = hunter.fetch("/call-sheets.csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 27, "the export holds every page");
    assert!(!csv.contains("hank"), "nor anyone else's sheets: {csv}");

    let (_, page, _) = manager.get("/call-sheets").await;
    assert!(page.contains("1–28 of 28") && page.contains("Completion by person and week"));
    let (_, page, _) = manager.get(&format!("/call-sheets?person={hank_id}")).await;
    assert!(page.contains("1–2 of 2") && !page.contains("2030-02-"));
    let (_, page, _) = manager.get("/call-sheets?period=week").await;
    assert!(page.contains("1–1 of 1") && page.contains("The week of 2030-01-07"));
    let (_, page, _) = manager
        .get("/call-sheets?from=2030-02-10&to=2030-02-12")
        .await;
    assert!(page.contains("1–3 of 3"), "{page}");
    // Days the wrong way round match nothing: said beside the field, and
    // over the API as anywhere else.
    let (status, page, _) = manager
        .get("/call-sheets?from=2030-02-12&to=2030-02-10")
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"filter-to-error\"") && page.contains("2030-02-10 is before"),
        "{page}"
    );
    let reversed = app
        .get(
            &app.owner,
            "/api/v1/call-sheets?from=2030-02-12&to=2030-02-10",
        )
        .await;
    assert_eq!(reversed.status(), 422);
    let problem: serde_json::Value = reversed.json().await.unwrap();
    assert_eq!(problem["invalid-params"][0]["name"], "to", "{problem}");
    let (_, page, _) = manager.get("/call-sheets?q=DANA").await;
    assert!(
        page.contains("1–2 of 2"),
        "a sheet is found by its calls: {page}"
    );
    let (_, page, _) = manager.get("/call-sheets?q=nobody-called-this").await;
    assert!(page.contains("Nothing matches these filters"));
    let (status, _, _) = manager.get("/call-sheets?from=someday").await;
    assert_eq!(status, 422);

    let (_, page, _) = manager
        .get("/call-sheets?sort=completion&dir=desc&per=50")
        .await;
    // The call done on the day's sheet is done on the week's too.
    let nothing_done = page.find("The day of 2030-02-02").unwrap();
    assert!(
        page.find("The day of 2030-01-08").unwrap() < nothing_done
            && page.find("The week of 2030-01-07").unwrap() < nothing_done,
        "the sheets with a call done come first: {page}"
    );

    let response = manager
        .fetch(&format!(
            "/call-sheets.csv?person={hank_id}&sort=date&dir=asc"
        ))
        .await;
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"call-sheets.csv\""
    );
    // Completion as a fraction, as every exported share.
    assert_eq!(
        response.text().await.unwrap(),
        "Sheet,Person,Calls,Done,Completion\r\n\
         The week of 2030-01-07,hank,3,1,0.3333\r\n\
         The day of 2030-01-08,hank,3,1,0.3333\r\n"
    );
}

#[tokio::test]
async fn service_work_without_a_lead_names_the_person_who_asked() {
    let app = TestApp::new().await;
    let (_, service) = app.user("sara@acme.test", Role::Service).await;
    app.join("service", "sara@acme.test").await;
    let receipt = app
        .inquire(
            json!({"name": "Nick Romero", "email": "nick@lakefront.test",
                        "phone": "+1 214 555 0139",
                        "message": "The export is broken, we get an error message. Please help"}),
        )
        .await;
    assert_eq!(receipt["queue"], "service", "{receipt}");
    assert!(receipt["lead_id"].is_null(), "{receipt}");
    let item = receipt["work_item_id"].as_i64().unwrap();
    let accepted = app
        .post(
            &service,
            &format!("/api/v1/work-items/{item}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(accepted.status(), 200);

    let (status, sheet) = post(
        &app,
        &service,
        "/api/v1/call-sheets",
        json!({"period": "week", "date": "2030-01-08"}),
    )
    .await;
    assert_eq!(status, 201, "{sheet}");
    let line = &sheet["lines"][0];
    assert_eq!(line["work_item_id"], item);
    assert_eq!(line["subject"], "Nick Romero", "{line}");
    assert_eq!(line["phone"], "+12145550139", "{line}");
    assert!(line["contact_id"].is_i64(), "{line}");
    assert!(
        line["last_touch_at"].is_i64(),
        "accepting the work touched it: {line}"
    );
}

#[tokio::test]
async fn a_call_on_the_day_and_the_week_sheet_is_one_call_done_on_both() {
    let app = TestApp::new().await;
    let (hunter_id, hunter) = hunter_with_work(&app).await;
    let (_, week) = post(
        &app,
        &hunter,
        "/api/v1/call-sheets",
        json!({"period": "week", "date": "2030-01-07"}),
    )
    .await;
    let (_, day) = post(
        &app,
        &hunter,
        "/api/v1/call-sheets",
        json!({"period": "day", "date": "2030-01-08"}),
    )
    .await;
    assert_ne!(week["id"], day["id"]);
    let first = &day["lines"][0];
    let on_week = week["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["work_item_id"] == first["work_item_id"])
        .expect("the day's first call is on the week's sheet too");
    let done = format!(
        "/api/v1/call-sheets/{}/lines/{}/done",
        day["id"], first["id"]
    );
    let (status, _) = post(&app, &hunter, &done, json!({"outcome": "reached"})).await;
    assert_eq!(status, 200);

    let week_now = app
        .get_json(&hunter, &format!("/api/v1/call-sheets/{}", week["id"]))
        .await;
    let line = week_now["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == on_week["id"])
        .unwrap()
        .clone();
    assert_eq!(line["outcome"], "reached", "done on every sheet: {line}");
    assert_eq!(app.count("activities").await, 1, "one call, one activity");

    let report = app
        .get_json(
            &hunter,
            "/api/v1/reports/call-sheet-completion?from=2030-01-07&to=2030-01-07",
        )
        .await;
    let row = &report["rows"][0];
    assert_eq!(row["user_id"], hunter_id);
    let calls = week["lines"].as_array().unwrap().len() as i64;
    assert_eq!(row["lines"], calls, "each call once: {report}");
    assert_eq!(row["done"], 1);
}

#[tokio::test]
async fn a_sheet_for_a_day_or_week_already_over_is_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let (_, hunter) = hunter_with_work(&app).await;
    let today = app.db.today().await.unwrap();
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days)).unwrap();
    for (period, date) in [("day", ago(1)), ("week", ago(8))] {
        let (status, problem) = post(
            &app,
            &hunter,
            "/api/v1/call-sheets",
            json!({"period": period, "date": date.to_string()}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["invalid-params"][0]["name"], "date", "{problem}");
        assert!(
            problem["invalid-params"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("already over"),
            "{problem}"
        );
    }
    assert_eq!(app.count("call_sheets").await, 0);
    // Today's, and this week's even when its Monday is past, are made.
    for period in ["day", "week"] {
        let (status, sheet) = post(
            &app,
            &hunter,
            "/api/v1/call-sheets",
            json!({"period": period, "date": today.to_string()}),
        )
        .await;
        assert_eq!(status, 201, "{sheet}");
    }
}

#[tokio::test]
async fn a_sheet_made_after_a_call_was_done_on_another_shows_it_done_and_keeps_its_line_ids() {
    let app = TestApp::new().await;
    let (_, hunter) = hunter_with_work(&app).await;
    let sheet = |period: &str, date: &str| {
        let body = json!({"period": period, "date": date});
        let hunter = hunter.clone();
        let app = &app;
        async move { post(app, &hunter, "/api/v1/call-sheets", body).await.1 }
    };
    // The day's sheet first: its first call is done before the week's is made.
    let day = sheet("day", "2030-01-08").await;
    let first = &day["lines"][0];
    let done = format!(
        "/api/v1/call-sheets/{}/lines/{}/done",
        day["id"], first["id"]
    );
    let (status, _) = post(&app, &hunter, &done, json!({"outcome": "reached"})).await;
    assert_eq!(status, 200);
    let week = sheet("week", "2030-01-07").await;
    let on_week = week["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["work_item_id"] == first["work_item_id"])
        .expect("the call is on the week's sheet")
        .clone();
    assert_eq!(on_week["outcome"], "reached", "done already: {week}");
    let again = format!(
        "/api/v1/call-sheets/{}/lines/{}/done",
        week["id"], on_week["id"]
    );
    let (status, _) = post(&app, &hunter, &again, json!({"outcome": "again"})).await;
    assert_eq!(status, 409, "not logged twice");
    assert_eq!(app.count("activities").await, 1);

    // Made again (a manager refreshing it, say), the week's open lines keep
    // their ids, so a page showing them still marks them done.
    let open: Vec<Value> = week["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["done_at"].is_null())
        .cloned()
        .collect();
    assert!(!open.is_empty(), "{week}");
    let refreshed = sheet("week", "2030-01-07").await;
    let ids = |sheet: &Value| -> Vec<Value> {
        let mut ids: Vec<Value> = sheet["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].clone())
            .collect();
        ids.sort_by_key(|id| id.as_i64());
        ids
    };
    assert_eq!(ids(&refreshed), ids(&week));
    let open_done = format!(
        "/api/v1/call-sheets/{}/lines/{}/done",
        week["id"], open[0]["id"]
    );
    let (status, _) = post(&app, &hunter, &open_done, json!({"outcome": "voicemail"})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_calls_in_the_charter_a_call_is_logged_as_the_persons_own_work() {
    let app = TestApp::new().await;
    let (_, hunter) = hunter_with_work(&app).await;
    let (owner, _) = app.user("olga@acme.test", Role::Owner).await;
    let (_, sheet) = post(
        &app,
        &hunter,
        "/api/v1/call-sheets",
        json!({"period": "day", "date": "2030-01-08"}),
    )
    .await;
    let lines = sheet["lines"].as_array().unwrap();
    let about_lead = lines.iter().find(|l| l["lead_id"].is_i64()).unwrap();
    let other = lines.iter().find(|l| l["id"] != about_lead["id"]).unwrap();
    let done = |line: &Value| {
        format!(
            "/api/v1/call-sheets/{}/lines/{}/done",
            sheet["id"], line["id"]
        )
    };
    // A call logged while the charter still has calls.
    let (status, _) = post(
        &app,
        &hunter,
        &done(about_lead),
        json!({"outcome": "reached"}),
    )
    .await;
    assert_eq!(status, 200);
    let charter = app.db.current_charter().await.unwrap();
    let without_calls: Vec<_> = charter
        .activity_types
        .iter()
        .filter(|t| t.slug != "call")
        .cloned()
        .collect();
    app.db
        .replace_charter(owner, "Calls are meetings now", &without_calls, None)
        .await
        .unwrap();
    let (status, line) = post(&app, &hunter, &done(other), json!({"outcome": "reached"})).await;
    assert_eq!(status, 200, "{line}");
    let (logged,): (String,) = sqlx::query_as("SELECT type_slug FROM activities WHERE id = $1")
        .bind(line["activity_id"].as_i64().unwrap())
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    let logged_as = without_calls.iter().find(|t| t.slug == logged).unwrap();
    assert_eq!(
        logged_as.function,
        baton_core::domain::Function::Hunting,
        "a hunter's call is hunting: {logged}"
    );
    // The earlier call is still named as the charter that had it named it.
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (_, page, _) = manager
        .get(&format!("/leads/{}", about_lead["lead_id"]))
        .await;
    assert!(page.contains("<td>Calls</td>"), "{page}");
}
