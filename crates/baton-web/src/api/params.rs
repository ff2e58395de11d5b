//! Query parameters the lists share: an id, a person (`me` or an id), a
//! value of a closed set, and whose records a person may list. Parameters
//! arrive as text so that a bad one is answered with a problem naming it.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use baton_core::calendar::parse_date;
use jiff::civil::Date;
use std::fmt::Display;
use std::str::FromStr;

/// An id named in a query; absent or empty means any. Ids start at 1, so
/// 0 or less, which the lists would read as no filter, is refused.
pub fn id(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => id
            .parse()
            .ok()
            .filter(|id: &i64| *id > 0)
            .map(Some)
            .ok_or_else(|| ApiError::field(field, format!("`{id}` is not an id"))),
    }
}

/// A day named in a query, `YYYY-MM-DD`; absent or empty means none.
pub fn day(field: &str, value: Option<&str>) -> Result<Option<Date>, ApiError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| parse_date(v).map_err(|e| ApiError::field(field, e)))
        .transpose()
}

/// The days `from` and `to` of a query, each optional; `to` before `from`
/// is refused, as it would match nothing.
pub fn days(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<Date>, Option<Date>), ApiError> {
    let (from, to) = (day("from", from)?, day("to", to)?);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(ApiError::field(
            "to",
            format!("{to} is before `from` ({from})"),
        ));
    }
    Ok((from, to))
}

/// A person named in a query, `me` or a user id; absent or empty means anyone.
pub fn person(caller: &Caller, field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim) {
        Some("me") => Ok(Some(caller.id())),
        other => id(field, other).map_err(|_| ApiError::field(field, "must be a user id or `me`")),
    }
}

/// A value of a closed set, such as a stage; absent or empty means any.
pub fn one_of<T>(field: &str, value: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .filter(|v| !v.trim().is_empty())
        .map(str::parse::<T>)
        .transpose()
        .map_err(|e| ApiError::field(field, e.to_string()))
}

/// Whose records a list holds: owners and managers see anyone's (`asked`, or
/// everyone's); everyone else only their own, and asking for someone
/// else's `what` is refused.
pub fn own_unless_manager(
    caller: &Caller,
    asked: Option<i64>,
    what: &str,
) -> Result<Option<i64>, ApiError> {
    if caller.sees_everything() {
        return Ok(asked);
    }
    match asked {
        Some(other) if other != caller.id() => Err(ApiError::Forbidden(format!(
            "{} sees only their own {what}",
            caller.role().a_person(false)
        ))),
        _ => Ok(Some(caller.id())),
    }
}

/// A queue named in a query (id or slug) that the caller may list: owners
/// and managers any, everyone else only the queues they belong to.
pub async fn member_queue(
    state: &AppState,
    caller: &Caller,
    value: Option<&str>,
) -> Result<Option<i64>, ApiError> {
    let Some(raw) = value.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let queue = state
        .db
        .queue(raw)
        .await
        .map_err(|_| ApiError::field("queue", format!("no queue `{raw}`")))?;
    let member =
        caller.sees_everything() || state.db.is_queue_member(&queue.slug, caller.id()).await?;
    if !member {
        return Err(ApiError::Forbidden(format!(
            "you are not a member of {}; a {} sees only their own queues",
            queue.slug,
            caller.role()
        )));
    }
    Ok(Some(queue.id))
}
