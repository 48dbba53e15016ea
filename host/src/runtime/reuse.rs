//! `--reuse-instances PLUGIN=N`: the opt-in where one instance of a plugin serves up to N
//! requests, one at a time. The handler object is still new for every request (the SDK
//! builds it in `dispatch`); what carries over is the instance's memory, so a plugin's
//! statics and caches survive between requests. An instance that trapped is never reused.

use std::sync::Mutex;

use wasmtime::Store;

use super::bindings::PluginInstance;
use super::ctx::Ctx;

/// Idle instances kept per plugin; more are dropped when their request ends.
pub const IDLE_PER_PLUGIN: usize = 64;

/// An instance between two of its requests.
pub struct Parked {
    /// The instance.
    pub instance: PluginInstance,
    /// Its store, its request data cleared.
    pub store: Store<Ctx>,
    /// The requests it has served.
    pub served: u32,
}

/// A plugin's idle instances (empty unless its instances are reused).
#[derive(Default)]
pub struct IdleInstances(Mutex<Vec<Parked>>);

impl IdleInstances {
    /// The most recently parked instance (its memory is the likeliest to be warm).
    pub fn take(&self) -> Option<Parked> {
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

    /// Keeps `parked` for a later request, unless enough are idle already.
    pub fn park(&self, mut parked: Parked) {
        // The request's data holds the route table, which holds this plugin: let it go, or
        // a swapped-out plugin would live on through its idle instances.
        parked.store.data_mut().vacate();
        if let Ok(mut idle) = self.0.lock()
            && idle.len() < IDLE_PER_PLUGIN
        {
            idle.push(parked);
        }
    }
}
