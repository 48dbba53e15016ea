//! The WIT imports, one file per interface, each implemented on a *view* of the store's
//! data: the few parts of [`Ctx`] that interface may touch, borrowed apart (as wasi-http's
//! `WasiHttpCtxView`). A request read cannot reach the response, a cookie call cannot reach
//! the delivery, and the borrow checker says so.
//!
//! How a failure reaches the plugin is a type: each interface's error of the WIT, made at
//! the boundary from the host's own (`From` impls in each file); a `ResponseError::OverCap`
//! or a `Misuse` traps the handler instead.

mod accounts;
mod application;
mod cookies;
mod database;
mod http_client;
mod log;
mod request;
mod response;
mod timers;
mod topics;
mod websocket;

use std::future::Future;
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use accounts::AccountsView;
use application::ApplicationView;
use cookies::CookieView;
use database::DatabaseView;
use http_client::HttpClientView;
use log::LogView;
use request::RequestView;
use response::ResponseView;
use timers::TimersView;
use topics::TopicsView;
use websocket::WebSocketView;
pub(crate) use websocket::{FRAME_OVERHEAD, queued_size};

use super::bindings::gale::web;
use super::ctx::{Ctx, RequestMemo, Sandbox};
use super::traps::OverBudget;
use crate::http::response::ResponseState;
use crate::http::response_error::{Refused, ResponseError};

/// What a host call answers the plugin: a trap (the outer error), or the call's own
/// outcome, whose error is its interface's.
pub(crate) type HostResult<T, E> = wasmtime::Result<Result<T, E>>;

/// Adds every gale interface to `linker`, each reaching the store through its view.
pub(crate) fn add_to_linker(linker: &mut Linker<Ctx>) -> wasmtime::Result<()> {
    /// One interface linked to its view: bindgen asks for a type naming the view's family.
    macro_rules! link {
        ($($interface:ident => $view:ident by $make:expr),* $(,)?) => {$({
            struct View;
            impl HasData for View {
                type Data<'a> = $view<'a>;
            }
            web::$interface::add_to_linker::<Ctx, View>(linker, $make)?;
        })*};
    }
    link! {
        request => RequestView by |ctx| RequestView { request: &ctx.request },
        response => ResponseView by |ctx| ResponseView {
            sandbox: &ctx.sandbox,
            head_only: ctx.request.method == hyper::Method::HEAD,
            response: &mut ctx.response,
            delivery: &mut ctx.delivery,
            on_finish_unused: &mut ctx.memo.on_finish_unused,
        },
        cookies => CookieView by |ctx| ctx.accounts().jar,
        application => ApplicationView by |ctx| ApplicationView {
            sandbox: &ctx.sandbox,
            request: &ctx.request,
            running_since: ctx.delivery.running_since,
        },
        log => LogView by |ctx| LogView { plugin: &ctx.sandbox.plugin },
        accounts => AccountsView by Ctx::accounts,
        topics => TopicsView by |ctx| TopicsView {
            sandbox: &ctx.sandbox,
            event_stream: &mut ctx.memo.event_stream,
            wait: &mut ctx.memo.wait,
        },
        database => DatabaseView by |ctx| DatabaseView {
            sandbox: &ctx.sandbox,
            databases: ctx.services.as_ref().map(|services| &services.databases),
            transactions: &mut ctx.memo.transactions,
            calls: &mut ctx.memo.database_calls,
            running_since: ctx.delivery.running_since,
        },
        http_client => HttpClientView by |ctx| HttpClientView {
            sandbox: &ctx.sandbox,
            outbound: ctx.services.as_ref().map(|services| &services.outbound),
            pending: &mut ctx.memo.pending,
        },
        timers => TimersView by |ctx| TimersView {
            sandbox: &ctx.sandbox,
            pending: &mut ctx.memo.pending,
            woken: &mut ctx.memo.woken,
        },
        websocket => WebSocketView by |ctx| WebSocketView {
            sandbox: &ctx.sandbox,
            request: &ctx.request,
            response: &mut ctx.response,
            socket: &mut ctx.memo.socket,
            refusal: &mut ctx.memo.refusal,
            upgradable: ctx.delivery.upgrade.is_some(),
        },
    }
    Ok(())
}

impl Ctx {
    /// The accounts interface's view, whose cookie jar is the cookies interface's view.
    fn accounts(&mut self) -> AccountsView<'_> {
        let Ctx {
            sandbox,
            request,
            response,
            delivery,
            memo,
            services,
            ..
        } = self;
        let RequestMemo {
            xsrf,
            current_user,
            refusal,
            ..
        } = memo;
        AccountsView {
            jar: CookieView {
                sandbox,
                request,
                response,
                xsrf,
            },
            store: services.as_ref().map(|services| &services.accounts),
            current_user,
            refusal,
            running_since: delivery.running_since,
        }
    }
}

impl Sandbox {
    /// A change's outcome as the plugin sees it: an invalid value is its error; a cap passed,
    /// or the response grown past the handler's budget, stops the handler.
    fn answer<E: From<Refused>>(
        &self,
        response: &ResponseState,
        outcome: Result<(), ResponseError>,
    ) -> HostResult<(), E> {
        match outcome {
            Ok(()) => self.within_budget(response).map(Ok),
            Err(ResponseError::Refused(refused)) => Ok(Err(refused.into())),
            Err(ResponseError::OverCap(why)) => Err(wasmtime::Error::new(OverBudget(why))),
        }
    }

    /// Traps when the response holds more of the host's memory (body, headers, cookies,
    /// reason) than `--max-response-buffer`.
    fn within_budget(&self, response: &ResponseState) -> wasmtime::Result<()> {
        let limit = self.response_buffer;
        if response.held() > limit {
            return Err(wasmtime::Error::new(OverBudget(format!(
                "the response exceeds the {limit}-byte buffer limit (--max-response-buffer)"
            ))));
        }
        Ok(())
    }

    /// Awaits `wait`, a host call that waits (`flush`, the account store, the password
    /// hashing queue), within the handler's time limit counted from `running_since`: the
    /// epoch deadline only stops a handler that runs, and one parked here would otherwise
    /// hold its instance slot for as long as the client or the database likes. Past the
    /// limit the handler is stopped as a busy one is (503, unless its head is out).
    async fn in_time<F: Future>(
        &self,
        running_since: Instant,
        call: &'static str,
        wait: F,
    ) -> wasmtime::Result<F::Output> {
        let timeout = self.timeout;
        // Waiting is not running: the worker's place goes to another request meanwhile.
        self.running.leave();
        let Ok(done) = tokio::time::timeout_at((running_since + timeout).into(), wait).await else {
            // The driver's line for the stopped handler names the route.
            tracing::warn!(
                plugin = &*self.plugin,
                "the handler reached its time limit of {timeout:?} waiting in {call}()"
            );
            return Err(wasmtime::Trap::Interrupt.into());
        };
        Ok(done)
    }
}
