//! Accounts: companies with a value tier, a status and their e-mail domains.

use crate::checks::{MAX_NAME, at_most, optional, required_name};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::domain::{AccountStatus, Tier};
use baton_core::import::mapping::MAX_EMPLOYEES;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Legal-form suffixes dropped when comparing company names.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "nv",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "srl",
    "spa",
    "oy",
    "ab",
    "as",
    "pty",
];

/// A company name reduced for matching: lowercase words without punctuation
/// or legal form ("ACME, Inc." and "Acme" match).
pub fn normalise_company(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let keep = words.len()
        - words
            .iter()
            .rev()
            .take_while(|w| LEGAL_SUFFIXES.contains(w))
            .count();
    words[..keep.max(1).min(words.len())].join(" ")
}

/// A company Baton sells to or serves.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub status: AccountStatus,
    pub tier: Tier,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub owner_id: Option<i64>,
    pub domains: Vec<String>,
    pub created_at: i64,
}

/// What is needed to add an account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub name: String,
    pub domains: Vec<String>,
    pub status: Option<AccountStatus>,
    pub tier: Option<Tier>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub owner_id: Option<i64>,
}

/// Whom the caller may change an account for: anyone's (a manager), or
/// only while it is held as the caller saw it when that was decided, so
/// that two sellers claiming an account nobody held cannot both succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBy {
    Anyone,
    AsSeen(Option<i64>),
}

impl HeldBy {
    /// A manager changes any account; anyone else only one still held by
    /// `seen`, its holder when their right to change it was decided.
    pub fn for_caller(manager: bool, seen: Option<i64>) -> HeldBy {
        match manager {
            true => HeldBy::Anyone,
            false => HeldBy::AsSeen(seen),
        }
    }
}

/// A change to an account: the fields given replace the stored ones;
/// `Some(None)` clears one that may be empty; `domains` replaces the whole
/// list of the domains it claims.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub status: Option<AccountStatus>,
    pub tier: Option<Tier>,
    pub industry: Option<Option<String>>,
    pub employees: Option<Option<i64>>,
    pub owner_id: Option<Option<i64>>,
    pub domains: Option<Vec<String>>,
}

impl AccountChange {
    /// `account` with this change made to it, as a new account would be given.
    pub fn over(&self, account: &Account) -> NewAccount {
        NewAccount {
            name: self.name.clone().unwrap_or_else(|| account.name.clone()),
            domains: self
                .domains
                .clone()
                .unwrap_or_else(|| account.domains.clone()),
            status: Some(self.status.unwrap_or(account.status)),
            tier: Some(self.tier.unwrap_or(account.tier)),
            industry: self
                .industry
                .clone()
                .unwrap_or_else(|| account.industry.clone()),
            employees: self.employees.unwrap_or(account.employees),
            owner_id: self.owner_id.unwrap_or(account.owner_id),
        }
    }
}

/// A domain as stored: lowercase, without scheme, `www.` or path.
pub fn normalise_domain(raw: &str) -> Result<String> {
    let lower = raw.trim().to_lowercase();
    let host = lower
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    // As DNS has them: at most 253 characters, labels of 1 to 63 that
    // neither start nor end with a dash, and a top level with a letter
    // (so that an IP address is not taken for a company's domain).
    let valid = host.contains('.')
        && host.len() <= 253
        && host.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && host
            .rsplit('.')
            .next()
            .is_some_and(|top| top.chars().any(|c| c.is_ascii_alphabetic()));
    if valid {
        Ok(host)
    } else {
        Err(DbError::invalid(
            "domain",
            format!("`{raw}` is not a domain like example.com"),
        ))
    }
}

type AccountRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
);

/// Most domains one account claims.
const MAX_DOMAINS: usize = 100;

impl Db {
    /// Adds an account and claims its domains; a domain already claimed by
    /// another account is refused.
    pub async fn create_account(&self, actor: Option<i64>, new: &NewAccount) -> Result<Account> {
        let (name, domains) = self.checked_account(new).await?;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO accounts (name, name_norm, status, tier, industry, employees, owner_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&name)
        .bind(normalise_company(&name))
        .bind(new.status.unwrap_or(AccountStatus::Suspect).as_str())
        .bind(new.tier.unwrap_or(Tier::C).as_str())
        .bind(optional(new.industry.as_deref()))
        .bind(new.employees)
        .bind(new.owner_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        claim_domains(&mut tx, id, &domains).await?;
        audit_in(
            &mut *tx,
            actor,
            "account.created",
            "account",
            Some(id),
            &serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        self.account(id).await
    }

    /// Changes an account: its name, status, tier, industry, head count,
    /// holder or domains. Every problem is named at once; a domain another
    /// account claims is a conflict; a change to nothing writes nothing.
    pub async fn update_account(
        &self,
        actor: Option<i64>,
        id: i64,
        change: &AccountChange,
        held_by: HeldBy,
    ) -> Result<Account> {
        // Checked before the transaction: on PostgreSQL reads share the
        // writers' pool, which changes waiting on this row may hold.
        let (name, domains) = self
            .checked_account(&change.over(&self.account(id).await?))
            .await?;
        let mut tx = self.begin_write().await?;
        // Read again in the writer's transaction, the row locked on
        // PostgreSQL: what this change leaves alone is kept as it is now.
        let lock = self.backend().row_lock();
        let row: Option<AccountRow> = sqlx::query_as(&format!(
            "SELECT id, name, status, tier, industry, employees, owner_id, created_at FROM accounts
             WHERE id = $1{lock}"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = row.ok_or_else(|| DbError::NotFound(format!("account {id}")))?;
        let claimed: Vec<(String,)> = sqlx::query_as(
            "SELECT domain FROM account_domains WHERE account_id = $1 ORDER BY domain",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let current = account_from_row(row, claimed.into_iter().map(|(d,)| d).collect())?;
        if let HeldBy::AsSeen(seen) = held_by
            && current.owner_id != seen
        {
            return Err(DbError::conflict(
                "owner_id",
                format!(
                    "account {id} changed hands meanwhile: it is now held by {}",
                    current
                        .owner_id
                        .map_or("nobody".to_string(), |owner| format!("user {owner}"))
                ),
            ));
        }
        let new = change.over(&current);
        let mut sorted = domains.clone();
        sorted.sort();
        let unchanged = (
            &name,
            new.status,
            new.tier,
            &new.industry,
            new.employees,
            new.owner_id,
            &sorted,
        ) == (
            &current.name,
            Some(current.status),
            Some(current.tier),
            &current.industry,
            current.employees,
            current.owner_id,
            &current.domains,
        );
        if unchanged {
            return Ok(current);
        }
        sqlx::query(
            "UPDATE accounts SET name = $1, name_norm = $2, status = $3, tier = $4, industry = $5,
                 employees = $6, owner_id = $7, updated_at = $8
             WHERE id = $9",
        )
        .bind(&name)
        .bind(normalise_company(&name))
        .bind(new.status.unwrap_or(current.status).as_str())
        .bind(new.tier.unwrap_or(current.tier).as_str())
        .bind(optional(new.industry.as_deref()))
        .bind(new.employees)
        .bind(new.owner_id)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.domains.is_some() {
            sqlx::query("DELETE FROM account_domains WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            claim_domains(&mut tx, id, &domains).await?;
        }
        audit_in(
            &mut *tx,
            actor,
            "account.updated",
            "account",
            Some(id),
            &serde_json::json!({
                "name": change.name, "status": change.status, "tier": change.tier,
                "industry": change.industry, "employees": change.employees,
                "owner_id": change.owner_id, "domains": change.domains,
            }),
        )
        .await?;
        tx.commit().await?;
        self.account(id).await
    }

    /// A new account's name and domains as they would be stored, or every
    /// problem with it at once; stores nothing. A page that could not read
    /// some of its fields asks this of the others, to name all at once.
    pub async fn checked_account(&self, new: &NewAccount) -> Result<(String, Vec<String>)> {
        let mut refusals = Refusals::default();
        let name = refusals.value(required_name("name", &new.name, "an account needs a name"))?;
        let mut domains = refusals.value(
            new.domains
                .iter()
                .map(|d| normalise_domain(d))
                .collect::<Result<Vec<_>>>(),
        )?;
        // The same domain given twice (as `domain` and in `domains`) is one claim.
        let mut seen = std::collections::HashSet::new();
        domains.retain(|domain| seen.insert(domain.clone()));
        // A mailbox anyone may have is nobody's company domain: claimed, it
        // would make everyone writing from it that account's people.
        if let Some(shared) = domains.iter().find(|d| {
            baton_core::lists::is_free_mailbox(d) || baton_core::lists::is_disposable_mailbox(d)
        }) {
            refusals.refuse(
                "domain",
                format!("{shared} gives mailboxes to anyone: it is no company's own domain"),
            );
        }
        if domains.len() > MAX_DOMAINS {
            refusals.refuse(
                "domains",
                format!("an account claims at most {MAX_DOMAINS} domains"),
            );
        }
        if new
            .employees
            .is_some_and(|e| !(0..=MAX_EMPLOYEES).contains(&e))
        {
            refusals.refuse(
                "employees",
                format!("must be between 0 and {MAX_EMPLOYEES}"),
            );
        }
        refusals.value(at_most(
            "industry",
            new.industry.as_deref().unwrap_or(""),
            MAX_NAME,
        ))?;
        refusals.value(
            self.ensure_seller("owner_id", new.owner_id, "accounts")
                .await,
        )?;
        refusals.finish()?;
        Ok((name, domains))
    }

    pub async fn account(&self, id: i64) -> Result<Account> {
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT id, name, status, tier, industry, employees, owner_id, created_at FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let row = row.ok_or_else(|| DbError::NotFound(format!("account {id}")))?;
        let mut accounts = self.with_domains(vec![row]).await?;
        Ok(accounts.remove(0))
    }

    /// Accounts after the cursor `after` (an id), filtered by status, oldest first.
    pub async fn accounts(
        &self,
        status: Option<AccountStatus>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT id, name, status, tier, industry, employees, owner_id, created_at FROM accounts
             WHERE id > $1 AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(status.map(|s| s.as_str()).unwrap_or_default())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        self.with_domains(rows).await
    }

    async fn with_domains(&self, rows: Vec<AccountRow>) -> Result<Vec<Account>> {
        let mut accounts = Vec::with_capacity(rows.len());
        for row in rows {
            let domains: Vec<(String,)> = sqlx::query_as(
                "SELECT domain FROM account_domains WHERE account_id = $1 ORDER BY domain",
            )
            .bind(row.0)
            .fetch_all(self.reader())
            .await?;
            accounts.push(account_from_row(
                row,
                domains.into_iter().map(|(d,)| d).collect(),
            )?);
        }
        Ok(accounts)
    }
}

fn account_from_row(
    (id, name, status, tier, industry, employees, owner_id, created_at): AccountRow,
    domains: Vec<String>,
) -> Result<Account> {
    Ok(Account {
        id,
        name,
        status: status
            .parse()
            .map_err(|e| DbError::invalid("status", format!("{e}")))?,
        tier: tier
            .parse()
            .map_err(|e| DbError::invalid("tier", format!("{e}")))?,
        industry,
        employees,
        owner_id,
        domains,
        created_at,
    })
}

/// Claims `domains` for the account `id`; one another account claims is a
/// conflict.
async fn claim_domains(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    domains: &[String],
) -> Result<()> {
    for domain in domains {
        sqlx::query("INSERT INTO account_domains (domain, account_id) VALUES ($1, $2)")
            .bind(domain)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(DbError::from)
            .map_err(|e| {
                if e.is_unique_violation() {
                    DbError::conflict(
                        "domain",
                        format!("{domain} already belongs to another account"),
                    )
                } else {
                    e
                }
            })?;
    }
    Ok(())
}

/// The columns the account list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSort {
    Name,
    Tier,
    Status,
    OpenWork,
    RevenueWon,
}

impl SortColumn for AccountSort {
    const ALL: &'static [Self] = &[
        AccountSort::Name,
        AccountSort::Tier,
        AccountSort::Status,
        AccountSort::OpenWork,
        AccountSort::RevenueWon,
    ];

    fn key(self) -> &'static str {
        match self {
            AccountSort::Name => "name",
            AccountSort::Tier => "tier",
            AccountSort::Status => "status",
            AccountSort::OpenWork => "open_work",
            AccountSort::RevenueWon => "revenue_won",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            AccountSort::Name => "r.name_norm",
            AccountSort::Tier => "r.tier",
            AccountSort::Status => "r.status",
            AccountSort::OpenWork => "r.open_work",
            AccountSort::RevenueWon => "r.revenue_won",
        }
    }
}

/// Filters of the account list; empty means any.
#[derive(Debug, Clone, Default)]
pub struct AccountListFilter {
    pub tier: Option<Tier>,
    pub status: Option<AccountStatus>,
    /// Words to find in the name or a domain.
    pub search: String,
    /// Count only this person's work and deals (someone who sees only their own).
    pub viewer: Option<i64>,
}

/// An account as the account list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountLine {
    pub id: i64,
    pub name: String,
    /// The first of its domains.
    pub domain: Option<String>,
    pub tier: Tier,
    pub status: AccountStatus,
    /// Open work items on its leads.
    pub open_work: i64,
    /// Won deals in the organisation's currency, in its minor units.
    pub revenue_won: i64,
    pub currency: String,
    /// Won deals in other currencies, which `revenue_won` leaves out.
    pub won_in_other_currencies: i64,
}

/// Accounts with the open work on their leads and the revenue won from
/// their deals in `currency`, limited to what `viewer` may see (0 is
/// everything); both are the placeholders they are bound to.
fn account_rows(viewer: &str, currency: &str) -> String {
    // Each total is grouped once over the open work and the won deals,
    // rather than asked again for every account.
    format!(
        "SELECT a.id, a.name, a.name_norm, a.tier, a.status,
            (SELECT MIN(d.domain) FROM account_domains d WHERE d.account_id = a.id) AS domain,
            COALESCE(work.open_work, 0) AS open_work,
            COALESCE(won.revenue_won, 0) AS revenue_won,
            {currency} AS currency,
            COALESCE(won.elsewhere, 0) AS won_in_other_currencies
         FROM accounts a
         LEFT JOIN (SELECT l.account_id, COUNT(*) AS open_work
                    FROM work_items w JOIN leads l ON l.id = w.lead_id
                    WHERE w.status IN ('unassigned', 'assigned', 'accepted')
                      AND ({viewer} = 0 OR w.assignee_id = {viewer} OR w.queue_id IN
                           (SELECT m.queue_id FROM queue_members m WHERE m.user_id = {viewer}))
                    GROUP BY l.account_id) work ON work.account_id = a.id
         LEFT JOIN (SELECT o.account_id,
                        CAST(SUM(CASE WHEN o.currency = {currency} THEN o.amount_minor ELSE 0 END)
                            AS BIGINT) AS revenue_won,
                        CAST(SUM(CASE WHEN o.currency = {currency} THEN 0 ELSE 1 END) AS BIGINT)
                            AS elsewhere
                    FROM opportunities o
                    WHERE o.stage = 'won' AND ({viewer} = 0 OR o.owner_id = {viewer})
                    GROUP BY o.account_id) won ON won.account_id = a.id"
    )
}

fn account_line(row: &AnyRow) -> Result<AccountLine> {
    let tier: String = row.try_get("tier")?;
    let status: String = row.try_get("status")?;
    Ok(AccountLine {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domain: row.try_get("domain")?,
        tier: tier
            .parse()
            .map_err(|e| DbError::invalid("tier", format!("{e}")))?,
        status: status
            .parse()
            .map_err(|e| DbError::invalid("status", format!("{e}")))?,
        open_work: row.try_get("open_work")?,
        revenue_won: row.try_get("revenue_won")?,
        currency: row.try_get("currency")?,
        won_in_other_currencies: row.try_get("won_in_other_currencies")?,
    })
}

impl Db {
    /// A window of the account list and its total.
    pub async fn account_list(
        &self,
        filter: &AccountListFilter,
        window: &Window<AccountSort>,
    ) -> Result<Listed<AccountLine>> {
        let mut conditions = Conditions::default();
        let viewer = conditions.bound(filter.viewer.unwrap_or(0));
        let currency = self.currency_or_default("currency", None).await?;
        let currency = conditions.bound(currency.as_str());
        conditions.equal("r.tier = ?", filter.tier.map(|t| t.as_str()));
        conditions.equal("r.status = ?", filter.status.map(|s| s.as_str()));
        conditions.search(
            &[
                "LOWER(r.name) LIKE ? ESCAPE '\\'",
                "EXISTS (SELECT 1 FROM account_domains d
                         WHERE d.account_id = r.id AND d.domain LIKE ? ESCAPE '\\')",
            ],
            &filter.search,
        );
        self.list(
            &account_rows(&viewer, &currency),
            &conditions,
            window,
            account_line,
        )
        .await
    }

    /// One account as the account list shows it.
    pub async fn account_line(&self, id: i64, viewer: Option<i64>) -> Result<AccountLine> {
        let currency = self.currency_or_default("currency", None).await?;
        let row = sqlx::query(&format!("{} WHERE a.id = $3", account_rows("$1", "$2")))
            .bind(viewer.unwrap_or(0))
            .bind(currency.as_str())
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| DbError::NotFound(format!("account {id}")))?;
        account_line(&row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_match_across_legal_forms_and_punctuation() {
        assert_eq!(normalise_company("ACME, Inc."), "acme");
        assert_eq!(normalise_company("Acme"), "acme");
        assert_eq!(normalise_company("Globex Corporation Ltd"), "globex");
        assert_eq!(normalise_company("Co"), "co");
    }

    #[test]
    fn domains_are_stored_bare() {
        assert_eq!(
            normalise_domain("https://www.Acme.io/about").unwrap(),
            "acme.io"
        );
        assert!(normalise_domain("not a domain").is_err());
        for not_a_company in ["-acme.io", "acme-.io", "1.2.3.4", "acme.123", "acme..io"] {
            assert!(normalise_domain(not_a_company).is_err(), "{not_a_company}");
        }
        assert_eq!(normalise_domain("x-ray.co.uk").unwrap(), "x-ray.co.uk");
    }
}
