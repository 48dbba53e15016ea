//! A loaded plugin as the runtime sees it: pre-linked for fresh instances, its idle
//! instances, and what it has learned of its handlers. (`plugins/` loads it; the runtime
//! needs nothing of how.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::bindings::PluginPre;
use super::bindings::exports::gale::web::app;
use super::ctx::Ctx;
use super::reuse::IdleInstances;

/// A compiled, pre-linked plugin and the routes it declared.
pub struct Plugin {
    /// The file name without `.wasm`.
    pub name: Arc<str>,
    /// The hex SHA-256 of its file: its version.
    pub hash: Arc<str>,
    /// Pre-linked: a fresh instance per request costs no linking.
    pub pre: PluginPre<Ctx>,
    /// Its route table, as it declared it.
    pub routes: Vec<app::Route>,
    /// Instances waiting for their next request (with `--reuse-instances`).
    pub idle: IdleInstances,
    /// By handler index: whether the handler's `on_finish` proved to be the SDK's default,
    /// which does nothing (learnt at its first request; the handler's type decides it).
    on_finish_unused: Box<[AtomicBool]>,
    _held: Held,
}

/// Plugin versions in memory now.
static HELD: AtomicUsize = AtomicUsize::new(0);

/// Plugin versions held in memory: those in force, and older ones that requests or
/// connections in flight still run. Above the plugins in force for as long as something
/// keeps an old version (a WebSocket once kept every version of its day).
pub fn versions_held() -> usize {
    HELD.load(Ordering::Relaxed)
}

/// A version's place in [`versions_held`].
struct Held;

impl Held {
    fn new() -> Self {
        HELD.fetch_add(1, Ordering::Relaxed);
        Self
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Plugin {
    /// A loaded plugin; its handlers' `on_finish` is called until they report it unused.
    pub fn new(
        name: Arc<str>,
        hash: Arc<str>,
        pre: PluginPre<Ctx>,
        routes: Vec<app::Route>,
    ) -> Self {
        let on_finish_unused = routes.iter().map(|_| AtomicBool::new(false)).collect();
        Self {
            name,
            hash,
            pre,
            routes,
            idle: IdleInstances::default(),
            on_finish_unused,
            _held: Held::new(),
        }
    }

    /// Whether the `finish` stage of `handler` can be skipped: its `on_finish` does nothing.
    pub fn skips_finish(&self, handler: u32) -> bool {
        self.on_finish_unused
            .get(handler as usize)
            .is_some_and(|unused| unused.load(Ordering::Relaxed))
    }

    /// Records that `handler`'s `on_finish` is the default: later requests skip it.
    pub fn skip_finish(&self, handler: u32) {
        if let Some(unused) = self.on_finish_unused.get(handler as usize) {
            unused.store(true, Ordering::Relaxed);
        }
    }
}
