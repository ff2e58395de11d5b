//! A small company whose every report figure can be worked out by hand,
//! for the report tests of every crate. Times are chosen around the edges
//! of 2026-Q3 in the organisation's time zone, America/Chicago (UTC−5 in
//! summer): 2026-07-01T04:00Z is still 30 June there, 2026-10-01T04:00Z
//! still 30 September.
//!
//! - Hal and Hugo and Hana hunt in the East team, which Max manages; Mia
//!   markets in the Marketing team; Olive, the owner, has no team.
//! - Hal forecast 150.00 for Q2 and won 100.00; for Q3 his version before the
//!   cut-off (8 July) says commit 300.00 + best case 100.00 + pipeline
//!   500.00, a later one 1,000.00; he won 250.00 (the deal his commit
//!   names) + 50.00 (at Initech, the account his best case names) in Q3; a
//!   deal won on 1 October, one lost and one in euros do not count.
//! - Hana submitted only after the cut-off: first 200.00, then 900.00; she
//!   won 200.00.
//! - Olive won 100.00 in Q3 without a forecast.
//! - Mia forecast for Q3 the Webinar campaign (10 leads, 4 MQLs, 800.00)
//!   and the `website` channel (5 leads, 2 MQLs, 100.00). The webinar
//!   brought 3 leads in Q3 (a fourth arrived on 30 June), 2 of them MQLs,
//!   one of which won a 500.00 deal; the website 2 leads, 1 MQL; e-mail 1
//!   lead nobody forecast.
//! - Activities from 1 July to 30 September: Hal 4 cold calls and 2
//!   billing issues, Hana 3 calls, a meeting and an account visit about her
//!   own deal, Hugo 12 cold calls, Max a meeting, Mia 3 e-mail campaigns and
//!   a service issue; one more of Hal's falls on 30 June.

use crate::Db;
use crate::accounts::NewAccount;
use crate::campaigns::NewCampaign;
use crate::forecasts::{NewForecast, NewForecastLine};
use crate::settings::OrganisationChange;
use crate::users::{NewUser, UserChange};
use baton_core::domain::{ForecastCategory, ForecastKind, Function, Role};
use baton_core::money::Decimal;

/// The ids of the scenario's people, teams and campaign.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub owner: i64,
    pub hal: i64,
    pub hana: i64,
    pub hugo: i64,
    pub mia: i64,
    pub east: i64,
    pub marketing: i64,
    pub webinar: i64,
}

/// UTC milliseconds of an RFC 3339 time.
pub fn ms(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>()
        .expect("an RFC 3339 time")
        .as_millisecond()
}

async fn person(db: &Db, name: &str, role: Role) -> i64 {
    db.create_user(NewUser {
        email: &format!("{}@scenario.test", name.to_lowercase()),
        name,
        role,
        password: None,
    })
    .await
    .expect("a user")
    .id
}

/// A deal straight into the table, closed on `closed_on` when given.
async fn deal(
    db: &Db,
    owner: i64,
    (cents, currency): (i64, &str),
    stage: &str,
    closed_on: Option<&str>,
    created_at: &str,
    lead: Option<i64>,
) -> i64 {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO opportunities (name, owner_id, lead_id, amount_minor, currency, stage, probability,
             forecast_category, closed_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 100, 'commit', $7, $8, $8) RETURNING id",
    )
    .bind(format!("Deal of {cents}"))
    .bind(owner)
    .bind(lead)
    .bind(cents)
    .bind(currency)
    .bind(stage)
    .bind(closed_on)
    .bind(ms(created_at))
    .fetch_one(db.writer())
    .await
    .expect("a deal");
    id
}

/// A lead that arrived at `at` from a campaign or source, now in `stage`,
/// having passed through `history`.
async fn lead(
    db: &Db,
    at: &str,
    campaign: Option<i64>,
    source: &str,
    stage: &str,
    history: &[&str],
) -> i64 {
    let (inquiry,): (i64,) = sqlx::query_as(
        "INSERT INTO inquiries (received_at, channel, origin, raw, content_hash, status)
         VALUES ($1, 'api', 'scenario', $2, $3, 'processed') RETURNING id",
    )
    .bind(ms(at))
    .bind(at.as_bytes().to_vec())
    .bind(format!("{at}-{source}-{stage}"))
    .fetch_one(db.writer())
    .await
    .expect("an inquiry");
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO leads (inquiry_id, campaign_id, source, stage, intent, score, grade, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'new_business', 50, 'b', $5, $5) RETURNING id",
    )
    .bind(inquiry)
    .bind(campaign)
    .bind(source)
    .bind(stage)
    .bind(ms(at))
    .fetch_one(db.writer())
    .await
    .expect("a lead");
    for to in history {
        sqlx::query(
            "INSERT INTO lead_stage_history (lead_id, to_stage, reason, at) VALUES ($1, $2, 'scenario', $3)",
        )
        .bind(id)
        .bind(*to)
        .bind(ms(at))
        .execute(db.writer())
        .await
        .expect("a stage change");
    }
    id
}

/// `count` activities of `kind` by `user` at `at`, about `deal` if given.
async fn activities(db: &Db, user: i64, kind: &str, at: &str, count: usize, deal: Option<i64>) {
    for _ in 0..count {
        sqlx::query(
            "INSERT INTO activities (type_slug, user_id, opportunity_id, occurred_at, created_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(kind)
        .bind(user)
        .bind(deal)
        .bind(ms(at))
        .execute(db.writer())
        .await
        .expect("an activity");
    }
}

fn line(description: &str, amount: &str) -> NewForecastLine {
    NewForecastLine {
        description: description.to_string(),
        opportunity_id: None,
        account_id: None,
        campaign_id: None,
        channel: None,
        category: None,
        amount: Decimal(amount.to_string()),
        currency: None,
        leads: None,
        mqls: None,
    }
}

/// Submits a forecast version and moves its submission time to `at`.
async fn forecast(
    db: &Db,
    user: i64,
    kind: ForecastKind,
    quarter: &str,
    at: &str,
    lines: Vec<NewForecastLine>,
) {
    let submitted = db
        .submit_forecast(&NewForecast {
            user_id: user,
            submitted_by: user,
            kind,
            quarter: quarter.parse().expect("a quarter"),
            note: None,
            lines,
        })
        .await
        .expect("a forecast");
    sqlx::query("UPDATE forecasts SET submitted_at = $1 WHERE id = $2")
        .bind(ms(at))
        .bind(submitted.id)
        .execute(db.writer())
        .await
        .expect("a backdated forecast");
}

fn revenue_line(description: &str, amount: &str, category: ForecastCategory) -> NewForecastLine {
    NewForecastLine {
        category: Some(category),
        ..line(description, amount)
    }
}

/// Fills an empty database (defaults in place) with the scenario.
pub async fn accountability(db: &Db) -> Scenario {
    use ForecastCategory::{BestCase, Commit, Pipeline};
    let owner = person(db, "Olive", Role::Owner).await;
    db.change_organisation(
        owner,
        &OrganisationChange {
            time_zone: Some("America/Chicago".to_string()),
            currency: Some("USD".to_string()),
            ..OrganisationChange::default()
        },
    )
    .await
    .expect("settings");
    let east = db
        .create_team(None, "East", Function::Hunting)
        .await
        .expect("a team")
        .id;
    let marketing = db
        .create_team(None, "Marketing", Function::Marketing)
        .await
        .expect("a team")
        .id;
    let hal = person(db, "Hal", Role::Hunter).await;
    let hana = person(db, "Hana", Role::Hunter).await;
    let hugo = person(db, "Hugo", Role::Hunter).await;
    let max = person(db, "Max", Role::Manager).await;
    let mia = person(db, "Mia", Role::Marketer).await;
    for (user, team) in [
        (hal, east),
        (hana, east),
        (hugo, east),
        (max, east),
        (mia, marketing),
    ] {
        db.update_user(
            owner,
            user,
            &UserChange {
                team_id: Some(Some(team)),
                ..UserChange::default()
            },
        )
        .await
        .expect("a team member");
    }
    let account = db
        .create_account(
            None,
            &NewAccount {
                name: "Initech".to_string(),
                domains: vec![],
                status: None,
                tier: None,
                industry: None,
                employees: None,
                owner_id: Some(hal),
            },
        )
        .await
        .expect("an account")
        .id;
    let webinar = db
        .create_campaign(
            None,
            &NewCampaign {
                name: "Webinar W".to_string(),
                channel: "webinar".to_string(),
                cost: None,
                currency: None,
                starts_on: None,
                ends_on: None,
            },
        )
        .await
        .expect("a campaign")
        .id;

    // Revenue.
    let q2 = "2026-04-20T15:00:00Z";
    deal(
        db,
        hal,
        (10_000, "USD"),
        "won",
        Some("2026-05-10"),
        q2,
        None,
    )
    .await;
    let big = deal(
        db,
        hal,
        (25_000, "USD"),
        "won",
        Some("2026-08-15"),
        "2026-07-03T15:00:00Z",
        None,
    )
    .await;
    let initech_deal = deal(
        db,
        hal,
        (5_000, "USD"),
        "won",
        Some("2026-09-30"),
        "2026-03-01T15:00:00Z",
        None,
    )
    .await;
    sqlx::query("UPDATE opportunities SET account_id = $1 WHERE id = $2")
        .bind(account)
        .bind(initech_deal)
        .execute(db.writer())
        .await
        .expect("a deal at Initech");
    deal(
        db,
        hal,
        (99_900, "USD"),
        "won",
        Some("2026-10-01"),
        q2,
        None,
    )
    .await;
    deal(
        db,
        hal,
        (7_700, "USD"),
        "lost",
        Some("2026-08-01"),
        q2,
        None,
    )
    .await;
    deal(
        db,
        hal,
        (50_000, "EUR"),
        "won",
        Some("2026-08-01"),
        q2,
        None,
    )
    .await;
    let hanas = deal(
        db,
        hana,
        (20_000, "USD"),
        "won",
        Some("2026-07-20"),
        "2026-07-05T15:00:00Z",
        None,
    )
    .await;
    deal(
        db,
        owner,
        (10_000, "USD"),
        "won",
        Some("2026-09-01"),
        q2,
        None,
    )
    .await;

    forecast(
        db,
        hal,
        ForecastKind::Revenue,
        "2026-Q2",
        "2026-04-02T15:00:00Z",
        vec![revenue_line("Q2 deals", "150.00", Commit)],
    )
    .await;
    forecast(
        db,
        hal,
        ForecastKind::Revenue,
        "2026-Q3",
        "2026-07-02T12:00:00Z",
        vec![
            NewForecastLine {
                opportunity_id: Some(big),
                ..revenue_line("The big one", "300.00", Commit)
            },
            NewForecastLine {
                account_id: Some(account),
                ..revenue_line("Initech", "100.00", BestCase)
            },
            revenue_line("Maybe", "500.00", Pipeline),
        ],
    )
    .await;
    forecast(
        db,
        hal,
        ForecastKind::Revenue,
        "2026-Q3",
        "2026-07-20T12:00:00Z",
        vec![revenue_line("Everything", "1000.00", Commit)],
    )
    .await;
    forecast(
        db,
        hana,
        ForecastKind::Revenue,
        "2026-Q3",
        "2026-07-10T12:00:00Z",
        vec![revenue_line("Late", "200.00", Commit)],
    )
    .await;
    forecast(
        db,
        hana,
        ForecastKind::Revenue,
        "2026-Q3",
        "2026-07-15T12:00:00Z",
        vec![revenue_line("Later", "900.00", Commit)],
    )
    .await;

    // Leads.
    let w = Some(webinar);
    let won_lead = lead(
        db,
        "2026-07-02T15:00:00Z",
        w,
        "webinar",
        "sal",
        &["mql", "sal"],
    )
    .await;
    deal(
        db,
        hal,
        (50_000, "USD"),
        "won",
        Some("2026-11-02"),
        "2026-10-10T15:00:00Z",
        Some(won_lead),
    )
    .await;
    deal(
        db,
        hal,
        (3_000, "USD"),
        "lost",
        Some("2026-11-03"),
        "2026-10-10T15:00:00Z",
        Some(won_lead),
    )
    .await;
    lead(
        db,
        "2026-08-02T15:00:00Z",
        w,
        "webinar",
        "disqualified",
        &["mql", "disqualified"],
    )
    .await;
    lead(
        db,
        "2026-09-02T15:00:00Z",
        w,
        "webinar",
        "nurture",
        &["nurture"],
    )
    .await;
    lead(db, "2026-07-01T03:00:00Z", w, "webinar", "mql", &["mql"]).await;
    lead(db, "2026-07-03T15:00:00Z", None, "website", "mql", &[]).await;
    lead(db, "2026-07-04T15:00:00Z", None, "website", "new", &[]).await;
    lead(db, "2026-07-05T15:00:00Z", None, "email", "new", &[]).await;
    forecast(
        db,
        mia,
        ForecastKind::Leads,
        "2026-Q3",
        "2026-07-01T15:00:00Z",
        vec![
            NewForecastLine {
                campaign_id: w,
                leads: Some(10),
                mqls: Some(4),
                ..line("Webinar", "800.00")
            },
            NewForecastLine {
                channel: Some("website".to_string()),
                leads: Some(5),
                mqls: Some(2),
                ..line("Website", "100.00")
            },
        ],
    )
    .await;

    // Activities.
    let july = "2026-07-15T15:00:00Z";
    activities(db, hal, "cold_call", july, 4, None).await;
    activities(db, hal, "billing_issue", july, 2, None).await;
    activities(db, hal, "cold_call", "2026-07-01T04:00:00Z", 1, None).await;
    activities(db, hana, "call", july, 3, None).await;
    activities(db, hana, "meeting", july, 1, None).await;
    activities(db, hana, "account_visit", july, 1, Some(hanas)).await;
    activities(db, max, "meeting", july, 1, None).await;
    activities(db, hugo, "cold_call", july, 11, None).await;
    activities(db, hugo, "cold_call", "2026-10-01T04:00:00Z", 1, None).await;
    activities(db, mia, "email_campaign", july, 3, None).await;
    activities(db, mia, "service_issue", july, 1, None).await;

    Scenario {
        owner,
        hal,
        hana,
        hugo,
        mia,
        east,
        marketing,
        webinar,
    }
}
