//! People, their roles and their API tokens.

use crate::checks::{Chain, Table, required_name};
use crate::connect::{Backend, Db};
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Direction, Listed, SortColumn, Window};
use crate::now_ms;
use baton_core::auth;
use baton_core::domain::{Channel, Role};
use baton_core::inquiry::Email;
use baton_core::intake::Staff;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A person who signs in to Baton.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    /// Who they report to, if anyone.
    pub manager_id: Option<i64>,
    pub active: bool,
}

type UserRow = (i64, String, String, String, Option<i64>, Option<i64>, i64);

fn user_from_row((id, email, name, role, team_id, manager_id, active): UserRow) -> Result<User> {
    Ok(User {
        id,
        email,
        name,
        role: role
            .parse()
            .map_err(|e| DbError::invalid("role", format!("{e}")))?,
        team_id,
        manager_id,
        active: active != 0,
    })
}

const USER_COLUMNS: &str = "id, email, name, role, team_id, manager_id, active";

/// The columns the list of people sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonSort {
    Name,
    Role,
    Team,
    Added,
}

impl SortColumn for PersonSort {
    const ALL: &'static [Self] = &[
        PersonSort::Name,
        PersonSort::Role,
        PersonSort::Team,
        PersonSort::Added,
    ];

    fn key(self) -> &'static str {
        match self {
            PersonSort::Name => "name",
            PersonSort::Role => "role",
            PersonSort::Team => "team",
            PersonSort::Added => "added",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            PersonSort::Name => "r.name_lower",
            PersonSort::Role => "r.role",
            PersonSort::Team => "r.team_lower",
            PersonSort::Added => "r.created_at",
        }
    }
}

/// Filters of the list of people; empty means any.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub role: Option<Role>,
    pub team_id: Option<i64>,
    /// `true` for those who may sign in, `false` for the deactivated.
    pub active: Option<bool>,
    /// Words to find in the name or e-mail.
    pub search: String,
}

/// A person as the list of people shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonLine {
    pub user: User,
    pub team: Option<String>,
    pub created_at: i64,
}

const PERSON_LINES: &str =
    "SELECT u.id, u.email, u.email_lower, u.name, LOWER(u.name) AS name_lower, u.role,
        u.team_id, u.manager_id, t.name AS team, t.name_lower AS team_lower, u.active, u.created_at
     FROM users u LEFT JOIN teams t ON t.id = u.team_id";

fn person_line(row: &AnyRow) -> Result<PersonLine> {
    Ok(PersonLine {
        user: user_from_row((
            row.try_get("id")?,
            row.try_get("email")?,
            row.try_get("name")?,
            row.try_get("role")?,
            row.try_get("team_id")?,
            row.try_get("manager_id")?,
            row.try_get("active")?,
        ))?,
        team: row.try_get("team")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Bearer tokens checked in the last moments, so that a client sending
/// many requests does not cost a query each. A change to a person made on
/// this server empties it at once; made on another server sharing the
/// database, it holds here within [`TokenCache::FRESH_FOR`].
#[derive(Default)]
pub(crate) struct TokenCache {
    checked: Mutex<HashMap<String, (Instant, User)>>,
}

impl TokenCache {
    const FRESH_FOR: Duration = Duration::from_secs(2);
    /// Beyond this many tokens the cache starts again rather than grow.
    const MOST_TOKENS: usize = 10_000;

    fn get(&self, hash: &str) -> Option<User> {
        let checked = self
            .checked
            .lock()
            .expect("the token cache is never poisoned");
        checked
            .get(hash)
            .filter(|(at, _)| at.elapsed() < Self::FRESH_FOR)
            .map(|(_, user)| user.clone())
    }

    /// Holds `user` for the token unless another request put it there
    /// within the period; says whether this one did. Of the requests that
    /// found the token expired at the same moment, only that one records
    /// its use.
    fn refresh(&self, hash: String, user: User) -> bool {
        let mut checked = self
            .checked
            .lock()
            .expect("the token cache is never poisoned");
        if checked
            .get(&hash)
            .is_some_and(|(at, _)| at.elapsed() < Self::FRESH_FOR)
        {
            return false;
        }
        if checked.len() >= Self::MOST_TOKENS {
            checked.clear();
        }
        checked.insert(hash, (Instant::now(), user));
        true
    }

    /// Forgets every token: someone's role, activity or tokens changed.
    pub(crate) fn forget(&self) {
        self.checked
            .lock()
            .expect("the token cache is never poisoned")
            .clear();
    }
}

/// An API token as listed: its name and holder, never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The user id of the person the token acts as.
    pub holder_id: i64,
    pub holder: String,
    pub holder_email: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The columns the list of API tokens sorts by, newest issued first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSort {
    Created,
    LastUsed,
    Name,
}

impl SortColumn for TokenSort {
    const ALL: &'static [Self] = &[TokenSort::Created, TokenSort::LastUsed, TokenSort::Name];
    const DIRECTION: Direction = Direction::Descending;

    fn key(self) -> &'static str {
        match self {
            TokenSort::Created => "created",
            TokenSort::LastUsed => "used",
            TokenSort::Name => "name",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            TokenSort::Created => "r.created_at",
            TokenSort::LastUsed => "r.last_used_at",
            TokenSort::Name => "r.name_lower",
        }
    }
}

/// Filters of the list of API tokens; empty means any.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    /// The person the tokens act as.
    pub holder_id: Option<i64>,
    /// `true` for tokens that work, `false` for revoked ones.
    pub active: Option<bool>,
    /// Words to find in the token's name or its holder's name or e-mail.
    pub search: String,
}

/// An API token as the list shows it, revoked ones included.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLine {
    pub token: ApiToken,
    pub revoked_at: Option<i64>,
}

const TOKEN_LINES: &str = "SELECT t.id, t.name, LOWER(t.name) AS name_lower,
        u.id AS holder_id, u.name AS holder, LOWER(u.name) AS holder_lower,
        u.email AS holder_email, u.email_lower, t.created_at, t.last_used_at, t.revoked_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token_line(row: &AnyRow) -> Result<TokenLine> {
    Ok(TokenLine {
        token: ApiToken {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            holder_id: row.try_get("holder_id")?,
            holder: row.try_get("holder")?,
            holder_email: row.try_get("holder_email")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
        },
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// What is needed to add a person.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password: Option<&'a str>,
}

impl NewUser<'_> {
    /// The person's e-mail address and name as they would be stored, or
    /// every problem with what was given; reads nothing, so a command can
    /// refuse them before it opens a database.
    pub fn checked(&self) -> Result<(Email, String)> {
        let mut refusals = Refusals::default();
        let email = refusals.value(
            Email::parse(self.email)
                .map(Some)
                .map_err(|e| DbError::invalid("email", e)),
        )?;
        let name = refusals.value(required_name("name", self.name, "a name is required"))?;
        if let Some(password) = self.password {
            refusals.value(check_new_password(password))?;
        }
        let email = refusals.finish_with(email)?;
        Ok((email, name))
    }
}

/// A hash no password matches, checked for unknown people so that refusing
/// them costs what refusing a wrong password does.
fn unknown_person_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::random_hex(32)))
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: hashing is slow on purpose, so a megabyte of
/// password would cost the server dearly.
const MAX_PASSWORD_CHARS: usize = 1_000;

/// Refuses, naming the field `password`, one that is too short, too long
/// or only spaces.
fn check_new_password(password: &str) -> Result<()> {
    let problem = if password.chars().count() < MIN_PASSWORD_CHARS {
        format!("must have at least {MIN_PASSWORD_CHARS} characters")
    } else if password.chars().count() > MAX_PASSWORD_CHARS {
        format!("must have at most {MAX_PASSWORD_CHARS} characters")
    } else if password.trim().is_empty() {
        "must be more than spaces".to_string()
    } else {
        return Ok(());
    };
    Err(DbError::invalid("password", problem))
}

/// An API token's name as it is stored, or why it is refused.
pub fn token_name(name: &str) -> Result<String> {
    required_name("name", name, "a token needs a name")
}

/// A new person as stored: checked, the password hashed.
struct StoredUser {
    email: String,
    email_lower: String,
    name: String,
    role: Role,
    password_hash: Option<String>,
}

impl StoredUser {
    /// Checks `new` and hashes its password, which is slow on purpose: not
    /// while a transaction holds the write lock.
    fn of(new: &NewUser<'_>) -> Result<StoredUser> {
        let (email_lower, name) = new.checked()?;
        Ok(StoredUser {
            email: new.email.trim().to_owned(),
            email_lower: email_lower.as_str().to_owned(),
            name,
            role: new.role,
            password_hash: new.password.map(auth::hash_password),
        })
    }

    /// Inserts the person and the audit line by `actor`; returns the id.
    async fn insert_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        actor: Option<i64>,
    ) -> Result<i64> {
        let inserted: std::result::Result<(i64,), _> = sqlx::query_as(
            "INSERT INTO users (email, email_lower, name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&self.email)
        .bind(&self.email_lower)
        .bind(&self.name)
        .bind(self.role.as_str())
        .bind(&self.password_hash)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await;
        let email = &self.email_lower;
        let (id,) = inserted.map_err(DbError::from).map_err(|e| {
            if e.is_unique_violation() {
                DbError::conflict("email", format!("a user with {email} already exists"))
            } else {
                e
            }
        })?;
        audit_in(
            &mut **tx,
            actor,
            "user.created",
            "user",
            Some(id),
            &serde_json::json!({"email": email, "role": self.role}),
        )
        .await?;
        Ok(id)
    }
}

impl Db {
    /// Adds a person; the e-mail must be new.
    pub async fn create_user(&self, new: NewUser<'_>) -> Result<User> {
        self.create_user_by(None, new).await
    }

    /// [`Db::create_user`] by `actor`, whom the audit log names.
    pub async fn create_user_by(&self, actor: Option<i64>, new: NewUser<'_>) -> Result<User> {
        let stored = StoredUser::of(&new)?;
        let mut tx = self.begin_write().await?;
        let id = stored.insert_in(&mut tx, actor).await?;
        tx.commit().await?;
        self.user(id).await
    }

    /// Adds the first owner, unless somebody was added first: the set-up
    /// page of an empty database is open to whoever comes first, and two
    /// who come at once must not both become owners. `None` when someone
    /// exists already.
    pub async fn create_first_owner(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<Option<User>> {
        let stored = StoredUser::of(&NewUser {
            email,
            name,
            role: Role::Owner,
            password: Some(password),
        })?;
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            // SQLite's one writer excludes the others already.
            sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if count > 0 {
            return Ok(None);
        }
        let id = stored.insert_in(&mut tx, None).await?;
        tx.commit().await?;
        self.user(id).await.map(Some)
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        user_from_row(row.ok_or_else(|| DbError::NotFound(format!("user {id}")))?)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<User> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email_lower = $1"
        ))
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.reader())
        .await?;
        user_from_row(row.ok_or_else(|| DbError::NotFound(format!("user {email}")))?)
    }

    /// A window of the people as `filter` narrows them.
    pub async fn person_list(
        &self,
        filter: &PeopleFilter,
        window: &Window<PersonSort>,
    ) -> Result<Listed<PersonLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.role = ?", filter.role.map(|r| r.to_string()));
        conditions.equal("r.team_id = ?", filter.team_id);
        conditions.equal("r.active = ?", filter.active.map(i64::from));
        conditions.search(
            &[
                "r.name_lower LIKE ? ESCAPE '\\'",
                "r.email_lower LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(PERSON_LINES, &conditions, window, person_line)
            .await
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                .fetch_all(self.reader())
                .await?;
        rows.into_iter().map(user_from_row).collect()
    }

    /// One page of people by id, after `after`, narrowed by the role, team
    /// and active state of `filter` (its search is for the list page).
    pub async fn user_page(
        &self,
        filter: &PeopleFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users
             WHERE id > $1 AND ($2 = '' OR role = $2) AND ($3 = 0 OR team_id = $3)
                 AND ($4 = -1 OR active = $4)
             ORDER BY id LIMIT $5"
        ))
        .bind(after)
        .bind(filter.role.map(Role::as_str).unwrap_or_default())
        .bind(filter.team_id.unwrap_or(0))
        .bind(filter.active.map_or(-1, i64::from))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(user_from_row).collect()
    }

    /// The active people, whose forwarded e-mails are credited to the sender
    /// they forwarded; no query unless one of `channels` is e-mail.
    pub async fn staff_for(&self, mut channels: impl Iterator<Item = Channel>) -> Result<Staff> {
        if !channels.any(|channel| channel == Channel::Email) {
            return Ok(Staff::default());
        }
        let addresses: Vec<(String,)> = sqlx::query_as("SELECT email FROM users WHERE active = 1")
            .fetch_all(self.reader())
            .await?;
        Ok(Staff::new(addresses.into_iter().map(|(address,)| address)))
    }

    /// True when nobody has been added yet: the first owner must be set up.
    pub async fn has_no_users(&self) -> Result<bool> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(self.reader())
            .await?;
        Ok(count == 0)
    }

    /// True when some active owner can sign in and manage people.
    pub async fn has_active_owner(&self) -> Result<bool> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'owner' AND active = 1")
                .fetch_one(self.reader())
                .await?;
        Ok(count > 0)
    }

    /// The first kind of record the database already holds, if any: a
    /// generated company goes only into a database holding none.
    pub async fn first_kind_held(&self) -> Result<Option<&'static str>> {
        // Fixed table names, never input.
        for table in [
            "users",
            "inquiries",
            "accounts",
            "contacts",
            "leads",
            "opportunities",
            "campaigns",
            "activities",
        ] {
            let (held,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 1) AS one"
            ))
            .fetch_one(self.reader())
            .await?;
            if held > 0 {
                return Ok(Some(table));
            }
        }
        Ok(None)
    }

    /// Issues an API token for a user; returns it in clear, once. `actor`
    /// is who issued it, `None` for the command line.
    pub async fn create_api_token(
        &self,
        actor: Option<i64>,
        user_id: i64,
        name: &str,
    ) -> Result<String> {
        let name = token_name(name)?;
        let name = name.as_str();
        let (token, hash) = auth::new_api_token();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(hash)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "token.created",
            "api_token",
            Some(id),
            &serde_json::json!({"name": name, "user_id": user_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Every API token that still works, newest first, with whose it is;
    /// never the token itself, which only its holder has.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows: Vec<(i64, String, i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT t.id, t.name, u.id, u.name, u.email, t.created_at, t.last_used_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.revoked_at IS NULL ORDER BY t.id DESC",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, holder_id, holder, holder_email, created_at, last_used_at)| ApiToken {
                    id,
                    name,
                    holder_id,
                    holder,
                    holder_email,
                    created_at,
                    last_used_at,
                },
            )
            .collect())
    }

    /// A window of the API tokens, revoked ones too, as `filter` narrows
    /// them; never a token itself.
    pub async fn token_list(
        &self,
        filter: &TokenFilter,
        window: &Window<TokenSort>,
    ) -> Result<Listed<TokenLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.holder_id = ?", filter.holder_id);
        match filter.active {
            Some(true) => conditions.add("r.revoked_at IS NULL", Vec::new()),
            Some(false) => conditions.add("r.revoked_at IS NOT NULL", Vec::new()),
            None => {}
        }
        conditions.search(
            &[
                "r.name_lower LIKE ? ESCAPE '\\'",
                "r.holder_lower LIKE ? ESCAPE '\\'",
                "r.email_lower LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(TOKEN_LINES, &conditions, window, token_line)
            .await
    }

    /// Stops a token from working, for good; it stays on record.
    pub async fn revoke_api_token(&self, actor: Option<i64>, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() != 1 {
            let known: Option<(i64,)> = sqlx::query_as("SELECT id FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match known {
                Some(_) => DbError::conflict("id", format!("API token {id} is already revoked")),
                None => DbError::NotFound(format!("API token {id}")),
            });
        }
        audit_in(
            &mut *tx,
            actor,
            "token.revoked",
            "api_token",
            Some(id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        self.token_cache().forget();
        Ok(())
    }

    /// Withdraws a token just issued whose secret never reached its holder.
    pub async fn withdraw_api_token(&self, token: &str) -> Result<()> {
        let hash = auth::hash_token(token);
        let mut tx = self.begin_write().await?;
        let withdrawn: Option<(i64,)> = sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL
             RETURNING id",
        )
        .bind(now_ms())
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id,)) = withdrawn {
            let why = serde_json::json!({"why": "never shown to its holder"});
            audit_in(&mut *tx, None, "token.revoked", "api_token", Some(id), &why).await?;
        }
        tx.commit().await?;
        self.token_cache().forget();
        Ok(())
    }

    /// The active user behind a bearer token, if the token is valid.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<User>> {
        let hash = auth::hash_token(token);
        if let Some(user) = self.token_cache().get(&hash) {
            return Ok(Some(user));
        }
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, u.role, u.team_id, u.manager_id, u.active
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1",
        )
        .bind(&hash)
        .fetch_optional(self.reader())
        .await?;
        let user = row.map(user_from_row).transpose()?;
        if let Some(user) = &user {
            // Recorded when the token is read from the database, so at most
            // once per cache period: "last used" is true to within it. Not
            // awaited: a request that only reads must not wait for, or fail
            // on, a write lock another process holds.
            if self.token_cache().refresh(hash.clone(), user.clone()) {
                let writer = self.writer().clone();
                let used_at = now_ms();
                tokio::spawn(async move {
                    let recorded = sqlx::query(
                        "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2",
                    )
                    .bind(used_at)
                    .bind(&hash)
                    .execute(&writer)
                    .await;
                    if let Err(error) = recorded {
                        tracing::warn!(%error, "a token's last use was not recorded");
                    }
                });
            }
        }
        Ok(user)
    }

    /// Appends to the audit log. `actor` is the user who acted, `None` for the system.
    pub async fn audit(
        &self,
        actor: Option<i64>,
        action: &str,
        entity: &str,
        entity_id: Option<i64>,
        detail: &serde_json::Value,
    ) -> Result<()> {
        audit_in(self.writer(), actor, action, entity, entity_id, detail).await
    }
}

/// Appends to the audit log inside an open transaction or on a pool.
pub async fn audit_in<'e, E: sqlx::AnyExecutor<'e>>(
    executor: E,
    actor: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, entity, entity_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now_ms())
    .bind(actor)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(detail.to_string())
    .execute(executor)
    .await?;
    Ok(())
}

/// Changes to a person; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// `Some(None)` takes the person out of their team.
    pub team_id: Option<Option<i64>>,
    /// `Some(None)` leaves the person without a manager.
    pub manager_id: Option<Option<i64>>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

impl Db {
    /// Changes a person's team, manager, role or whether they may sign in.
    /// Nobody deactivates themselves or gives up their own owner role, so an
    /// organisation always keeps an owner who can act.
    pub async fn update_user(&self, actor: i64, id: i64, change: &UserChange) -> Result<User> {
        let current = self.user(id).await?;
        let asked = change.team_id.is_some()
            || change.manager_id.is_some()
            || change.role.is_some()
            || change.active.is_some();
        if !asked {
            // A change to nothing writes nothing, the audit log included.
            return Ok(current);
        }
        if actor == id && change.active == Some(false) {
            return Err(DbError::invalid("active", "you cannot deactivate yourself"));
        }
        if actor == id
            && current.role == Role::Owner
            && change.role.is_some_and(|r| r != Role::Owner)
        {
            return Err(DbError::invalid(
                "role",
                "you cannot give up your own owner role; another owner can",
            ));
        }
        if change.manager_id == Some(Some(id)) {
            return Err(DbError::invalid(
                "manager_id",
                "a person cannot be their own manager",
            ));
        }
        let team_id = change.team_id.unwrap_or(current.team_id);
        self.ensure_exists("team_id", Table::Teams, team_id).await?;
        let manager_id = change.manager_id.unwrap_or(current.manager_id);
        // A manager already recorded may have left since; a new one may not have.
        self.ensure_active_person("manager_id", change.manager_id.flatten(), "manages nobody")
            .await?;
        if let Some(manager) = change.manager_id.flatten() {
            // Nobody may end up managing themselves through others.
            if Chain::Management
                .reaches(self.reader(), manager, id)
                .await?
            {
                return Err(DbError::invalid(
                    "manager_id",
                    format!("user {manager} is managed by this person, directly or through others"),
                ));
            }
        }
        let role = change.role.unwrap_or(current.role);
        let active = change.active.unwrap_or(current.active);
        let loses_an_owner =
            current.role == Role::Owner && current.active && (role != Role::Owner || !active);
        let mut tx = self.begin_write().await?;
        if loses_an_owner && self.backend() == Backend::Postgres {
            // Two owners demoting each other at once: the second waits here
            // and then counts without the first.
            sqlx::query("SELECT id FROM users WHERE role = 'owner' AND active = 1 FOR UPDATE")
                .execute(&mut *tx)
                .await?;
        }
        // Set only if the person is still as read: of two changes at once,
        // the second is refused rather than undoing the first.
        let changed = sqlx::query(
            "UPDATE users SET team_id = $1, manager_id = $2, role = $3, active = $4
             WHERE id = $5 AND team_id IS NOT DISTINCT FROM $6 AND manager_id IS NOT DISTINCT FROM $7
                 AND role = $8 AND active = $9",
        )
        .bind(team_id)
        .bind(manager_id)
        .bind(role.as_str())
        .bind(i64::from(active))
        .bind(id)
        .bind(current.team_id)
        .bind(current.manager_id)
        .bind(current.role.as_str())
        .bind(i64::from(current.active))
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(DbError::conflict(
                "user",
                format!("{} changed meanwhile; read them again", current.email),
            ));
        }
        if loses_an_owner {
            let (owners,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'owner' AND active = 1")
                    .fetch_one(&mut *tx)
                    .await?;
            if owners == 0 {
                let field = if active { "role" } else { "active" };
                return Err(DbError::conflict(
                    field,
                    format!(
                        "{} is the last active owner; make someone else owner first",
                        current.email
                    ),
                ));
            }
        }
        if current.active && !active {
            let released = stop_access_and_release_work(&mut tx, actor, &current).await?;
            audit_in(
                &mut *tx,
                Some(actor),
                "user.deactivated",
                "user",
                Some(id),
                &serde_json::json!({"work_items_released": released}),
            )
            .await?;
        }
        audit_in(
            &mut *tx,
            Some(actor),
            "user.updated",
            "user",
            Some(id),
            // Only what was changed, with its new value: a team cleared is
            // `"team_id": null`, a team left alone is not named.
            &serde_json::Value::Object(
                [
                    ("team_id", change.team_id.map(|t| serde_json::json!(t))),
                    (
                        "manager_id",
                        change.manager_id.map(|m| serde_json::json!(m)),
                    ),
                    ("role", change.role.map(|r| serde_json::json!(r))),
                    ("active", change.active.map(|a| serde_json::json!(a))),
                ]
                .into_iter()
                .filter_map(|(key, value)| Some((key.to_string(), value?)))
                .collect(),
            ),
        )
        .await?;
        tx.commit().await?;
        self.token_cache().forget();
        self.user(id).await
    }
}

/// Ends a deactivated person's sessions, tokens and calendar feed address
/// for good, so that reactivating them does not bring old credentials
/// back, and returns their open work to its queues to be taken. Returns
/// the items released.
async fn stop_access_and_release_work(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: i64,
    person: &User,
) -> Result<Vec<i64>> {
    let now = now_ms();
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(person.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(person.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(person.id)
        .execute(&mut **tx)
        .await?;
    // Their leads wait with the work, held by nobody.
    sqlx::query(
        "UPDATE leads SET owner_id = NULL WHERE owner_id = $1 AND id IN (
             SELECT lead_id FROM work_items WHERE assignee_id = $1 AND status IN ('assigned', 'accepted'))",
    )
    .bind(person.id)
    .execute(&mut **tx)
    .await?;
    let held: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, queue_id FROM work_items WHERE assignee_id = $1 AND status IN ('assigned', 'accepted')
         ORDER BY id",
    )
    .bind(person.id)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE work_items SET assignee_id = NULL, status = 'unassigned', updated_at = $1
         WHERE assignee_id = $2 AND status IN ('assigned', 'accepted')",
    )
    .bind(now)
    .bind(person.id)
    .execute(&mut **tx)
    .await?;
    let why = format!("waiting: {} was deactivated", person.email);
    for (item, queue) in &held {
        crate::work_items::record(
            tx,
            *item,
            "waiting",
            Some(person.id),
            None,
            Some(*queue),
            &why,
            Some(actor),
        )
        .await?;
    }
    Ok(held.into_iter().map(|(item, _)| item).collect())
}

/// How long a web session lasts without signing in again.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

/// A signed-in browser: the person, the token its forms must carry, and
/// the organisation's time zone, which its pages show times in.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub time_zone: jiff::tz::TimeZone,
}

impl Db {
    /// Checks an e-mail and password; `None` for any mismatch, so callers
    /// cannot tell unknown people from wrong passwords.
    pub async fn check_password(&self, email: &str, password: &str) -> Result<Option<User>> {
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, password_hash FROM users WHERE email_lower = $1 AND active = 1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.reader())
        .await?;
        match row {
            Some((id, Some(hash))) if auth::verify_password(password, &hash) => {
                Ok(Some(self.user(id).await?))
            }
            Some((_, Some(_))) => Ok(None),
            // Hash anyway, so that an unknown address takes as long to refuse
            // as a wrong password and answers cannot be told apart by time.
            _ => {
                auth::verify_password(password, unknown_person_hash());
                Ok(None)
            }
        }
    }

    /// Opens a session; returns the secret for the cookie, shown once.
    pub async fn create_session(&self, user_id: i64) -> Result<String> {
        let token = auth::random_hex(32);
        let now = now_ms();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(auth::hash_token(&token))
        .bind(user_id)
        .bind(auth::random_hex(16))
        .bind(now)
        .bind(now + SESSION_TTL_MS)
        .execute(self.writer())
        .await?;
        self.audit(
            Some(user_id),
            "session.opened",
            "user",
            Some(user_id),
            &serde_json::json!({}),
        )
        .await?;
        Ok(token)
    }

    /// The session behind a cookie secret, if it is open and not expired.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        // The time zone comes along: every page shows times in it.
        let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT s.user_id, s.csrf_token, (SELECT value FROM settings WHERE key = $3)
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(auth::hash_token(token))
        .bind(now_ms())
        .bind(crate::settings::keys::TIME_ZONE)
        .fetch_optional(self.reader())
        .await?;
        match row {
            Some((user_id, csrf_token, zone)) => Ok(Some(Session {
                user: self.user(user_id).await?,
                csrf_token,
                time_zone: crate::settings::stored_zone(zone.as_deref()),
            })),
            None => Ok(None),
        }
    }

    /// Changes a person's password once their current one is checked, and
    /// closes their other sessions, so a leaked password stops working
    /// everywhere but here. `session` is the token of the session that stays.
    pub async fn change_password(
        &self,
        user_id: i64,
        session: &str,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let stored: Option<(Option<String>,)> =
            sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(self.reader())
                .await?;
        let matches =
            matches!(stored, Some((Some(hash),)) if auth::verify_password(current, &hash));
        if !matches {
            return Err(DbError::invalid(
                "current",
                "this is not your current password",
            ));
        }
        check_new_password(new)?;
        if new == current {
            return Err(DbError::invalid(
                "password",
                "choose a password different from the current one",
            ));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(auth::hash_password(new))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(auth::hash_token(session))
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut *tx,
            Some(user_id),
            "user.password_changed",
            "user",
            Some(user_id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a person's password without the current one (an administrator's
    /// act, e.g. for an owner who lost theirs) and closes all their
    /// sessions.
    pub async fn set_password(&self, actor: Option<i64>, user_id: i64, new: &str) -> Result<()> {
        check_new_password(new)?;
        let mut tx = self.begin_write().await?;
        let set = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(auth::hash_password(new))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if set.rows_affected() != 1 {
            return Err(DbError::NotFound(format!("user {user_id}")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut *tx,
            actor,
            "user.password_set",
            "user",
            Some(user_id),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes one session, or every session of its person.
    pub async fn close_session(&self, token: &str, everywhere: bool) -> Result<()> {
        let hash = auth::hash_token(token);
        if everywhere {
            sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT user_id FROM sessions WHERE token_hash = $1)")
                .bind(&hash)
                .execute(self.writer())
                .await?;
        } else {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(self.writer())
                .await?;
        }
        Ok(())
    }
}

/// Sets the `active` flag of row `id` of `table` (a name from the code,
/// never from input) and audits it as `action` on the row's entity (the
/// table's name in the singular). Not found when there is no such row.
pub(crate) async fn switch_active(
    db: &Db,
    table: &'static str,
    id: i64,
    active: bool,
    actor: Option<i64>,
    action: &str,
) -> Result<()> {
    let entity = table.trim_end_matches('s');
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query(&format!("UPDATE {table} SET active = $1 WHERE id = $2"))
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(DbError::NotFound(format!("{entity} {id}")));
    }
    audit_in(
        &mut *tx,
        actor,
        action,
        entity,
        Some(id),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn of_the_requests_refreshing_a_token_at_once_only_the_first_records_its_use() {
        let cache = TokenCache::default();
        let user = User {
            id: 1,
            email: "hal@acme.test".into(),
            name: "Hal".into(),
            role: Role::Hunter,
            team_id: None,
            manager_id: None,
            active: true,
        };
        assert!(cache.refresh("hash".into(), user.clone()), "the first");
        assert!(!cache.refresh("hash".into(), user.clone()), "the second");
        assert_eq!(cache.get("hash"), Some(user.clone()));
        assert!(cache.refresh("other".into(), user), "another token");
        cache.forget();
        assert_eq!(cache.get("hash"), None);
    }
}
