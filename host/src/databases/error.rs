//! Why a plugin's database call failed, as the four cases a handler can act on (PEP 249's
//! `ProgrammingError`, `IntegrityError`, `NotSupportedError`, `OperationalError`), from
//! SQLite's result codes or MySQL's error numbers (`mysql.rs`).

use libsqlite3_sys as ffi;
use sqlx::mysql::MySqlDatabaseError;

/// Why a database call failed; the text is SQLite's message or the host's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseError {
    /// The SQL is not valid, names what does not exist, or its parameters do not match it.
    Invalid(String),
    /// A constraint refused the change.
    Constraint(String),
    /// The sandbox refuses it, or a limit was passed.
    Refused(String),
    /// The database cannot answer now.
    Unavailable(String),
}

impl DatabaseError {
    /// The error of SQLite's result `code` (primary or extended) with its `message`.
    pub(super) fn from_code(code: i32, message: String) -> Self {
        match code & 0xff {
            ffi::SQLITE_CONSTRAINT => Self::Constraint(message),
            ffi::SQLITE_AUTH => Self::Refused(message),
            ffi::SQLITE_INTERRUPT => {
                Self::Refused("the statement ran past the handler's time limit".into())
            }
            ffi::SQLITE_TOOBIG => Self::Refused(format!(
                "{message}: a value or row may hold {} MiB",
                super::MAX_VALUE_BYTES >> 20
            )),
            ffi::SQLITE_BUSY
            | ffi::SQLITE_LOCKED
            | ffi::SQLITE_IOERR
            | ffi::SQLITE_FULL
            | ffi::SQLITE_CANTOPEN
            | ffi::SQLITE_NOMEM
            | ffi::SQLITE_READONLY
            | ffi::SQLITE_CORRUPT
            | ffi::SQLITE_NOTADB => Self::Unavailable(message),
            _ if message.starts_with("too many SQL variables") => Self::Refused(format!(
                "a statement may bind {} parameters",
                super::MAX_PARAMETERS
            )),
            _ => Self::Invalid(message),
        }
    }

    /// The outcome's label in `gale_db_queries_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::Constraint(_) => "constraint",
            Self::Refused(_) => "refused",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

impl From<sqlx::Error> for DatabaseError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Database(error) => {
                if let Some(error) = error.try_downcast_ref::<MySqlDatabaseError>() {
                    return super::mysql::error(error.number(), error.message());
                }
                let code = error.code().and_then(|code| code.parse().ok());
                Self::from_code(code.unwrap_or(ffi::SQLITE_ERROR), error.message().into())
            }
            sqlx::Error::PoolTimedOut => {
                Self::Unavailable("every connection to the database is busy".into())
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Invalid(error.to_string())
            }
            other => {
                tracing::warn!("a plugin's database failed: {other}");
                Self::Unavailable(format!("the database failed: {other}"))
            }
        }
    }
}

impl std::error::Error for DatabaseError {}

impl std::fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(why)
            | Self::Constraint(why)
            | Self::Refused(why)
            | Self::Unavailable(why) => f.write_str(why),
        }
    }
}
