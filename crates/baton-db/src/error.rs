//! The storage layer's one error type.

/// What went wrong in storage, in terms the layers above can answer with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A value conflicts with stored data (a duplicate e-mail, say).
    #[error("{field}: {problem}")]
    Conflict { field: String, problem: String },
    /// The person acting may not do this to this thing: it is someone
    /// else's, or they are not among those who work it.
    #[error("{0}")]
    Forbidden(String),
    /// A value is not acceptable; `field` names it.
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    /// The database URL or data folder cannot be used.
    #[error("{0}")]
    Config(String),
    /// PostgreSQL turned this transaction back, as one of two that waited
    /// on each other (a deadlock) or could not both be serialised: the
    /// change lost to another made at the same moment, and may be retried.
    #[error(
        "another change to the same records landed at the same moment; read them again and retry"
    )]
    Contended,
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
}

/// PostgreSQL's codes for a deadlock and a serialisation failure.
fn is_contention(code: Option<&str>) -> bool {
    matches!(code, Some("40P01" | "40001"))
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(e) if is_contention(e.code().as_deref()) => DbError::Contended,
            _ => DbError::Sqlx(error),
        }
    }
}

impl DbError {
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        DbError::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub fn conflict(field: impl Into<String>, problem: impl Into<String>) -> Self {
        DbError::Conflict {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same error naming `to` where it named `from`: for callers whose
    /// input names the field differently (an e-mail where storage takes an id).
    pub fn renamed(self, from: &str, to: &str) -> Self {
        match self {
            DbError::Invalid { field, problem } if field == from => DbError::invalid(to, problem),
            DbError::Conflict { field, problem } if field == from => DbError::conflict(to, problem),
            other => other,
        }
    }

    /// True for a violated unique index, whatever the backend.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlocks_and_serialisation_failures_are_contention_and_nothing_else_is() {
        assert!(is_contention(Some("40P01")) && is_contention(Some("40001")));
        for other in [None, Some("23505"), Some("40000"), Some("5")] {
            assert!(!is_contention(other), "{other:?}");
        }
        assert!(matches!(
            DbError::from(sqlx::Error::RowNotFound),
            DbError::Sqlx(_)
        ));
    }
}
