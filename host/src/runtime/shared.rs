//! Shared instances: a plugin whose instances are shared (Python's default) runs every
//! request of a worker in one instance, as Tornado's one interpreter does, each request's
//! coroutine waiting inside it while the others run. A request holds the instance only while
//! one of its stages runs; between stages its state is swapped out (see `lease.rs`).
//!
//! One instance per worker thread: a stage runs on the thread whose loop started it, so
//! workers never wait on each other's instance. An instance that traps is poisoned: the
//! requests inside it fail (the trap may have left it anywhere), and the next request makes
//! a new one. An instance retires after its lifetime of requests in the same way, except
//! that those inside finish in it.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedSemaphorePermit};

use super::reuse::HandlerInstance;

/// One shared instance: the instance behind a lock, its `--max-instances` slot for as long
/// as it lives, and how to wake each request waiting in it.
pub struct SharedInstance {
    /// The instance; a stage holds the lock while it runs.
    pub(super) instance: Arc<tokio::sync::Mutex<HandlerInstance>>,
    /// Set when a stage trapped: nothing more runs in it.
    poisoned: AtomicBool,
    /// Requests admitted so far.
    admitted: AtomicU32,
    /// Requests it admits before it retires: those inside finish in it, the next request
    /// makes a new one (which bounds what a plugin's runtime leaks per call).
    lifetime: u32,
    /// The requests waiting in it, each with what wakes it when another request's stage
    /// resolves something it awaits.
    waiting: Mutex<HashMap<u64, Arc<Notify>>>,
    _slot: OwnedSemaphorePermit,
}

impl SharedInstance {
    /// A shared instance of `instance`, holding `slot`, admitting `lifetime` requests.
    pub(super) fn new(
        instance: HandlerInstance,
        slot: OwnedSemaphorePermit,
        lifetime: u32,
    ) -> Self {
        Self {
            instance: Arc::new(tokio::sync::Mutex::new(instance)),
            poisoned: AtomicBool::new(false),
            admitted: AtomicU32::new(0),
            lifetime,
            waiting: Mutex::default(),
            _slot: slot,
        }
    }

    /// Whether a stage trapped in it.
    pub(super) fn poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Relaxed)
    }

    /// Counts a request in; false once its lifetime is spent (the request goes to a new
    /// instance).
    pub(super) fn admit(&self) -> bool {
        self.admitted.fetch_add(1, Ordering::Relaxed) < self.lifetime
    }

    /// Whether a new request may enter: neither poisoned nor retired.
    fn open(&self) -> bool {
        !self.poisoned() && self.admitted.load(Ordering::Relaxed) < self.lifetime
    }

    /// Marks it trapped: no stage runs in it again.
    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::Relaxed);
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Notify>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What wakes request `id` while it waits; registered until [`SharedInstance::leave`].
    pub(super) fn nudge_for(&self, id: u64) -> Arc<Notify> {
        self.waiting().entry(id).or_default().clone()
    }

    /// Wakes the requests a stage made ready (a permit is kept for one not yet waiting).
    pub(super) fn wake(&self, ids: &[u64]) {
        let waiting = self.waiting();
        for id in ids {
            if let Some(nudge) = waiting.get(id) {
                nudge.notify_one();
            }
        }
    }

    /// Forgets request `id`: it is over.
    pub(super) fn leave(&self, id: u64) {
        self.waiting().remove(&id);
    }
}

/// A plugin version's shared instances, one per worker thread, made on first use.
#[derive(Default)]
pub struct SharedInstances(Mutex<Vec<Option<Arc<SharedInstance>>>>);

/// Threads numbered as they first ask: a worker's instance is its own.
static THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static HOME: Cell<Option<usize>> = const { Cell::new(None) };
}

/// This thread's number among those that run stages.
fn home() -> usize {
    HOME.with(|home| match home.get() {
        Some(index) => index,
        None => {
            let index = THREADS.fetch_add(1, Ordering::Relaxed);
            home.set(Some(index));
            index
        }
    })
}

impl SharedInstances {
    fn all(&self) -> std::sync::MutexGuard<'_, Vec<Option<Arc<SharedInstance>>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This worker's instance, unless it has none, or it was poisoned or retired.
    pub(super) fn here(&self) -> Option<Arc<SharedInstance>> {
        let all = self.all();
        let found = all.get(home())?.as_ref()?;
        found.open().then(|| found.clone())
    }

    /// Makes `made` this worker's instance, unless another request made one meanwhile (then
    /// that one, and `made` is dropped).
    pub(super) fn settle(&self, made: SharedInstance) -> Arc<SharedInstance> {
        let mut all = self.all();
        let index = home();
        if all.len() <= index {
            all.resize(index + 1, None);
        }
        match &all[index] {
            Some(existing) if existing.open() => existing.clone(),
            _ => {
                let made = Arc::new(made);
                all[index] = Some(made.clone());
                made
            }
        }
    }

    /// Lets every instance go (the version was swapped out): requests inside finish in
    /// them, and the next request of this version (there is none, unless a WebSocket
    /// follows it) makes a new one.
    pub fn clear(&self) {
        self.all().clear();
    }

    /// How many are alive.
    pub fn len(&self) -> usize {
        self.all().iter().flatten().count()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
