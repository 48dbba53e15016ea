//! The `timers` interface, Tornado's `gen.sleep` and `IOLoop.call_later`: a timer is a
//! handle done after its time, the handler waiting on it with its fetches; and the loop's
//! monotonic clock.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use super::HostResult;
use crate::runtime::bindings::gale::web::timers::{self, TimerError};
use crate::runtime::ctx::Sandbox;
use crate::runtime::pending::Pending;

/// What the `timers` interface sees of the store.
pub(super) struct TimersView<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) pending: &'a mut Pending,
    pub(super) woken: &'a mut Vec<u64>,
}

/// Requests one stage may wake: a shared instance holds no more than this many waiting.
const MAX_WOKEN: usize = 100_000;

/// Where the loop's clock counts from.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

impl timers::Host for TimersView<'_> {
    fn sleep(&mut self, seconds: f64) -> HostResult<u32, TimerError> {
        // A negative or NaN delay is now. A timer past the wall time never fires (the
        // request is cancelled first), so it is bounded at twice that: at exactly the wall
        // time it would race the deadline and sometimes win.
        let after = Duration::try_from_secs_f64(seconds)
            .unwrap_or(Duration::ZERO)
            .min(self.sandbox.wall_timeout.saturating_mul(2));
        let limits = &self.sandbox.pending_limits;
        Ok(self
            .pending
            .sleep(after, limits)
            .map_err(|too_many| TimerError::TooMany(too_many.0)))
    }

    fn now(&mut self) -> wasmtime::Result<f64> {
        Ok(EPOCH.elapsed().as_secs_f64())
    }

    fn cancel(&mut self, handle: u32) -> wasmtime::Result<()> {
        self.pending.cancel(handle);
        Ok(())
    }

    fn wake(&mut self, requests: Vec<u64>) -> wasmtime::Result<()> {
        let room = MAX_WOKEN.saturating_sub(self.woken.len());
        self.woken.extend(requests.into_iter().take(room));
        Ok(())
    }
}
