//! How many fresh instances a worker's loop has running at once: a request makes its
//! instance only once it has one of the worker's [`PLACES`], and gives the place up as soon
//! as its stage stops running on the loop (it waits on a fetch, a timer, the client or the
//! account store; it turns out busy; it ends).
//!
//! Why: every instance made touches a pool slot (its stack, tables and the pages of its
//! memory image) and host memory that the allocator keeps after it ends. A stage preempted
//! at an epoch tick (or by the OS) goes to the back of the loop's queue, and in a burst the
//! loop made instances for everyone queued before it: 10,000 long polls arriving at once
//! touched about 330 slots, 420 MiB at the peak; limited, 241 MiB (`bench/memory.py`,
//! 2026-12-04).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Fresh instances one worker's loop runs at once; the loop runs one at a time, the others
/// are preempted or waiting briefly on the host.
const PLACES: usize = 4;

/// A stage that has run this long is busy: it yields at every epoch tick and gives up its
/// place, so a handler spinning in a loop does not hold back the worker's new requests. A
/// response waiting this long for its client gives up its place too.
pub(super) const BUSY_AFTER: Duration = Duration::from_millis(10);

thread_local! {
    /// This worker's places.
    static WORKER_PLACES: Arc<Semaphore> = Arc::new(Semaphore::new(PLACES));
}

/// A place on this worker's loop, to hold while an instance is made and runs.
pub(super) async fn place() -> OwnedSemaphorePermit {
    let places = WORKER_PLACES.with(Arc::clone);
    places.acquire_owned().await.expect("never closed")
}

/// The place an instance's stage holds, if any: kept in its store's sandbox, so that the
/// epoch callback and the host calls that wait can give it up.
#[derive(Default)]
pub struct Running(Mutex<Option<OwnedSemaphorePermit>>);

impl Running {
    /// Holds `place` for the stage about to run.
    pub(super) fn hold(&self, place: OwnedSemaphorePermit) {
        *self.lock() = Some(place);
    }

    /// Gives the place up: the stage no longer runs on the loop (or never will again).
    pub(super) fn leave(&self) {
        self.lock().take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        // Held for a move; a poisoned lock still holds a valid `Option`.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
