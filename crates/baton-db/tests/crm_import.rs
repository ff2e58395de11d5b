//! The public CRM Sales Opportunities data set, imported through the
//! mappings in `examples/crm-sales-opportunities/`, gives the reference
//! figures computed independently (`shared/data/README.md`), on SQLite and,
//! with `TEST_DATABASE_URL`, on PostgreSQL.

use baton_core::import::mapping::{Mapping, OpportunityRecord, ReadRecords, Record, read_records};
use baton_db::Db;
use baton_db::import::{ImportMode, ImportReport};
use baton_db::reports::{Period, RevenueBy, RevenueReport};
use baton_db::testing::TestDb;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The data set's folder; the suite fails rather than skips without it.
fn data_dir() -> PathBuf {
    let dir = workspace().join("../shared/data/crm-sales-opportunities");
    assert!(
        dir.join("sales_pipeline.csv").is_file(),
        "the CRM Sales Opportunities data set is missing: expected its CSV files in {}",
        dir.display()
    );
    dir
}

/// A data file read through the example mapping of the same records.
fn read<T: Record>(file: &str, mapping: &str) -> (ReadRecords<T>, Mapping) {
    let path = workspace()
        .join("examples/crm-sales-opportunities")
        .join(mapping);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mapping = Mapping::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let path = data_dir().join(file);
    let csv = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let read =
        read_records(csv, &mapping, b',').unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (read, mapping)
}

/// Imports the three files in order.
async fn import_all(db: &Db) -> [ImportReport; 3] {
    [
        import_accounts(db, ImportMode::Store).await,
        import_users(db, ImportMode::Store).await,
        import_deals(db, ImportMode::Store).await,
    ]
}

async fn import_accounts(db: &Db, mode: ImportMode) -> ImportReport {
    let (accounts, mapping) = read("accounts.csv", "accounts.toml");
    db.import_accounts(None, &accounts, &mapping, mode)
        .await
        .unwrap()
}

async fn import_users(db: &Db, mode: ImportMode) -> ImportReport {
    let (users, mapping) = read("sales_teams.csv", "users.toml");
    db.import_users(None, &users, &mapping, mode).await.unwrap()
}

async fn import_deals(db: &Db, mode: ImportMode) -> ImportReport {
    let (deals, mapping) = read("sales_pipeline.csv", "opportunities.toml");
    db.import_opportunities(None, &deals, &mapping, mode)
        .await
        .unwrap()
}

/// Rows of each table an import writes, and the accounts that are customers.
async fn stored(db: &Db) -> [i64; 5] {
    let mut counts = [0; 5];
    for (count, sql) in counts.iter_mut().zip([
        "SELECT COUNT(*) FROM accounts",
        "SELECT COUNT(*) FROM users",
        "SELECT COUNT(*) FROM teams",
        "SELECT COUNT(*) FROM opportunities",
        "SELECT COUNT(*) FROM accounts WHERE status = 'customer'",
    ]) {
        (*count,) = sqlx::query_as(sql).fetch_one(db.reader()).await.unwrap();
    }
    counts
}

#[tokio::test]
async fn a_dry_run_reports_what_the_import_would_do_and_stores_nothing() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let before = stored(db).await;

    let accounts = import_accounts(db, ImportMode::DryRun).await;
    let users = import_users(db, ImportMode::DryRun).await;
    assert!(accounts.dry_run && users.dry_run);
    assert_eq!((accounts.created, users.created), (85, 41));
    assert_eq!(stored(db).await, before, "a dry run stores nothing");

    assert_eq!(
        import_accounts(db, ImportMode::Store).await,
        ImportReport {
            dry_run: false,
            ..accounts
        }
    );
    assert_eq!(
        import_users(db, ImportMode::Store).await,
        ImportReport {
            dry_run: false,
            ..users
        }
    );
    let people_and_accounts = stored(db).await;

    // The deals' dry run counts what all its batches would store, and the
    // accounts their won deals would make customers.
    let deals = import_deals(db, ImportMode::DryRun).await;
    assert_eq!(deals.created, 8_800);
    assert!(
        deals
            .quirks
            .iter()
            .any(|q| q.ends_with("won deals: now customers")),
        "{:?}",
        deals.quirks
    );
    assert_eq!(stored(db).await, people_and_accounts);
    assert_eq!(
        import_deals(db, ImportMode::Store).await,
        ImportReport {
            dry_run: false,
            ..deals
        }
    );
}

fn revenue_by_key(report: &RevenueReport) -> Vec<(&str, i64)> {
    report
        .rows
        .iter()
        .map(|row| (row.key.as_str(), row.won_revenue_minor / 100))
        .collect()
}

#[tokio::test]
async fn the_crm_data_set_imports_with_its_quirks_reported_and_gives_the_reference_figures() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let [accounts, users, deals] = import_all(db).await;

    assert_eq!((accounts.rows, accounts.created), (85, 85));
    assert!(accounts.rejected.is_empty(), "{:?}", accounts.rejected);
    assert!(
        accounts
            .quirks
            .contains(&"sector `technolgy` read as `technology` in 12 accounts".to_string()),
        "{:?}",
        accounts.quirks
    );
    // 35 agents and the 6 managers named in their rows.
    assert_eq!((users.rows, users.created), (35, 41));
    assert!(users.rejected.is_empty(), "{:?}", users.rejected);
    assert!(
        users.quirks.contains(
            &"6 managers are named only in the manager column: imported as manager".to_string()
        ),
        "{:?}",
        users.quirks
    );
    assert_eq!((deals.rows, deals.created), (8_800, 8_800));
    assert!(deals.rejected.is_empty(), "{:?}", deals.rejected);
    for quirk in [
        "product `GTXPro` read as `GTX Pro` in 1,480 deals",
        "1,425 deals have no account: imported without one",
    ] {
        assert!(
            deals.quirks.contains(&quirk.to_string()),
            "{quirk} not in {:?}",
            deals.quirks
        );
    }

    let by_quarter = db.revenue_report(RevenueBy::Quarter).await.unwrap();
    assert_eq!(by_quarter.currency, "USD");
    assert_eq!(by_quarter.total.won_deals, 4_238);
    assert_eq!(by_quarter.total.closed_deals, 4_238 + 2_473);
    assert_eq!(by_quarter.total.won_revenue_minor, 10_005_534 * 100);
    assert_eq!(
        format!("{:.4}", by_quarter.total.win_rate.unwrap()),
        "0.6315"
    );
    assert_eq!(
        revenue_by_key(&by_quarter),
        [
            ("2017-Q1", 1_134_672),
            ("2017-Q2", 3_086_111),
            ("2017-Q3", 2_982_255),
            ("2017-Q4", 2_802_496),
        ]
    );
    let won: Vec<i64> = by_quarter.rows.iter().map(|r| r.won_deals).collect();
    assert_eq!(won, [531, 1_254, 1_257, 1_196]);
    let mean = by_quarter.days_to_close_mean.unwrap();
    assert_eq!(format!("{mean:.2}"), "47.99");
    assert_eq!(mean.round(), 48.0);
    assert_eq!(by_quarter.days_to_close_median, Some(45.0));

    let by_office = db.revenue_report(RevenueBy::Office).await.unwrap();
    assert_eq!(
        revenue_by_key(&by_office),
        [
            ("Central", 3_346_293),
            ("East", 3_090_594),
            ("West", 3_568_647),
        ]
    );
    let by_agent = db.revenue_report(RevenueBy::Agent).await.unwrap();
    assert_eq!(by_agent.rows.len(), 30, "agents with closed deals");
    assert_eq!(by_agent.total, by_quarter.total);

    // Deals count as opened on the day they were engaged, not on the day
    // of the import: 7,942 were engaged in 2017 (358 in 2016, 500 never).
    let year = Period::new("2017-01-01".parse().unwrap(), "2017-12-31".parse().unwrap()).unwrap();
    let activity = db.activity_report(year).await.unwrap();
    let opened: i64 = activity.rows.iter().map(|r| r.opportunities_created).sum();
    assert_eq!(opened, 7_942);
}

#[tokio::test]
async fn importing_the_crm_data_set_twice_changes_nothing() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let first = import_all(db).await;
    let before = db.revenue_report(RevenueBy::Agent).await.unwrap();
    for (first, again) in first.iter().zip(import_all(db).await) {
        // The second time, managers named only in the manager column are
        // people already here: linked, and not counted as rows again.
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, first.rows),
            "{} imported again: {again:?}",
            again.records
        );
    }
    assert_eq!(db.revenue_report(RevenueBy::Agent).await.unwrap(), before);
}

#[tokio::test]
async fn deals_that_cannot_be_linked_are_rejected_with_their_row_and_reason() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let (_, mapping) = read::<OpportunityRecord>("sales_pipeline.csv", "opportunities.toml");
    let csv = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n\
               A1,Nobody Known,GTXPro,Acme,Won,2017-01-02,2017-02-03,100\n\
               A2,,MG Special,,Won,2017-01-02,,\n\
               A3,,MG Special,Acme,Engaging,2017-01-02,,\n\
               A3,,MG Special,,Engaging,2017-01-02,,\n\
               A4,,MG Special,,Lost,2017-03-02,2017-02-01,\n\
               A5,,MG Special,,Won,2017-03-02,9999-02-01,100\n\
               A6,,MG Special,,Won,2017-03-02,2017-04-01,\n\
               A7,,MG Special,,Engaging,2017-03-02,2017-04-01,\n\
               A8,Mia Marketer,MG Special,,Engaging,2017-03-02,,\n";
    db.create_user(baton_db::users::NewUser {
        email: "mia@acme.test",
        name: "Mia Marketer",
        role: baton_core::domain::Role::Marketer,
        password: None,
    })
    .await
    .unwrap();
    let read = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    let report = db
        .import_opportunities(None, &read, &mapping, ImportMode::Store)
        .await
        .unwrap();
    let rejected: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.row, r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (
                1,
                "owner `Nobody Known` is not a user: import the people first"
            ),
            (2, "a won deal needs a close date"),
            (4, "external id A3 is already row 3's"),
            (
                5,
                "closed on 2017-02-01, before it was engaged on 2017-03-02"
            ),
            (
                6,
                "closed_on: `9999-02-01` is outside the years 1900 to 2199"
            ),
            (7, "a won deal needs an amount"),
            (8, "an open deal (stage engaging) cannot have a close date"),
            (
                9,
                "owner `Mia Marketer` is a marketer and does not hold deals: give a hunter, farmer, manager or owner"
            ),
        ]
    );
    assert_eq!(report.created, 1);
    assert!(
        report.quirks.contains(
            &"1 deal names an account that is not in Baton (`Acme`): imported without one"
                .to_string()
        ),
        "{:?}",
        report.quirks
    );
}

#[tokio::test]
async fn managers_and_parents_that_would_close_a_loop_are_left_out_and_reported() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let (_, mapping) =
        read::<baton_core::import::mapping::UserRecord>("sales_teams.csv", "users.toml");
    let csv = "sales_agent,manager,regional_office\n\
               Anna Alpha,Bob Beta,Central\n\
               Bob Beta,Anna Alpha,Central\n\
               Carl Self,Carl Self,East\n";
    let read = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    let report = db
        .import_users(None, &read, &mapping, ImportMode::Store)
        .await
        .unwrap();
    let links: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT name, manager_id FROM users WHERE name IN ('Anna Alpha', 'Bob Beta', 'Carl Self') ORDER BY name")
            .fetch_all(db.reader())
            .await
            .unwrap();
    let id_of = |name: &str| links.iter().position(|(n, _)| n == name).unwrap();
    let anna = links[id_of("Anna Alpha")].1;
    let bob = links[id_of("Bob Beta")].1;
    assert!(
        anna.is_none() || bob.is_none(),
        "no two people manage each other: {links:?}"
    );
    assert_eq!(
        links[id_of("Carl Self")].1,
        None,
        "nobody manages themselves"
    );
    assert!(
        report
            .quirks
            .iter()
            .any(|q| q.contains("2 people name a manager who is the person themselves")),
        "{:?}",
        report.quirks
    );
}

#[tokio::test]
async fn importing_people_again_keeps_the_roles_they_have() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let (_, mapping) =
        read::<baton_core::import::mapping::UserRecord>("sales_teams.csv", "users.toml");
    let mapping = &mapping;
    let import = async |csv: &str, mode| {
        let read = read_records(csv.as_bytes(), mapping, b',').unwrap();
        db.import_users(None, &read, mapping, mode).await.unwrap()
    };
    import(
        "sales_agent,manager,regional_office\nBob Boss,Carol Chief,Central\n",
        ImportMode::Store,
    )
    .await;
    let roles = async || -> Vec<(String, String)> {
        sqlx::query_as("SELECT name, role FROM users ORDER BY name")
            .fetch_all(db.reader())
            .await
            .unwrap()
    };
    let before = roles().await;
    assert_eq!(
        before,
        [
            ("Bob Boss".to_string(), "hunter".to_string()),
            ("Carol Chief".to_string(), "manager".to_string())
        ]
    );
    // Bob, already here, named only as a manager: linked, not added again.
    // Carol given a row as an agent: she keeps her role.
    let later =
        "sales_agent,manager,regional_office\nDan Doe,Bob Boss,Central\nCarol Chief,,Central\n";
    let dry = import(later, ImportMode::DryRun).await;
    let kept = "1 person keeps the role they have (`Carol Chief`), not the file's: a role is changed on the People page";
    assert_eq!(dry.quirks, [kept], "nobody added as a manager");
    let report = import(later, ImportMode::Store).await;
    assert_eq!(report.quirks, [kept]);
    let after = roles().await;
    assert_eq!(&after[..2], &before[..]);
    assert_eq!(after[2], ("Dan Doe".to_string(), "hunter".to_string()));
    let manager_of = async |name: &str| -> (Option<String>, Option<String>) {
        sqlx::query_as(
            "SELECT m.name, t.name FROM users u LEFT JOIN users m ON m.id = u.manager_id
             LEFT JOIN teams t ON t.id = u.team_id WHERE u.name = $1",
        )
        .bind(name)
        .fetch_one(db.reader())
        .await
        .unwrap()
    };
    assert_eq!(manager_of("Dan Doe").await.0.as_deref(), Some("Bob Boss"));
    // Cells left blank change nothing a person already has.
    import(
        "sales_agent,manager,regional_office\nBob Boss,,\n",
        ImportMode::Store,
    )
    .await;
    assert_eq!(
        manager_of("Bob Boss").await,
        (Some("Carol Chief".into()), Some("Central".into()))
    );
}

#[tokio::test]
async fn a_rejected_person_row_makes_neither_its_manager_nor_its_team() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let (_, mapping) =
        read::<baton_core::import::mapping::UserRecord>("sales_teams.csv", "users.toml");
    let csv = "sales_agent,manager,regional_office\n\
               Ann Agent,Mona Manager,Central\n\
               Ann Agent,Other Manager,West\n";
    let read = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    let report = db
        .import_users(None, &read, &mapping, ImportMode::Store)
        .await
        .unwrap();
    assert_eq!(report.rejected.len(), 1, "{:?}", report.rejected);
    let (others,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE name = 'Other Manager'")
            .fetch_one(db.reader())
            .await
            .unwrap();
    let (west,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM teams WHERE name = 'West'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!((others, west), (0, 0), "nothing made for the rejected row");
    assert!(
        report
            .quirks
            .iter()
            .any(|q| q == "1 manager is named only in the manager column: imported as manager"),
        "Mona counted though a row was rejected: {:?}",
        report.quirks
    );
}

#[tokio::test]
async fn parent_companies_that_would_close_a_loop_are_left_out_and_reported() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let (_, mapping) =
        read::<baton_core::import::mapping::AccountRecord>("accounts.csv", "accounts.toml");
    let csv = "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n\
               Theta,retail,2000,1,10,Kenya,Theta\n\
               Acme,retail,2000,1,10,Kenya,Zeta\n\
               Zeta,retail,2000,1,10,Kenya,Acme\n";
    let read = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    let report = db
        .import_accounts(None, &read, &mapping, ImportMode::Store)
        .await
        .unwrap();
    let parents: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT name, parent_id FROM accounts ORDER BY name")
            .fetch_all(db.reader())
            .await
            .unwrap();
    let parent_of = |name: &str| parents.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(parent_of("Theta"), None, "no company is its own parent");
    assert!(
        parent_of("Acme").is_none() || parent_of("Zeta").is_none(),
        "no two companies own each other: {parents:?}"
    );
    assert!(
        report
            .quirks
            .iter()
            .any(|q| q.contains("2 accounts name a parent company that is the account itself")),
        "{:?}",
        report.quirks
    );
}

#[tokio::test]
async fn importing_again_with_cells_left_blank_or_out_keeps_what_is_stored() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    import_all(db).await;
    let account_row = "SELECT industry, employees, location FROM accounts WHERE name = 'Cancity'";
    let before: (Option<String>, Option<i64>, Option<String>) = sqlx::query_as(account_row)
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert!(before.0.is_some() && before.1.is_some(), "{before:?}");
    // A file with the names only: nothing else it could say is erased.
    let names = Mapping::parse("records = \"accounts\"\n[columns]\nname = \"Company\"\n").unwrap();
    let names_only = read_records("Company\nCancity\n".as_bytes(), &names, b',').unwrap();
    db.import_accounts(None, &names_only, &names, ImportMode::Store)
        .await
        .unwrap();
    let after: (Option<String>, Option<i64>, Option<String>) = sqlx::query_as(account_row)
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(after, before);

    // A won deal given again without its agent or account keeps both.
    let deal_row = "SELECT owner_id, account_id, amount_minor FROM opportunities
                    WHERE external_id = '1C1I7A6R'";
    let before: (Option<i64>, Option<i64>, i64) = sqlx::query_as(deal_row)
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert!(before.0.is_some() && before.1.is_some(), "{before:?}");
    let (_, mapping) = read::<OpportunityRecord>("sales_pipeline.csv", "opportunities.toml");
    let header = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n";
    let csv = format!("{header}1C1I7A6R,,GTX Plus Basic,,Won,2016-10-20,2017-03-01,1054\n");
    let blanks = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    db.import_opportunities(None, &blanks, &mapping, ImportMode::Store)
        .await
        .unwrap();
    let after: (Option<i64>, Option<i64>, i64) = sqlx::query_as(deal_row)
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(after, before);

    // A deal won on a day still to come is refused: revenue counts when won.
    let csv = format!(
        "{header}FUTURE01,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2199-03-01,10\n"
    );
    let future = read_records(csv.as_bytes(), &mapping, b',').unwrap();
    let report = db
        .import_opportunities(None, &future, &mapping, ImportMode::Store)
        .await
        .unwrap();
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(
        report.rejected[0].reason.contains("a day still to come"),
        "{report:?}"
    );
}
