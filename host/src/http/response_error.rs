//! How the response refuses a handler's change, as types that say what happens next: an
//! `Invalid` value is the handler's error, an `OverCap` or a `Misuse` stops the handler.

/// Why the response refused a handler's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// A value Tornado refuses too (a bad name, a control character, a host-owned header):
    /// the handler gets the message as an error.
    Invalid(String),
    /// Past a cap on what a handler may make the host hold: the handler is stopped.
    OverCap(String),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(why) | Self::OverCap(why) => f.write_str(why),
        }
    }
}

impl From<String> for ResponseError {
    fn from(why: String) -> Self {
        Self::Invalid(why)
    }
}

impl From<super::cookies::CookieError> for ResponseError {
    fn from(error: super::cookies::CookieError) -> Self {
        Self::Invalid(error.to_string())
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
}

impl std::fmt::Display for Misuse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::WriteAfterFinish => "Cannot write() after finish()",
            Self::FinishTwice => "finish() called twice",
        })
    }
}

impl std::error::Error for Misuse {}
