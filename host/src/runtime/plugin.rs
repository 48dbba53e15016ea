//! A loaded plugin as the runtime sees it: pre-linked for fresh instances, its idle
//! instances, and what it has learned of its handlers. (`plugins/` loads it; the runtime
//! needs nothing of how.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use super::bindings::PluginPre;
use super::bindings::exports::gale::web::app::{self, InstanceMode};
use super::ctx::Ctx;
use super::reuse::IdleInstances;
use super::shared::SharedInstances;

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
    /// How it asked its instances to serve (`instances()`); `--instances` may say otherwise.
    pub mode: InstanceMode,
    /// Instances waiting for their next request (with `--reuse-instances`).
    pub idle: IdleInstances,
    /// Its shared instances, when they are shared.
    pub shared: SharedInstances,
    /// By handler index: what its first requests showed of its `on_finish` (a [`Finish`]
    /// value; the handler's type decides it).
    finish: Box<[AtomicU8]>,
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
        mode: InstanceMode,
    ) -> Self {
        let finish = routes
            .iter()
            .map(|_| AtomicU8::new(Finish::Unknown as u8))
            .collect();
        Self {
            name,
            hash,
            pre,
            routes,
            mode,
            idle: IdleInstances::default(),
            shared: SharedInstances::default(),
            finish,
            _held: Held::new(),
        }
    }

    /// Lets go of the instances it keeps between requests (idle and shared): the version
    /// has been swapped out or removed, and their pool slots are for the version in force.
    /// Requests inside a shared one finish in it.
    pub fn let_go_of_instances(&self) {
        self.idle.clear();
        self.shared.clear();
    }

    /// Whether the `finish` stage of `handler` can be skipped: its `on_finish` does nothing,
    /// and either the instance dies with the request (`fresh`) or the SDK forgets the request
    /// by itself as its stage ends.
    pub fn skips_finish(&self, handler: u32, fresh: bool) -> bool {
        let learnt = self
            .finish
            .get(handler as usize)
            .map(|learnt| learnt.load(Ordering::Relaxed));
        match learnt {
            Some(learnt) if learnt == Finish::ForgottenEarly as u8 => true,
            Some(learnt) => fresh && learnt == Finish::Unused as u8,
            None => false,
        }
    }

    /// Records that `handler`'s `on_finish` is the default, as its SDK said in the `finish`
    /// stage (`early` false) or as the request's stage ended, forgetting the request
    /// (`early`): later requests skip the stage where that is safe.
    pub fn learn_finish(&self, handler: u32, early: bool) {
        if let Some(learnt) = self.finish.get(handler as usize) {
            let finish = if early {
                Finish::ForgottenEarly
            } else {
                Finish::Unused
            };
            learnt.fetch_max(finish as u8, Ordering::Relaxed);
        }
    }
}

/// What a handler's first requests showed of its `on_finish`.
#[repr(u8)]
enum Finish {
    /// Nothing yet: the `finish` stage runs.
    Unknown,
    /// The default, said in the `finish` stage: an instance that dies with the request may
    /// skip the stage.
    Unused,
    /// The default, said as the request's stage ended, the SDK forgetting the request then
    /// and for every later one of this handler: any instance may skip the stage.
    ForgottenEarly,
}
