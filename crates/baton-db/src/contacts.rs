//! Contacts: the people at accounts, one per e-mail address, with the
//! decision-maker flag that scoring and call sheets read.

use crate::checks::{MAX_NAME, Table, at_most, one_line, optional};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::inquiry::{Email, Phone};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A person Baton talks to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    pub account_id: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// `+` and digits.
    pub phone: Option<String>,
    pub title: Option<String>,
    pub decision_maker: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What is needed to add a contact: a name or a way to reach them.
#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub account_id: Option<i64>,
    pub decision_maker: bool,
}

/// Changes to a contact; `None` keeps the current value, empty text clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    /// `Some(None)` detaches the contact from its account.
    pub account_id: Option<Option<i64>>,
    pub decision_maker: Option<bool>,
}

/// Filters for listing contacts; empty means any.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub account_id: Option<i64>,
    pub email: Option<String>,
}

type ContactRow = (
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
);

const CONTACT_SELECT: &str =
    "SELECT id, account_id, name, email, phone, title, decision_maker, created_at, updated_at
     FROM contacts";

fn contact_from_row(row: ContactRow) -> Contact {
    let (id, account_id, name, email, phone, title, decision_maker, created_at, updated_at) = row;
    Contact {
        id,
        account_id,
        name,
        email,
        phone,
        title,
        decision_maker: decision_maker != 0,
        created_at,
        updated_at,
    }
}

/// A phone number as stored, `+` and digits.
fn phone(raw: Option<&str>) -> Result<Option<String>> {
    optional(raw)
        .map(|p| {
            Phone::parse(&p)
                .map(|p| p.as_str().to_string())
                .map_err(|e| DbError::invalid("phone", e))
        })
        .transpose()
}

/// The columns the contact list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSort {
    Name,
    Email,
    Account,
    Title,
}

impl SortColumn for ContactSort {
    const ALL: &'static [Self] = &[
        ContactSort::Name,
        ContactSort::Email,
        ContactSort::Account,
        ContactSort::Title,
    ];

    fn key(self) -> &'static str {
        match self {
            ContactSort::Name => "name",
            ContactSort::Email => "email",
            ContactSort::Account => "account",
            ContactSort::Title => "title",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            ContactSort::Name => "LOWER(r.name)",
            ContactSort::Email => "r.email_lower",
            ContactSort::Account => "r.account_norm",
            ContactSort::Title => "LOWER(r.title)",
        }
    }
}

/// Filters of the contact list; empty means any.
#[derive(Debug, Clone, Default)]
pub struct ContactListFilter {
    pub account_id: Option<i64>,
    pub decision_maker: Option<bool>,
    /// Words to find in the name, e-mail address or company.
    pub search: String,
}

/// A contact as the contact list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactLine {
    pub contact: Contact,
    pub account_name: Option<String>,
}

const CONTACT_LINES: &str =
    "SELECT c.id, c.account_id, c.name, c.email, c.email_lower, c.phone, c.title, c.decision_maker,
        c.created_at, c.updated_at, a.name AS account_name, a.name_norm AS account_norm
     FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id";

fn contact_line(row: &AnyRow) -> Result<ContactLine> {
    let decision_maker: i64 = row.try_get("decision_maker")?;
    Ok(ContactLine {
        contact: Contact {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            title: row.try_get("title")?,
            decision_maker: decision_maker != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        account_name: row.try_get("account_name")?,
    })
}

/// Refuses a contact's name or title longer than [`MAX_NAME`] or not one line.
fn bounded_names(name: Option<&str>, title: Option<&str>) -> Result<()> {
    let mut refusals = Refusals::default();
    for (field, value) in [("name", name), ("title", title)] {
        let value = value.unwrap_or_default().trim();
        refusals.value(at_most(field, value, MAX_NAME).and_then(|()| one_line(field, value)))?;
    }
    refusals.finish()
}

/// Why a contact with neither a name, an e-mail address nor a phone number
/// is refused: nobody could tell who it is or reach them.
const NO_WAY_TO_NAME: &str = "a contact needs a name, an e-mail address or a phone number";

impl Db {
    /// A window of the contact list and its total.
    pub async fn contact_list(
        &self,
        filter: &ContactListFilter,
        window: &Window<ContactSort>,
    ) -> Result<Listed<ContactLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.account_id = ?", filter.account_id);
        conditions.equal("r.decision_maker = ?", filter.decision_maker.map(i64::from));
        conditions.search(
            &[
                "LOWER(r.name) LIKE ? ESCAPE '\\'",
                "r.email_lower LIKE ? ESCAPE '\\'",
                "r.account_norm LIKE ? ESCAPE '\\'",
            ],
            &filter.search,
        );
        self.list(CONTACT_LINES, &conditions, window, contact_line)
            .await
    }
}

impl Db {
    /// Adds a contact; an e-mail address another contact has is refused.
    pub async fn create_contact(&self, actor: Option<i64>, new: &NewContact) -> Result<Contact> {
        let (name, email, phone) = self.checked_contact(new).await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO contacts (account_id, name, email, email_lower, phone, title, decision_maker, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(new.account_id)
        .bind(name.as_deref())
        .bind(email.as_ref().map(Email::as_str))
        .bind(email.as_ref().map(Email::as_str))
        .bind(phone.as_deref())
        .bind(optional(new.title.as_deref()))
        .bind(i64::from(new.decision_maker))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)
        .map_err(|e| match &email {
            Some(email) if e.is_unique_violation() => {
                DbError::conflict("email", format!("a contact with {email} already exists"))
            }
            _ => e,
        })?;
        audit_in(
            &mut *tx,
            actor,
            "contact.created",
            "contact",
            Some(id),
            &serde_json::json!({"email": email, "account_id": new.account_id}),
        )
        .await?;
        tx.commit().await?;
        self.contact(id).await
    }

    /// A new contact's name, e-mail and phone as they would be stored, or
    /// every problem with it at once; stores nothing. A page that could not
    /// read some of its fields asks this of the others, to name all at once.
    pub async fn checked_contact(
        &self,
        new: &NewContact,
    ) -> Result<(Option<String>, Option<Email>, Option<String>)> {
        let mut refusals = Refusals::default();
        let email = refusals.value(
            optional(new.email.as_deref())
                .map(|e| Email::parse(&e).map_err(|problem| DbError::invalid("email", problem)))
                .transpose(),
        )?;
        let phone = refusals.value(phone(new.phone.as_deref()))?;
        let name = optional(new.name.as_deref());
        let reachable = [&new.email, &new.phone]
            .into_iter()
            .any(|given| optional(given.as_deref()).is_some());
        if name.is_none() && !reachable {
            refusals.refuse("name", NO_WAY_TO_NAME);
        }
        refusals.value(bounded_names(name.as_deref(), new.title.as_deref()))?;
        refusals.value(
            self.ensure_exists("account_id", Table::Accounts, new.account_id)
                .await,
        )?;
        refusals.finish()?;
        Ok((name, email, phone))
    }

    /// One contact by id.
    pub async fn contact(&self, id: i64) -> Result<Contact> {
        let row: Option<ContactRow> = sqlx::query_as(&format!("{CONTACT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        Ok(contact_from_row(row.ok_or_else(|| {
            DbError::NotFound(format!("contact {id}"))
        })?))
    }

    /// Contacts after the cursor `after` (an id), matching the filter, oldest first.
    pub async fn contacts(
        &self,
        filter: &ContactFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Contact>> {
        let rows: Vec<ContactRow> = sqlx::query_as(&format!(
            "{CONTACT_SELECT} WHERE id > $1
               AND ($2 = 0 OR account_id = $2)
               AND ($3 = '' OR email_lower = $3)
             ORDER BY id LIMIT $4"
        ))
        .bind(after)
        .bind(filter.account_id.unwrap_or(0))
        .bind(
            filter
                .email
                .as_deref()
                .map(|e| e.trim().to_lowercase())
                .unwrap_or_default(),
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(contact_from_row).collect())
    }

    /// Changes a contact's name, phone, title, account or decision-maker flag.
    pub async fn update_contact(
        &self,
        actor: Option<i64>,
        id: i64,
        change: &ContactChange,
    ) -> Result<Contact> {
        // Checked before the transaction: on PostgreSQL reads share the
        // writers' pool, which the changes waiting on this row may hold.
        let mut refusals = Refusals::default();
        refusals.value(
            self.ensure_exists("account_id", Table::Accounts, change.account_id.flatten())
                .await,
        )?;
        // Read inside the writer's transaction, so that changes sent at
        // once each apply to the one before.
        let mut tx = self.begin_write().await?;
        let lock = self.backend().row_lock();
        let row: Option<ContactRow> =
            sqlx::query_as(&format!("{CONTACT_SELECT} WHERE id = $1{lock}"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let current =
            contact_from_row(row.ok_or_else(|| DbError::NotFound(format!("contact {id}")))?);
        // `None` where the phone given is refused.
        let phone = match &change.phone {
            Some(raw) => refusals.value(phone(Some(raw)).map(Some))?,
            None => Some(current.phone.clone()),
        };
        let account_id = change.account_id.unwrap_or(current.account_id);
        let name = match &change.name {
            Some(name) => optional(Some(name)),
            None => current.name.clone(),
        };
        let title = match &change.title {
            Some(title) => optional(Some(title)),
            None => current.title.clone(),
        };
        refusals.value(bounded_names(name.as_deref(), title.as_deref()))?;
        if name.is_none() && phone.as_ref().is_some_and(Option::is_none) && current.email.is_none()
        {
            let field = if change.name.is_some() {
                "name"
            } else {
                "phone"
            };
            refusals.refuse(field, NO_WAY_TO_NAME);
        }
        let phone = refusals.finish_with(phone)?;
        let decision_maker = change.decision_maker.unwrap_or(current.decision_maker);
        let unchanged = (&name, &phone, &title, account_id, decision_maker)
            == (
                &current.name,
                &current.phone,
                &current.title,
                current.account_id,
                current.decision_maker,
            );
        if unchanged {
            // A change to nothing writes nothing, not even the time.
            return Ok(current);
        }
        sqlx::query(
            "UPDATE contacts SET name = $1, phone = $2, title = $3, account_id = $4, decision_maker = $5,
                 updated_at = $6
             WHERE id = $7",
        )
        .bind(name.as_deref())
        .bind(phone.as_deref())
        .bind(title.as_deref())
        .bind(account_id)
        .bind(i64::from(decision_maker))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "contact.updated",
            "contact",
            Some(id),
            &serde_json::json!({
                "name": change.name, "phone": change.phone, "title": change.title,
                "account_id": change.account_id, "decision_maker": change.decision_maker,
            }),
        )
        .await?;
        tx.commit().await?;
        self.contact(id).await
    }
}
