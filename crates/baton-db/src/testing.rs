//! A fresh database for each test, on SQLite by default or on PostgreSQL
//! when `TEST_DATABASE_URL` is set: the same suite runs on both backends.

pub mod scenario;

use crate::connect::{Db, DbOptions};
use crate::error::Result;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh, migrated database that belongs to one test.
pub struct TestDb {
    pub db: Db,
    pub options: DbOptions,
    /// The SQLite data folder, removed when the test ends.
    dir: Option<PathBuf>,
    /// The PostgreSQL server and schema, dropped when the test ends.
    schema: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "t{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// The backend the suite runs on, for messages.
    pub fn backend_name() -> &'static str {
        if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// A new empty database with the schema and defaults in place.
    pub async fn new() -> Result<TestDb> {
        let test = TestDb::unmigrated().await?;
        test.db.migrate().await?;
        test.db.ensure_defaults().await?;
        Ok(test)
    }

    /// A new database holding nothing, not even the schema.
    pub async fn unmigrated() -> Result<TestDb> {
        let name = unique_name();
        let (options, dir, schema) = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                // A schema per test in the shared database keeps tests apart
                // without the cost of creating databases.
                let admin = Db::connect(&DbOptions {
                    url: url.clone(),
                    max_connections: 1,
                })
                .await?;
                sqlx::query(&format!("CREATE SCHEMA {name}"))
                    .execute(admin.writer())
                    .await?;
                admin.close().await;
                let separator = if url.contains('?') { '&' } else { '?' };
                let mut options =
                    DbOptions::url(format!("{url}{separator}options=-c%20search_path%3D{name}"));
                options.max_connections = 8;
                (options, None, Some((url, name)))
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("baton-test-{name}"));
                (DbOptions::sqlite_in(&dir)?, Some(dir), None)
            }
        };
        let db = Db::connect(&options).await?;
        Ok(TestDb {
            db,
            options,
            dir,
            schema,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((url, schema)) = self.schema.take() {
            // Drop runs inside the test's runtime, which cannot wait on async
            // work; a thread with a runtime of its own can. Without this the
            // shared database grows by a schema per test, run after run.
            let _ = std::thread::spawn(move || drop_schema(&url, &schema)).join();
        }
    }
}

fn drop_schema(url: &str, schema: &str) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let options = DbOptions {
            url: url.to_string(),
            max_connections: 1,
        };
        let Ok(admin) = Db::connect(&options).await else {
            return;
        };
        // A connection the test left inside a transaction would block the
        // drop for ever; scripts/test.sh sweeps what is left behind.
        let _ = sqlx::query("SET lock_timeout = '5s'")
            .execute(admin.writer())
            .await;
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(admin.writer())
            .await;
        admin.close().await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_test_database_is_gone_once_its_test_ends() {
        let test = TestDb::new().await.unwrap();
        let (dir, schema) = (test.dir.clone(), test.schema.clone());
        test.db.close().await;
        drop(test);
        if let Some(dir) = dir {
            assert!(!dir.exists(), "{} is left behind", dir.display());
        }
        if let Some((url, name)) = schema {
            let admin = Db::connect(&DbOptions::url(url)).await.unwrap();
            let (left,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1")
                    .bind(&name)
                    .fetch_one(admin.reader())
                    .await
                    .unwrap();
            admin.close().await;
            assert_eq!(left, 0, "schema {name} is left behind");
        }
    }
}
