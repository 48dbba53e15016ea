//! The account store: accounts with argon2id password hashes, and the sessions that log
//! them in, in MySQL / MariaDB or an embedded SQLite file, through sqlx. Plugins reach it
//! only through the `accounts` interface and never see a hash, a session table or a
//! connection string.
//!
//! Both backends run the same SQL through sqlx's `Any` driver; they differ only in their
//! migrations (MySQL's account column needs a binary collation to match literally) and in
//! how a connection starts.

mod database;
pub mod password;
mod store;
mod throttle;
pub mod validate;

pub use database::{Database, DatabaseSettings};
pub use store::AccountStore;
pub use throttle::WINDOW as THROTTLE_WINDOW;

/// A registered account, as plugins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// A UUID in hyphenated form.
    pub uuid: String,
    /// The account name, exactly as registered.
    pub account: String,
    /// Registration time, seconds since the Unix epoch.
    pub created: u64,
}

/// Why an account operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// The account name is registered already.
    Taken,
    /// The account name or password is not acceptable; the text says why.
    Invalid(String),
    /// No such account, or the wrong password.
    BadCredentials,
    /// The database cannot be reached or failed; the details have been logged.
    Unavailable,
    /// The password-hashing queue is full: 503, to be tried again in a second.
    Busy,
    /// Too many failed logins for this account from this address: 429 for a minute.
    Throttled,
}

impl AccountError {
    /// Its name as a metric's label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Taken => "taken",
            Self::Invalid(_) => "invalid",
            Self::BadCredentials => "bad_credentials",
            Self::Unavailable => "unavailable",
            Self::Busy => "busy",
            Self::Throttled => "throttled",
        }
    }
}

impl From<password::Busy> for AccountError {
    fn from(_: password::Busy) -> Self {
        Self::Busy
    }
}

/// How long a session lives without use; each use slides it forward.
pub const SESSION_SECONDS: i64 = 30 * 60;
