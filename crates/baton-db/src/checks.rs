//! Checks the repositories share: required and optional text, references to
//! other rows, currencies, amounts and days.

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::settings::keys::CURRENCY;
use baton_core::calendar::{parse_date, within_business_years};
use baton_core::money::{Currency, Decimal, FALLBACK_CURRENCY, parse_amount};

/// Longest name or title accepted (of an account, contact, deal, campaign
/// or team), as for an inquiry's short fields.
pub(crate) const MAX_NAME: usize = baton_core::inquiry::MAX_SHORT_FIELD;
/// Longest free text accepted (a note, an outcome, a reason).
pub(crate) const MAX_TEXT: usize = baton_core::inquiry::MAX_MESSAGE;

/// `value` trimmed, refused with `problem` when empty and when longer than
/// [`MAX_TEXT`].
pub(crate) fn required(field: &str, value: &str, problem: &str) -> Result<String> {
    required_within(field, value, problem, MAX_TEXT)
}

/// A name or title: `value` trimmed, refused with `problem` when empty,
/// when longer than [`MAX_NAME`] and when not one line.
pub(crate) fn required_name(field: &str, value: &str, problem: &str) -> Result<String> {
    let name = required_within(field, value, problem, MAX_NAME)?;
    one_line(field, &name)?;
    Ok(name)
}

/// Refuses a name holding a line break or another control character: it
/// would break the lines of lists and tables, and an escape sequence would
/// act on the terminal of whoever prints it.
pub(crate) fn one_line(field: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(DbError::invalid(
            field,
            "must be one line, without line breaks, tabs or other control characters",
        ));
    }
    Ok(())
}

fn required_within(field: &str, value: &str, problem: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DbError::invalid(field, problem));
    }
    at_most(field, value, max)?;
    Ok(value.to_string())
}

/// Refuses text longer than `max` characters, or holding the NUL
/// character (which PostgreSQL cannot store), naming the field.
pub(crate) fn at_most(field: &str, value: &str, max: usize) -> Result<()> {
    if value.contains('\0') {
        return Err(DbError::invalid(
            field,
            "must not contain the NUL character",
        ));
    }
    if value.chars().count() > max {
        return Err(DbError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Most skills one queue member or routing rule names.
const MAX_SKILLS: usize = 50;

/// Refuses a list of skills that is too long, or names one blank or too long.
pub(crate) fn skills(field: &str, skills: &[String]) -> Result<()> {
    if skills.len() > MAX_SKILLS {
        return Err(DbError::invalid(
            field,
            format!("name at most {MAX_SKILLS} skills"),
        ));
    }
    if skills.iter().any(|skill| skill.trim().is_empty()) {
        return Err(DbError::invalid(field, "a skill needs a name"));
    }
    skills
        .iter()
        .try_for_each(|skill| at_most(field, skill, MAX_NAME))
}

/// `value` trimmed; empty text counts as none.
pub(crate) fn optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// An amount in major units read as minor units of `currency`.
pub(crate) fn amount(field: &str, value: &Decimal, currency: &Currency) -> Result<i64> {
    parse_amount(&value.0, currency).map_err(|e| DbError::invalid(field, e))
}

/// A `YYYY-MM-DD` day, stored in that form; empty text counts as none.
pub(crate) fn day(field: &str, value: Option<&str>) -> Result<Option<jiff::civil::Date>> {
    optional(value)
        .map(|v| parse_date(&v).map_err(|e| DbError::invalid(field, e)))
        .transpose()
}

/// An RFC 3339 time read as UTC milliseconds, in the business years.
pub(crate) fn timestamp(field: &str, text: &str) -> Result<i64> {
    let time = text.trim().parse::<jiff::Timestamp>().map_err(|_| {
        DbError::invalid(
            field,
            format!("`{text}` is not a time like 2026-07-31T14:30:00Z"),
        )
    })?;
    let day = time.to_zoned(jiff::tz::TimeZone::UTC).date();
    within_business_years(day, text).map_err(|e| DbError::invalid(field, e))?;
    Ok(time.as_millisecond())
}

/// A link from a row to another row of the same table, followed hop by hop.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chain {
    /// A queue's breaches go on to its escalation queue.
    Escalation,
    /// A person's manager.
    Management,
    /// An account's parent company.
    Parent,
}

impl Chain {
    pub(crate) fn table_and_link(self) -> (&'static str, &'static str) {
        match self {
            Chain::Escalation => ("queues", "escalation_queue_id"),
            Chain::Management => ("users", "manager_id"),
            Chain::Parent => ("accounts", "parent_id"),
        }
    }

    /// Whether following the links from `from` reaches `to`, so that linking
    /// `to` to `from` would close a loop.
    pub(crate) async fn reaches<'e, E: sqlx::AnyExecutor<'e>>(
        self,
        executor: E,
        from: i64,
        to: i64,
    ) -> Result<bool> {
        let (table, link) = self.table_and_link();
        // Names come from this enum, never from input; the bound on hops
        // ends the walk on a loop stored before this check existed.
        let sql = format!(
            "WITH RECURSIVE path (id, hops) AS (
                 SELECT CAST($1 AS BIGINT), 0
                 UNION ALL
                 SELECT t.{link}, p.hops + 1 FROM {table} t JOIN path p ON t.id = p.id
                 WHERE t.{link} IS NOT NULL AND p.hops < 1000)
             SELECT COUNT(*) FROM path WHERE id = $2"
        );
        let (found,): (i64,) = sqlx::query_as(&sql)
            .bind(from)
            .bind(to)
            .fetch_one(executor)
            .await?;
        Ok(found > 0)
    }
}

/// Tables that requests refer to by id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Accounts,
    Campaigns,
    Contacts,
    Leads,
    Opportunities,
    Teams,
    Users,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::Campaigns => "campaigns",
            Table::Contacts => "contacts",
            Table::Leads => "leads",
            Table::Opportunities => "opportunities",
            Table::Teams => "teams",
            Table::Users => "users",
        }
    }

    fn one(self) -> &'static str {
        match self {
            Table::Accounts => "account",
            Table::Campaigns => "campaign",
            Table::Contacts => "contact",
            Table::Leads => "lead",
            Table::Opportunities => "opportunity",
            Table::Teams => "team",
            Table::Users => "user",
        }
    }
}

impl Db {
    /// Refuses, naming `field`, a reference to a row `table` does not have.
    pub(crate) async fn ensure_exists(
        &self,
        field: &str,
        table: Table,
        id: Option<i64>,
    ) -> Result<()> {
        let Some(id) = id else { return Ok(()) };
        // The table name is one of the fixed names above, never input.
        let found: Option<(i64,)> =
            sqlx::query_as(&format!("SELECT id FROM {} WHERE id = $1", table.name()))
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(DbError::invalid(
                field,
                format!("there is no {} {id}", table.one()),
            )),
        }
    }

    /// Refuses, naming `field`, a person who does not exist or may no
    /// longer sign in; `given` says what they would be given, as in "is
    /// deactivated and cannot hold deals".
    pub(crate) async fn ensure_active_person(
        &self,
        field: &str,
        id: Option<i64>,
        given: &str,
    ) -> Result<()> {
        match id {
            Some(id) => self.active_person(field, id, given).await.map(drop),
            None => Ok(()),
        }
    }

    /// The person `id`, when they exist and may sign in; else a refusal
    /// naming `field`, as [`Db::ensure_active_person`] gives.
    async fn active_person(&self, field: &str, id: i64, given: &str) -> Result<crate::users::User> {
        let person = match self.user(id).await {
            Err(DbError::NotFound(_)) => {
                return Err(DbError::invalid(field, format!("there is no user {id}")));
            }
            found => found?,
        };
        if person.active {
            Ok(person)
        } else {
            Err(DbError::invalid(
                field,
                format!("{} is deactivated and {given}", person.email),
            ))
        }
    }

    /// Refuses, naming `field`, anyone but an active person who sells
    /// (`Role::sells`): only they hold `what` (accounts, deals).
    pub(crate) async fn ensure_seller(
        &self,
        field: &str,
        id: Option<i64>,
        what: &str,
    ) -> Result<()> {
        let Some(id) = id else { return Ok(()) };
        let person = self
            .active_person(field, id, &format!("cannot hold {what}"))
            .await?;
        if person.role.sells() {
            Ok(())
        } else {
            Err(DbError::invalid(
                field,
                format!(
                    "{} is a {} and does not hold {what}: give a hunter, farmer, manager or owner",
                    person.email, person.role
                ),
            ))
        }
    }

    /// The currency given in `field`, else the organisation's (settings key
    /// `currency`), else USD.
    pub(crate) async fn currency_or_default(
        &self,
        field: &str,
        given: Option<&str>,
    ) -> Result<Currency> {
        let code = match optional(given) {
            Some(code) => code,
            None => {
                let stored: String = self.setting(CURRENCY).await?;
                if stored.is_empty() {
                    FALLBACK_CURRENCY.to_string()
                } else {
                    stored
                }
            }
        };
        Currency::parse(&code).map_err(|e| DbError::invalid(field, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_holding_nul_is_refused_wherever_its_length_is_checked() {
        let refused = at_most("notes", "call\0back", MAX_TEXT).unwrap_err();
        assert!(refused.to_string().contains("NUL"), "{refused}");
        assert!(required("reason", "a\0", "say why").is_err());
        assert!(at_most("notes", "call back", MAX_TEXT).is_ok());
    }
}
