//! An instance for a request or an event: its share of the worker's shared instance, when
//! its plugin's instances are shared; else a `--max-instances` slot, then an idle instance of
//! the plugin recycled (with `--reuse-instances`) or a fresh one; and after, the instance kept
//! for the next or dropped.

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use super::bindings::exports::gale::web::app::InstanceMode;
use super::lease::Lease;
use super::reuse::HandlerInstance;
use super::shared::SharedInstance;
use super::{Plugin, Runtime};
use crate::http::request::RequestData;

/// A lease on an instance of `plugin` for `request`: a share of the worker's shared
/// instance (made at its first request), or an instance of its own with its `--max-instances`
/// slot, an idle one recycled (with `--reuse-instances`) or a fresh one. `None` (logged) when
/// no slot came free within the handler's time limit or no instance could be made.
pub(super) async fn acquire(
    runtime: &Runtime,
    plugin: &Plugin,
    request: Arc<RequestData>,
) -> Option<Lease> {
    if runtime.limits.mode_for(plugin) == InstanceMode::Shared {
        loop {
            let shared = match plugin.shared.here() {
                Some(shared) => shared,
                None => {
                    let slot = slot(runtime, plugin).await?;
                    let mut made = instantiate(runtime, plugin, RequestData::placeholder()).await?;
                    made.store.data_mut().vacate();
                    let lifetime = runtime.limits.shared_lifetime(&plugin.name);
                    plugin
                        .shared
                        .settle(SharedInstance::new(made, slot, lifetime))
                }
            };
            // Another request may have spent its last place since `here`.
            if shared.admit() {
                return Some(Lease::shared(shared, request));
            }
        }
    }
    let slot = slot(runtime, plugin).await?;
    // Only a plugin opted into reuse ever parks an instance: the others skip the lock.
    let idle = match runtime.limits.reuse_for(&plugin.name) > 1 {
        true => plugin.idle.take(),
        false => None,
    };
    let instance = match idle {
        Some(mut instance) => {
            instance.store.data_mut().recycle(request);
            instance.store.set_epoch_deadline(1);
            instance
        }
        None => {
            // Made only with a place on the loop: see `running.rs`.
            let place = super::running::place().await;
            let made = instantiate(runtime, plugin, request).await?;
            made.store.data().sandbox.running.hold(place);
            made
        }
    };
    Some(Lease::own(instance, slot))
}

/// A `--max-instances` slot, waited for at most as long as a handler may run.
async fn slot(runtime: &Runtime, plugin: &Plugin) -> Option<OwnedSemaphorePermit> {
    let wait = runtime.limits.timeout_for(&plugin.name);
    let waiting = std::time::Instant::now();
    let slot = tokio::time::timeout(wait, runtime.slots.clone().acquire_owned()).await;
    crate::metrics::record(|metrics| metrics.instance_waited(waiting.elapsed()));
    let Ok(Ok(slot)) = slot else {
        tracing::error!(
            plugin = &*plugin.name,
            "no handler instance came free within {wait:?}: all {} are busy (--max-instances)",
            runtime.limits.instances
        );
        return None;
    };
    Some(slot)
}

/// Ends a lease: an instance of the request's own is parked for the next request, when its
/// plugin reuses instances, it came through without a trap and has served fewer than its
/// plugin's limit; else dropped. A share of a shared instance just ends.
pub(super) fn release(runtime: &Runtime, plugin: &Plugin, lease: Lease, reusable: bool) {
    let Some(instance) = lease.into_own() else {
        return;
    };
    instance.store.data().sandbox.running.leave();
    let served = instance.served + 1;
    if reusable && served < runtime.limits.reuse_for(&plugin.name) {
        plugin.idle.keep(HandlerInstance { served, ..instance });
    }
}

/// A fresh instance of `plugin` for `request`; `None` (logged) when none can be made.
async fn instantiate(
    runtime: &Runtime,
    plugin: &Plugin,
    request: Arc<RequestData>,
) -> Option<HandlerInstance> {
    let mut store = runtime.new_store(plugin.name.clone(), request);
    match plugin.pre.instantiate_async(&mut store).await {
        Ok(instance) => Some(HandlerInstance {
            instance,
            store,
            served: 0,
        }),
        Err(error) => {
            // The pool is full or the plugin's start-up traps: this request cannot be served.
            let route = store.data().request.path();
            tracing::error!(
                plugin = &*plugin.name,
                route,
                "cannot instantiate the handler: {error:#}"
            );
            None
        }
    }
}
