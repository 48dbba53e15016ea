//! How the response refuses a handler's change, as types that say what happens next: a
//! `Refused` value is the handler's error (each kind an error the WIT names), an `OverCap`
//! or a `Misuse` stops the handler.

use super::cookies::CookieError;

/// Why the response refused a handler's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// A value Tornado refuses too: the handler gets it back as an error.
    Refused(Refused),
    /// Past a cap on what a handler may make the host hold: the handler is stopped.
    OverCap(String),
}

/// A value the response refuses, by kind, as Tornado raises `ValueError` for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A status outside 100-999, or one with no standard phrase and no reason given.
    UnknownStatus(u16),
    /// A reason, header name or value HTTP cannot carry, or a redirect that cannot be; the
    /// text says which.
    InvalidValue(String),
    /// A header the host keeps (the framing headers, the session cookie); the text names it.
    HostOwned(String),
    /// A cookie that cannot be set.
    Cookie(CookieError),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownStatus(code @ 100..=999) => {
                write!(f, "unknown status code {code}: give a reason phrase")
            }
            Self::UnknownStatus(code) => {
                write!(f, "invalid status code {code}: it must be from 100 to 999")
            }
            Self::InvalidValue(why) | Self::HostOwned(why) => f.write_str(why),
            Self::Cookie(error) => error.fmt(f),
        }
    }
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(refused) => refused.fmt(f),
            Self::OverCap(why) => f.write_str(why),
        }
    }
}

impl From<Refused> for ResponseError {
    fn from(refused: Refused) -> Self {
        Self::Refused(refused)
    }
}

impl From<CookieError> for ResponseError {
    fn from(error: CookieError) -> Self {
        Self::Refused(Refused::Cookie(error))
    }
}

/// A call Tornado raises for whatever the values (a write after `finish`): a bug in the
/// handler, so the handler is stopped, where a bad value is only an error it gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misuse {
    /// `write` after `finish`.
    WriteAfterFinish,
    /// `finish` a second time.
    FinishTwice,
    /// `flush` after `finish`.
    FlushAfterFinish,
}

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::WriteAfterFinish => "Cannot write() after finish()",
            Self::FinishTwice => "finish() called twice",
            Self::FlushAfterFinish => "Cannot flush() after finish()",
        })
    }
}

impl std::error::Error for Misuse {}
