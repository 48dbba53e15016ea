//! Coroutines, as Tornado's `gen` module has them: [`sleep`], several awaits at once
//! ([`multi`]) and [`with_timeout`], for the `async fn` methods of an
//! [`AsyncRequestHandler`](crate::AsyncRequestHandler).
//!
//! A plugin has no event loop of its own: the host's is the loop. A handler's future is
//! polled when its request's stage runs; what it awaits is a *handle* the host started (a
//! fetch, a timer). When nothing more can run, the stage returns `waiting`; the host resumes
//! it with the handles that are done, and the future is polled again. No waker is needed:
//! only the host's handles wake a request.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::HttpError;
use crate::bindings::gale::web::timers as host;

thread_local! {
    /// The request whose future is being polled.
    static POLLING: Cell<u64> = const { Cell::new(0) };
    /// Handles the host said are done, by request, not yet awaited.
    static DONE: RefCell<HashSet<(u64, u32)>> = RefCell::new(HashSet::new());
}

/// A future of a request's handler, with what it settles to.
pub(crate) type Task<T> = Pin<Box<dyn Future<Output = T>>>;

/// Polls request `request`'s `task` once, after noting the handles `done`.
pub(crate) fn poll<T>(request: u64, task: &mut Task<T>, done: Vec<u32>) -> Poll<T> {
    DONE.with(|all| {
        all.borrow_mut()
            .extend(done.into_iter().map(|handle| (request, handle)))
    });
    POLLING.with(|polling| polling.set(request));
    let polled = task.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    POLLING.with(|polling| polling.set(0));
    polled
}

/// Forgets what the host said of request `request`'s handles: it is over.
pub(crate) fn forget(request: u64) {
    DONE.with(|all| all.borrow_mut().retain(|(of, _)| *of != request));
}

/// Whether the host said `handle` (of the request being polled) is done; once.
pub(crate) fn take_done(handle: u32) -> bool {
    let request = POLLING.with(Cell::get);
    DONE.with(|all| all.borrow_mut().remove(&(request, handle)))
}

/// Tornado's `gen.sleep`: a future done after `seconds`, on the host's timers (the handler
/// waits with its instance free). Dropped before then, the timer stops.
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// gale_sdk::sleep(0.5).await?;
/// req.write("half a second later");
/// # Ok(())
/// # }
/// ```
pub fn sleep(seconds: f64) -> Sleep {
    let timer = host::sleep(seconds).map_err(|host::TimerError::TooMany(why)| why);
    Sleep { timer, done: false }
}

/// The future of [`sleep`]; an error past the request's timers (`--max-timers`).
///
/// ```no_run
/// # async fn handler() -> gale_sdk::Result {
/// let nap: gale_sdk::Sleep = gale_sdk::sleep(0.1);
/// nap.await?;
/// # Ok(())
/// # }
/// ```
pub struct Sleep {
    timer: Result<u32, String>,
    done: bool,
}

impl Future for Sleep {
    type Output = crate::Result<()>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        match &self.timer {
            Err(why) => Poll::Ready(Err(HttpError::new(500).with_message(why.clone()))),
            Ok(handle) if take_done(*handle) => {
                self.done = true;
                Poll::Ready(Ok(()))
            }
            Ok(_) => Poll::Pending,
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Ok(handle), false) = (&self.timer, self.done) {
            host::cancel(*handle);
        }
    }
}

/// The loop's clock, as Tornado's `IOLoop.time()`: seconds on a monotonic clock.
///
/// ```no_run
/// # async fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {
/// let started = gale_sdk::loop_time();
/// gale_sdk::sleep(0.1).await?;
/// req.write(format!("{:.2}s", gale_sdk::loop_time() - started));
/// # Ok(())
/// # }
/// ```
pub fn loop_time() -> f64 {
    host::now()
}

/// Tornado's `gen.multi` for a list: awaits every future at once (their fetches and timers
/// all in flight together) and gives their outputs in order.
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// let client = AsyncHTTPClient::new();
/// let pages = ["http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b"];
/// let answers = gale_sdk::multi(pages.map(|url| client.fetch(url))).await;
/// for answer in answers {
///     req.write(answer?.body);
/// }
/// # Ok(())
/// # }
/// ```
pub fn multi<F: Future>(futures: impl IntoIterator<Item = F>) -> Multi<F> {
    let slots = futures
        .into_iter()
        .map(|future| Slot::Running(Box::pin(future)))
        .collect();
    Multi { slots }
}

/// The future of [`multi`].
///
/// ```no_run
/// # async fn handler() -> gale_sdk::Result {
/// let naps: gale_sdk::Multi<gale_sdk::Sleep> = gale_sdk::multi([gale_sdk::sleep(0.1), gale_sdk::sleep(0.2)]);
/// naps.await; // after 0.2 s
/// # Ok(())
/// # }
/// ```
pub struct Multi<F: Future> {
    slots: Vec<Slot<F>>,
}

// Its futures are boxed and its outputs never pinned.
impl<F: Future> Unpin for Multi<F> {}

/// One future of a [`Multi`]: running, or done with its output.
enum Slot<F: Future> {
    Running(Pin<Box<F>>),
    Done(Option<F::Output>),
}

impl<F: Future> Future for Multi<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut running = false;
        for slot in &mut this.slots {
            if let Slot::Running(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Slot::Done(Some(output)),
                    Poll::Pending => running = true,
                }
            }
        }
        if running {
            return Poll::Pending;
        }
        let outputs = this.slots.iter_mut().filter_map(|slot| match slot {
            Slot::Done(output) => output.take(),
            Slot::Running(_) => None,
        });
        Poll::Ready(outputs.collect())
    }
}

/// Tornado's `gen.TimeoutError`: [`with_timeout`]'s time passed first.
///
/// ```no_run
/// # async fn handler() -> gale_sdk::Result {
/// let slow = gale_sdk::sleep(5.0);
/// let late: Result<_, gale_sdk::TimeoutError> = gale_sdk::with_timeout(1.0, slow).await;
/// assert!(late.is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutError;

impl std::fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Timeout")
    }
}

impl std::error::Error for TimeoutError {}

/// Tornado's `gen.with_timeout`: `future`'s output, or [`TimeoutError`] if `seconds` pass
/// first (the future is then dropped: its fetch or timer stops).
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// let client = AsyncHTTPClient::new();
/// match gale_sdk::with_timeout(2.0, client.fetch("http://127.0.0.1:8000/slow")).await {
///     Ok(answer) => req.write(answer?.body),
///     Err(TimeoutError) => req.write("too slow"),
/// }
/// # Ok(())
/// # }
/// ```
pub async fn with_timeout<F: Future>(seconds: f64, future: F) -> Result<F::Output, TimeoutError> {
    let mut future = Box::pin(future);
    let mut timer = sleep(seconds);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut timer).poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(TimeoutError)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
