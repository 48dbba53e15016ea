//! A request the host answers itself, whatever the handler makes of it: a login throttled
//! (429), the password-hashing queue full, or no place for another WebSocket (503), each
//! with a `Retry-After`.

use std::time::Duration;

use crate::http::response::ResponseState;

/// The host's answer in place of the handler's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    status: u16,
    retry_after: Duration,
}

impl Refusal {
    /// The password-hashing queue is full: 503, again in a second.
    pub fn busy() -> Self {
        Self {
            status: 503,
            retry_after: Duration::from_secs(1),
        }
    }

    /// Too many failed logins: 429, again once `window` has passed.
    pub fn throttled(window: Duration) -> Self {
        Self {
            status: 429,
            retry_after: window,
        }
    }

    /// No place for another WebSocket: 503, again in a second.
    pub fn no_room() -> Self {
        Self::busy()
    }

    /// Replaces `response` with the refusal: its status, `Retry-After` and the default page.
    pub fn apply(self, response: &mut ResponseState) {
        response.clear();
        response.set_error_status(self.status, None);
        // Digits: always a valid header value.
        let seconds = self.retry_after.as_secs().max(1).to_string();
        let _ = response.set_header("Retry-After", &seconds);
        response.clear_body();
        let _ = response.finish_with_error_page();
    }
}
