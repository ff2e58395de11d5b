//! Import mappings: a TOML file that says which CSV column feeds which field
//! of an account, a person or an opportunity, how values such as deal stages
//! translate, and which misspellings to read as what.
//!
//! ```toml
//! records = "opportunities"
//! currency = "USD"
//!
//! [columns]
//! external_id = "opportunity_id"
//! owner = "sales_agent"
//! stage = "deal_stage"
//!
//! [stages]
//! Won = "won"
//!
//! [normalise.product]
//! GTXPro = "GTX Pro"
//! ```
//!
//! Every alias applied is counted, so an import reports what it read
//! differently from the file.

use crate::calendar::parse_date;
use crate::domain::{Function, OpportunityStage, Role};
use crate::import::csv::{RowError, RowPosition, bad_quoting};
use crate::import::quotes::{QuoteCheck, Resumable, line_of, resume_after_unclosed_quote};
use crate::inquiry::Email;
use crate::money::Decimal;
use csv::{ReaderBuilder, StringRecord};
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;

/// What kind of record a mapping imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Accounts,
    Users,
    Opportunities,
}

impl RecordKind {
    /// The name used in mapping files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Accounts => "accounts",
            RecordKind::Users => "users",
            RecordKind::Opportunities => "opportunities",
        }
    }

    /// The fields a column can feed, the required ones first.
    fn fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::Accounts => &[
                "name",
                "industry",
                "employees",
                "revenue",
                "location",
                "parent",
            ],
            RecordKind::Users => &["name", "email", "role", "manager", "team"],
            RecordKind::Opportunities => &[
                "external_id",
                "stage",
                "name",
                "account",
                "owner",
                "product",
                "engaged_on",
                "closed_on",
                "amount",
                "currency",
            ],
        }
    }

    /// How many of [`RecordKind::fields`] must be mapped.
    fn required(self) -> usize {
        match self {
            RecordKind::Accounts | RecordKind::Users => 1,
            RecordKind::Opportunities => 2,
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem with a mapping file, or with a CSV file's header against it.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping cannot be read: {0}")]
    Toml(String),
    #[error("unknown {kind} field `{field}`: expected one of {}", .expected.join(", "))]
    UnknownField {
        kind: RecordKind,
        field: String,
        expected: Vec<&'static str>,
    },
    #[error("the mapping names no column for the {kind} field `{field}`, which is required")]
    MissingField {
        kind: RecordKind,
        field: &'static str,
    },
    #[error("the mapping is for {found}, not {expected}")]
    WrongKind {
        expected: RecordKind,
        found: RecordKind,
    },
    #[error("[stages]: `{value}` → `{slug}`: {problem}")]
    UnknownStage {
        value: String,
        slug: String,
        problem: String,
    },
    #[error("{setting}: {problem}")]
    InvalidSetting {
        setting: &'static str,
        problem: String,
    },
    #[error(
        "column `{column}` (for {field}) is not in the header; the header has: {}",
        .header.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingColumn {
        field: String,
        column: String,
        header: Vec<String>,
    },
    #[error(
        "the header has column `{column}` (for {field}) twice, as columns {first} and {second}"
    )]
    DuplicateColumn {
        field: String,
        column: String,
        first: usize,
        second: usize,
    },
    #[error("the file is empty: it needs a header row naming its columns")]
    Empty,
    #[error("the header is one column, which {found} split into several")]
    OtherDelimiter { found: super::csv::Delimiter },
    #[error("could not read the file: {0}")]
    Read(#[from] csv::Error),
}

/// The mapping file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    records: RecordKind,
    columns: BTreeMap<String, String>,
    currency: Option<String>,
    revenue_scale: Option<i64>,
    email_template: Option<String>,
    name_template: Option<String>,
    role: Option<Role>,
    manager_role: Option<Role>,
    team_function: Option<Function>,
    #[serde(default)]
    stages: BTreeMap<String, String>,
    #[serde(default)]
    normalise: BTreeMap<String, BTreeMap<String, String>>,
}

/// A value read as another: `from` in a `field` column becomes `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// A parsed, checked import mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    kind: RecordKind,
    columns: Vec<(&'static str, String)>,
    /// Currency of the amounts; the organisation's when absent.
    pub currency: Option<String>,
    /// Account revenue in the file is in units of this many (1,000,000 for
    /// "revenue in millions").
    pub revenue_scale: i64,
    email_template: Option<String>,
    name_template: Option<String>,
    /// Role of the people in the rows, unless a role column says otherwise.
    pub role: Role,
    /// Role of the people named only in the manager column.
    pub manager_role: Role,
    /// Function of the teams named in the team column.
    pub team_function: Function,
    stages: Vec<(String, OpportunityStage)>,
    aliases: Vec<Alias>,
}

/// Placeholders a template may use, by record kind.
fn placeholders(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Users => &["first", "last", "name"],
        _ => kind.fields(),
    }
}

/// Fills `{placeholder}`s of `template` from `value`; `None` for a
/// placeholder without a value, `Err` for one `value` does not know.
fn fill(
    template: &str,
    value: impl Fn(&str) -> Result<Option<String>, String>,
) -> Result<Option<String>, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("`{template}` has a `{{` without its `}}`"))?;
        match value(&after[..end])? {
            Some(v) => out.push_str(&v),
            None => return Ok(None),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Some(out))
}

/// Checks that `template` only uses placeholders of `kind`.
fn check_template(
    setting: &'static str,
    template: &str,
    kind: RecordKind,
) -> Result<(), MappingError> {
    fill(template, |name| {
        if placeholders(kind).contains(&name) {
            Ok(Some(String::new()))
        } else {
            Err(format!(
                "unknown placeholder `{{{name}}}`: expected one of {}",
                placeholders(kind).join(", ")
            ))
        }
    })
    .map(drop)
    .map_err(|problem| MappingError::InvalidSetting { setting, problem })
}

impl Mapping {
    /// Parses and checks a mapping file.
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let file: MappingFile =
            toml::from_str(text).map_err(|e| MappingError::Toml(e.to_string()))?;
        let kind = file.records;
        let unknown = |field: &str| MappingError::UnknownField {
            kind,
            field: field.to_string(),
            expected: kind.fields().to_vec(),
        };
        let mut columns = Vec::new();
        for (field, column) in file.columns {
            let known = kind
                .fields()
                .iter()
                .find(|known| **known == field)
                .ok_or_else(|| unknown(&field))?;
            columns.push((*known, column));
        }
        let required = &kind.fields()[..kind.required()];
        if let Some(missing) = required
            .iter()
            .find(|field| !columns.iter().any(|(f, _)| f == *field))
        {
            return Err(MappingError::MissingField {
                kind,
                field: missing,
            });
        }
        if kind == RecordKind::Users
            && file.email_template.is_none()
            && !columns.iter().any(|(f, _)| *f == "email")
        {
            return Err(MappingError::InvalidSetting {
                setting: "email_template",
                problem: "map an email column or give an email_template".into(),
            });
        }
        for (setting, template) in [
            ("email_template", &file.email_template),
            ("name_template", &file.name_template),
        ] {
            if let Some(template) = template {
                check_template(setting, template, kind)?;
            }
        }
        let mut stages = Vec::new();
        for (value, slug) in file.stages {
            let stage = slug.parse().map_err(|e: crate::domain::UnknownValue| {
                MappingError::UnknownStage {
                    value: value.clone(),
                    slug: slug.clone(),
                    problem: e.to_string(),
                }
            })?;
            stages.push((value, stage));
        }
        let mut aliases = Vec::new();
        for (field, pairs) in file.normalise {
            if !kind.fields().contains(&field.as_str()) {
                return Err(unknown(&field));
            }
            aliases.extend(pairs.into_iter().map(|(from, to)| Alias {
                field: field.clone(),
                from,
                to,
            }));
        }
        let revenue_scale = file.revenue_scale.unwrap_or(1);
        if revenue_scale < 1 {
            return Err(MappingError::InvalidSetting {
                setting: "revenue_scale",
                problem: format!("{revenue_scale} is not a positive whole number"),
            });
        }
        Ok(Mapping {
            kind,
            columns,
            currency: file.currency,
            revenue_scale,
            email_template: file.email_template,
            name_template: file.name_template,
            role: file.role.unwrap_or(Role::Hunter),
            manager_role: file.manager_role.unwrap_or(Role::Manager),
            team_function: file.team_function.unwrap_or(Function::Hunting),
            stages,
            aliases,
        })
    }

    /// What the mapping imports.
    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    /// The column that feeds `field`, if any.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, column)| column.as_str())
    }

    /// The e-mail address for a person called `name`, from the template:
    /// `{first}` and `{last}` are the first and last words of the name,
    /// `{name}` all of them joined by dots, lowercase, letters and digits only.
    pub fn email_for(&self, name: &str) -> Option<Result<Email, String>> {
        let template = self.email_template.as_deref()?;
        let words: Vec<String> = name
            .split_whitespace()
            .map(ascii_word)
            .filter(|word| !word.is_empty())
            .collect();
        let filled = fill(template, |placeholder| {
            Ok(match placeholder {
                "first" => words.first().cloned(),
                "last" => words.last().cloned(),
                _ => Some(words.join(".")),
            })
        })
        .transpose()?;
        Some(
            filled
                .and_then(|email| Email::parse(&email))
                .map_err(|e| format!("{name}: {e}")),
        )
    }
}

/// A word of a name as the local part of an e-mail address takes it: in
/// lowercase ASCII, accents dropped (`Zoë` → `zoe`), letters with no
/// accent to drop spelled out (`ß` → `ss`), anything else left out; a word
/// in another script keeps its letters.
fn ascii_word(word: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    let ascii: String = word
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ß' => "ss".to_string(),
            'æ' => "ae".to_string(),
            'œ' => "oe".to_string(),
            'ø' => "o".to_string(),
            'ł' => "l".to_string(),
            'đ' | 'ð' => "d".to_string(),
            'þ' => "th".to_string(),
            c if c.is_ascii_alphanumeric() => c.to_string(),
            _ => String::new(),
        })
        .collect();
    if !ascii.is_empty() {
        return ascii;
    }
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How often one alias was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasUse {
    pub alias: Alias,
    /// Rows where the value was read as the alias says.
    pub rows: u64,
}

/// The values of one data row, by field, after normalising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    values: Vec<(&'static str, String)>,
}

impl Row {
    /// The trimmed, non-empty value of `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }
}

/// A record built from one row through a mapping.
pub trait Record: Sized {
    /// The kind of mapping that builds it.
    const KIND: RecordKind;

    /// Builds the record, or says what is wrong with the row.
    fn from_row(row: &Row, mapping: &Mapping) -> Result<Self, String>;
}

/// A company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub name: String,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    /// Annual revenue in units of [`Mapping::revenue_scale`].
    pub revenue: Option<Decimal>,
    pub location: Option<String>,
    /// The parent company's name.
    pub parent: Option<String>,
}

/// A person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub name: String,
    pub email: Email,
    pub role: Role,
    /// The manager's name.
    pub manager: Option<String>,
    /// The team's name.
    pub team: Option<String>,
}

/// A deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityRecord {
    /// The deal's id in the system it comes from.
    pub external_id: String,
    pub name: String,
    /// The account's name.
    pub account: Option<String>,
    /// The owner's name.
    pub owner: Option<String>,
    pub product: Option<String>,
    pub stage: OpportunityStage,
    pub engaged_on: Option<Date>,
    pub closed_on: Option<Date>,
    /// In major units of `currency`.
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
}

fn text(row: &Row, field: &str) -> Option<String> {
    row.get(field).map(String::from)
}

fn required(row: &Row, field: &str) -> Result<String, String> {
    text(row, field).ok_or_else(|| format!("{field} is empty"))
}

fn date(row: &Row, field: &str) -> Result<Option<Date>, String> {
    row.get(field)
        .map(|v| parse_date(v).map_err(|e| format!("{field}: {e}")))
        .transpose()
}

fn decimal(row: &Row, field: &str) -> Option<Decimal> {
    row.get(field).map(|v| Decimal(v.to_string()))
}

/// More people than any company employs.
pub const MAX_EMPLOYEES: i64 = 10_000_000;

impl Record for AccountRecord {
    const KIND: RecordKind = RecordKind::Accounts;

    fn from_row(row: &Row, _: &Mapping) -> Result<Self, String> {
        let employees = row
            .get("employees")
            .map(|v| match v.parse::<i64>() {
                Ok(n) if (0..=MAX_EMPLOYEES).contains(&n) => Ok(n),
                Ok(_) => Err(format!(
                    "employees: `{v}` must be between 0 and {MAX_EMPLOYEES}"
                )),
                Err(_) => Err(format!("employees: `{v}` is not a whole number")),
            })
            .transpose()?;
        Ok(AccountRecord {
            name: required(row, "name")?,
            industry: text(row, "industry"),
            employees,
            revenue: decimal(row, "revenue"),
            location: text(row, "location"),
            parent: text(row, "parent"),
        })
    }
}

impl Record for UserRecord {
    const KIND: RecordKind = RecordKind::Users;

    fn from_row(row: &Row, mapping: &Mapping) -> Result<Self, String> {
        let name = required(row, "name")?;
        let email = match row.get("email") {
            Some(email) => Email::parse(email).map_err(|e| format!("email: {e}"))?,
            None => mapping
                .email_for(&name)
                .ok_or("email is empty")?
                .map_err(|e| format!("email: {e}"))?,
        };
        let role = row
            .get("role")
            .map(|v| v.parse().map_err(|e| format!("role: {e}")))
            .transpose()?
            .unwrap_or(mapping.role);
        Ok(UserRecord {
            name,
            email,
            role,
            manager: text(row, "manager"),
            team: text(row, "team"),
        })
    }
}

impl Record for OpportunityRecord {
    const KIND: RecordKind = RecordKind::Opportunities;

    fn from_row(row: &Row, mapping: &Mapping) -> Result<Self, String> {
        let external_id = required(row, "external_id")?;
        let raw_stage = required(row, "stage")?;
        let stage = match mapping.stages.iter().find(|(value, _)| *value == raw_stage) {
            Some((_, stage)) => *stage,
            None => raw_stage.parse().map_err(|e| format!("stage: {e}"))?,
        };
        let name = match (text(row, "name"), &mapping.name_template) {
            (Some(name), _) => name,
            (None, Some(template)) => {
                fill(template, |field| Ok(text(row, field)))?.unwrap_or_else(|| external_id.clone())
            }
            (None, None) => external_id.clone(),
        };
        Ok(OpportunityRecord {
            name,
            account: text(row, "account"),
            owner: text(row, "owner"),
            product: text(row, "product"),
            stage,
            engaged_on: date(row, "engaged_on")?,
            closed_on: date(row, "closed_on")?,
            amount: decimal(row, "amount"),
            currency: text(row, "currency"),
            external_id,
        })
    }
}

/// What reading a file through a mapping gave.
#[derive(Debug, Clone)]
pub struct ReadRecords<T> {
    /// Good records with their place in the file.
    pub records: Vec<(RowPosition, T)>,
    /// Rows that could not become a record, with the reason.
    pub rejected: Vec<RowError>,
    /// Aliases applied, in mapping order; those never applied are left out.
    pub aliases: Vec<AliasUse>,
}

/// Reads every data row of a CSV file (comma-separated, with a header) as a
/// `T` through `mapping`. Values are trimmed and empty ones count as absent;
/// a bad row is rejected on its own and reading goes on.
pub fn read_records<T: Record, R: Read>(
    reader: R,
    mapping: &Mapping,
    delimiter: u8,
) -> Result<ReadRecords<T>, MappingError> {
    if mapping.kind != T::KIND {
        return Err(MappingError::WrongKind {
            expected: T::KIND,
            found: mapping.kind,
        });
    }
    let mut builder = ReaderBuilder::new();
    builder
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter);
    let mut csv = builder.from_reader(QuoteCheck::new(Resumable::File(reader), delimiter));
    builder.has_headers(false);
    let header: Vec<String> = csv
        .headers()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(MappingError::Empty);
    }
    if let Some(found) = super::csv::other_delimiter(&header, delimiter) {
        return Err(MappingError::OtherDelimiter { found });
    }
    let mut indices = Vec::new();
    for (field, column) in &mapping.columns {
        let mut found = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.eq_ignore_ascii_case(column.trim()))
            .map(|(index, _)| index);
        let index = found.next().ok_or_else(|| MappingError::MissingColumn {
            field: field.to_string(),
            column: column.clone(),
            header: header.clone(),
        })?;
        // Which of two same-named columns was meant cannot be known.
        if let Some(second) = found.next() {
            return Err(MappingError::DuplicateColumn {
                field: field.to_string(),
                column: column.clone(),
                first: index + 1,
                second: second + 1,
            });
        }
        indices.push((*field, index));
    }
    let mut uses = vec![0_u64; mapping.aliases.len()];
    let mut out = ReadRecords {
        records: Vec::new(),
        rejected: Vec::new(),
        aliases: Vec::new(),
    };
    let mut record = StringRecord::new();
    let mut row_number = 0;
    loop {
        let line = line_of(&csv, csv.position());
        let more = match csv.read_record(&mut record) {
            Ok(more) => more,
            Err(error) => {
                row_number += 1;
                let message = match error.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => format!(
                        "column {} (`{}`) is not valid UTF-8: save the file as UTF-8",
                        err.field() + 1,
                        header.get(err.field()).map_or("", String::as_str)
                    ),
                    _ => error.to_string(),
                };
                out.rejected.push(RowError {
                    row: row_number,
                    line,
                    message,
                });
                continue;
            }
        };
        if !more {
            break;
        }
        let start = record.position().map_or(line, |p| line_of(&csv, p));
        let unclosed = resume_after_unclosed_quote(&mut csv, &builder);
        if unclosed.is_none() && record.iter().all(str::is_empty) {
            continue;
        }
        row_number += 1;
        let position = RowPosition {
            row: row_number,
            line: start,
        };
        if let Some(message) = unclosed.or_else(|| bad_quoting(&csv, position.line)) {
            out.rejected.push(RowError {
                row: position.row,
                line: position.line,
                message,
            });
            continue;
        }
        // A row cut short of a column the mapping reads, or with values
        // past the header, is not read as if its cells were where they belong.
        let cut_short = indices.iter().any(|(_, index)| *index >= record.len());
        let column_problem = if cut_short {
            Some(super::csv::column_count(record.len(), header.len()))
        } else {
            super::csv::too_many_columns(record.iter().map(str::as_bytes), header.len())
        };
        if let Some(message) = column_problem {
            out.rejected.push(RowError {
                row: position.row,
                line: position.line,
                message,
            });
            continue;
        }
        // No person types NUL, and PostgreSQL cannot store it: the row is
        // refused on its own rather than fail the import as a whole.
        let with_nul = indices
            .iter()
            .find(|(_, index)| record.get(*index).is_some_and(|v| v.contains('\0')));
        if let Some((field, index)) = with_nul {
            out.rejected.push(RowError {
                row: position.row,
                line: position.line,
                message: format!(
                    "column {} (`{}`, the {field}) holds the NUL character, which no text may hold",
                    index + 1,
                    header[*index]
                ),
            });
            continue;
        }
        let mut values = Vec::new();
        for (field, index) in &indices {
            let Some(value) = record.get(*index).filter(|v| !v.is_empty()) else {
                continue;
            };
            let alias = mapping
                .aliases
                .iter()
                .position(|a| a.field == *field && a.from == value);
            let value = match alias {
                Some(i) => {
                    uses[i] += 1;
                    mapping.aliases[i].to.clone()
                }
                None => value.to_string(),
            };
            values.push((*field, value));
        }
        match T::from_row(&Row { values }, mapping) {
            Ok(record) => out.records.push((position, record)),
            Err(message) => out.rejected.push(RowError {
                row: position.row,
                line: position.line,
                message,
            }),
        }
    }
    out.aliases = mapping
        .aliases
        .iter()
        .zip(uses)
        .filter(|(_, rows)| *rows > 0)
        .map(|(alias, rows)| AliasUse {
            alias: alias.clone(),
            rows,
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEALS: &str = r#"
records = "opportunities"
currency = "USD"
name_template = "{product} for {account}"

[columns]
external_id = "id"
stage = "deal_stage"
product = "product"
account = "account"
closed_on = "close_date"
amount = "close_value"

[stages]
Won = "won"

[normalise.product]
GTXPro = "GTX Pro"
"#;

    #[test]
    fn aliases_are_applied_and_counted() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let csv = "id,deal_stage,product,account,close_date,close_value\n\
                   A,Won,GTXPro,Acme,2017-03-01,10\n\
                   B,Won,GTX Pro,,2017-03-02,20\n\
                   C,Won,GTXPro,Acme,,\n";
        let read: ReadRecords<OpportunityRecord> =
            read_records(csv.as_bytes(), &mapping, b',').unwrap();
        assert_eq!(read.records.len(), 3);
        assert!(
            read.records
                .iter()
                .all(|(_, r)| r.product.as_deref() == Some("GTX Pro"))
        );
        assert_eq!(read.aliases.len(), 1);
        assert_eq!(read.aliases[0].rows, 2);
        assert_eq!(read.records[0].1.name, "GTX Pro for Acme");
        // Without an account the template cannot be filled: the id names it.
        assert_eq!(read.records[1].1.name, "B");
        assert_eq!(read.records[1].1.account, None);
    }

    #[test]
    fn a_row_holding_nul_is_rejected_alone() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let csv = "id,deal_stage,product,account,close_date,close_value\n\
                   A,Won,X,Ac\0me,2017-03-01,10\n\
                   B,Won,X,Acme,2017-03-01,10\n";
        let read: ReadRecords<OpportunityRecord> =
            read_records(csv.as_bytes(), &mapping, b',').unwrap();
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.records[0].1.external_id, "B");
        assert_eq!(
            read.rejected[0].message,
            "column 4 (`account`, the account) holds the NUL character, which no text may hold"
        );
    }

    #[test]
    fn a_quote_never_closed_rejects_only_its_row() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let csv = "id,deal_stage,product,account,close_date,close_value\r\n\
                   A,Won,X,Acme,2017-03-01,10\r\n\
                   B,Won,\"X,Acme,2017-03-01,10\r\n\
                   C,Won,X,Acme,2017-03-01,10\r\n";
        let read: ReadRecords<OpportunityRecord> =
            read_records(csv.as_bytes(), &mapping, b',').unwrap();
        assert_eq!(read.rejected.len(), 1);
        assert_eq!((read.rejected[0].row, read.rejected[0].line), (2, 3));
        assert!(read.rejected[0].message.contains("never closed"));
        let kept: Vec<(u64, u64, &str)> = read
            .records
            .iter()
            .map(|(at, deal)| (at.row, at.line, deal.external_id.as_str()))
            .collect();
        assert_eq!(kept, [(1, 2, "A"), (3, 4, "C")], "C is read again");
    }

    #[test]
    fn a_row_cut_short_or_running_past_the_header_is_rejected() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let csv = "id,deal_stage,product,account,close_date,close_value,note\n\
                   A,Won,X,Acme,2017-03-01\n\
                   B,Won,X,Acme,2017-03-01,10,,12\n\
                   C,Won,X,Acme,2017-03-01,10\n\
                   D,Won,X,Acme,2017-03-01,10,,,\n";
        let read: ReadRecords<OpportunityRecord> =
            read_records(csv.as_bytes(), &mapping, b',').unwrap();
        let rejected: Vec<(u64, &str)> = read
            .rejected
            .iter()
            .map(|e| (e.row, e.message.as_str()))
            .collect();
        assert_eq!(
            rejected,
            [
                (1, "has 5 columns, the header has 7"),
                (2, "has 8 columns, the header has 7"),
            ]
        );
        // Short of a column no field reads, or past it with empty cells only:
        // nothing is out of place.
        let kept: Vec<&str> = read
            .records
            .iter()
            .map(|(_, deal)| deal.external_id.as_str())
            .collect();
        assert_eq!(kept, ["C", "D"]);
    }

    #[test]
    fn bad_rows_are_rejected_with_their_row_and_reading_goes_on() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let csv = "id,deal_stage,product,account,close_date,close_value\n\
                   A,Closed,X,Acme,2017-03-01,10\n\
                   B,Won,X,Acme,2017-02-30,10\n\
                   C,Won,X,Acme,2017-03-01,10\n";
        let read: ReadRecords<OpportunityRecord> =
            read_records(csv.as_bytes(), &mapping, b',').unwrap();
        assert_eq!(read.records.len(), 1);
        let rows: Vec<u64> = read.rejected.iter().map(|e| e.row).collect();
        assert_eq!(rows, [1, 2]);
        assert!(read.rejected[0].message.contains("stage"));
        assert!(read.rejected[1].message.contains("closed_on"));
    }

    #[test]
    fn a_missing_column_names_the_header() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let header = "id,deal_stage,product,close_date,close_value\n";
        let error = read_records::<OpportunityRecord, _>(header.as_bytes(), &mapping, b',')
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("column `account` (for account) is not in the header"),
            "{error}"
        );
        assert!(error.contains("`id`, `deal_stage`, `product`"), "{error}");
    }

    #[test]
    fn a_headcount_must_be_a_whole_number_in_range() {
        let mapping = Mapping::parse(
            "records = \"accounts\"\n[columns]\nname = \"account\"\nemployees = \"size\"",
        )
        .unwrap();
        let csv = "account,size\nAcme,-5\nInitech,many\nHooli,20000000\nGlobex,250\n";
        let read = read_records::<AccountRecord, _>(csv.as_bytes(), &mapping, b',').unwrap();
        let problems: Vec<&str> = read.rejected.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(
            problems,
            [
                "employees: `-5` must be between 0 and 10000000",
                "employees: `many` is not a whole number",
                "employees: `20000000` must be between 0 and 10000000",
            ]
        );
        assert_eq!(read.records.len(), 1);
        let twice = "account,size,Account\nA,1,B\n";
        let error = read_records::<AccountRecord, _>(twice.as_bytes(), &mapping, b',')
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            error,
            "the header has column `account` (for name) twice, as columns 1 and 3"
        );
    }

    #[test]
    fn an_empty_file_another_delimiter_and_latin_1_are_named() {
        let mapping = Mapping::parse(DEALS).unwrap();
        let read = |csv: &[u8]| read_records::<OpportunityRecord, _>(csv, &mapping, b',');
        let error = read(b"").unwrap_err().to_string();
        assert!(error.starts_with("the file is empty"), "{error}");
        let error = read(
            b"id;deal_stage;product
A;Won;X
",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("which `;` split into several"), "{error}");
        let latin_1 = b"id,deal_stage,product,account,close_date,close_value
                        A,Won,Caf\xe9,Acme,2017-03-01,10
                        B,Won,X,Acme,2017-03-01,10
";
        let read = read(latin_1).unwrap();
        assert_eq!(read.rejected.len(), 1);
        assert_eq!(
            read.rejected[0].message,
            "column 3 (`product`) is not valid UTF-8: save the file as UTF-8"
        );
        assert_eq!(read.records.len(), 1, "the next row is kept");
    }

    #[test]
    fn unknown_fields_and_wrong_kinds_are_refused() {
        let error = Mapping::parse("records = \"accounts\"\n[columns]\nname = \"a\"\nsize = \"b\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown accounts field `size`"), "{error}");
        let error = Mapping::parse("records = \"accounts\"\n[columns]\nindustry = \"a\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`name`, which is required"), "{error}");
        let error = Mapping::parse("records = \"deals\"\n[columns]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("the mapping cannot be read"), "{error}");
        let error = Mapping::parse(&format!("colour = \"red\"\n{DEALS}"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `colour`"), "{error}");
        let mapping = Mapping::parse(DEALS).unwrap();
        assert!(matches!(
            read_records::<AccountRecord, _>("a\n".as_bytes(), &mapping, b','),
            Err(MappingError::WrongKind { .. })
        ));
    }

    #[test]
    fn emails_come_from_the_template() {
        let mapping = Mapping::parse(
            "records = \"users\"\nemail_template = \"{first}.{last}@crm.example\"\n\
             [columns]\nname = \"agent\"",
        )
        .unwrap();
        let email = mapping.email_for("Anna  van Snelling").unwrap().unwrap();
        assert_eq!(email.as_str(), "anna.snelling@crm.example");
        let email = mapping.email_for("Zoë O'Brien").unwrap().unwrap();
        assert_eq!(email.as_str(), "zoe.obrien@crm.example");
        let email = mapping.email_for("Jürgen Weiß").unwrap().unwrap();
        assert_eq!(email.as_str(), "jurgen.weiss@crm.example");
        assert!(
            Mapping::parse(
                "records = \"users\"\nemail_template = \"{nick}@x.example\"\n[columns]\nname = \"a\""
            )
            .is_err()
        );
    }
}
