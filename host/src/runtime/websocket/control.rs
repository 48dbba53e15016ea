//! How many control frames (pings, unasked-for pongs) a client may send: each one costs the
//! host a pong to write or an event to run, so a flood of them is refused (1008) rather
//! than answered.

use std::time::Instant;

/// A token bucket: `rate` frames a second, and bursts of as many.
pub(super) struct ControlRate {
    rate: u32,
    tokens: f64,
    since: Instant,
}

impl ControlRate {
    /// A full bucket of `rate` a second.
    pub(super) fn new(rate: u32) -> Self {
        Self {
            rate,
            tokens: f64::from(rate),
            since: Instant::now(),
        }
    }

    /// Takes a token for one more control frame; `false` when the client is past its rate.
    pub(super) fn allows_another(&mut self) -> bool {
        self.allows_at(Instant::now())
    }

    fn allows_at(&mut self, now: Instant) -> bool {
        let rate = f64::from(self.rate);
        let refill = now.saturating_duration_since(self.since).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate);
        self.since = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_the_rate_passes_then_only_the_rate_a_second() {
        let mut control = ControlRate::new(10);
        let start = control.since;
        assert!((0..10).all(|_| control.allows_at(start)));
        assert!(!control.allows_at(start));
        assert!(control.allows_at(start + Duration::from_millis(100)));
        assert!(!control.allows_at(start + Duration::from_millis(100)));
    }
}
