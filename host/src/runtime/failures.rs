//! What the host does when a stage does not end well: Tornado's `send_error` (the handler's
//! `write_error`, else the default page), a trap contained to its request, a request
//! cancelled while it waited, and the log lines that say which.

use std::time::Instant;

use wasmtime::Trap;

use super::bindings::exports::gale::web::app::{CancelReason, HttpError, Stage};
use super::ctx::Ctx;
use super::lease::{Lease, Ran};

/// Tornado's `send_error`: the response is cleared and `write_error` renders the error. A
/// failure to do so falls back to the default page. Returns whether the instance is still
/// usable.
pub(super) async fn send_error(lease: &mut Lease, error: HttpError, deadline: Instant) -> bool {
    let ctx = lease.ctx().await;
    log_error(ctx, &error);
    let response = &mut ctx.response;
    if response.streaming() {
        tracing::error!(
            plugin = &*ctx.sandbox.plugin,
            "cannot send an error response after the head was sent by flush(): the body is cut off"
        );
        return true;
    }
    if response.finished() {
        return true;
    }
    response.clear();
    response.set_error_status(error.status, error.reason.as_deref());
    match lease.run(Stage::Error(error), deadline).await {
        Ran::Done => true,
        Ran::Failed(again) => {
            let ctx = lease.ctx().await;
            tracing::error!(
                plugin = &*ctx.sandbox.plugin,
                "write_error failed: {}",
                describe(&again)
            );
            default_page(ctx);
            true
        }
        Ran::Trapped(trap) => {
            contain_trap(lease.ctx().await, &trap);
            false
        }
        Ran::Cancelled(reason) => {
            cancelled(lease.ctx().await, reason);
            true
        }
    }
}

/// A trap ends the instance: the request gets the default error page (503 for a handler
/// past its deadline, 500 otherwise) unless it had already finished.
pub(super) fn contain_trap(ctx: &mut Ctx, trap: &wasmtime::Error) {
    super::traps::count(&ctx.sandbox.plugin, ctx.sandbox.limits.refused, trap);
    let timed_out = matches!(trap.downcast_ref::<Trap>(), Some(Trap::Interrupt));
    let route = ctx.request.path().to_owned();
    if timed_out {
        tracing::error!(
            plugin = &*ctx.sandbox.plugin,
            route,
            "handler exceeded its time limit and was stopped"
        );
    } else {
        tracing::error!(
            plugin = &*ctx.sandbox.plugin,
            route,
            "handler trapped: {}",
            trap.root_cause()
        );
        tracing::debug!(
            plugin = &*ctx.sandbox.plugin,
            route,
            "the trap in full: {trap:?}"
        );
    }
    answer_instead(ctx, if timed_out { 503 } else { 500 });
}

/// A request its handler no longer runs (the instance forgot it): a client gone gets
/// nothing; one past its wall time the default 503 page, unless its head is out (then its
/// body is cut off).
pub(super) fn cancelled(ctx: &mut Ctx, reason: CancelReason) {
    let route = ctx.request.path().to_owned();
    let plugin = &*ctx.sandbox.plugin;
    match reason {
        CancelReason::ConnectionClosed => {
            tracing::debug!(plugin, route, "the client left while its handler waited");
            ctx.delivery.head = None;
        }
        CancelReason::TimedOut => {
            let wall = ctx.sandbox.wall_timeout;
            tracing::error!(
                plugin,
                route,
                "handler waited past its wall time of {wall:?} (--handler-wall-timeout) and \
                 was cancelled"
            );
            answer_instead(ctx, 503);
        }
    }
    if let Some(stream) = ctx.delivery.stream.take() {
        stream.abort();
    }
}

/// The default error page for `status` instead of the handler's response, unless that is
/// finished or its head out.
fn answer_instead(ctx: &mut Ctx, status: u16) {
    if !ctx.response.finished() && !ctx.response.streaming() {
        ctx.response.clear();
        ctx.response.set_error_status(status, None);
        default_page(ctx);
    }
}

/// Replaces the body with the default error page for the status already set.
fn default_page(ctx: &mut Ctx) {
    ctx.response.clear_body();
    // The body was just cleared and unfinished, so this cannot fail.
    let _ = ctx.response.finish_with_error_page();
}

/// `on_finish`, whose failures are logged and never sent; returns whether it did not trap.
pub(super) async fn on_finish(lease: &mut Lease, deadline: Instant) -> bool {
    let ran = lease.run(Stage::Finish, deadline).await;
    let ctx = lease.ctx().await;
    let plugin = &*ctx.sandbox.plugin;
    match ran {
        Ran::Done | Ran::Cancelled(_) => true,
        Ran::Failed(error) => {
            tracing::error!(plugin, "on_finish failed: {}", describe(&error));
            true
        }
        Ran::Trapped(trap) => {
            super::traps::count(&ctx.sandbox.plugin, ctx.sandbox.limits.refused, &trap);
            tracing::error!(plugin, "on_finish trapped: {}", trap.root_cause());
            false
        }
    }
}

/// Logs a handler's error as Tornado does: a warning for a 4xx, an error for the rest.
pub(super) fn log_error(ctx: &Ctx, error: &HttpError) {
    let (plugin, method, uri) = (&*ctx.sandbox.plugin, &ctx.request.method, &ctx.request.uri);
    if (400..500).contains(&error.status) {
        tracing::warn!(plugin, "{} {method} {uri}: {}", error.status, error.message);
    } else {
        tracing::error!(
            plugin,
            "{} {method} {uri}: {}",
            error.status,
            describe(error)
        );
    }
}

/// An error as one line (bindgen gives `HttpError` a `Display` of its own, the `Debug` form).
pub(super) fn describe(error: &HttpError) -> String {
    match &error.reason {
        Some(reason) => format!("HTTP {} ({reason}) {}", error.status, error.message),
        None => format!("HTTP {} {}", error.status, error.message),
    }
}
