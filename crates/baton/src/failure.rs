//! How a command fails: a message for the user and the exit code it implies.

use baton_db::DbError;
use std::fmt;
use std::process::ExitCode;

/// A command that could not do its work.
#[derive(Debug)]
pub enum Failure {
    /// The input was wrong (an argument, a file, a duplicate): exit code 2.
    BadInput(String),
    /// Something failed while working (the database, the disk): exit code 1.
    Runtime(String),
    /// The work was done for part of the input and the rest was refused
    /// (rows of an import): exit code 3, so a script can tell it from both
    /// a clean run and a run that stored nothing.
    Partial(String),
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure::BadInput(message.into())
    }

    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure::Runtime(message.into())
    }

    pub fn partial(message: impl Into<String>) -> Failure {
        Failure::Partial(message.into())
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::BadInput(_) => ExitCode::from(2),
            Failure::Runtime(_) => ExitCode::FAILURE,
            Failure::Partial(_) => ExitCode::from(3),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::BadInput(message) | Failure::Runtime(message) | Failure::Partial(message) => {
                f.write_str(message)
            }
        }
    }
}

/// The storage layer's messages are written for users; only the kind of
/// error decides the exit code.
impl From<DbError> for Failure {
    fn from(error: DbError) -> Failure {
        match error {
            DbError::NotFound(_)
            | DbError::Conflict { .. }
            | DbError::Invalid { .. }
            | DbError::InvalidFields(_)
            | DbError::Forbidden(_) => Failure::BadInput(error.to_string()),
            DbError::Config(_) | DbError::Contended | DbError::Sqlx(_) => {
                Failure::Runtime(error.to_string())
            }
        }
    }
}
