//! Lists for people: filters, a search over several columns, sorting by a
//! whitelisted column and numbered pages with their total, shared by every
//! list page and its CSV export. Only fixed SQL text and placeholders are
//! generated here; every value is bound.

use crate::connect::Db;
use crate::error::Result;
use crate::sql::{Value, bind};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Which way a list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Ascending,
    Descending,
}

impl Direction {
    /// `asc` or `desc`, as in links.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ascending => "asc",
            Direction::Descending => "desc",
        }
    }

    /// `desc` means descending, `asc` ascending; anything else `default`.
    pub fn parse(raw: &str, default: Direction) -> Direction {
        match raw {
            "desc" => Direction::Descending,
            "asc" => Direction::Ascending,
            _ => default,
        }
    }

    pub fn reversed(self) -> Direction {
        match self {
            Direction::Ascending => Direction::Descending,
            Direction::Descending => Direction::Ascending,
        }
    }
}

/// A column a list may be sorted by. Each list has an enum of them whose
/// keys appear in links and whose SQL is fixed text, so a sort never
/// carries input into a statement.
pub trait SortColumn: Copy + PartialEq + 'static {
    /// Every column, the default first.
    const ALL: &'static [Self];
    /// The way the list runs when the address does not say.
    const DIRECTION: Direction = Direction::Ascending;
    /// The name in links: `?sort=name`.
    fn key(self) -> &'static str;
    /// The expression the list is ordered by.
    fn sql(self) -> &'static str;

    /// The column with this key; unknown keys fall back to the default.
    fn parse(key: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.key() == key)
            .unwrap_or(Self::ALL[0])
    }
}

/// Which part of a list to read, in which order.
#[derive(Debug, Clone, Copy)]
pub struct Window<S> {
    pub sort: S,
    pub direction: Direction,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to read; `None` reads them all (an export).
    pub limit: Option<i64>,
}

impl<S> Window<S> {
    /// The first `limit` rows in this order, as record pages show them.
    pub fn first(sort: S, direction: Direction, limit: i64) -> Window<S> {
        Window {
            sort,
            direction,
            offset: 0,
            limit: Some(limit),
        }
    }
}

/// One page of a list and how many rows the whole list holds.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// The conditions of a list, joined with AND, with their bound values.
#[derive(Debug, Default)]
pub struct Conditions {
    clauses: Vec<String>,
    pub(crate) values: Vec<Value>,
}

impl Conditions {
    /// Adds `clause`, whose `?` are the places of `values`, in order.
    pub fn add(&mut self, clause: &str, values: Vec<Value>) {
        debug_assert_eq!(clause.matches('?').count(), values.len());
        let mut numbered = String::with_capacity(clause.len() + 8);
        for (i, part) in clause.split('?').enumerate() {
            if i > 0 {
                numbered.push_str(&format!("${}", self.values.len() + i));
            }
            numbered.push_str(part);
        }
        self.values.extend(values);
        self.clauses.push(numbered);
    }

    /// The placeholder of a value the rows' own SELECT needs, bound before
    /// the conditions that follow.
    pub fn bound(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// `clause` (one `?`) when a value is given.
    pub fn equal(&mut self, clause: &'static str, value: Option<impl Into<Value>>) {
        if let Some(value) = value {
            self.add(clause, vec![value.into()]);
        }
    }

    /// Rows that match, for each word of `text` whatever its case, one of
    /// `matches`: clauses whose one `?` is a lowercase LIKE pattern, each
    /// with an `ESCAPE` of backslash (SQLite has no default escape).
    ///
    /// SQLite's `LOWER` folds only ASCII letters, so a word with other
    /// letters is also matched with each of them in either case
    /// ([`case_variants`]): `ärzte` finds `Ärzte AG` on both backends.
    /// Control characters are not searched for.
    pub fn search(&mut self, matches: &[&str], text: &str) {
        for word in text.split_whitespace() {
            let word: String = word.chars().filter(|c| !c.is_control()).collect();
            if word.is_empty() {
                continue;
            }
            let mut clauses = Vec::new();
            let mut values = Vec::new();
            for variant in case_variants(&word) {
                let pattern = Value::from(format!("%{}%", escape_like(&variant)));
                clauses.extend_from_slice(matches);
                values.extend(vec![pattern; matches.len()]);
            }
            self.add(&format!("({})", clauses.join(" OR ")), values);
        }
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Most letters beyond ASCII of a search word matched in either case:
/// each doubles the patterns.
const MAX_VARIED_LETTERS: usize = 3;

/// `word` in lower case, and, for each of its first few letters beyond
/// ASCII that have a case, with that letter in upper case too: what SQLite's
/// `LOWER`, which folds only ASCII letters, may have left of the stored text.
fn case_variants(word: &str) -> Vec<String> {
    let mut variants = vec![String::new()];
    let mut varied = 0;
    for letter in word.chars() {
        let lower: String = letter.to_lowercase().collect();
        let upper: String = letter.to_uppercase().collect();
        if letter.is_ascii() || lower == upper || varied == MAX_VARIED_LETTERS {
            variants.iter_mut().for_each(|v| v.push_str(&lower));
        } else {
            varied += 1;
            variants = variants
                .into_iter()
                .flat_map(|v| [format!("{v}{lower}"), format!("{v}{upper}")])
                .collect();
        }
    }
    variants
}

/// `text` with LIKE's wildcards and escape taken literally (escape `\`).
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Db {
    /// Reads a window of the rows of `rows` (a SELECT whose result columns
    /// the conditions and sort name) and counts them all. `id` breaks ties,
    /// so pages never overlap.
    pub(crate) async fn list<T, S: SortColumn>(
        &self,
        rows: &str,
        conditions: &Conditions,
        window: &Window<S>,
        read: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Listed<T>> {
        let filtered = format!("FROM ({rows}) r{}", conditions.where_clause());
        let count_sql = format!("SELECT COUNT(*) AS total {filtered}");
        let count = bind(sqlx::query(&count_sql), &conditions.values)
            .fetch_one(self.reader())
            .await?;
        let total: i64 = count.try_get("total")?;
        if window.offset >= total {
            return Ok(Listed {
                rows: Vec::new(),
                total,
            });
        }
        let direction = window.direction.as_str();
        let next = conditions.values.len() + 1;
        let page_sql = format!(
            "SELECT * {filtered} ORDER BY {} {direction} NULLS LAST, r.id {direction} LIMIT ${next} OFFSET ${}",
            window.sort.sql(),
            next + 1
        );
        // LIMIT -1 is "no limit" to SQLite but an error to PostgreSQL.
        let limit = window.limit.unwrap_or(total);
        let page = bind(sqlx::query(&page_sql), &conditions.values)
            .bind(limit)
            .bind(window.offset.max(0))
            .fetch_all(self.reader())
            .await?;
        let rows = page.iter().map(read).collect::<Result<Vec<T>>>()?;
        Ok(Listed { rows, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_number_their_places_in_order() {
        let mut conditions = Conditions::default();
        conditions.equal("r.tier = ?", Some("a"));
        conditions.equal("r.status = ?", None::<&str>);
        conditions.search(
            &[
                "LOWER(r.name) LIKE ? ESCAPE '\\'",
                "r.email LIKE ? ESCAPE '\\'",
            ],
            "Ac_me  x",
        );
        assert_eq!(
            conditions.where_clause(),
            " WHERE r.tier = $1 AND (LOWER(r.name) LIKE $2 ESCAPE '\\' OR r.email LIKE $3 ESCAPE '\\') \
             AND (LOWER(r.name) LIKE $4 ESCAPE '\\' OR r.email LIKE $5 ESCAPE '\\')"
        );
        assert_eq!(conditions.values[1], Value::from("%ac\\_me%"));
        assert_eq!(conditions.values.len(), 5);
    }

    #[test]
    fn letters_beyond_ascii_are_searched_in_either_case() {
        assert_eq!(case_variants("AcMe"), ["acme"]);
        assert_eq!(case_variants("Ärzte"), ["ärzte", "Ärzte"]);
        assert_eq!(
            case_variants("ÅNGSTRÖM"),
            ["ångström", "ångstrÖm", "Ångström", "ÅngstrÖm"]
        );
        assert_eq!(
            case_variants("ÉÉÉÉÉ").len(),
            8,
            "at most three letters vary"
        );
    }

    #[test]
    fn search_words_match_literally() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn directions_read_from_links() {
        assert_eq!(
            Direction::parse("desc", Direction::Ascending),
            Direction::Descending
        );
        assert_eq!(
            Direction::parse("asc", Direction::Descending),
            Direction::Ascending
        );
        assert_eq!(
            Direction::parse("DROP", Direction::Ascending),
            Direction::Ascending
        );
        assert_eq!(
            Direction::parse("", Direction::Descending),
            Direction::Descending
        );
        assert_eq!(Direction::Ascending.reversed(), Direction::Descending);
    }
}
