//! Tornado's `periodic_ping`, per connection.

use std::time::{Duration, Instant};

/// Tornado's `periodic_ping`: a ping every interval, and the connection closed when one
/// goes unanswered past the timeout.
pub(super) struct Pinger {
    interval: Duration,
    timeout: Duration,
    next: Instant,
    /// When the unanswered ping went out.
    waiting_since: Option<Instant>,
}

/// What a due ping means.
pub(super) enum Ping {
    /// Send one.
    Send,
    /// The last went unanswered too long.
    TimedOut,
}

impl Pinger {
    /// Pings every `interval` (never when zero), closing after `timeout` unanswered.
    pub(super) fn new(interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            next: Instant::now() + interval,
            waiting_since: None,
        }
    }

    /// Resolves when a ping is due or overdue; never without an interval.
    pub(super) async fn due(&mut self) -> Ping {
        if self.interval.is_zero() {
            return std::future::pending().await;
        }
        // The timeout is at most the interval: an unanswered ping runs out first.
        let deadline = self
            .waiting_since
            .map_or(self.next, |sent| sent + self.timeout);
        tokio::time::sleep_until(deadline.into()).await;
        if self.waiting_since.is_some() {
            return Ping::TimedOut;
        }
        let now = Instant::now();
        self.next = now + self.interval;
        if !self.timeout.is_zero() {
            self.waiting_since = Some(now);
        }
        Ping::Send
    }

    /// A pong came.
    pub(super) fn answered(&mut self) {
        self.waiting_since = None;
    }
}
