//! The list pages: accounts, contacts, opportunities (list and board),
//! campaigns, leads and My work, with their filters, search, sort, pages, CSV exports, empty
//! states and who may see what.

use crate::helpers::{TestApp, sign_in_for, strong_lead};
use crate::pages::Browser;
use baton_core::domain::{AccountStatus, Channel, InquiryStatus, OpportunityStage, Role, Tier};
use baton_core::money::Decimal;
use baton_db::accounts::NewAccount;
use baton_db::campaigns::NewCampaign;
use baton_db::contacts::NewContact;
use baton_db::opportunities::{NewOpportunity, OpportunityChange};
use serde_json::json;

async fn account(
    app: &TestApp,
    name: &str,
    domain: &str,
    tier: Tier,
    status: AccountStatus,
) -> i64 {
    app.db
        .create_account(
            None,
            &NewAccount {
                name: name.into(),
                domains: vec![domain.into()],
                tier: Some(tier),
                status: Some(status),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

/// Opens a deal of `amount` (major units) for `owner` at `stage`.
async fn deal(
    app: &TestApp,
    name: &str,
    owner: i64,
    account_id: Option<i64>,
    amount: &str,
    stage: OpportunityStage,
) -> i64 {
    let id = app
        .db
        .create_opportunity(
            None,
            &NewOpportunity {
                name: name.into(),
                account_id,
                contact_id: None,
                lead_id: None,
                owner_id: owner,
                product: None,
                amount: Decimal(amount.into()),
                currency: Some("USD".into()),
                stage: None,
                probability: None,
                forecast_category: None,
                expected_close: None,
            },
        )
        .await
        .unwrap()
        .id;
    if stage != OpportunityStage::Prospecting {
        let change = OpportunityChange {
            stage: Some(stage),
            close_reason: (stage == OpportunityStage::Lost).then(|| "budget".into()),
            ..Default::default()
        };
        app.db.update_opportunity(None, id, &change).await.unwrap();
    }
    id
}

/// Where each of `names` first appears on the page, asserting it does.
fn positions(page: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|name| page.find(name).unwrap_or_else(|| panic!("{name} missing")))
        .collect()
}

/// True when the page links to `address`, as its HTML escapes it.
fn links_to(page: &str, address: &str) -> bool {
    page.contains(&format!("href=\"{}\"", address.replace('&', "&#38;")))
}

fn in_order(page: &str, names: &[&str]) -> bool {
    positions(page, names).windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn the_account_list_filters_searches_sorts_pages_and_exports() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;

    let (_, page, _) = owner.get("/accounts").await;
    assert!(
        page.contains("There are no accounts yet"),
        "the empty list says where accounts come from"
    );

    account(
        &app,
        "Alphaco",
        "alphaco.test",
        Tier::A,
        AccountStatus::Customer,
    )
    .await;
    account(
        &app,
        "Bravoco",
        "bravoco.test",
        Tier::B,
        AccountStatus::Prospect,
    )
    .await;
    account(
        &app,
        "Delta, Inc.",
        "quirky-domain.test",
        Tier::A,
        AccountStatus::Prospect,
    )
    .await;
    for i in 0..27 {
        account(
            &app,
            &format!("Filler {i:02}"),
            &format!("filler{i}.test"),
            Tier::C,
            AccountStatus::Suspect,
        )
        .await;
    }

    let (status, page, _) = owner.get("/accounts?tier=a").await;
    assert_eq!(status, 200);
    assert!(page.contains("Alphaco") && page.contains("Delta, Inc."));
    assert!(!page.contains("Bravoco") && !page.contains("Filler"));
    assert!(page.contains("1–2 of 2"), "the total of the filtered list");

    let (_, page, _) = owner.get("/accounts?tier=a&status=customer").await;
    assert!(page.contains("Alphaco") && !page.contains("Delta, Inc."));

    let (_, page, _) = owner.get("/accounts?q=QUIRKY").await;
    assert!(
        page.contains("Delta, Inc.") && !page.contains("Alphaco"),
        "search finds a domain whatever its case"
    );
    let (_, page, _) = owner.get("/accounts?q=no-such-company").await;
    assert!(page.contains("Nothing matches these filters"));

    let (_, page, _) = owner.get("/accounts?tier=a&sort=name&dir=desc").await;
    assert!(in_order(&page, &["Delta, Inc.", "Alphaco"]));
    assert!(
        page.contains("aria-sort=\"descending\""),
        "the sorted column says so"
    );
    assert!(
        links_to(&page, "/accounts?tier=a&sort=name&dir=asc"),
        "its header turns the order round and keeps the filter: {page}"
    );
    let (_, page, _) = owner.get("/accounts?tier=a&sort=name").await;
    assert!(in_order(&page, &["Alphaco", "Delta, Inc."]));

    let (_, page, _) = owner.get("/accounts?per=25").await;
    assert!(page.contains("1–25 of 30") && page.contains("Page 1 of 2"));
    assert!(links_to(&page, "/accounts?per=25&page=2"));
    assert!(!page.contains("rel=\"prev\""));
    let (_, page, _) = owner.get("/accounts?per=25&page=2").await;
    assert!(page.contains("26–30 of 30") && page.contains("rel=\"prev\""));
    assert!(!page.contains("rel=\"next\""));
    let (_, page, _) = owner.get("/accounts?per=25&page=9").await;
    assert!(page.contains("past the end") && links_to(&page, "/accounts?per=25&page=1"));

    let response = owner.fetch("/accounts.csv?tier=a&sort=name").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"accounts.csv\""
    );
    let csv = response.text().await.unwrap();
    assert_eq!(
        csv,
        "Account,Domain,Tier,Status,Open work,Revenue won,Revenue won currency\r\n\
         Alphaco,alphaco.test,A,customer,0,0.00,USD\r\n\
         \"Delta, Inc.\",quirky-domain.test,A,prospect,0,0.00,USD\r\n"
    );
    let csv = owner
        .fetch("/accounts.csv?per=25")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 31, "the export holds every page");

    // A filter that does not read: the problem beside the filter, and no
    // rows, since they would not be those asked for.
    let (status, page, _) = owner.get("/accounts?tier=z&per=25").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"filter-tier-error\"")
            && page.contains("`z`")
            && !page.contains("of 30")
            && page.contains("No rows are shown while a filter above does not read"),
        "{page}"
    );
    // Nor do a sort, a direction, a page size or a page that do not read.
    for (address, problem) in [
        (
            "/accounts?sort=bogus",
            "sort: `bogus` is not one of: name, ",
        ),
        (
            "/accounts?dir=sideways",
            "dir: `sideways` is neither asc nor desc",
        ),
        ("/accounts?page=-1", "page: `-1` is not a page number"),
        ("/accounts?page=abc", "page: `abc` is not a page number"),
    ] {
        let (status, page, _) = owner.get(address).await;
        assert_eq!(status, 422, "{address}");
        assert!(
            page.contains(problem)
                && !page.contains("of 30")
                && page.contains("the address does not read"),
            "{address}: {page}"
        );
        // An export has no pages, but it is sorted.
        let export = address.replacen("/accounts", "/accounts.csv", 1);
        let refused = if address.contains("page=") { 200 } else { 422 };
        assert_eq!(owner.fetch(&export).await.status(), refused, "{export}");
    }
    let (status, page, _) = owner.get("/accounts?tier=a&tier=b").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"filter-tier-error\"")
            && page.contains("is given more than once, with different values")
            && !page.contains("of 30"),
        "{page}"
    );
    let (status, page, _) = owner.get("/accounts?per=1000000").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"per-error\"") && page.contains("`1000000` is not one of: 50, 25, 100"),
        "{page}"
    );
    let export = owner.fetch("/accounts.csv?tier=z").await;
    assert_eq!(
        export.status(),
        422,
        "an export of other rows than asked is refused"
    );
}

#[tokio::test]
async fn an_account_page_shows_its_contacts_leads_work_and_revenue_to_whom_may_see_them() {
    let app = TestApp::new().await;
    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let mia = app.db.user_by_email("mia@acme.test").await.unwrap().id;
    let initech = account(
        &app,
        "Initech",
        "initech.test",
        Tier::A,
        AccountStatus::Prospect,
    )
    .await;
    app.inquire(strong_lead("dana@initech.test")).await;
    deal(
        &app,
        "Hal's seats",
        hal,
        Some(initech),
        "1000.00",
        OpportunityStage::Won,
    )
    .await;
    deal(
        &app,
        "Mia's seats",
        mia,
        Some(initech),
        "500.00",
        OpportunityStage::Won,
    )
    .await;

    let (status, page, _) = manager.get(&format!("/accounts/{initech}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("1500.00 USD"),
        "revenue won from every deal: {page}"
    );
    assert!(page.contains("Dana Reyes") && page.contains("Lead "));
    assert!(page.contains("Hal&#x27;s seats") || page.contains("Hal&#39;s seats"));
    let (_, list, _) = manager.get("/accounts").await;
    assert!(
        list.contains("<td>1</td>"),
        "the inquiry's work is open on the account: {list}"
    );

    let (status, page, _) = hunter.get(&format!("/accounts/{initech}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("1000.00 USD") && !page.contains("1500.00 USD"));
    assert!(
        !page.contains("Mia&#"),
        "another person's deal stays hidden"
    );
    assert!(page.contains("your own won deals"));
    let csv = hunter.fetch("/accounts.csv").await.text().await.unwrap();
    assert!(
        csv.contains("Initech,initech.test,A,customer,0,1000.00,USD"),
        "{csv}"
    );

    let (status, _, _) = hunter.get("/accounts/999999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_hunter_sees_only_their_own_deals_in_the_list_board_and_export() {
    let app = TestApp::new().await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let manager = Browser::person(&app, "mia@acme.test", Role::Manager).await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let (hana, _) = app.user("hana@acme.test", Role::Hunter).await;
    let acme = account(
        &app,
        "Acmeco",
        "acmeco.test",
        Tier::A,
        AccountStatus::Prospect,
    )
    .await;
    deal(
        &app,
        "Hal small",
        hal,
        Some(acme),
        "100.00",
        OpportunityStage::Prospecting,
    )
    .await;
    deal(
        &app,
        "Hal large",
        hal,
        None,
        "900.00",
        OpportunityStage::Prospecting,
    )
    .await;
    deal(
        &app,
        "Hal proposal",
        hal,
        None,
        "50.00",
        OpportunityStage::Proposal,
    )
    .await;
    deal(
        &app,
        "Hana secret",
        hana,
        None,
        "7000.00",
        OpportunityStage::Prospecting,
    )
    .await;

    let (status, page, _) = hunter.get("/opportunities").await;
    assert_eq!(status, 200);
    assert!(page.contains("Hal small") && page.contains("Hal proposal"));
    assert!(!page.contains("Hana secret"));
    assert!(!page.contains("name=\"owner\""), "no owner to pick");
    let (status, page, _) = hunter.get(&format!("/opportunities?owner={hana}")).await;
    assert_eq!(status, 403, "{page}");
    let (status, _, _) = hunter
        .get(&format!("/opportunities.csv?owner={hana}"))
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = hunter
        .get(&format!("/opportunities/board?owner={hana}"))
        .await;
    assert_eq!(status, 403);
    let csv = hunter
        .fetch("/opportunities.csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(!csv.contains("Hana"));
    assert!(
        csv.starts_with(
            "Opportunity,Account,Owner,Stage,Amount,Amount currency,Probability,Forecast,Expected close\r\n"
        ),
        "amounts are numbers with their currency beside: {csv}"
    );
    // A deal's probability is a share: a fraction, as every exported share.
    let first = csv.lines().nth(1).unwrap();
    let probability = first.split(',').nth(6).unwrap();
    assert!(
        probability
            .parse::<f64>()
            .is_ok_and(|p| (0.0..=1.0).contains(&p)),
        "{csv}"
    );

    let (_, page, _) = hunter
        .get("/opportunities?stage=prospecting&sort=amount&dir=desc")
        .await;
    assert!(in_order(&page, &["Hal large", "Hal small"]));
    assert!(!page.contains("Hal proposal"));
    let (_, page, _) = hunter.get("/opportunities?q=acmeco").await;
    assert!(
        page.contains("Hal small") && !page.contains("Hal large"),
        "search reads the account"
    );
    let (_, page, _) = hunter.get("/opportunities?forecast=commit").await;
    assert!(page.contains("Nothing matches these filters"));
    let (_, page, _) = hunter.get("/opportunities?forecast=pipeline").await;
    assert!(page.contains("Hal small"), "new deals are pipeline");

    let (_, board, _) = hunter.get("/opportunities/board").await;
    assert!(board.contains("2 deals</strong> · 1000.00 USD"), "{board}");
    assert!(board.contains("1 deal</strong> · 50.00 USD"));
    assert!(!board.contains("Hana secret") && !board.contains("7900.00"));

    let (_, board, _) = manager.get("/opportunities/board").await;
    assert!(board.contains("3 deals</strong> · 8000.00 USD"), "{board}");
    // The board shows every stage: a stage chosen on the list stays behind.
    let (_, list, _) = manager.get("/opportunities?stage=prospecting").await;
    assert!(links_to(&list, "/opportunities/board"), "{list}");
    let (_, board, _) = manager.get("/opportunities/board?stage=won").await;
    assert!(board.contains("3 deals</strong>"), "{board}");
    let (_, page, _) = manager.get(&format!("/opportunities?owner={hana}")).await;
    assert!(page.contains("Hana secret") && !page.contains("Hal small"));
    let (status, page, _) = manager.get("/opportunities?stage=sideways").await;
    assert_eq!(status, 422, "{page}");
}

#[tokio::test]
async fn contacts_filter_by_account_and_decision_maker_and_open_their_pages() {
    let app = TestApp::new().await;
    let marketer = Browser::person(&app, "max@acme.test", Role::Marketer).await;
    let (_, page, _) = marketer.get("/contacts").await;
    assert!(page.contains("There are no contacts yet"));

    let globex = account(
        &app,
        "Globex",
        "globex.test",
        Tier::B,
        AccountStatus::Prospect,
    )
    .await;
    let mut ids = Vec::new();
    for (name, email, boss, at) in [
        ("Ada Boss", "ada@globex.test", true, Some(globex)),
        ("Ben Worker", "ben@globex.test", false, Some(globex)),
        ("Cy Loner", "cy@elsewhere.test", true, None),
        ("Émile Ärger", "emile@elsewhere.test", false, None),
    ] {
        let contact = app
            .db
            .create_contact(
                None,
                &NewContact {
                    name: Some(name.into()),
                    email: Some(email.into()),
                    account_id: at,
                    decision_maker: boss,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.push(contact.id);
    }

    let (_, page, _) = marketer.get(&format!("/contacts?account={globex}")).await;
    assert!(page.contains("Ada Boss") && page.contains("Ben Worker") && !page.contains("Cy Loner"));
    let (_, page, _) = marketer
        .get("/contacts?decision_maker=yes&sort=name&dir=desc")
        .await;
    assert!(in_order(&page, &["Cy Loner", "Ada Boss"]) && !page.contains("Ben Worker"));
    let (_, page, _) = marketer.get("/contacts?q=GLOBEX").await;
    assert!(page.contains("1–2 of 2"), "search reads the company");
    let (_, page, _) = marketer.get("/contacts?q=ben@").await;
    assert!(page.contains("Ben Worker") && !page.contains("Ada Boss"));
    // Letters beyond ASCII, as spelled, in capitals and in lower case.
    for query in ["%C3%89mile", "%C3%84RGER", "%C3%A9mile", "%C3%A4rger"] {
        let (_, page, _) = marketer.get(&format!("/contacts?q={query}")).await;
        assert!(
            page.contains("1–1 of 1") && page.contains("mile"),
            "{query}: {page}"
        );
    }
    let (status, page, _) = marketer.get("/contacts?account=abc").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"filter-account-error\"") && page.contains("`abc` is not an id"),
        "{page}"
    );
    let (status, page, _) = marketer.get("/contacts?q=%00").await;
    assert_eq!(
        status, 422,
        "no person types NUL: it is refused, as anywhere"
    );
    assert!(
        page.contains("`q` must not contain the NUL character"),
        "{page}"
    );
    let (_, page, _) = marketer.get("/contacts?q=%07").await;
    assert!(
        page.contains("1–4 of 4"),
        "another control character searches for nothing"
    );
    let csv = marketer
        .fetch(&format!("/contacts.csv?account={globex}&sort=email"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv,
        "Name,E-mail,Phone,Title,Account,Decision maker\r\n\
         Ada Boss,ada@globex.test,,,Globex,yes\r\n\
         Ben Worker,ben@globex.test,,,Globex,no\r\n"
    );

    let (status, page, _) = marketer.get(&format!("/contacts/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("href=\"/accounts/{globex}\"")) && page.contains("ada@globex.test")
    );
    let (_, page, _) = marketer.get(&format!("/accounts/{globex}")).await;
    assert!(page.contains(&format!("href=\"/contacts/{}\"", ids[1])));
    let (status, _, _) = marketer.get("/contacts?decision_maker=maybe").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn campaigns_filter_by_channel_count_their_leads_and_export() {
    let app = TestApp::new().await;
    let marketer = Browser::person(&app, "max@acme.test", Role::Marketer).await;
    let (_, page, _) = marketer.get("/campaigns").await;
    assert!(page.contains("There are no campaigns yet"));
    for (name, channel, cost, starts) in [
        ("Spring webinar", "webinar", "1200.50", "2026-03-01"),
        ("Trade fair", "event", "9000.00", "2026-05-10"),
        ("Autumn webinar", "webinar", "300.00", "2026-09-01"),
    ] {
        app.db
            .create_campaign(
                None,
                &NewCampaign {
                    name: name.into(),
                    channel: channel.into(),
                    cost: Some(Decimal(cost.into())),
                    currency: Some("USD".into()),
                    starts_on: Some(starts.into()),
                    ends_on: None,
                },
            )
            .await
            .unwrap();
    }
    let mut lead = strong_lead("dana@initech.test");
    lead["campaign"] = json!("Trade fair");
    app.inquire(lead).await;

    let (_, page, _) = marketer.get("/campaigns?channel=webinar").await;
    assert!(page.contains("Spring webinar") && page.contains("Autumn webinar"));
    assert!(page.contains("Download the 2 rows as CSV"), "{page}");
    let (_, events, _) = marketer.get("/campaigns?channel=event").await;
    assert!(events.contains("Download the 1 row as CSV"), "{events}");
    assert!(!page.contains("Trade fair</a>"));
    let (_, page, _) = marketer.get("/campaigns").await;
    assert!(
        in_order(&page, &["Autumn webinar", "Trade fair", "Spring webinar"]),
        "the latest first by default"
    );
    let (_, page, _) = marketer.get("/campaigns?sort=cost&dir=desc").await;
    assert!(in_order(
        &page,
        &["Trade fair</a>", "Spring webinar", "Autumn webinar"]
    ));
    let csv = marketer
        .fetch("/campaigns.csv?sort=leads&dir=desc&q=fair")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv,
        "Campaign,Channel,Cost,Cost currency,Starts,Ends,Leads\r\nTrade fair,event,9000.00,USD,2026-05-10,,1\r\n"
    );
}

#[tokio::test]
async fn a_campaign_no_one_made_yet_is_named_and_claims_its_leads_once_made() {
    let app = TestApp::new().await;
    let mut marketer = Browser::person(&app, "max@acme.test", Role::Marketer).await;
    for (email, named) in [
        ("dana@initech.test", "Sprng webinar"),
        ("lou@hooli.test", "sprng WEBINAR"),
        ("eli@globex.test", "Sprng webinar"),
    ] {
        let mut lead = strong_lead(email);
        lead["campaign"] = json!(named);
        app.inquire(lead).await;
    }
    let (_, page, _) = marketer.get("/campaigns").await;
    assert!(
        page.contains(
            "Inquiries named campaigns that do not exist: \u{201c}Sprng webinar\u{201d} (3 leads)"
        ),
        "{page}"
    );
    let (_, marketer_token) = app.user("mia@acme.test", Role::Marketer).await;
    let unknown = app
        .get_json(&marketer_token, "/api/v1/campaigns/unknown")
        .await;
    assert_eq!(
        unknown,
        json!({"names": [{"name": "Sprng webinar", "leads": 3}]})
    );
    let (_, hunter_token) = app.user("hal@acme.test", Role::Hunter).await;
    assert_eq!(
        app.get(&hunter_token, "/api/v1/campaigns/unknown")
            .await
            .status(),
        403
    );
    let unattributed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE campaign_id IS NULL")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(unattributed, 3);

    // The marketer adds it on the page; a refused one keeps what was typed.
    let csrf = Browser::csrf(&page);
    let (status, refused, _) = marketer
        .post(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", "SPRNG Webinar"),
                ("channel", "Web Inar"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("id=\"channel-error\"") && refused.contains("value=\"SPRNG Webinar\""),
        "{refused}"
    );
    let (status, _, location) = marketer
        .post(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", "SPRNG Webinar"),
                ("channel", "webinar"),
                ("cost", "1500.00"),
                ("starts_on", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let made = app
        .db
        .campaign(
            location
                .unwrap()
                .trim_start_matches("/campaigns/")
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (made.cost_minor, made.channel.as_str()),
        (150_000, "webinar")
    );
    // Its page changes it; a refused change keeps what was typed.
    let page_path = format!("/campaigns/{}", made.id);
    let (_, page, _) = marketer.get(&page_path).await;
    assert!(
        page.contains("Change the campaign") && page.contains("value=\"1500.00\""),
        "{page}"
    );
    let change = |cost: &'static str| {
        [
            ("csrf", csrf.as_str()),
            ("name", "Spring webinar"),
            ("channel", "webinar"),
            ("cost", cost),
            ("currency", "USD"),
            ("starts_on", "2026-03-01"),
            ("ends_on", ""),
        ]
    };
    let (status, page, _) = marketer.post(&page_path, &change("lots")).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"cost-error\"") && page.contains("value=\"lots\""),
        "{page}"
    );
    let (status, _, _) = marketer.post(&page_path, &change("2000")).await;
    assert_eq!(status, 303);
    let changed = app.db.campaign(made.id).await.unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.cost_minor),
        ("Spring webinar", 200_000)
    );
    let attributed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leads WHERE campaign_id = $1")
        .bind(made.id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(attributed, 3, "the leads that named it count for it");
    let (_, page, _) = marketer.get("/campaigns").await;
    assert!(!page.contains("do not exist"), "{page}");

    let mut other = strong_lead("pat@initech.test");
    other["campaign"] = json!("Winter fair");
    app.inquire(other).await;
    let mut hunter = Browser::person(&app, "hugo@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/campaigns").await;
    assert!(!page.contains("New campaign"), "{page}");
    assert!(
        !page.contains("Winter fair"),
        "names no campaign has are for those who add campaigns: {page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, _) = hunter
        .post(
            "/campaigns",
            &[("csrf", &csrf), ("name", "Mine"), ("channel", "ads")],
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_lists_need_a_session_and_the_menu_links_them_by_role() {
    let app = TestApp::new().await;
    let stranger = Browser::new(&app);
    for path in [
        "/accounts",
        "/accounts.csv",
        "/accounts/1",
        "/contacts",
        "/contacts.csv",
        "/contacts/1",
        "/opportunities",
        "/opportunities.csv",
        "/opportunities/board",
        "/campaigns",
        "/campaigns.csv",
    ] {
        let (status, _, location) = stranger.get(path).await;
        assert_eq!((status, location), (303, Some(sign_in_for(path))), "{path}");
    }

    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = hunter.get("/accounts").await;
    assert!(page.contains("href=\"/opportunities\">Opportunities"));
    assert!(!page.contains("href=\"/campaigns\""));
    let marketer = Browser::person(&app, "max@acme.test", Role::Marketer).await;
    let (_, page, _) = marketer.get("/accounts").await;
    assert!(page.contains("href=\"/campaigns\">Campaigns"));
    assert!(!page.contains("href=\"/opportunities\""));
    let (_, page, _) = marketer.get("/opportunities").await;
    assert!(
        page.contains("You hold no deals yet.") && !page.contains("No deals yet"),
        "a marketer owns no deals, and is not told there are none: {page}"
    );
    let (_, board, _) = marketer.get("/opportunities/board").await;
    assert!(board.contains("You hold no deals yet."), "{board}");
}

#[tokio::test]
async fn the_lead_list_filters_sorts_and_exports_and_shows_people_only_their_leads() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    app.join("hunters", "hal@acme.test").await;
    let (_, page, _) = owner.get("/leads").await;
    assert!(page.contains("No leads yet"), "{page}");
    let (_, page, _) = hunter.get("/leads").await;
    assert!(
        page.contains("No lead is yours or has work in your queues yet."),
        "{page}"
    );

    let mut strong = strong_lead("dana@initech.test");
    strong["source"] = json!("webinar");
    let dana = app.inquire(strong).await;
    assert_eq!(dana["queue"], "hunters");
    let sam = app
        .inquire(json!({"email": "sam@gmail.com", "message": "Hello, what do you sell?", "source": "ads"}))
        .await;
    assert_eq!(sam["queue"], "nurture");
    let dana_link = format!("/leads/{}", dana["lead_id"]);
    let sam_link = format!("/leads/{}", sam["lead_id"]);

    let (status, page, _) = owner.get("/leads").await;
    assert_eq!(status, 200);
    assert!(
        links_to(&page, &dana_link) && links_to(&page, &sam_link),
        "{page}"
    );
    assert!(page.contains("href=\"/leads\">Leads"), "in the menu");
    let (_, page, _) = owner.get("/leads?grade=a").await;
    assert!(links_to(&page, &dana_link) && !links_to(&page, &sam_link));
    let (_, page, _) = owner.get("/leads?source=ads").await;
    assert!(!links_to(&page, &dana_link) && links_to(&page, &sam_link));
    let (_, page, _) = owner.get("/leads?q=REYES").await;
    assert!(links_to(&page, &dana_link) && !links_to(&page, &sam_link));
    let (_, page, _) = owner.get("/leads?sort=score&dir=desc").await;
    assert!(in_order(&page, &["Dana Reyes", "sam@gmail.com"]));
    let (_, page, _) = owner.get("/leads?sort=score&dir=asc").await;
    assert!(in_order(&page, &["sam@gmail.com", "Dana Reyes"]));
    let (_, page, _) = owner.get("/leads").await;
    assert!(
        in_order(&page, &["sam@gmail.com", "Dana Reyes"]),
        "the newest lead first"
    );
    let (status, page, _) = owner.get("/leads?stage=closed").await;
    assert_eq!(status, 422, "{page}");

    let csv = owner
        .fetch("/leads.csv?source=webinar")
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("Lead,Account,Stage,Score,Grade,Intent,Source,Owner,Arrived")
    );
    let dana_line = lines.next().unwrap();
    assert!(
        dana_line.starts_with("Dana Reyes,") && dana_line.contains(",webinar,"),
        "{dana_line}"
    );
    // The score is a number a spreadsheet reads, its grade beside it.
    let cells: Vec<&str> = dana_line.split(',').collect();
    assert!(cells[3].parse::<u8>().is_ok(), "{dana_line}");
    assert!(["A", "B", "C", "D"].contains(&cells[4]), "{dana_line}");
    assert_eq!(lines.next(), None);

    // A hunter sees the lead in their queue, not marketing's, and picks no owner.
    let (_, page, _) = hunter.get("/leads").await;
    assert!(
        links_to(&page, &dana_link) && !links_to(&page, &sam_link),
        "{page}"
    );
    assert!(!page.contains("name=\"owner\""));
    let stranger = Browser::new(&app);
    let (status, _, location) = stranger.get("/leads.csv").await;
    assert_eq!((status, location), (303, Some(sign_in_for("/leads.csv"))));
}

#[tokio::test]
async fn work_without_a_lead_shows_and_filters_by_its_inquirys_intent_and_score() {
    let app = TestApp::new().await;
    let service = Browser::person(&app, "sue@acme.test", Role::Service).await;
    app.join("service", "sue@acme.test").await;
    let receipt = app
        .inquire(json!({
            "email": "ops@initech.test",
            "message": "Our login is broken and we get an error on every page, please help"
        }))
        .await;
    assert_eq!(receipt["queue"], "service", "{receipt}");
    assert!(receipt["lead_id"].is_null(), "{receipt}");
    let link = format!("/inquiries/{}", receipt["id"]);
    let (_, page, _) = service.get("/work?intent=support").await;
    assert!(links_to(&page, &link), "{page}");
    assert!(page.contains("<td>support</td>"), "{page}");
    let (_, page, _) = service.get("/work?intent=billing").await;
    assert!(!links_to(&page, &link));
    let csv = service.fetch("/work.csv").await.text().await.unwrap();
    let line = csv.lines().nth(1).unwrap();
    let score = receipt["score"].as_i64().unwrap().to_string();
    assert!(
        line.contains(",support,") && line.contains(&format!(",{score},")),
        "{csv}"
    );
}

#[tokio::test]
async fn my_work_filters_searches_sorts_pages_and_exports_only_the_viewers_items() {
    let app = TestApp::new().await;
    let mut hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let marketer = Browser::person(&app, "mia@acme.test", Role::Marketer).await;
    app.join("hunters", "hal@acme.test").await;
    app.join("nurture", "mia@acme.test").await;
    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let (_, page, _) = hunter.get("/work").await;
    assert!(page.contains("Nothing is waiting for you"), "{page}");

    // The company is the account the sender's domain matches.
    account(
        &app,
        "Globex",
        "globex.test",
        Tier::B,
        AccountStatus::Prospect,
    )
    .await;
    let dana = app.inquire(strong_lead("dana@initech.test")).await;
    let rfp = app
        .inquire(
            json!({"name": "Omar Lee", "email": "omar@globex.test", "company": "Globex",
                        "message": "Attached is our RFP; the submission deadline is Friday"}),
        )
        .await;
    let sam = app
        .inquire(json!({"email": "sam@gmail.com", "message": "Hello, what do you sell?"}))
        .await;
    let kim = app
        .inquire(json!({"email": "kim@gmail.com", "message": "Hello, do you ship to Norway?"}))
        .await;
    assert_eq!(
        (&dana["queue"], &rfp["queue"], &sam["queue"], &kim["queue"]),
        (
            &json!("hunters"),
            &json!("hunters"),
            &json!("nurture"),
            &json!("nurture")
        )
    );
    let item = |receipt: &serde_json::Value| receipt["work_item_id"].as_i64().unwrap();
    // Sam's item is handed to the hunter by the owner; Kim's stays marketing's.
    let owner = app.db.user_by_email("owner@acme.test").await.unwrap().id;
    app.db
        .reassign_work_item(owner, item(&sam), hal, "covering")
        .await
        .unwrap();
    app.db.accept_work_item(hal, item(&rfp)).await.unwrap();
    sqlx::query("UPDATE work_items SET first_touch_due_at = 1000 WHERE id = $1")
        .bind(item(&dana))
        .execute(app.db.reader())
        .await
        .unwrap();
    let dana_link = format!("/leads/{}", dana["lead_id"]);
    let rfp_link = format!("/leads/{}", rfp["lead_id"]);
    let sam_link = format!("/leads/{}", sam["lead_id"]);
    let kim_link = format!("/leads/{}", kim["lead_id"]);

    let (status, page, _) = hunter.get("/work").await;
    assert_eq!(status, 200);
    assert!(
        links_to(&page, &dana_link) && links_to(&page, &rfp_link) && links_to(&page, &sam_link),
        "{page}"
    );
    assert!(!links_to(&page, &kim_link), "another's work is not listed");
    assert!(
        in_order(&page, &["Dana Reyes", "Omar Lee", "sam@gmail.com"]),
        "the most overdue first"
    );
    assert!(page.contains("class=\"overdue\">overdue by"), "{page}");
    assert!(page.contains("action=\"/work/") && page.contains("/accept\""));

    let nurture = app.db.queue("nurture").await.unwrap().id;
    let (_, page, _) = hunter.get(&format!("/work?queue={nurture}")).await;
    assert!(links_to(&page, &sam_link) && !links_to(&page, &dana_link));
    let (_, page, _) = hunter.get("/work?overdue=yes").await;
    assert!(links_to(&page, &dana_link) && !links_to(&page, &sam_link));
    let (_, page, _) = hunter.get("/work?overdue=no").await;
    assert!(!links_to(&page, &dana_link) && links_to(&page, &sam_link));
    // Work touched in time but open past its resolution is overdue too.
    sqlx::query("UPDATE work_items SET resolution_due_at = 2000 WHERE id = $1")
        .bind(item(&rfp))
        .execute(app.db.reader())
        .await
        .unwrap();
    let (_, page, _) = hunter.get("/work?overdue=yes").await;
    assert!(links_to(&page, &rfp_link) && links_to(&page, &dana_link));
    let (_, page, _) = hunter.get("/work?overdue=no").await;
    assert!(!links_to(&page, &rfp_link) && links_to(&page, &sam_link));
    let (_, page, _) = hunter.get("/work?intent=rfp").await;
    assert!(links_to(&page, &rfp_link) && !links_to(&page, &dana_link));
    let (_, page, _) = hunter.get("/work?status=accepted").await;
    assert!(links_to(&page, &rfp_link) && !links_to(&page, &sam_link));
    let (_, page, _) = hunter.get("/work?q=GLOBEX").await;
    assert!(links_to(&page, &rfp_link) && !links_to(&page, &dana_link));
    let (_, page, _) = hunter.get("/work?q=sam%40gmail").await;
    assert!(links_to(&page, &sam_link) && !links_to(&page, &rfp_link));
    let (_, page, _) = hunter.get("/work?q=kim").await;
    assert!(
        page.contains("Nothing matches these filters"),
        "another's work is not found either: {page}"
    );
    let (_, page, _) = hunter.get("/work?sort=received&dir=desc").await;
    assert!(in_order(
        &page,
        &["sam@gmail.com", "Omar Lee", "Dana Reyes"]
    ));
    let (_, page, _) = hunter.get("/work?sort=score&dir=desc").await;
    assert!(in_order(&page, &["Dana Reyes", "sam@gmail.com"]));
    let (_, page, _) = hunter.get("/work?sort=score").await;
    assert!(in_order(&page, &["sam@gmail.com", "Dana Reyes"]));
    let (status, _, _) = hunter.get("/work?status=sideways").await;
    assert_eq!(status, 422);

    let csv = hunter
        .fetch("/work.csv?sort=received")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Lead,Inquiry,Contact,Company,Queue,Status,Intent,Score,Received,First touch due,SLA"
    );
    assert_eq!(lines.len(), 4, "the hunter's three items: {csv}");
    assert!(
        lines[1].starts_with(&format!(
            "Lead {},Inquiry {},Dana Reyes,,hunters,assigned,new_business,90,",
            dana["lead_id"], dana["id"]
        )),
        "{csv}"
    );
    assert!(
        lines[1].contains(",1970-01-01 00:00 UTC,overdue by "),
        "{csv}"
    );
    assert!(
        !csv.contains("kim@gmail.com"),
        "another's work is not exported"
    );
    let csv = hunter
        .fetch("/work.csv?intent=rfp")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.contains(",Omar Lee,Globex,hunters,accepted,rfp,"),
        "{csv}"
    );

    let (_, page, _) = marketer.get("/work").await;
    assert!(
        links_to(&page, &kim_link) && !links_to(&page, &dana_link),
        "{page}"
    );
    let csv = marketer.fetch("/work.csv").await.text().await.unwrap();
    assert!(
        csv.contains("kim@gmail.com") && !csv.contains("Dana Reyes"),
        "{csv}"
    );

    // Accepting returns to the list it was done from.
    let (_, page, _) = hunter.get("/work?intent=new_business&sort=score").await;
    assert!(
        page.contains("name=\"back\" value=\"intent=new_business&#38;sort=score\""),
        "{page}"
    );
    let (status, _, location) = hunter
        .post(
            &format!("/work/{}/accept", item(&dana)),
            &[
                ("csrf", &Browser::csrf(&page)),
                ("back", "intent=new_business&sort=score"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/work?intent=new_business&sort=score"))
    );

    // Enough items for two pages of 25.
    for n in 0..23 {
        let mut lead = strong_lead(&format!("buyer{n}@company{n}.test"));
        lead["name"] = json!(format!("Buyer {n:02}"));
        app.inquire(lead).await;
    }
    let (_, page, _) = hunter.get("/work?per=25").await;
    assert!(
        page.contains("1–25 of 26") && page.contains("Page 1 of 2"),
        "{page}"
    );
    assert!(links_to(&page, "/work?per=25&page=2"), "{page}");
    let (_, page, _) = hunter.get("/work?per=25&page=2").await;
    assert!(page.contains("26–26 of 26") && links_to(&page, "/work?per=25&page=1"));
    let (_, page, _) = hunter.get("/work?per=25&page=9").await;
    assert!(page.contains("past the end"), "{page}");

    let stranger = Browser::new(&app);
    let (status, _, location) = stranger.get("/work.csv").await;
    assert_eq!((status, location), (303, Some(sign_in_for("/work.csv"))));
}

#[tokio::test]
async fn the_lead_list_filters_by_campaign_in_its_links_and_export() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let mut campaigns = Vec::new();
    for name in ["Trade fair", "Spring webinar"] {
        let campaign = app
            .db
            .create_campaign(
                None,
                &NewCampaign {
                    name: name.into(),
                    channel: "event".into(),
                    cost: None,
                    currency: None,
                    starts_on: None,
                    ends_on: None,
                },
            )
            .await
            .unwrap();
        campaigns.push(campaign.id);
    }
    let mut lead = strong_lead("dana@initech.test");
    lead["campaign"] = json!("Trade fair");
    let dana = app.inquire(lead).await;
    let mut lead = strong_lead("lou@hooli.test");
    lead["name"] = json!("Lou Park");
    lead["campaign"] = json!("Spring webinar");
    let lou = app.inquire(lead).await;
    let mut lead = strong_lead("zed@vandelay.test");
    lead["name"] = json!("Zed Nakamura");
    let zed = app.inquire(lead).await;
    let link = |receipt: &serde_json::Value| format!("/leads/{}", receipt["lead_id"]);

    let (_, page, _) = owner.get("/leads").await;
    assert!(
        page.contains(&format!(
            "<option value=\"{}\">Trade fair</option>",
            campaigns[0]
        )),
        "{page}"
    );
    let fair = campaigns[0];
    let (status, page, _) = owner
        .get(&format!("/leads?campaign={fair}&sort=score&dir=desc"))
        .await;
    assert_eq!(status, 200);
    assert!(
        links_to(&page, &link(&dana))
            && !links_to(&page, &link(&lou))
            && !links_to(&page, &link(&zed)),
        "{page}"
    );
    assert!(
        links_to(&page, &format!("/leads?campaign={fair}&sort=score&dir=asc")),
        "the sort links keep the campaign: {page}"
    );
    assert!(
        links_to(
            &page,
            &format!("/leads.csv?campaign={fair}&sort=score&dir=desc")
        ),
        "the export keeps the campaign: {page}"
    );
    let csv = owner
        .fetch(&format!("/leads.csv?campaign={}", campaigns[1]))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("Lou Park,"), "{csv}");
    let (status, _, _) = owner.get("/leads?campaign=fair").await;
    assert_eq!(status, 422);
}

/// Where the link to inquiry `id` first appears on the page.
fn inquiry_at(page: &str, id: i64) -> usize {
    page.find(&format!("href=\"/inquiries/{id}\""))
        .unwrap_or_else(|| panic!("inquiry {id} missing"))
}

#[tokio::test]
async fn the_moderation_queue_filters_searches_sorts_pages_and_exports_for_moderators_only() {
    let app = TestApp::new().await;
    let mut qualifier = Browser::person(&app, "quinn@acme.test", Role::Qualifier).await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (_, page, _) = qualifier.get("/moderation").await;
    assert!(
        page.contains("No inquiry is waiting for moderation. Inquiries the spam rules suspect"),
        "{page}"
    );

    let spam = |email: &str, message: &str| json!({"email": email, "message": message});
    let old = app
        .inquire(spam(
            "old@mailinator.com",
            "Old offer http://a.biz http://b.biz http://c.biz",
        ))
        .await;
    let old = old["id"].as_i64().unwrap();
    // It arrived on 15 January 2020.
    sqlx::query("UPDATE inquiries SET received_at = 1579089600000 WHERE id = $1")
        .bind(old)
        .execute(app.db.reader())
        .await
        .unwrap();
    let mut king = spam(
        "deals@mailinator.com",
        "Cheap SEO backlinks http://a.biz http://b.biz http://c.biz",
    );
    king["name"] = json!("Spam King");
    let king = app.inquire(king).await;
    assert_eq!(king["status"], "quarantined");
    let king = king["id"].as_i64().unwrap();
    // A bot fills the form's hidden field: held with a higher score.
    let response = app
        .client
        .post(app.url("/f/contact"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Pat+Form&email=pat%40example.test&message=A+great+offer&website=spam.biz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let held = app
        .db
        .inquiries(Some(InquiryStatus::Quarantined), 0, 10)
        .await
        .unwrap();
    let form = held.iter().find(|i| i.channel == Channel::Form).unwrap().id;

    let (status, page, _) = qualifier.get("/moderation").await;
    assert_eq!(status, 200);
    assert!(
        inquiry_at(&page, old) < inquiry_at(&page, king)
            && inquiry_at(&page, king) < inquiry_at(&page, form),
        "the oldest first"
    );
    assert!(
        page.contains("Spam King &#60;deals@mailinator.com&#62;")
            && page.contains("Cheap SEO backlinks")
            && page.contains("throw-away mailboxes"),
        "{page}"
    );
    let (_, page, _) = qualifier.get("/moderation?channel=form").await;
    assert!(links_to(&page, &format!("/inquiries/{form}")));
    assert!(!links_to(&page, &format!("/inquiries/{king}")));
    let (_, page, _) = qualifier.get("/moderation?received_to=2020-12-31").await;
    assert!(links_to(&page, &format!("/inquiries/{old}")));
    assert!(!links_to(&page, &format!("/inquiries/{king}")));
    let (_, page, _) = qualifier.get("/moderation?received_from=2021-01-01").await;
    assert!(!links_to(&page, &format!("/inquiries/{old}")));
    assert!(links_to(&page, &format!("/inquiries/{king}")));
    let (status, _, _) = qualifier
        .get("/moderation?received_from=2021-01-01&received_to=2020-01-01")
        .await;
    assert_eq!(status, 422);
    let (status, page, _) = qualifier.get("/moderation?received_from=yesterday").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("aria-describedby=\"filter-received_from-error\""),
        "the problem is named beside its field: {page}"
    );
    let (status, page, _) = qualifier.get("/moderation?channel=pigeon").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("aria-describedby=\"filter-channel-error\""),
        "the problem is named beside its field: {page}"
    );
    let (_, page, _) = qualifier.get("/moderation?q=BACKLINKS").await;
    assert!(links_to(&page, &format!("/inquiries/{king}")));
    assert!(!links_to(&page, &format!("/inquiries/{old}")));
    let (_, page, _) = qualifier.get("/moderation?q=pat%40example").await;
    assert!(links_to(&page, &format!("/inquiries/{form}")));
    assert!(!links_to(&page, &format!("/inquiries/{king}")));
    let (_, page, _) = qualifier.get("/moderation?q=nothing+like+this").await;
    assert!(page.contains("Nothing matches these filters"), "{page}");
    let (_, page, _) = qualifier.get("/moderation?sort=score&dir=desc").await;
    assert!(inquiry_at(&page, form) < inquiry_at(&page, king));
    let (_, page, _) = qualifier.get("/moderation?sort=received&dir=desc").await;
    assert!(inquiry_at(&page, form) < inquiry_at(&page, old));

    let csv = qualifier
        .fetch("/moderation.csv?channel=api")
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Inquiry,Channel,Sender,Message,Received,Spam score,Why it was held"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with(&format!("Inquiry {old},api,old@mailinator.com,Old offer"))
            && lines[1].contains(",2020-01-15 12:00 UTC,0.84,"),
        "{csv}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "Inquiry {king},api,Spam King <deals@mailinator.com>,Cheap SEO"
        )),
        "{csv}"
    );
    let refused = qualifier.fetch("/moderation.csv?channel=pigeon").await;
    assert_eq!(
        refused.status(),
        422,
        "an export with a filter that does not read is refused, not widened"
    );
    let (status, _, _) = hunter.get("/moderation.csv").await;
    assert_eq!(status, 403, "a hunter does not moderate");
    let (status, _, location) = Browser::new(&app).get("/moderation.csv").await;
    assert_eq!(
        (status, location),
        (303, Some(sign_in_for("/moderation.csv")))
    );

    // Inquiries held before their texts were kept get them when the
    // database is next migrated.
    sqlx::query("UPDATE inquiries SET held_sender = NULL, held_excerpt = NULL, held_search = NULL")
        .execute(app.db.reader())
        .await
        .unwrap();
    app.db.migrate().await.unwrap();
    let (_, page, _) = qualifier.get("/moderation?q=king").await;
    assert!(links_to(&page, &format!("/inquiries/{king}")), "{page}");

    // Enough for two pages of 25, each ticked on its own.
    for n in 0..23 {
        app.inquire(spam(
            &format!("bulk{n}@mailinator.com"),
            &format!("Offer {n} http://a.biz http://b.biz http://c.biz"),
        ))
        .await;
    }
    let (_, page, _) = qualifier.get("/moderation?per=25").await;
    assert!(
        page.contains("1–25 of 26") && page.contains("Page 1 of 2"),
        "{page}"
    );
    assert!(links_to(&page, "/moderation?per=25&select=all"), "{page}");
    let (_, page, _) = qualifier.get("/moderation?per=25&select=all").await;
    assert_eq!(page.matches(" checked>").count(), 25);
    assert!(
        links_to(&page, "/moderation?per=25&page=2") && page.matches("select=all").count() == 0,
        "the next page does not arrive ticked: {page}"
    );
    let (_, page, _) = qualifier.get("/moderation?per=25&page=2").await;
    assert!(page.contains("26–26 of 26") && page.contains("Tick all 1 on this page"));

    // Decisions return to the list they were taken from.
    let (_, page, _) = qualifier.get("/moderation?channel=form").await;
    assert!(
        page.contains("name=\"back\" value=\"channel=form\""),
        "{page}"
    );
    let csrf = Browser::csrf(&page);
    let (status, _, location) = qualifier
        .post(
            &format!("/moderation/{form}/release"),
            &[("csrf", &csrf), ("back", "channel=form")],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/moderation?channel=form&released=1&skipped=0"))
    );
    let (_, page, _) = qualifier.get("/moderation?channel=form").await;
    assert!(page.contains("Nothing matches these filters"), "{page}");
    let (status, _, location) = qualifier
        .post(
            "/moderation/decide",
            &[
                ("csrf", &csrf),
                ("decision", "confirm"),
                ("id", &old.to_string()),
                ("back", "per=25&sort=score"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (
            303,
            Some("/moderation?per=25&sort=score&confirmed=1&skipped=0")
        )
    );
    let (_, page, _) = qualifier.get(location.as_deref().unwrap()).await;
    assert!(
        page.contains("Confirmed 1 inquiry as spam.") && page.contains("1–24 of 24"),
        "{page}"
    );
    assert!(
        links_to(&page, "/moderation?per=25&sort=score&select=all"),
        "the tick link keeps the list, not the notice: {page}"
    );
    assert!(
        !page.contains("confirmed=1"),
        "sorting or paging does not repeat the notice: {page}"
    );
}

#[tokio::test]
async fn an_accounts_revenue_says_what_other_currencies_it_leaves_out() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap().id;
    let harrow = account(
        &app,
        "Harrow",
        "harrow.test",
        Tier::A,
        AccountStatus::Prospect,
    )
    .await;
    deal(
        &app,
        "Seats",
        olga,
        Some(harrow),
        "1000",
        OpportunityStage::Won,
    )
    .await;
    let euros = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Seats EU", "amount": "50000", "currency": "EUR",
                    "account_id": harrow, "owner_id": olga, "stage": "proposal"}),
        )
        .await;
    assert_eq!(euros.status(), 201);
    let euros: serde_json::Value = euros.json().await.unwrap();
    let won = app
        .patch(
            &app.owner,
            &format!("/api/v1/opportunities/{}", euros["id"]),
            &json!({"stage": "won"}),
        )
        .await;
    assert_eq!(won.status(), 200);

    let said = "1000.00 USD, and 1 deal won in another currency";
    let (_, list, _) = owner.get("/accounts").await;
    assert!(list.contains(said), "{list}");
    let (_, page, _) = owner.get(&format!("/accounts/{harrow}")).await;
    assert!(page.contains(said), "{page}");
}

#[tokio::test]
async fn an_accounts_page_links_all_its_leads_when_it_shows_only_some() {
    let app = TestApp::new().await;
    let initech = account(
        &app,
        "Initech",
        "initech.test",
        Tier::B,
        AccountStatus::Prospect,
    )
    .await;
    let other = account(
        &app,
        "Hooli",
        "hooli.test",
        Tier::C,
        AccountStatus::Customer,
    )
    .await;
    for n in 0..26 {
        app.inquire(strong_lead(&format!("p{n}@initech.test")))
            .await;
    }
    app.inquire(strong_lead("g@hooli.test")).await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let (_, page, _) = owner.get(&format!("/accounts/{initech}")).await;
    let all = format!("/leads?account={initech}");
    assert!(links_to(&page, &all), "{page}");
    let (_, list, _) = owner.get(&all).await;
    assert!(list.contains("1–26 of 26"), "{list}");
    assert!(
        list.contains("name=\"account\""),
        "the filter is shown: {list}"
    );
    let (_, page, _) = owner.get(&format!("/accounts/{other}")).await;
    assert!(
        !links_to(&page, &format!("/leads?account={other}")),
        "{page}"
    );
}

#[tokio::test]
async fn deals_sorted_by_amount_compare_within_a_currency_the_organisations_first() {
    let app = TestApp::new().await;
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;
    let olga = app.db.user_by_email("olga@acme.test").await.unwrap().id;
    for (name, amount) in [("Dollars large", "1000"), ("Dollars small", "500")] {
        deal(
            &app,
            name,
            olga,
            None,
            amount,
            OpportunityStage::Prospecting,
        )
        .await;
    }
    // ¥5,000,000 is more minor units than $1,000.00, and no more money.
    let yen = app
        .post(
            &app.owner,
            "/api/v1/opportunities",
            &json!({"name": "Yen deal", "amount": "5000000", "currency": "JPY", "owner_id": olga}),
        )
        .await;
    assert_eq!(yen.status(), 201);
    let (_, page, _) = owner.get("/opportunities?sort=amount&dir=desc").await;
    assert!(
        in_order(&page, &["Dollars large", "Dollars small", "Yen deal"]),
        "{page}"
    );
    let (_, board, _) = owner.get("/opportunities/board").await;
    assert!(
        in_order(&board, &["Dollars large", "Dollars small", "Yen deal"]),
        "{board}"
    );
}
