//! Building statements for many rows at once. Only placeholders are
//! generated; every value is bound.

use crate::connect::Backend;

/// `$start, $start+1, …` for `count` values.
pub fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `rows` tuples of `columns` placeholders: `($1, $2), ($3, $4), …`, or
/// `(?, ?), (?, ?), …` when `anonymous`. SQLite looks numbered parameters up
/// by name one at a time, which grows with the square of their count.
pub fn value_rows(rows: usize, columns: usize, anonymous: bool) -> String {
    (0..rows)
        .map(|row| {
            if anonymous {
                format!("({})", vec!["?"; columns].join(", "))
            } else {
                format!("({})", placeholders(1 + row * columns, columns))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most keys in one `IN (…)` list, well under both backends' limits on
/// bound values.
pub const CHUNK: usize = 200;

/// Most rows in one multi-row statement.
const MAX_STATEMENT_ROWS: usize = 256;

/// Rows for the next statement out of `remaining`: all of them, up to the
/// most one statement takes. One statement per batch saves a round trip to
/// the database per power of two that a split would need.
fn statement_rows(remaining: usize) -> usize {
    remaining.min(MAX_STATEMENT_ROWS)
}

/// Whether a statement of `rows` rows is worth keeping prepared: only the
/// few shapes of a power of two, so the statement cache holds them instead
/// of being flushed by every batch size; any other size is prepared, run
/// and dropped.
fn keep_prepared(rows: usize) -> bool {
    rows.is_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_takes_a_whole_batch_up_to_its_limit() {
        assert_eq!(statement_rows(1), 1);
        assert_eq!(statement_rows(37), 37);
        assert_eq!(statement_rows(256), 256);
        assert_eq!(statement_rows(300), 256);
        assert!(keep_prepared(64) && keep_prepared(1));
        assert!(!keep_prepared(37) && !keep_prepared(100));
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(value_rows(2, 2, false), "($1, $2), ($3, $4)");
        assert_eq!(value_rows(2, 2, true), "(?, ?), (?, ?)");
        assert_eq!(placeholders(1, 0), "");
    }
}

/// A value of a multi-row statement: rows mix types, so they are kept as
/// this enum until bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(String::from))
    }
}

/// `query` with `values` bound in order.
pub fn bind<'q, 'v>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: impl IntoIterator<Item = &'v Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(*v),
            Value::Float(v) => query.bind(*v),
            Value::Text(v) => query.bind(v.clone()),
            Value::Bytes(v) => query.bind(v.clone()),
        };
    }
    query
}

/// Runs `{head} VALUES (…), (…){tail}` for `rows` in chunks, returning the
/// rows of `tail`'s RETURNING clause (none when `tail` has none).
pub async fn insert_rows<O>(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    head: &str,
    tail: &str,
    rows: &[Vec<Value>],
) -> crate::Result<Vec<O>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    let Some(columns) = rows.first().map(Vec::len) else {
        return Ok(out);
    };
    // Heads and tails bind nothing, so the values may go unnumbered.
    let anonymous = Backend::of(tx) == Backend::Sqlite;
    let mut rest = rows;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(statement_rows(rest.len()));
        rest = after;
        let sql = format!(
            "{head} VALUES {}{tail}",
            value_rows(chunk.len(), columns, anonymous)
        );
        let rows = bind(sqlx::query(&sql), chunk.iter().flatten())
            .persistent(keep_prepared(chunk.len()))
            .fetch_all(&mut **tx)
            .await?;
        for row in &rows {
            out.push(O::from_row(row)?);
        }
    }
    Ok(out)
}

/// `count` new ids for `table`, taken before a multi-row insert so that each
/// row's id is known without relying on the order of RETURNING rows. On
/// SQLite the caller holds the write lock (`BEGIN IMMEDIATE`), so the ids
/// after the largest are free; on PostgreSQL they come from the identity
/// sequence.
pub async fn allocate_ids(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    table: &'static str,
    count: usize,
) -> crate::Result<Vec<i64>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    match backend {
        crate::Backend::Sqlite => {
            let (max,): (i64,) =
                sqlx::query_as(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
                    .fetch_one(&mut **tx)
                    .await?;
            Ok((1..=count as i64).map(|i| max + i).collect())
        }
        crate::Backend::Postgres => {
            let rows: Vec<(i64,)> = sqlx::query_as(&format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
            ))
            .bind(count as i64)
            .fetch_all(&mut **tx)
            .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        }
    }
}
