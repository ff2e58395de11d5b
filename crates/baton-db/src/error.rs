//! The storage layer's one error type.

use baton_core::inquiry::FieldError;

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
    /// Several values are not acceptable, each naming its field: a form
    /// shows all of them at once rather than one per try.
    #[error("{}", joined(.0))]
    InvalidFields(Vec<FieldError>),
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

fn joined(problems: &[FieldError]) -> String {
    problems
        .iter()
        .map(FieldError::to_string)
        .collect::<Vec<_>>()
        .join("; ")
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
            DbError::InvalidFields(problems) => DbError::InvalidFields(
                problems
                    .into_iter()
                    .map(|p| match p.field == from {
                        true => FieldError::new(to, p.problem),
                        false => p,
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// The fields a refusal names with their problems, for a form to show
    /// beside them; any other error is given back.
    pub fn field_problems(self) -> Result<Vec<FieldError>, DbError> {
        match self {
            DbError::Invalid { field, problem } | DbError::Conflict { field, problem } => {
                Ok(vec![FieldError { field, problem }])
            }
            DbError::InvalidFields(problems) => Ok(problems),
            other => Err(other),
        }
    }

    /// True for a violated unique index, whatever the backend.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Gathers the refused values of one request, so that all are reported
/// together: each check's value passes through [`Refusals::value`], and
/// [`Refusals::finish`] refuses the request if any was refused.
#[derive(Debug, Default)]
pub(crate) struct Refusals(Vec<FieldError>);

impl Refusals {
    /// Keeps a refusal of a value; any other failure is given back.
    fn keep(&mut self, error: DbError) -> Result<()> {
        match error {
            DbError::Invalid { field, problem } => self.0.push(FieldError { field, problem }),
            DbError::InvalidFields(problems) => self.0.extend(problems),
            other => return Err(other),
        }
        Ok(())
    }

    /// The checked value, or its type's default with the refusal kept: the
    /// default is never stored, since `finish` refuses first. Failures that
    /// are not refusals of a value are returned at once.
    pub(crate) fn value<T: Default>(&mut self, checked: Result<T>) -> Result<T> {
        match checked {
            Ok(value) => Ok(value),
            Err(error) => self.keep(error).map(|()| T::default()),
        }
    }

    /// Refuses a value found wrong by a check made in place.
    pub(crate) fn refuse(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.0.push(FieldError::new(field, problem));
    }

    /// True while nothing has been refused.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the refusals gathered by `other` after these.
    pub(crate) fn extend(&mut self, other: Refusals) {
        self.0.extend(other.0);
    }

    /// Every refusal gathered, as one error; `Ok` when there is none.
    pub(crate) fn finish(self) -> Result<()> {
        self.finish_with(Some(()))
    }

    /// As [`Refusals::finish`], and the value of a check whose type has no
    /// default, passed through [`Refusals::value`] as an `Option`: `None`
    /// only where that check was refused.
    pub(crate) fn finish_with<T>(self, value: Option<T>) -> Result<T> {
        let mut problems = self.0;
        match (problems.len(), value) {
            (0, Some(value)) => Ok(value),
            (1, _) => {
                let FieldError { field, problem } = problems.remove(0);
                Err(DbError::Invalid { field, problem })
            }
            _ => Err(DbError::InvalidFields(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_reported_together_and_other_failures_at_once() {
        let mut refusals = Refusals::default();
        let name: String = refusals
            .value(Err(DbError::invalid("name", "needs a name")))
            .unwrap();
        assert_eq!(name, "");
        let kept = refusals.value(Ok(7)).unwrap();
        assert_eq!(kept, 7);
        refusals.refuse("email", "is not an address");
        let missing = refusals.value::<()>(Err(DbError::NotFound("account 9".into())));
        assert!(matches!(missing, Err(DbError::NotFound(_))));
        match refusals.finish() {
            Err(DbError::InvalidFields(problems)) => assert_eq!(
                problems,
                vec![
                    FieldError::new("name", "needs a name"),
                    FieldError::new("email", "is not an address"),
                ]
            ),
            other => panic!("{other:?}"),
        }

        let mut one = Refusals::default();
        one.value::<()>(Err(DbError::invalid("name", "needs a name")))
            .unwrap();
        assert!(matches!(one.finish(), Err(DbError::Invalid { field, .. }) if field == "name"));
        assert!(Refusals::default().finish().is_ok());

        let mut two = Refusals::default();
        let email: Option<i64> = two
            .value(Err(DbError::invalid("email", "is not one")))
            .unwrap();
        two.refuse("name", "needs a name");
        let refused = two.finish_with(email);
        assert!(matches!(refused, Err(DbError::InvalidFields(p)) if p.len() == 2));
        assert_eq!(Refusals::default().finish_with(Some(3)).unwrap(), 3);
    }

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
