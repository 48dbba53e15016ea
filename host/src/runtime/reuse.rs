//! `--reuse-instances PLUGIN=N`: the opt-in where one instance of a plugin serves up to N
//! requests, one at a time. The handler object is still new for every request (the SDK
//! builds it in `dispatch`); what carries over is the instance's memory, so a plugin's
//! statics and caches survive between requests. An instance that trapped is never reused.

use std::sync::Mutex;

use wasmtime::Store;

use super::bindings::PluginInstance;
use super::ctx::Ctx;

/// An instance of a plugin that runs handlers: its bindings, its store, and how many
/// requests it has served (a reused one serves several, one at a time).
pub struct HandlerInstance {
    /// The instance.
    pub instance: PluginInstance,
    /// Its store: the request's data, the sandbox's state.
    pub store: Store<Ctx>,
    /// The requests it has served.
    pub served: u32,
}

/// Idle instances kept per plugin; more are dropped when their request ends.
pub const IDLE_PER_PLUGIN: usize = 64;

/// A plugin's idle instances (empty unless its instances are reused).
#[derive(Default)]
pub struct IdleInstances(Mutex<Vec<HandlerInstance>>);

impl IdleInstances {
    /// The instance kept most recently (its memory is the likeliest to be warm).
    pub fn take(&self) -> Option<HandlerInstance> {
        self.0.lock().ok()?.pop()
    }

    /// How many are idle now.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |idle| idle.len())
    }

    /// Whether none is idle.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every idle instance: their plugin version has been swapped out or removed,
    /// and their pool slots are for the version in force.
    pub fn clear(&self) {
        if let Ok(mut idle) = self.0.lock() {
            idle.clear();
        }
    }

    /// Keeps `instance` for a later request, unless enough are idle already.
    pub fn keep(&self, mut instance: HandlerInstance) {
        // The request's data holds the route table, which holds this plugin: let it go, or
        // a swapped-out plugin would live on through its idle instances.
        instance.store.data_mut().vacate();
        if let Ok(mut idle) = self.0.lock()
            && idle.len() < IDLE_PER_PLUGIN
        {
            idle.push(instance);
        }
    }
}
