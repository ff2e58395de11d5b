//! A campaign's page: its figures over its whole life and its leads, on the
//! hand-checked scenario of `baton_db::testing::scenario`.

use crate::helpers::{TestApp, strong_lead};
use crate::pages::Browser;
use baton_core::domain::Role;
use baton_db::campaigns::NewCampaign;
use baton_db::testing::scenario::accountability;
use serde_json::json;

/// The ids of a campaign's leads, oldest first.
async fn leads_of(app: &TestApp, campaign: i64) -> Vec<i64> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM leads WHERE campaign_id = $1 ORDER BY id")
            .bind(campaign)
            .fetch_all(app.db.reader())
            .await
            .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

async fn campaign(app: &TestApp, name: &str) -> i64 {
    app.db
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
        .unwrap()
        .id
}

#[tokio::test]
async fn a_manager_reads_what_a_campaigns_leads_became_won_and_cost() {
    let app = TestApp::new().await;
    let scenario = accountability(&app.db).await;
    let webinar = scenario.webinar;
    sqlx::query(
        "UPDATE campaigns SET cost_minor = 20000, starts_on = '2026-06-01', ends_on = '2026-09-30'
         WHERE id = $1",
    )
    .bind(webinar)
    .execute(app.db.writer())
    .await
    .unwrap();
    let manager = Browser::person(&app, "max@acme.test", Role::Manager).await;
    let (_, list, _) = manager.get("/campaigns").await;
    assert!(
        list.contains(&format!("<a href=\"/campaigns/{webinar}\">Webinar W</a>")),
        "{list}"
    );

    let (status, page, _) = manager.get(&format!("/campaigns/{webinar}")).await;
    assert_eq!(status, 200, "{page}");
    // Four leads: one won a 500.00 deal (and lost another) after reaching
    // SAL, one was disqualified after MQL, one is in nurture, one an MQL.
    for shown in [
        "<h1>Webinar W</h1>",
        "<dt>Channel</dt><dd>webinar</dd>",
        "<dt>Cost</dt><dd>200.00 USD</dd>",
        "<dt>Runs</dt><dd>2026-06-01 to 2026-09-30</dd>",
        "<dt>Leads</dt><dd>4</dd>",
        "<tr><td>mql</td><td>1</td></tr>",
        "<tr><td>sal</td><td>1</td></tr>",
        "<tr><td>nurture</td><td>1</td></tr>",
        "<tr><td>disqualified</td><td>1</td></tr>",
        "<dt>MQLs</dt><dd>3</dd>",
        "<dt>Accepted by sales</dt><dd>1 (33% of MQLs)</dd>",
        "<dt>Became customers</dt><dd>0</dd>",
        "<dt>Opportunities opened</dt><dd>2</dd>",
        "<dt>Revenue won</dt><dd>500.00 USD</dd>",
        "<dt>Cost per lead</dt><dd>50.00 USD</dd>",
        "<dt>Return on cost</dt><dd>1.500</dd>",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    let leads = leads_of(&app, webinar).await;
    assert_eq!(leads.len(), 4);
    for lead in leads {
        assert!(
            page.contains(&format!("href=\"/leads/{lead}\"")),
            "{lead}: {page}"
        );
    }
    assert!(!page.contains("rel=\"next\""), "one page holds them all");
}

#[tokio::test]
async fn a_campaigns_leads_come_in_pages_and_a_campaign_without_leads_says_so() {
    let app = TestApp::new().await;
    let fair = campaign(&app, "Trade fair").await;
    let quiet = campaign(&app, "Quiet mailing").await;
    for i in 0..26 {
        let mut lead = strong_lead(&format!("visitor{i}@fair{i}.test"));
        lead["campaign"] = json!("Trade fair");
        app.inquire(lead).await;
    }
    let leads = leads_of(&app, fair).await;
    assert_eq!(leads.len(), 26);
    let owner = Browser::person(&app, "olga@acme.test", Role::Owner).await;

    let (status, first, _) = owner.get(&format!("/campaigns/{fair}?per=25")).await;
    assert_eq!(status, 200);
    assert!(first.contains("<dt>Leads</dt><dd>26</dd>"), "{first}");
    assert!(first.contains("1–25 of 26"), "{first}");
    assert!(first.contains("Page 1 of 2"), "{first}");
    let next = format!("href=\"/campaigns/{fair}?per=25&#38;page=2\" rel=\"next\"");
    assert!(first.contains(&next), "{first}");
    let (status, second, _) = owner.get(&format!("/campaigns/{fair}?per=25&page=2")).await;
    assert_eq!(status, 200);
    assert!(second.contains("26–26 of 26"), "{second}");
    let on_first = |id: &i64| first.contains(&format!("href=\"/leads/{id}\""));
    let on_second = |id: &i64| second.contains(&format!("href=\"/leads/{id}\""));
    assert_eq!(leads.iter().filter(|id| on_first(id)).count(), 25);
    assert_eq!(leads.iter().filter(|id| on_second(id)).count(), 1);
    assert!(
        leads.iter().all(|id| on_first(id) != on_second(id)),
        "every lead on exactly one page"
    );
    let (_, past, _) = owner.get(&format!("/campaigns/{fair}?per=25&page=9")).await;
    assert!(past.contains("go to the first page"), "{past}");

    let (status, page, _) = owner.get(&format!("/campaigns/{quiet}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("This campaign has brought no leads yet."),
        "{page}"
    );
    assert!(page.contains("<dt>Leads</dt><dd>0</dd>"), "{page}");
    assert!(page.contains("<dt>Return on cost</dt><dd>—</dd>"), "{page}");

    let (status, _, _) = owner.get(&format!("/campaigns/{}", quiet + 100)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_hunter_sees_the_campaign_but_neither_its_money_nor_other_peoples_leads() {
    let app = TestApp::new().await;
    let scenario = accountability(&app.db).await;
    let hunter = Browser::person(&app, "hal@acme.test", Role::Hunter).await;
    let (status, page, _) = hunter
        .get(&format!("/campaigns/{}", scenario.webinar))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<dt>Leads</dt><dd>4</dd>"), "{page}");
    assert!(!page.contains("Revenue won"), "{page}");
    assert!(!page.contains("Return on cost"), "{page}");
    assert!(
        page.contains("None of its leads is yours or has work in your queues."),
        "{page}"
    );
    assert!(!page.contains("href=\"/leads/"), "{page}");

    let hal = app.db.user_by_email("hal@acme.test").await.unwrap().id;
    let leads = leads_of(&app, scenario.webinar).await;
    sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
        .bind(hal)
        .bind(leads[1])
        .execute(app.db.writer())
        .await
        .unwrap();
    let (_, page, _) = hunter
        .get(&format!("/campaigns/{}", scenario.webinar))
        .await;
    assert!(
        page.contains(&format!("href=\"/leads/{}\"", leads[1])),
        "{page}"
    );
    assert_eq!(page.matches("href=\"/leads/").count(), 1, "{page}");

    let stranger = Browser::new(&app);
    let campaign = format!("/campaigns/{}", scenario.webinar);
    let (status, _, location) = stranger.get(&campaign).await;
    assert_eq!(
        (status, location),
        (303, Some(crate::helpers::sign_in_for(&campaign)))
    );
}
