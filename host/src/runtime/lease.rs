//! A request's hold on an instance for its stages: an instance of its own (fresh, or
//! recycled with `--reuse-instances`), kept through its waits; or its share of a shared
//! instance (`shared.rs`), locked while a stage runs and let go while the request waits, its
//! state swapped into the store for each stage and out after.
//!
//! [`Lease::run`] runs a stage to its end as Tornado's IOLoop runs a coroutine: each time the
//! stage returns `waiting`, the task waits (running nothing) for a handle to be done, the
//! client to go, another request to wake it, or the wall time to pass; then resumes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedMutexGuard, OwnedSemaphorePermit};
use wasmtime::Store;

use super::bindings::PluginInstance;
use super::bindings::exports::gale::web::app::{CancelReason, HttpError, Progress, Stage};
use super::ctx::{Ctx, Delivery, RequestMemo};
use super::pending::Pending;
use super::reuse::HandlerInstance;
use super::shared::SharedInstance;
use crate::http::request::RequestData;
use crate::http::response::ResponseState;

/// Request ids, unique in the process: a shared instance tells its requests apart by them.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A new request id.
pub(super) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// How a stage ended.
pub(super) enum Ran {
    /// It is over.
    Done,
    /// The handler's error.
    Failed(HttpError),
    /// A trap, its own or its shared instance's.
    Trapped(wasmtime::Error),
    /// The request ended while it waited; the instance has forgotten it.
    Cancelled(CancelReason),
}

/// What a request's store holds of the request alone, swapped in and out of a shared
/// instance's store around each stage.
pub(super) struct RequestState {
    request: Arc<RequestData>,
    response: ResponseState,
    delivery: Delivery,
    memo: RequestMemo,
}

impl RequestState {
    /// A request's state before its first stage.
    pub(super) fn new(request: Arc<RequestData>) -> Self {
        Self {
            request,
            response: ResponseState::default(),
            delivery: Delivery::default(),
            memo: RequestMemo::default(),
        }
    }

    /// Exchanges this state with the store's.
    fn swap(&mut self, ctx: &mut Ctx) {
        std::mem::swap(&mut self.request, &mut ctx.request);
        std::mem::swap(&mut self.response, &mut ctx.response);
        std::mem::swap(&mut self.delivery, &mut ctx.delivery);
        std::mem::swap(&mut self.memo, &mut ctx.memo);
    }
}

/// A request's hold on an instance.
pub(super) struct Lease {
    /// The request's id, for `dispatch`.
    pub(super) id: u64,
    hold: Hold,
}

enum Hold {
    /// An instance of its own and its `--max-instances` slot.
    Own {
        instance: HandlerInstance,
        _slot: OwnedSemaphorePermit,
    },
    /// Its share of a shared instance (boxed: its state, out of the store, is a kilobyte).
    Shared(Box<SharedShare>),
}

/// A request inside a shared instance: the lock while a stage runs, its state while not.
struct SharedShare {
    shared: Arc<SharedInstance>,
    held: Option<OwnedMutexGuard<HandlerInstance>>,
    /// The request's state while it is out of the store; the store's resting state while it
    /// is in.
    away: RequestState,
    nudge: Arc<Notify>,
    id: u64,
}

impl Lease {
    /// A lease on an instance of the request's own.
    pub(super) fn own(instance: HandlerInstance, slot: OwnedSemaphorePermit) -> Self {
        Self {
            id: next_id(),
            hold: Hold::Own {
                instance,
                _slot: slot,
            },
        }
    }

    /// A share of `shared` for `request`: its state goes in at the first stage.
    pub(super) fn shared(shared: Arc<SharedInstance>, request: Arc<RequestData>) -> Self {
        let id = next_id();
        let nudge = shared.nudge_for(id);
        Self {
            id,
            hold: Hold::Shared(Box::new(SharedShare {
                shared,
                held: None,
                away: RequestState::new(request),
                nudge,
                id,
            })),
        }
    }

    /// Whether the instance is the request's own (and dies or is recycled with it).
    pub(super) fn is_own(&self) -> bool {
        matches!(self.hold, Hold::Own { .. })
    }

    /// The instance and its store, with the request's state in it. A shared instance is
    /// locked first (its requests take turns).
    pub(super) async fn enter(&mut self) -> (&PluginInstance, &mut Store<Ctx>) {
        match &mut self.hold {
            Hold::Own { instance, .. } => (&instance.instance, &mut instance.store),
            Hold::Shared(share) => share.enter().await,
        }
    }

    /// The store's data, with the request's state in it.
    pub(super) async fn ctx(&mut self) -> &mut Ctx {
        self.enter().await.1.data_mut()
    }

    /// Runs `stage` to its end, waiting (with the instance free, if shared) each time it
    /// waits on handles, and resuming it with those done; cancels it when the client goes
    /// or `deadline` (the wall time) passes while it waits.
    pub(super) async fn run(&mut self, stage: Stage, deadline: Instant) -> Ran {
        let mut stage = stage;
        loop {
            match self.call(&stage).await {
                Ok(Ok(Progress::Waiting)) => {}
                Ok(Ok(Progress::Done)) => return Ran::Done,
                Ok(Err(error)) => return Ran::Failed(error),
                Err(trap) => return Ran::Trapped(trap),
            }
            stage = match self.wait(deadline).await {
                Ok(done) => Stage::Resume(done),
                Err(reason) => {
                    if let Err(trap) = self.call(&Stage::Cancel(reason)).await {
                        return Ran::Trapped(trap);
                    }
                    return Ran::Cancelled(reason);
                }
            };
        }
    }

    /// One `dispatch` call; in a shared instance, the requests it woke (`timers.wake`) are
    /// nudged and a trap poisons it.
    pub(super) async fn call(
        &mut self,
        stage: &Stage,
    ) -> wasmtime::Result<Result<Progress, HttpError>> {
        let id = self.id;
        if let Hold::Shared(share) = &self.hold
            && share.shared.poisoned()
        {
            return Err(wasmtime::Error::new(super::traps::Poisoned));
        }
        let (instance, store) = self.enter().await;
        let outcome = instance
            .gale_web_app()
            .call_dispatch(&mut *store, id, stage)
            .await;
        // An own instance serves no other request: whom it woke is nobody.
        let woken = std::mem::take(&mut store.data_mut().memo.woken);
        if let Hold::Shared(share) = &self.hold {
            match &outcome {
                Ok(Ok(_)) => share.shared.wake(&woken),
                Err(_) => share.shared.poison(),
                Ok(Err(_)) => {}
            }
        }
        outcome
    }

    /// Waits for the request's handles with the instance free: the handles done, or why the
    /// request is over. The handler's time limit counts only its running time: the clock
    /// stops while it waits.
    async fn wait(&mut self, deadline: Instant) -> Result<Vec<u32>, CancelReason> {
        match &mut self.hold {
            Hold::Own { instance, .. } => {
                let ctx = instance.store.data_mut();
                ctx.sandbox.running.leave();
                until_resumed(&mut ctx.memo.pending, &mut ctx.delivery, deadline, None).await
            }
            Hold::Shared(share) => {
                share.leave();
                let away = &mut share.away;
                let nudge = Some(&*share.nudge);
                until_resumed(&mut away.memo.pending, &mut away.delivery, deadline, nudge).await
            }
        }
    }

    /// Awaits `waiting` (the response going out) with the instance free for other requests:
    /// a shared one unlocked; an own one keeps its place on the loop for a moment, as a
    /// response is usually out at the connection's next turn (then a burst makes no more
    /// instances meanwhile), and gives it up if the client is slow.
    pub(super) async fn unlocked<F: Future>(&mut self, waiting: F) -> F::Output {
        let instance = match &mut self.hold {
            Hold::Shared(share) => {
                share.leave();
                return waiting.await;
            }
            Hold::Own { instance, .. } => instance,
        };
        let mut waiting = std::pin::pin!(waiting);
        let moment = tokio::time::sleep(super::running::BUSY_AFTER);
        tokio::select! {
            done = waiting.as_mut() => return done,
            () = moment => instance.store.data().sandbox.running.leave(),
        }
        waiting.await
    }

    /// The instance the request had of its own, for `release`; `None` for a shared one
    /// (the request leaves it).
    pub(super) fn into_own(self) -> Option<HandlerInstance> {
        match self.hold {
            Hold::Own { instance, .. } => Some(instance),
            Hold::Shared(_) => None,
        }
    }
}

impl SharedShare {
    /// Locks the instance (unless held) and swaps the request's state in.
    async fn enter(&mut self) -> (&PluginInstance, &mut Store<Ctx>) {
        if self.held.is_none() {
            let mut held = self.shared.instance.clone().lock_owned().await;
            let store = &mut held.store;
            self.away.swap(store.data_mut());
            store.data_mut().sandbox.limits.refused = false;
            store.set_epoch_deadline(1);
            self.held = Some(held);
        }
        let held = self.held.as_mut().expect("held since just now");
        let HandlerInstance {
            instance, store, ..
        } = &mut **held;
        (instance, store)
    }

    /// Swaps the request's state out and unlocks the instance.
    fn leave(&mut self) {
        if let Some(mut held) = self.held.take() {
            self.away.swap(held.store.data_mut());
        }
    }
}

impl Drop for SharedShare {
    /// The request is over: the store gets its resting state back, and the instance forgets
    /// the request's nudge.
    fn drop(&mut self) {
        self.leave();
        self.shared.leave(self.id);
    }
}

/// Waits for what resumes a waiting request: handles done (`pending`), or a nudge from
/// another request of its shared instance; or for what ends it: the client gone (its
/// response's receiver, or its streamed body's, dropped by hyper) or the wall time past.
async fn until_resumed(
    pending: &mut Pending,
    delivery: &mut Delivery,
    deadline: Instant,
    nudge: Option<&Notify>,
) -> Result<Vec<u32>, CancelReason> {
    let _held = crate::metrics::hold(crate::metrics::Hold::Waiting);
    let ran_for = delivery.running_since.elapsed();
    let gone = async {
        match (&mut delivery.head, &delivery.stream) {
            (Some(head), _) => head.closed().await,
            (None, Some(stream)) => stream.closed().await,
            (None, None) => std::future::pending().await,
        }
    };
    let nudged = async {
        match nudge {
            Some(nudge) => nudge.notified().await,
            None => std::future::pending().await,
        }
    };
    enum Woke {
        Done(Vec<u32>),
        Nudged,
        Gone,
        Late,
    }
    let woke = tokio::select! {
        done = pending.until_done() => Woke::Done(done),
        () = nudged => Woke::Nudged,
        () = gone => Woke::Gone,
        () = tokio::time::sleep_until(deadline.into()) => Woke::Late,
    };
    delivery.running_since = Instant::now()
        .checked_sub(ran_for)
        .unwrap_or_else(Instant::now);
    match woke {
        Woke::Done(done) => Ok(done),
        Woke::Nudged => Ok(pending.take_done()),
        Woke::Gone => Err(CancelReason::ConnectionClosed),
        Woke::Late => Err(CancelReason::TimedOut),
    }
}

/// The wall time of a request started now: `--handler-wall-timeout` from now.
pub(super) fn deadline(wall: Duration) -> Instant {
    Instant::now() + wall
}
