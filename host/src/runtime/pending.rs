//! What a request's handler waits on: its fetches and timers, by handle. Each is started by
//! an import and done later; the driver waits for the first done (with the handler running
//! nothing), then resumes the handler with those done. Per request, bounded: fetches made,
//! fetches at once, timers at once.

use std::collections::HashMap;
use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::outbound::{FetchError, Response};

/// What a request may start, as flags (`--max-fetches`, `--max-fetches-at-once`,
/// `--max-timers`).
#[derive(Debug, Clone, Copy)]
pub struct PendingLimits {
    /// Fetches one request may make in all.
    pub fetches: u32,
    /// Fetches in progress at once (Tornado's `max_clients`).
    pub fetches_at_once: usize,
    /// Timers waiting at once.
    pub timers: usize,
}

/// A fetch's outcome.
pub type Fetched = Result<Response, FetchError>;

/// A request's handles.
#[derive(Default)]
pub struct Pending {
    next: u32,
    fetches: HashMap<u32, JoinHandle<Fetched>>,
    timers: HashMap<u32, Instant>,
    /// Fetches done whose outcome the handler has not yet taken.
    outcomes: HashMap<u32, Fetched>,
    /// Handles done that the handler has not yet been told of.
    untold: Vec<u32>,
    /// Fetches this request made.
    made: u32,
}

/// Why a handle was refused: the text says which limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMany(pub String);

impl Pending {
    fn handle(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    /// Whether another fetch may start under `limits`.
    pub fn may_fetch(&self, limits: &PendingLimits) -> Result<(), TooMany> {
        if self.made >= limits.fetches {
            let most = limits.fetches;
            return Err(TooMany(format!(
                "a request makes at most {most} fetches (--max-fetches)"
            )));
        }
        if self.fetches.len() >= limits.fetches_at_once {
            let most = limits.fetches_at_once;
            return Err(TooMany(format!(
                "a request has at most {most} fetches at once (--max-fetches-at-once)"
            )));
        }
        Ok(())
    }

    /// Waits on `fetch` (already started); its handle.
    pub fn fetching(&mut self, fetch: JoinHandle<Fetched>) -> u32 {
        let handle = self.handle();
        self.made += 1;
        self.fetches.insert(handle, fetch);
        handle
    }

    /// A timer done after `after`; its handle.
    pub fn sleep(&mut self, after: Duration, limits: &PendingLimits) -> Result<u32, TooMany> {
        if self.timers.len() >= limits.timers {
            let most = limits.timers;
            return Err(TooMany(format!(
                "a request has at most {most} timers at once (--max-timers)"
            )));
        }
        let handle = self.handle();
        self.timers.insert(handle, Instant::now() + after);
        Ok(handle)
    }

    /// Stops waiting on `handle`: a fetch is dropped mid-way, a timer stops.
    pub fn cancel(&mut self, handle: u32) {
        if let Some(fetch) = self.fetches.remove(&handle) {
            fetch.abort();
        }
        self.timers.remove(&handle);
        self.outcomes.remove(&handle);
        self.untold.retain(|told| *told != handle);
    }

    /// The outcome of a done fetch, once.
    pub fn outcome(&mut self, handle: u32) -> Option<Fetched> {
        self.outcomes.remove(&handle)
    }

    /// Whether anything is still to be done, or done and untold.
    pub fn is_waiting(&self) -> bool {
        !self.fetches.is_empty() || !self.timers.is_empty() || !self.untold.is_empty()
    }

    /// Waits until at least one handle is done, and returns every one done by then.
    pub async fn until_done(&mut self) -> Vec<u32> {
        let next_timer = self.timers.values().min().copied();
        let timer = async {
            match next_timer {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let fetches = std::future::poll_fn(|cx| match self.poll_fetches(cx) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        });
        tokio::select! {
            () = timer => {}
            () = fetches => {}
        }
        self.take_done()
    }

    /// Every handle done by now (fetches whose outcome arrived, timers past), sorted; the
    /// handler is told of each once.
    pub fn take_done(&mut self) -> Vec<u32> {
        let mut done = std::mem::take(&mut self.untold);
        let now = Instant::now();
        self.timers.retain(|handle, at| {
            let waiting = *at > now;
            if !waiting {
                done.push(*handle);
            }
            waiting
        });
        done.sort_unstable();
        done
    }

    /// Moves the outcome of every finished fetch into `outcomes`; whether any finished.
    fn poll_fetches(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        let mut finished = Vec::new();
        for (handle, fetch) in &mut self.fetches {
            if let Poll::Ready(joined) = std::pin::Pin::new(fetch).poll(cx) {
                let outcome = joined.unwrap_or_else(|error| {
                    Err(FetchError::Connection(format!(
                        "the fetch stopped: {error}"
                    )))
                });
                finished.push((*handle, outcome));
            }
        }
        for (handle, outcome) in finished {
            self.fetches.remove(&handle);
            self.outcomes.insert(handle, outcome);
            self.untold.push(handle);
        }
        !self.untold.is_empty()
    }
}

impl Drop for Pending {
    /// The request is over: its fetches in progress are dropped.
    fn drop(&mut self) {
        for fetch in self.fetches.values() {
            fetch.abort();
        }
    }
}
