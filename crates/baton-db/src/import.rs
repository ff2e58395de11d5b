//! Importing accounts, people and opportunities read from CSV through an
//! import mapping ([`baton_core::import::mapping`]).
//!
//! Imports are idempotent: accounts are matched by normalised name, people
//! by e-mail, opportunities by their id in the system they come from, so a
//! file imported twice changes nothing the second time. Whatever the import
//! read differently from the file, or could not link, is reported rather
//! than dropped.
//!
//! Deals keep the value the file gives them: the close value of won and
//! lost deals (lost deals are worth 0 in the file and stay so), and 0 for
//! open deals, which have no value before they close. Reports count won
//! revenue only.

use crate::accounts::normalise_company;
use crate::checks::Chain;
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::sql::{CHUNK, Value, allocate_ids, insert_rows, placeholders};
use crate::users::audit_in;
use baton_core::domain::{AccountStatus, OpportunityStage, Role, Tier};
use baton_core::import::csv::RowPosition;
use baton_core::import::mapping::{
    AccountRecord, AliasUse, Mapping, OpportunityRecord, ReadRecords, RecordKind, UserRecord,
};
use baton_core::money::{Currency, parse_amount, parse_amount_in_units};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Opportunities stored per transaction, so a large file does not hold the
/// write lock for the whole import.
const OPPORTUNITY_BATCH: usize = 2_000;

/// Whether an import stores what it read, or only reports what it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    Store,
    /// Everything is done in one transaction that is then rolled back, so
    /// the report is exactly what storing would give.
    DryRun,
}

impl ImportMode {
    /// Ends the import's last transaction as the mode says.
    async fn finish(self, tx: sqlx::Transaction<'static, sqlx::Any>) -> Result<()> {
        match self {
            ImportMode::Store => tx.commit().await?,
            ImportMode::DryRun => tx.rollback().await?,
        }
        Ok(())
    }
}

/// A row the import refused, with where it is in the file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 1-based among the data rows.
    pub row: u64,
    /// 1-based line of the file where the row starts.
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// `accounts`, `users` or `opportunities`.
    pub records: String,
    /// Nothing was stored: the counts say what the import would do.
    pub dry_run: bool,
    /// Data rows read from the file.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejection>,
    /// What the import read differently from the file or could not link,
    /// e.g. "product `GTXPro` read as `GTX Pro` in 1,480 deals".
    pub quirks: Vec<String>,
}

/// `1480` as `1,480`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the records of one kind are called in messages.
fn noun(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Accounts => "accounts",
        RecordKind::Users => "people",
        RecordKind::Opportunities => "deals",
    }
}

/// Up to five names, quoted, for a message.
fn some_names<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    let names: Vec<&String> = names.into_iter().collect();
    let mut shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
    if names.len() > 5 {
        shown.push(format!("and {} more", names.len() - 5));
    }
    shown.join(", ")
}

impl ImportReport {
    /// A report that starts from what reading the file found: its rows, the
    /// rows it rejected and the aliases it applied, named by the file's column.
    fn from_read<T>(read: &ReadRecords<T>, mapping: &Mapping) -> ImportReport {
        let kind = mapping.kind();
        ImportReport {
            records: kind.as_str().to_string(),
            dry_run: false,
            rows: (read.records.len() + read.rejected.len()) as u64,
            rejected: read
                .rejected
                .iter()
                .map(|e| Rejection {
                    row: e.row,
                    line: e.line,
                    reason: e.message.clone(),
                })
                .collect(),
            quirks: read
                .aliases
                .iter()
                .map(|AliasUse { alias, rows }| {
                    format!(
                        "{} `{}` read as `{}` in {} {}",
                        mapping.column(&alias.field).unwrap_or(&alias.field),
                        alias.from,
                        alias.to,
                        thousands(*rows),
                        noun(kind)
                    )
                })
                .collect(),
            ..ImportReport::default()
        }
    }

    /// Adds a rejection in the order of the file's rows, beside those the
    /// reading found.
    fn reject(&mut self, position: &RowPosition, reason: String) {
        let at = self.rejected.partition_point(|r| r.row <= position.row);
        self.rejected.insert(
            at,
            Rejection {
                row: position.row,
                line: position.line,
                reason,
            },
        );
    }

    /// Adds "{count} {subject} {rest}" as a quirk when `count` is not zero;
    /// `subject` is given for one and for many ("deal has", "deals have").
    fn quirk(&mut self, count: usize, subject: [&str; 2], rest: impl FnOnce() -> String) {
        if count > 0 {
            let subject = subject[usize::from(count > 1)];
            let count = thousands(count as u64);
            self.quirks.push(format!("{count} {subject} {}", rest()));
        }
    }

    /// Counts one record as created, updated or unchanged.
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }

    fn audit_detail(&self) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected.len(),
        })
    }
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The links an import made, and those it left out because they would
/// close a loop (a person managing themselves through others, a company
/// its own parent).
struct Linked {
    changed: Vec<i64>,
    looped: usize,
}

/// Sets the link of `chain` on each row to the desired row where it
/// differs, one at a time against what is stored so far, leaving out a
/// link that would close a loop.
async fn set_links(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    chain: Chain,
    links: &[(i64, Option<i64>, Option<i64>)],
) -> Result<Linked> {
    let (table, column) = chain.table_and_link();
    // Names come from the chain, never from input.
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    let mut linked = Linked {
        changed: Vec::new(),
        looped: 0,
    };
    for (id, current, desired) in links {
        if current == desired {
            continue;
        }
        if let Some(to) = desired
            && chain.reaches(&mut **tx, *to, *id).await?
        {
            linked.looped += 1;
            continue;
        }
        sqlx::query(&sql)
            .bind(*desired)
            .bind(*id)
            .execute(&mut **tx)
            .await?;
        linked.changed.push(*id);
    }
    Ok(linked)
}

/// An account as the import compares it.
#[derive(Debug, Clone, PartialEq)]
struct AccountFields {
    name: String,
    industry: Option<String>,
    employees: Option<i64>,
    location: Option<String>,
    annual_revenue_minor: Option<i64>,
    annual_revenue_currency: Option<String>,
}

impl AccountFields {
    /// These fields, with what the file left blank or out taken from
    /// `stored`: an import changes only what it gives.
    fn over(self, stored: &AccountFields) -> AccountFields {
        let (revenue, currency) = match self.annual_revenue_minor {
            Some(_) => (self.annual_revenue_minor, self.annual_revenue_currency),
            None => (
                stored.annual_revenue_minor,
                stored.annual_revenue_currency.clone(),
            ),
        };
        AccountFields {
            name: self.name,
            industry: self.industry.or_else(|| stored.industry.clone()),
            employees: self.employees.or(stored.employees),
            location: self.location.or_else(|| stored.location.clone()),
            annual_revenue_minor: revenue,
            annual_revenue_currency: currency,
        }
    }
}

impl Db {
    /// Imports accounts, matched by normalised name: new ones are added as
    /// suspects in tier C, known ones take the file's values. A parent
    /// company is linked by name when it is among the accounts.
    pub async fn import_accounts(
        &self,
        actor: Option<i64>,
        read: &ReadRecords<AccountRecord>,
        mapping: &Mapping,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let mut report = ImportReport::from_read(read, mapping);
        report.dry_run = mode == ImportMode::DryRun;
        let currency = self
            .currency_or_default("currency", mapping.currency.as_deref())
            .await?;
        let mut tx = self.begin_write().await?;
        let known: Vec<(
            i64,
            String,
            Option<i64>,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT id, name_norm, parent_id, name, industry, employees, location,
                 annual_revenue_minor, annual_revenue_currency
             FROM accounts ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut ids: HashMap<String, (i64, Option<i64>)> = HashMap::new();
        let mut stored: HashMap<i64, AccountFields> = HashMap::new();
        for (id, norm, parent, name, industry, employees, location, revenue, currency) in known {
            ids.entry(norm).or_insert((id, parent));
            let fields = AccountFields {
                name,
                industry,
                employees,
                location,
                annual_revenue_minor: revenue,
                annual_revenue_currency: currency,
            };
            stored.insert(id, fields);
        }
        // Normalised name → the row that brought it, to refuse a second one.
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut fresh = Vec::new();
        let mut outcomes = Vec::new();
        let now = now_ms();
        for (position, record) in &read.records {
            let norm = normalise_company(&record.name);
            if let Entry::Occupied(first) = seen.entry(norm.clone()) {
                let reason = format!("the same account as row {}", first.get());
                report.reject(position, reason);
                continue;
            }
            seen.insert(norm.clone(), position.row);
            let revenue = match &record.revenue {
                Some(amount) => {
                    match parse_amount_in_units(&amount.0, &currency, mapping.revenue_scale) {
                        Ok(minor) => Some(minor),
                        Err(problem) => {
                            report.reject(position, format!("revenue: {problem}"));
                            continue;
                        }
                    }
                }
                None => None,
            };
            let fields = AccountFields {
                name: record.name.clone(),
                industry: record.industry.clone(),
                employees: record.employees,
                location: record.location.clone(),
                annual_revenue_minor: revenue,
                annual_revenue_currency: revenue.map(|_| currency.as_str().to_string()),
            };
            let outcome = match ids.get(&norm) {
                None => {
                    fresh.push((norm.clone(), fields));
                    Outcome::Created
                }
                Some((id, _)) => {
                    let fields = match stored.get(id) {
                        Some(kept) => fields.over(kept),
                        None => fields,
                    };
                    if stored.get(id) == Some(&fields) {
                        Outcome::Unchanged
                    } else {
                        sqlx::query(
                            "UPDATE accounts SET name = $1, industry = $2, employees = $3, location = $4,
                                 annual_revenue_minor = $5, annual_revenue_currency = $6, updated_at = $7
                             WHERE id = $8",
                        )
                        .bind(&fields.name)
                        .bind(&fields.industry)
                        .bind(fields.employees)
                        .bind(&fields.location)
                        .bind(fields.annual_revenue_minor)
                        .bind(&fields.annual_revenue_currency)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        Outcome::Updated
                    }
                }
            };
            outcomes.push((norm, record.parent.as_deref(), outcome));
        }
        let new_ids = allocate_ids(&mut tx, self.backend(), "accounts", fresh.len()).await?;
        let rows: Vec<Vec<Value>> = fresh
            .iter()
            .zip(&new_ids)
            .map(|((norm, f), id)| {
                vec![
                    Value::from(*id),
                    Value::from(f.name.as_str()),
                    Value::from(norm.as_str()),
                    Value::from(AccountStatus::Suspect.as_str()),
                    Value::from(Tier::C.as_str()),
                    Value::from(f.industry.as_deref()),
                    Value::from(f.employees),
                    Value::from(f.location.as_deref()),
                    Value::from(f.annual_revenue_minor),
                    Value::from(f.annual_revenue_currency.as_deref()),
                    Value::from(now),
                    Value::from(now),
                ]
            })
            .collect();
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO accounts (id, name, name_norm, status, tier, industry, employees, location,
                 annual_revenue_minor, annual_revenue_currency, created_at, updated_at)",
            "",
            &rows,
        )
        .await?;
        for ((norm, _), id) in fresh.iter().zip(new_ids) {
            ids.insert(norm.clone(), (id, None));
        }
        let mut orphans = BTreeMap::new();
        let mut links = Vec::new();
        for (norm, parent, _) in &outcomes {
            let (id, current) = ids[norm];
            // A blank parent cell, or a parent not among the accounts,
            // keeps the link there is.
            let desired = match parent {
                None => current,
                Some(name) => match ids.get(&normalise_company(name)) {
                    Some((parent_id, _)) => Some(*parent_id),
                    None => {
                        *orphans.entry(name.to_string()).or_insert(0) += 1;
                        current
                    }
                },
            };
            links.push((id, current, desired));
        }
        let linked = set_links(&mut tx, Chain::Parent, &links).await?;
        for ((_, _, outcome), (id, _, _)) in outcomes.iter().zip(&links) {
            let moved = *outcome == Outcome::Unchanged && linked.changed.contains(id);
            report.count(if moved { Outcome::Updated } else { *outcome });
        }
        report.quirk(linked.looped, ["account names", "accounts name"], || {
            "a parent company that is the account itself or one of its own subsidiaries: kept without that parent".to_string()
        });
        report.quirk(
            orphans.values().sum(),
            ["account names", "accounts name"],
            || {
                format!(
                    "a parent company that is not an account ({}): kept without one",
                    some_names(orphans.keys())
                )
            },
        );
        audit_in(
            &mut *tx,
            actor,
            "import.accounts",
            "account",
            None,
            &report.audit_detail(),
        )
        .await?;
        mode.finish(tx).await?;
        Ok(report)
    }

    /// Imports people, matched by e-mail, with their teams (created with the
    /// mapping's function when new) and managers. Managers named only in the
    /// manager column are added with the mapping's manager role and an
    /// e-mail from its template, in the team of the people they manage when
    /// those share one. Imported people have no password until one is set.
    pub async fn import_users(
        &self,
        actor: Option<i64>,
        read: &ReadRecords<UserRecord>,
        mapping: &Mapping,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let mut report = ImportReport::from_read(read, mapping);
        report.dry_run = mode == ImportMode::DryRun;
        // A row whose e-mail an earlier row has is rejected before anything
        // (its manager, its team) is made for it.
        let mut first_with: HashMap<String, String> = HashMap::new();
        let mut people: Vec<(Option<&RowPosition>, UserRecord)> = Vec::new();
        for (position, record) in &read.records {
            let email = record.email.as_str().to_string();
            if let Some(first) = first_with.get(&email) {
                report.reject(position, format!("{email} is already {first}'s e-mail"));
                continue;
            }
            first_with.insert(email, record.name.clone());
            people.push((Some(position), record.clone()));
        }
        let mut tx = self.begin_write().await?;
        let known: Vec<(i64, String, String, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT id, email_lower, name, role, team_id, manager_id FROM users ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        // People already in Baton, by name: a manager the file names who is
        // one of them is linked, not added again.
        let known_by_name: HashMap<String, i64> = known
            .iter()
            .map(|(id, _, name, _, _, _)| (name.to_lowercase(), *id))
            .collect();
        let named: HashSet<String> = people.iter().map(|(_, r)| r.name.to_lowercase()).collect();
        // Managers who have no row of their own, with the teams of their people.
        let mut managers: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        for (_, record) in &people {
            if let Some(manager) = &record.manager
                && !named.contains(&manager.to_lowercase())
                && !known_by_name.contains_key(&manager.to_lowercase())
            {
                managers
                    .entry(manager.clone())
                    .or_default()
                    .push(record.team.clone());
            }
        }
        let mut unaddressed = Vec::new();
        for (name, teams) in &managers {
            let team = teams[0]
                .clone()
                .filter(|t| teams.iter().all(|o| o.as_ref() == Some(t)));
            match mapping.email_for(name) {
                Some(Ok(email)) => people.push((
                    None,
                    UserRecord {
                        name: name.clone(),
                        email,
                        role: mapping.manager_role,
                        manager: None,
                        team,
                    },
                )),
                _ => unaddressed.push(name.clone()),
            }
        }
        let team_ids = ensure_teams(&mut tx, actor, &people, mapping).await?;
        let mut by_email: HashMap<String, (i64, String, String, Option<i64>, Option<i64>)> = known
            .into_iter()
            .map(|(id, email, name, role, team, manager)| (email, (id, name, role, team, manager)))
            .collect();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut fresh = Vec::new();
        let mut kept = Vec::new();
        let mut added_managers = 0;
        let mut kept_roles = Vec::new();
        for (position, record) in &people {
            let email = record.email.as_str().to_string();
            if let Some(first) = seen.get(&email) {
                let reason = format!("{email} is already {first}'s e-mail");
                match position {
                    Some(position) => report.reject(position, reason),
                    None => unaddressed.push(record.name.clone()),
                }
                continue;
            }
            seen.insert(email.clone(), record.name.clone());
            added_managers += usize::from(position.is_none() && !by_email.contains_key(&email));
            let named_team = record.team.as_ref().map(|t| team_ids[&t.to_lowercase()]);
            let outcome = match by_email.get(&email) {
                None => {
                    fresh.push((email.clone(), record, named_team));
                    Outcome::Created
                }
                Some((id, name, current_role, current_team, _)) => {
                    // A blank team cell keeps the team a person has.
                    let team = named_team.or(*current_team);
                    // A file's role is the mapping's default or the manager
                    // role, not a decision about this person: what they may
                    // do and see changes only when someone changes it.
                    if current_role != record.role.as_str() {
                        kept_roles.push(record.name.clone());
                    }
                    if *name == record.name && *current_team == team {
                        Outcome::Unchanged
                    } else {
                        sqlx::query("UPDATE users SET name = $1, team_id = $2 WHERE id = $3")
                            .bind(&record.name)
                            .bind(team)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        Outcome::Updated
                    }
                }
            };
            kept.push((email, record, outcome));
        }
        let new_ids = allocate_ids(&mut tx, self.backend(), "users", fresh.len()).await?;
        let now = now_ms();
        let rows: Vec<Vec<Value>> = fresh
            .iter()
            .zip(&new_ids)
            .map(|((email, record, team), id)| {
                vec![
                    Value::from(*id),
                    Value::from(email.as_str()),
                    Value::from(email.as_str()),
                    Value::from(record.name.as_str()),
                    Value::from(record.role.as_str()),
                    Value::from(*team),
                    Value::from(now),
                ]
            })
            .collect();
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO users (id, email, email_lower, name, role, team_id, created_at)",
            "",
            &rows,
        )
        .await?;
        for ((email, record, team), id) in fresh.iter().zip(new_ids) {
            by_email.insert(
                email.clone(),
                (id, record.name.clone(), String::new(), *team, None),
            );
        }
        let by_name: HashMap<String, i64> = kept
            .iter()
            .map(|(email, record, _)| (record.name.to_lowercase(), by_email[email].0))
            .collect();
        // A blank cell, or a manager who cannot be found, keeps the manager a
        // person already has: a file that leaves something out changes nothing.
        let links: Vec<(i64, Option<i64>, Option<i64>)> = kept
            .iter()
            .map(|(email, record, _)| {
                let (id, _, _, _, current) = by_email[email];
                let desired = record
                    .manager
                    .as_ref()
                    .and_then(|m| {
                        let m = m.to_lowercase();
                        by_name.get(&m).or(known_by_name.get(&m)).copied()
                    })
                    .or(current);
                (id, current, desired)
            })
            .collect();
        let linked = set_links(&mut tx, Chain::Management, &links).await?;
        for ((_, _, outcome), (id, _, _)) in kept.iter().zip(&links) {
            let moved = *outcome == Outcome::Unchanged && linked.changed.contains(id);
            report.count(if moved { Outcome::Updated } else { *outcome });
        }
        report.quirk(linked.looped, ["person names", "people name"], || {
            "a manager who is the person themselves or someone they manage: kept without that manager".to_string()
        });
        report.quirk(added_managers, ["manager is", "managers are"], || {
            format!(
                "named only in the manager column: imported as {}",
                mapping.manager_role
            )
        });
        report.quirk(kept_roles.len(), ["person keeps", "people keep"], || {
            format!(
                "the role they have ({}), not the file's: a role is changed on the People page",
                some_names(&kept_roles)
            )
        });
        report.quirk(unaddressed.len(), ["manager has", "managers have"], || {
            format!(
                "no e-mail of their own ({}): their people are kept without a manager",
                some_names(&unaddressed)
            )
        });
        audit_in(
            &mut *tx,
            actor,
            "import.users",
            "user",
            None,
            &report.audit_detail(),
        )
        .await?;
        mode.finish(tx).await?;
        // Roles may have changed.
        self.token_cache().forget();
        Ok(report)
    }

    /// Imports opportunities, matched by their external id, in batches of
    /// [`OPPORTUNITY_BATCH`] per transaction. Owners are found by name among
    /// the people, accounts by normalised name; a deal whose owner is
    /// unknown is refused, one whose account is empty or unknown is imported
    /// without one and reported. Accounts with a won deal become customers.
    pub async fn import_opportunities(
        &self,
        actor: Option<i64>,
        read: &ReadRecords<OpportunityRecord>,
        mapping: &Mapping,
        mode: ImportMode,
    ) -> Result<ImportReport> {
        let mut report = ImportReport::from_read(read, mapping);
        report.dry_run = mode == ImportMode::DryRun;
        let default_currency = self
            .currency_or_default("currency", mapping.currency.as_deref())
            .await?;
        let zone = self.time_zone().await?;
        let today = self.today().await?;
        let accounts: HashMap<String, i64> = {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT name_norm, MIN(id) FROM accounts GROUP BY name_norm")
                    .fetch_all(self.reader())
                    .await?;
            rows.into_iter().collect()
        };
        // Lowercase name → the people with it; a name two people share is ambiguous.
        let mut owners: HashMap<String, Vec<(i64, Role)>> = HashMap::new();
        let people: Vec<(String, i64, String)> = sqlx::query_as("SELECT name, id, role FROM users")
            .fetch_all(self.reader())
            .await?;
        for (name, id, role) in people {
            let role = role
                .parse::<Role>()
                .map_err(|e| DbError::invalid("role", e.to_string()))?;
            owners
                .entry(name.to_lowercase())
                .or_default()
                .push((id, role));
        }
        let mut no_account = 0;
        let mut unknown_accounts: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen: HashMap<&str, u64> = HashMap::new();
        let mut deals = Vec::new();
        for (position, record) in &read.records {
            if let Entry::Occupied(first) = seen.entry(&record.external_id) {
                let first = *first.get();
                report.reject(
                    position,
                    format!(
                        "external id {} is already row {first}'s",
                        record.external_id
                    ),
                );
                continue;
            }
            seen.insert(&record.external_id, position.row);
            match deal_fields(record, &default_currency, &accounts, &owners, today) {
                Ok(deal) => {
                    match (&record.account, deal.account_id) {
                        (None, _) => no_account += 1,
                        (Some(name), None) => {
                            *unknown_accounts.entry(name.clone()).or_insert(0) += 1
                        }
                        _ => {}
                    }
                    deals.push(deal);
                }
                Err(reason) => report.reject(position, reason),
            }
        }
        // A dry run keeps one transaction throughout, so that what the
        // batches would store counts for the accounts becoming customers.
        let mut held = None;
        for batch in deals.chunks(OPPORTUNITY_BATCH) {
            let mut tx = match held.take() {
                Some(tx) => tx,
                None => self.begin_write().await?,
            };
            for outcome in store_deals(&mut tx, batch, &zone).await? {
                report.count(outcome);
            }
            match mode {
                ImportMode::Store => tx.commit().await?,
                ImportMode::DryRun => held = Some(tx),
            }
        }
        report.quirk(no_account, ["deal has", "deals have"], || {
            "no account: imported without one".to_string()
        });
        report.quirk(
            unknown_accounts.values().sum(),
            ["deal names", "deals name"],
            || {
                format!(
                    "an account that is not in Baton ({}): imported without one",
                    some_names(unknown_accounts.keys())
                )
            },
        );
        let mut tx = match held {
            Some(tx) => tx,
            None => self.begin_write().await?,
        };
        let customers = sqlx::query(
            "UPDATE accounts SET status = $1, updated_at = $2
             WHERE status <> $1 AND id IN (SELECT account_id FROM opportunities WHERE stage = $3)",
        )
        .bind(AccountStatus::Customer.as_str())
        .bind(now_ms())
        .bind(OpportunityStage::Won.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        report.quirk(customers as usize, ["account has", "accounts have"], || {
            "won deals: now customers".to_string()
        });
        audit_in(
            &mut *tx,
            actor,
            "import.opportunities",
            "opportunity",
            None,
            &report.audit_detail(),
        )
        .await?;
        mode.finish(tx).await?;
        Ok(report)
    }
}

/// The ids of the teams `people` name, by lowercase name; missing teams
/// are created with the mapping's function.
async fn ensure_teams(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: Option<i64>,
    people: &[(Option<&RowPosition>, UserRecord)],
    mapping: &Mapping,
) -> Result<HashMap<String, i64>> {
    let known: Vec<(String, i64)> = sqlx::query_as("SELECT name_lower, id FROM teams")
        .fetch_all(&mut **tx)
        .await?;
    let mut ids: HashMap<String, i64> = known.into_iter().collect();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for (_, record) in people {
        if let Some(team) = &record.team {
            names.entry(team.to_lowercase()).or_insert(team);
        }
    }
    for (lower, name) in names {
        if ids.contains_key(&lower) {
            continue;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO teams (name, name_lower, function, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(&lower)
        .bind(mapping.team_function.as_str())
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        audit_in(
            &mut **tx,
            actor,
            "team.created",
            "team",
            Some(id),
            &serde_json::json!({"name": name, "function": mapping.team_function}),
        )
        .await?;
        ids.insert(lower, id);
    }
    Ok(ids)
}

/// The stored form of one imported deal, or why it cannot be stored.
fn deal_fields(
    record: &OpportunityRecord,
    default_currency: &Currency,
    accounts: &HashMap<String, i64>,
    owners: &HashMap<String, Vec<(i64, Role)>>,
    today: jiff::civil::Date,
) -> std::result::Result<DealFields, String> {
    let currency = match &record.currency {
        Some(code) => Currency::parse(code).map_err(|e| format!("currency: {e}"))?,
        None => default_currency.clone(),
    };
    let amount_minor = record
        .amount
        .as_ref()
        .map(|amount| parse_amount(&amount.0, &currency).map_err(|e| format!("amount: {e}")))
        .transpose()?;
    let owner_id = match &record.owner {
        None => None,
        Some(name) => match owners.get(&name.to_lowercase()).map(Vec::as_slice) {
            Some([(id, role)]) if role.sells() => Some(*id),
            Some([(_, role)]) => {
                return Err(format!(
                    "owner `{name}` is {} and does not hold deals: give a hunter, farmer, manager or owner",
                    role.a_person(false)
                ));
            }
            Some(ids) if ids.len() > 1 => {
                return Err(format!("owner `{name}` names {} people", ids.len()));
            }
            _ => {
                return Err(format!(
                    "owner `{name}` is not a user: import the people first"
                ));
            }
        },
    };
    let stage = record.stage;
    if stage.is_closed() != record.closed_on.is_some() {
        return Err(if stage.is_closed() {
            format!("a {stage} deal needs a close date")
        } else {
            format!("an open deal (stage {stage}) cannot have a close date")
        });
    }
    if let (Some(engaged), Some(closed)) = (record.engaged_on, record.closed_on)
        && closed < engaged
    {
        return Err(format!(
            "closed on {closed}, before it was engaged on {engaged}"
        ));
    }
    // A win of nothing would lower every revenue figure it counts in.
    if stage == OpportunityStage::Won && record.amount.is_none() {
        return Err("a won deal needs an amount".to_string());
    }
    // Revenue is counted on the day a deal closes: not a day to come.
    if let Some(closed) = record.closed_on
        && closed > today
    {
        return Err(format!("closed on {closed}, a day still to come"));
    }
    Ok(DealFields {
        external_id: record.external_id.clone(),
        name: record.name.clone(),
        account_id: record
            .account
            .as_ref()
            .and_then(|name| accounts.get(&normalise_company(name)).copied()),
        owner_id,
        product: record.product.clone(),
        amount_minor,
        currency: currency.as_str().to_string(),
        stage: stage.as_str().to_string(),
        engaged_on: record.engaged_on.map(|d| d.to_string()),
        closed_on: record.closed_on.map(|d| d.to_string()),
        probability: i64::from(stage.default_probability()),
        forecast_category: stage.default_forecast_category().as_str().to_string(),
    })
}

/// An opportunity as the import stores and compares it.
#[derive(Debug, Clone, PartialEq)]
struct DealFields {
    external_id: String,
    name: String,
    account_id: Option<i64>,
    owner_id: Option<i64>,
    product: Option<String>,
    /// None when the file left it blank.
    amount_minor: Option<i64>,
    currency: String,
    stage: String,
    engaged_on: Option<String>,
    closed_on: Option<String>,
    probability: i64,
    forecast_category: String,
}

impl DealFields {
    /// This deal, with what the file left blank taken from `stored`: an
    /// import changes only what it gives.
    fn over(&self, stored: &DealFields) -> DealFields {
        let (amount_minor, currency) = match self.amount_minor {
            Some(_) => (self.amount_minor, self.currency.clone()),
            None => (stored.amount_minor, stored.currency.clone()),
        };
        DealFields {
            account_id: self.account_id.or(stored.account_id),
            owner_id: self.owner_id.or(stored.owner_id),
            product: self.product.clone().or_else(|| stored.product.clone()),
            engaged_on: self
                .engaged_on
                .clone()
                .or_else(|| stored.engaged_on.clone()),
            amount_minor,
            currency,
            ..self.clone()
        }
    }
}

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for DealFields {
    fn from_row(row: &'r sqlx::any::AnyRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(DealFields {
            external_id: row.try_get("external_id")?,
            name: row.try_get("name")?,
            account_id: row.try_get("account_id")?,
            owner_id: row.try_get("owner_id")?,
            product: row.try_get("product")?,
            amount_minor: Some(row.try_get("amount_minor")?),
            currency: row.try_get("currency")?,
            stage: row.try_get("stage")?,
            engaged_on: row.try_get("engaged_on")?,
            closed_on: row.try_get("closed_on")?,
            probability: row.try_get("probability")?,
            forecast_category: row.try_get("forecast_category")?,
        })
    }
}

/// Inserts the new deals of `batch` and updates the changed ones.
async fn store_deals(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    batch: &[DealFields],
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<Outcome>> {
    let mut stored: HashMap<String, DealFields> = HashMap::new();
    for chunk in batch.chunks(CHUNK) {
        let sql = format!(
            "SELECT external_id, name, account_id, owner_id, product, amount_minor, currency, stage,
                 engaged_on, closed_on, probability, forecast_category
             FROM opportunities WHERE external_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, DealFields>(&sql);
        for deal in chunk {
            query = query.bind(&deal.external_id);
        }
        for deal in query.fetch_all(&mut **tx).await? {
            stored.insert(deal.external_id.clone(), deal);
        }
    }
    let now = now_ms();
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut fresh = Vec::new();
    for deal in batch {
        match stored.get(&deal.external_id) {
            None => {
                // A deal from before Baton was opened when it was engaged,
                // so the reports on that period count it there.
                let opened_at = match deal.engaged_on.as_deref() {
                    Some(day) => {
                        let day = day.parse().map_err(|e| {
                            crate::DbError::invalid("engaged_on", format!("{day}: {e}"))
                        })?;
                        crate::reports::start_of(day, zone)?
                    }
                    None => now,
                };
                fresh.push(vec![
                    Value::from(deal.external_id.as_str()),
                    Value::from(deal.name.as_str()),
                    Value::from(deal.account_id),
                    Value::from(deal.owner_id),
                    Value::from(deal.product.as_deref()),
                    Value::from(deal.amount_minor.unwrap_or(0)),
                    Value::from(deal.currency.as_str()),
                    Value::from(deal.stage.as_str()),
                    Value::from(deal.probability),
                    Value::from(deal.forecast_category.as_str()),
                    Value::from(deal.engaged_on.as_deref()),
                    Value::from(deal.closed_on.as_deref()),
                    Value::from(opened_at),
                    Value::from(now),
                ]);
                outcomes.push(Outcome::Created);
            }
            Some(current) => {
                let deal = &deal.over(current);
                if current == deal {
                    outcomes.push(Outcome::Unchanged);
                    continue;
                }
                sqlx::query(
                    "UPDATE opportunities SET name = $1, account_id = $2, owner_id = $3, product = $4,
                         amount_minor = $5, currency = $6, stage = $7, probability = $8,
                         forecast_category = $9, engaged_on = $10, closed_on = $11, updated_at = $12
                     WHERE external_id = $13",
                )
                .bind(&deal.name)
                .bind(deal.account_id)
                .bind(deal.owner_id)
                .bind(&deal.product)
                .bind(deal.amount_minor.unwrap_or(0))
                .bind(&deal.currency)
                .bind(&deal.stage)
                .bind(deal.probability)
                .bind(&deal.forecast_category)
                .bind(&deal.engaged_on)
                .bind(&deal.closed_on)
                .bind(now)
                .bind(&deal.external_id)
                .execute(&mut **tx)
                .await?;
                outcomes.push(Outcome::Updated);
            }
        }
    }
    insert_rows::<(i64,)>(
        tx,
        "INSERT INTO opportunities (external_id, name, account_id, owner_id, product, amount_minor,
             currency, stage, probability, forecast_category, engaged_on, closed_on, created_at, updated_at)",
        "",
        &fresh,
    )
    .await?;
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1480), "1,480");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
