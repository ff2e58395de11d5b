//! Opening the database: the backend is picked from the URL scheme.

use crate::error::{DbError, Result};
use crate::models::ModelCache;
use crate::users::TokenCache;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The engine behind an open connection or transaction.
    pub(crate) fn of(connection: &sqlx::AnyConnection) -> Backend {
        if connection.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// ` FOR UPDATE` on PostgreSQL, to end a SELECT whose rows a write
    /// transaction changes next; nothing on SQLite, whose one writer
    /// already excludes every other.
    pub(crate) fn row_lock(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

/// Every SQLite connection's settings. WAL lets readers work beside the
/// writer; FULL syncs the WAL at every commit, so an answered request
/// survives a power loss.
const SQLITE_SETTINGS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                               PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";

/// How to open the database.
#[derive(Clone)]
pub struct DbOptions {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// Connections for readers (and, on PostgreSQL, writers).
    pub max_connections: u32,
}

impl DbOptions {
    /// The embedded database inside `data_dir`, created when missing.
    pub fn sqlite_in(data_dir: &Path) -> Result<DbOptions> {
        if data_dir.exists() && !data_dir.is_dir() {
            return Err(DbError::Config(format!(
                "the data folder {} is a file, not a folder: give a folder with --data-dir",
                data_dir.display()
            )));
        }
        std::fs::create_dir_all(data_dir).map_err(|e| {
            DbError::Config(format!(
                "cannot create data folder {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join("baton.db");
        Ok(DbOptions {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            max_connections: 8,
        })
    }

    pub fn url(url: impl Into<String>) -> DbOptions {
        DbOptions {
            url: url.into(),
            max_connections: 16,
        }
    }
}

/// The URL with its passwords replaced, for logs and errors: the one after
/// the user name and any given as a query parameter (`?password=…`).
fn redacted(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut shown = match base.find("://") {
        Some(scheme_end) => {
            let rest = &base[scheme_end + 3..];
            let authority = rest.split('/').next().unwrap_or_default();
            match authority.rfind('@').map(|at| (&authority[..at], at)) {
                Some((credentials, at)) if credentials.contains(':') => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{}{user}:****{}", &base[..scheme_end + 3], &rest[at..])
                }
                _ => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=****")
                }
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// Why a connection failed, in the words of whoever gave the URL: a setting
/// of the URL that does not read is named once (the driver nests it in
/// itself), and a server that answers in another protocol is asked about.
fn why_not_opened(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Configuration(_) => {
            let mut innermost: &dyn std::error::Error = error;
            while let Some(source) = innermost.source() {
                innermost = source;
            }
            format!("a setting of the URL is wrong: {innermost}")
        }
        sqlx::Error::Protocol(detail) => {
            format!("the server there does not answer as PostgreSQL does ({detail})")
        }
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("the server there stopped in the middle of an answer: is it PostgreSQL? ({io})")
        }
        other => other.to_string(),
    }
}

impl DbOptions {
    /// The URL as logs and messages show it, its passwords hidden.
    pub fn shown_url(&self) -> String {
        redacted(&self.url)
    }
}

impl fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbOptions")
            .field("url", &redacted(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The database: a pool for reads and one for writes. SQLite allows one
/// writer at a time, so its write pool has a single connection and writers
/// queue in the pool instead of failing with "database is locked".
#[derive(Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// The active learned models, shared by every clone.
    models: Arc<ModelCache>,
    /// Bearer tokens checked lately, shared by every clone.
    tokens: Arc<TokenCache>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    /// Opens the database and brings its schema up to date.
    pub async fn open(options: &DbOptions) -> Result<Db> {
        let db = Db::connect(options).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database without migrating it.
    pub async fn connect(options: &DbOptions) -> Result<Db> {
        install_default_drivers();
        let backend = if options.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if options.url.starts_with("postgres://") || options.url.starts_with("postgresql://")
        {
            Backend::Postgres
        } else {
            // A mistyped URL is bad input, not a failure to connect.
            return Err(DbError::invalid(
                "database URL",
                format!(
                    "`{}` is not supported: use sqlite://… or postgres://…",
                    redacted(&options.url)
                ),
            ));
        };
        let cannot_open = |e: sqlx::Error| {
            DbError::Config(format!(
                "cannot open {}: {}",
                redacted(&options.url),
                why_not_opened(&e)
            ))
        };
        match backend {
            Backend::Sqlite => {
                // A file that is not a sound database fails here at once; the
                // pools would keep retrying it until their timeout.
                let mut probe = AnyConnection::connect(&options.url)
                    .await
                    .map_err(cannot_open)?;
                let prepared = probe.execute(SQLITE_SETTINGS).await.map_err(cannot_open);
                probe.close().await.map_err(cannot_open)?;
                prepared?;
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .min_connections(1)
                        // An embedded connection cannot go stale; a ping per
                        // acquire would only add a round trip to its thread.
                        .test_before_acquire(false)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                conn.execute(SQLITE_SETTINGS).await?;
                                Ok(())
                            })
                        })
                        // A transaction SQLite ended by itself (a full disk
                        // rolls it back) is still counted open by the driver,
                        // and every later BEGIN on that connection would
                        // fail: such a connection is closed, and a new one
                        // opened in its place.
                        .after_release(|conn, _| {
                            Box::pin(async move { Ok(!conn.is_in_transaction()) })
                        })
                        .connect(&options.url)
                };
                let write = pool(1).await.map_err(cannot_open)?;
                let read = pool(options.max_connections).await.map_err(cannot_open)?;
                Ok(Db {
                    read,
                    write,
                    backend,
                    models: Arc::default(),
                    tokens: Arc::default(),
                })
            }
            Backend::Postgres => {
                // A server refusing the connection or the password says so
                // at once; the pool would retry until its timeout and then
                // name only that.
                let probe = tokio::time::timeout(
                    Duration::from_secs(30),
                    AnyConnection::connect(&options.url),
                )
                .await
                .map_err(|_| {
                    DbError::Config(format!(
                        "cannot open {}: no answer within 30 s",
                        redacted(&options.url)
                    ))
                })?
                .map_err(cannot_open)?;
                probe.close().await.map_err(cannot_open)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(&options.url)
                    .await
                    .map_err(cannot_open)?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    models: Arc::default(),
                    tokens: Arc::default(),
                })
            }
        }
    }

    /// The learned models read so far.
    pub(crate) fn model_cache(&self) -> &ModelCache {
        &self.models
    }

    /// The bearer tokens checked lately.
    pub(crate) fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pool for queries that only read.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Pool for statements that write.
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes
    /// waits for other writers instead of failing when it comes to write.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// Closes every connection, waiting for running queries.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Whether Baton's schema is there (a database any release migrated).
    pub async fn holds_baton(&self) -> Result<bool> {
        let query = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_tables
                 WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"
            }
        };
        let (count,): (i64,) = sqlx::query_as(query).fetch_one(self.reader()).await?;
        Ok(count > 0)
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        let applied = crate::migrate::run(self).await?;
        // Inquiries held before their texts were kept get them now, once.
        self.describe_held_inquiries().await?;
        Ok(applied)
    }

    /// Refuses a database a newer release has migrated, whose tables this
    /// build does not know.
    pub async fn refuse_newer_schema(&self) -> Result<()> {
        crate::migrate::refuse_newer_schema(self).await
    }

    /// What SQLite's quick integrity check finds wrong with the embedded
    /// database (a truncated or damaged file), or nothing.
    pub async fn damage(&self) -> Result<Option<String>> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let findings: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check(5)")
            .fetch_all(&self.read)
            .await?;
        let findings: Vec<String> = findings.into_iter().map(|(line,)| line).collect();
        Ok((findings != ["ok"]).then(|| findings.join("; ")))
    }

    /// Writes a consistent copy of the embedded database to `target`, safe
    /// while the server runs (SQLite's `VACUUM INTO`).
    pub async fn backup_to(&self, target: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(DbError::Config(
                "backup copies the embedded SQLite database; for PostgreSQL use pg_dump".into(),
            ));
        }
        if target.exists() {
            return Err(DbError::Config(format!(
                "{} already exists",
                target.display()
            )));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(target.display().to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Db, DbOptions, redacted};
    use std::io::{Read, Write};

    #[tokio::test]
    async fn a_wrong_setting_or_a_server_of_another_kind_is_said_plainly() {
        let wrong = Db::connect(&DbOptions::url(
            "postgres://baton:pw@127.0.0.1:1/baton?sslmode=bogus".to_string(),
        ))
        .await
        .unwrap_err()
        .to_string();
        assert!(wrong.contains("a setting of the URL is wrong: "), "{wrong}");
        assert_eq!(wrong.matches("configuration").count(), 0, "{wrong}");

        // An HTTP server where PostgreSQL was expected.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            // The whole start-up message, its length first, so that closing
            // after the answer leaves nothing unread.
            let mut length = [0u8; 4];
            socket.read_exact(&mut length).unwrap();
            let mut rest = vec![0u8; u32::from_be_bytes(length) as usize - 4];
            socket.read_exact(&mut rest).unwrap();
            socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
            socket.shutdown(std::net::Shutdown::Write).unwrap();
            let _ = socket.read_to_end(&mut Vec::new());
        });
        let url = format!("postgres://baton:pw@127.0.0.1:{port}/baton?sslmode=disable");
        let other = Db::connect(&DbOptions::url(url))
            .await
            .unwrap_err()
            .to_string();
        server.join().unwrap();
        assert!(
            other.contains("does not answer as PostgreSQL does")
                || other.contains("is it PostgreSQL?"),
            "{other}"
        );
    }

    #[tokio::test]
    async fn a_transaction_the_database_ended_by_itself_leaves_no_writer_stuck() {
        let test = crate::testing::TestDb::new().await.unwrap();
        let db = &test.db;
        {
            let mut tx = db.begin_write().await.unwrap();
            // As a full disk makes SQLite do: the driver still counts the
            // transaction open, and its own rollback finds none.
            sqlx::raw_sql("ROLLBACK").execute(&mut *tx).await.unwrap();
        }
        for _ in 0..3 {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("SELECT 1").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// A server that answers PostgreSQL's request for TLS with "no": a
    /// client that can speak TLS says the server cannot, where one built
    /// without it would fail before asking.
    #[tokio::test]
    async fn a_url_requiring_tls_asks_the_server_for_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 8];
            socket.read_exact(&mut request).unwrap();
            socket.write_all(b"N").unwrap();
            request
        });
        let url = format!("postgres://baton:pw@127.0.0.1:{port}/baton?sslmode=require");
        let error = Db::connect(&DbOptions::url(url)).await.unwrap_err();
        assert!(
            error.to_string().contains("server does not support TLS"),
            "{error}"
        );
        // The length, 8, then the code 80877103 that asks for TLS.
        assert_eq!(server.join().unwrap(), [0, 0, 0, 8, 4, 210, 22, 47]);
    }

    /// On PostgreSQL, the connection a URL asks to be encrypted is.
    #[tokio::test]
    async fn a_url_requiring_tls_gets_an_encrypted_connection() {
        let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            // The embedded database has no connection to encrypt.
            return;
        };
        let separator = if url.contains('?') { '&' } else { '?' };
        let db = Db::connect(&DbOptions::url(format!("{url}{separator}sslmode=require")))
            .await
            .unwrap();
        let (encrypted,): (bool,) =
            sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(db.reader())
                .await
                .unwrap();
        db.close().await;
        assert!(encrypted);
    }

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redacted("postgres://baton:s3cret@db:5432/baton"),
            "postgres://baton:****@db:5432/baton"
        );
        assert_eq!(redacted("sqlite://data/baton.db"), "sqlite://data/baton.db");
        assert_eq!(
            redacted("postgres://db/baton?sslmode=require&password=a@b&sslpassword=x"),
            "postgres://db/baton?sslmode=require&password=****&sslpassword=****"
        );
        assert_eq!(
            redacted("postgres://baton:p@ss@db/baton?user=baton"),
            "postgres://baton:****@db/baton?user=baton"
        );
        assert_eq!(
            redacted("postgres://baton@db/baton"),
            "postgres://baton@db/baton"
        );
    }
}
