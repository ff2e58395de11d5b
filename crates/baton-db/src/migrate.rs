//! Embedded migrations, one list per backend, applied in order and recorded
//! in `schema_migrations`.

use crate::connect::{Backend, Db};
use crate::error::{DbError, Result};
use crate::now_ms;

/// (version, description, SQL) for SQLite.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "domain",
        include_str!("../migrations/sqlite/0001_domain.sql"),
    ),
    (
        2,
        "rule_skills",
        include_str!("../migrations/sqlite/0002_rule_skills.sql"),
    ),
    (
        3,
        "external_ids",
        include_str!("../migrations/sqlite/0003_external_ids.sql"),
    ),
    (
        4,
        "appointments_call_sheets",
        include_str!("../migrations/sqlite/0004_appointments_call_sheets.sql"),
    ),
    (
        5,
        "report_indexes",
        include_str!("../migrations/sqlite/0005_report_indexes.sql"),
    ),
    (
        6,
        "models",
        include_str!("../migrations/sqlite/0006_models.sql"),
    ),
    (
        7,
        "closed_deal_indexes",
        include_str!("../migrations/sqlite/0007_closed_deal_indexes.sql"),
    ),
    (
        8,
        "list_indexes",
        include_str!("../migrations/sqlite/0008_list_indexes.sql"),
    ),
    (
        9,
        "open_work",
        include_str!("../migrations/sqlite/0009_open_work.sql"),
    ),
    (
        10,
        "inquiry_months",
        include_str!("../migrations/sqlite/0010_inquiry_months.sql"),
    ),
    (
        11,
        "held_texts",
        include_str!("../migrations/sqlite/0011_held_texts.sql"),
    ),
    (
        12,
        "inquiry_repeats",
        include_str!("../migrations/sqlite/0012_inquiry_repeats.sql"),
    ),
    (
        13,
        "lead_campaign_names",
        include_str!("../migrations/sqlite/0013_lead_campaign_names.sql"),
    ),
    (
        14,
        "work_item_skills",
        include_str!("../migrations/sqlite/0014_work_item_skills.sql"),
    ),
    (
        15,
        "webhook_attempts",
        include_str!("../migrations/sqlite/0015_webhook_attempts.sql"),
    ),
    (
        16,
        "form_source",
        include_str!("../migrations/sqlite/0016_form_source.sql"),
    ),
    (
        17,
        "deliveries_due_by_webhook",
        include_str!("../migrations/sqlite/0017_deliveries_due_by_webhook.sql"),
    ),
    (
        18,
        "activity_recorded_by",
        include_str!("../migrations/sqlite/0018_activity_recorded_by.sql"),
    ),
];
/// (version, description, SQL) for PostgreSQL.
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "domain",
        include_str!("../migrations/postgres/0001_domain.sql"),
    ),
    (
        2,
        "rule_skills",
        include_str!("../migrations/postgres/0002_rule_skills.sql"),
    ),
    (
        3,
        "external_ids",
        include_str!("../migrations/postgres/0003_external_ids.sql"),
    ),
    (
        4,
        "appointments_call_sheets",
        include_str!("../migrations/postgres/0004_appointments_call_sheets.sql"),
    ),
    (
        5,
        "report_indexes",
        include_str!("../migrations/postgres/0005_report_indexes.sql"),
    ),
    (
        6,
        "models",
        include_str!("../migrations/postgres/0006_models.sql"),
    ),
    (
        7,
        "closed_deal_indexes",
        include_str!("../migrations/postgres/0007_closed_deal_indexes.sql"),
    ),
    (
        8,
        "list_indexes",
        include_str!("../migrations/postgres/0008_list_indexes.sql"),
    ),
    (
        9,
        "open_work",
        include_str!("../migrations/postgres/0009_open_work.sql"),
    ),
    (
        10,
        "inquiry_months",
        include_str!("../migrations/postgres/0010_inquiry_months.sql"),
    ),
    (
        11,
        "held_texts",
        include_str!("../migrations/postgres/0011_held_texts.sql"),
    ),
    (
        12,
        "inquiry_repeats",
        include_str!("../migrations/postgres/0012_inquiry_repeats.sql"),
    ),
    (
        13,
        "lead_campaign_names",
        include_str!("../migrations/postgres/0013_lead_campaign_names.sql"),
    ),
    (
        14,
        "work_item_skills",
        include_str!("../migrations/postgres/0014_work_item_skills.sql"),
    ),
    (
        15,
        "webhook_attempts",
        include_str!("../migrations/postgres/0015_webhook_attempts.sql"),
    ),
    (
        16,
        "form_source",
        include_str!("../migrations/postgres/0016_form_source.sql"),
    ),
    (
        17,
        "deliveries_due_by_webhook",
        include_str!("../migrations/postgres/0017_deliveries_due_by_webhook.sql"),
    ),
    (
        18,
        "activity_recorded_by",
        include_str!("../migrations/postgres/0018_activity_recorded_by.sql"),
    ),
];

/// The migrations this build knows for `backend`, oldest first.
fn known(backend: Backend) -> &'static [(i64, &'static str, &'static str)] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// Refuses a database a newer release has migrated: this build would run
/// on tables it does not know (after a rollback, or a newer backup
/// restored), so it says so rather than serve from them.
pub(crate) async fn refuse_newer_schema(db: &Db) -> Result<()> {
    let newest = known(db.backend())
        .last()
        .map_or(0, |(version, _, _)| *version);
    let (recorded,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(db.reader())
        .await?;
    match recorded {
        Some(version) if version > newest => Err(DbError::Config(format!(
            "the database has schema version {version}, newer than this Baton knows ({newest}): \
             a newer release wrote it; run that release, or restore a backup this one made"
        ))),
        _ => Ok(()),
    }
}

/// A write transaction that migrates. On PostgreSQL it holds a lock that
/// every other migrating transaction waits for, since servers and commands
/// started together would otherwise create the same tables at once (and
/// one fail); creating what exists is not worth a notice in the log.
async fn migrating(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7878)")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SET LOCAL client_min_messages = warning")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// Applies each migration not yet recorded, each in its own transaction, and
/// returns the descriptions of those applied.
pub async fn run(db: &Db) -> Result<Vec<String>> {
    let mut tx = migrating(db).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    refuse_newer_schema(db).await?;
    let migrations = known(db.backend());
    let mut applied = Vec::new();
    for (version, description, sql) in migrations {
        let mut tx = migrating(db).await?;
        let done: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(*description)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        applied.push(format!("{version:04}_{description}"));
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::known;
    use crate::Db;
    use crate::testing::TestDb;

    #[tokio::test]
    async fn servers_starting_together_on_an_empty_database_migrate_it_once() {
        for _ in 0..3 {
            let test = TestDb::unmigrated().await.unwrap();
            let other = Db::connect(&test.options).await.unwrap();
            let (first, second) = tokio::join!(test.db.migrate(), other.migrate());
            let applied = first.unwrap().len() + second.unwrap().len();
            assert_eq!(applied, known(test.db.backend()).len());
            other.close().await;
        }
    }
}
