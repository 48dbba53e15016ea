//! The host's typed refusals, as the `HttpError` each becomes: what Tornado answers when the
//! same call raises (400 for an argument it cannot read, 403 for a failed xsrf check, 500 for
//! the `ValueError`s of a bad value), with the host's text as the log message.

use crate::HttpError;
use crate::bindings::gale::web::application::{ReverseError, StaticUrlError};
use crate::bindings::gale::web::cookies::{CookieError, XsrfError};
use crate::bindings::gale::web::request::RequestError;
use crate::bindings::gale::web::response::ResponseError;
use crate::bindings::gale::web::topics::TopicError;
use crate::bindings::gale::web::websocket::SocketError;

/// A refusal of the host: its status and its message for the log.
pub(crate) trait Refused {
    /// The status Tornado answers for it.
    fn status(&self) -> u16 {
        500
    }

    /// What the log says of it.
    fn message(&self) -> String;

    /// It, as the handler's error.
    fn into_error(self) -> HttpError
    where
        Self: Sized,
    {
        HttpError::new(self.status()).with_message(self.message())
    }
}

impl Refused for RequestError {
    fn status(&self) -> u16 {
        400
    }

    fn message(&self) -> String {
        let RequestError::InvalidUnicode(name) = self;
        format!("Invalid unicode in {name}")
    }
}

impl Refused for ResponseError {
    fn message(&self) -> String {
        match self {
            Self::UnknownStatus(code) => format!("unknown status code {code}"),
            Self::InvalidValue(why) | Self::HostOwned(why) => why.clone(),
        }
    }
}

impl Refused for CookieError {
    fn message(&self) -> String {
        match self {
            Self::InvalidName(why) | Self::InvalidValue(why) | Self::InvalidAttribute(why) => {
                why.clone()
            }
            Self::HostOwned => "the session cookie is the host's: use login and logout".into(),
        }
    }
}

impl Refused for XsrfError {
    fn status(&self) -> u16 {
        403
    }

    fn message(&self) -> String {
        match self {
            Self::Missing => "'_xsrf' argument missing from POST",
            Self::Malformed => "'_xsrf' argument has invalid format",
            Self::Mismatch => "XSRF cookie does not match POST argument",
        }
        .into()
    }
}

impl Refused for ReverseError {
    fn message(&self) -> String {
        match self {
            Self::UnknownName(name) => format!("{name} not found in named urls"),
            Self::CannotReverse(why) => why.clone(),
        }
    }
}

impl Refused for StaticUrlError {
    fn message(&self) -> String {
        match self {
            Self::NoStaticDirectory => {
                "static_url needs a static directory: start gale with --static DIR".into()
            }
            Self::NoFile(why) => why.clone(),
        }
    }
}

impl Refused for TopicError {
    fn message(&self) -> String {
        match self {
            Self::BadName(why) | Self::TooLarge(why) => why.clone(),
            Self::TooManyTopics => {
                "a plugin has at most 1024 topics, each with a subscriber".into()
            }
            Self::Unavailable => "the plugin is being removed".into(),
        }
    }
}

impl Refused for SocketError {
    fn status(&self) -> u16 {
        match self {
            Self::NotUpgradable => 400,
            Self::NoRoom => 503,
            _ => 500,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::NotUpgradable => "Missing/Invalid WebSocket headers".into(),
            Self::NoRoom => "no room for another WebSocket".into(),
            Self::AlreadyOpen => "the WebSocket is already open".into(),
            Self::Closed => "the WebSocket is closed".into(),
            Self::TooLarge(why) | Self::InvalidValue(why) => why.clone(),
            Self::Topic(error) => error.message(),
        }
    }
}

/// `error`, as the handler's error: for `map_err`.
pub(crate) fn refused(error: impl Refused) -> HttpError {
    error.into_error()
}
