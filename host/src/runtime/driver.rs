//! The handler lifecycle, driven from the host: a fresh instance per request, the request
//! stage, `write_error` on failure, the response handed to hyper, then `on_finish` once it
//! has been sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bindings::exports::gale::web::app::{CancelReason, Stage};
use super::ctx::{Ctx, Services};
use super::events::EventStream;
use super::failures::{cancelled, contain_trap, on_finish, send_error};
use super::instances::{acquire, release};
use super::lease::{Lease, Ran};
use super::long_poll::ParkedRequest;
use super::websocket::OpenedSocket;
use super::{Plugin, Runtime};
use crate::http::body::ResponseBody;
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::http::response::error_response;
use hyper::upgrade::OnUpgrade;
use tokio::sync::{oneshot, watch};
use tokio_util::task::TaskTracker;

/// Turns a parked request may take: a handler that parks again each time it is woken (or
/// a cursor the history no longer holds, which wakes it at once) is answered as it stands
/// after this many, instead of looping.
const MAX_TURNS: u32 = 100;

/// Starts handler `handler` of `plugin` for `request` as a task of `tasks` and returns where
/// its response will arrive: once the handler has finished, or at its first `flush` (the
/// rest of the body then streams). The task also runs `on_finish` once hyper is done with
/// the body. It never leaves the receiver without an answer unless the worker is stopping.
///
/// Everything happens in that task — waiting for an instance slot, instantiating, running
/// — so a request waiting for its turn costs a small task, and a handler that does not
/// wait on anything is instantiated, run and dropped within one poll.
pub fn start(
    runtime: &Arc<Runtime>,
    tasks: &TaskTracker,
    plugin: &Arc<Plugin>,
    handler: u32,
    request: RequestData,
    lifeline: Lifeline,
    services: &Arc<Services>,
) -> oneshot::Receiver<hyper::Response<ResponseBody>> {
    let (head, response) = oneshot::channel();
    let (runtime, plugin, services) = (runtime.clone(), plugin.clone(), services.clone());
    let turn = Turn {
        request: Arc::new(request),
        response: None,
        head,
        stage: Stage::Request(handler),
    };
    tasks.spawn_local(async move {
        // Boxed: until the task first runs, it is only as large as its arguments.
        Box::pin(live(&runtime, plugin, handler, turn, lifeline, services)).await;
    });
    response
}

/// What a request that may outlive its HTTP exchange (a WebSocket, an event stream, a
/// parked long poll) keeps of its connection and worker.
pub struct Lifeline {
    /// The connection itself, for a WebSocket upgrade the handler accepts.
    pub upgrade: Option<OnUpgrade>,
    /// What the connection holds while open (its `--max-connections` permit, its place in
    /// the count): an upgraded connection outlives hyper's and still counts.
    pub permit: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// Turns true when the worker stops: WebSockets close with 1001, event streams end,
    /// parked requests are answered with no messages.
    pub stopping: watch::Receiver<bool>,
    /// How a WebSocket's events follow a swap of its plugin (for an upgrade request).
    pub follow: Option<super::Follow>,
}

/// What a request becomes once a turn of its handler is done.
enum After {
    /// Nothing more: its response has gone, or streams from the turn's own `flush`es.
    Done,
    /// A WebSocket the handler accepted.
    Socket(OpenedSocket),
    /// An event stream the response became.
    Events(EventStream),
    /// A request parked on a topic, to wake in another turn.
    Parked(ParkedRequest),
}

/// A request's whole life: its turns (the request, then each wake-up of a request parked on
/// a topic, one after the other, never one inside another), then what outlives them. Each
/// turn's states are dropped before the next wait begins: 10,000 parked polls or idle
/// WebSockets need not keep them. The handler's time limit covers its turns together.
async fn live(
    runtime: &Runtime,
    plugin: Arc<Plugin>,
    handler: u32,
    mut turn: Turn,
    mut lifeline: Lifeline,
    services: Arc<Services>,
) {
    let limit = runtime.limits.timeout_for(&plugin.name);
    let mut spent = Duration::ZERO;
    for turns in 1.. {
        // Boxed, as every await that runs a handler: inline, their states made the task
        // 16 KiB.
        let started = Instant::now();
        let after = Box::pin(serve(
            runtime,
            &plugin,
            turn,
            spent,
            &mut lifeline,
            &services,
        ))
        .await;
        spent += started.elapsed();
        let mut parked = match after {
            After::Done => return,
            After::Events(events) => return Box::pin(events.run(lifeline.stopping)).await,
            After::Socket(opened) => {
                let Lifeline {
                    permit,
                    stopping,
                    follow,
                    ..
                } = lifeline;
                let ties = super::websocket::Ties { stopping, follow };
                let socket =
                    super::websocket::serve(runtime, plugin, handler, services, opened, ties);
                Box::pin(socket).await;
                // Only now is the connection's `--max-connections` permit free.
                drop(permit);
                return;
            }
            After::Parked(parked) => parked,
        };
        if turns >= MAX_TURNS || spent >= limit {
            tracing::warn!(
                plugin = &*plugin.name,
                route = parked.request.path(),
                "a parked request was woken {turns} times in {spent:.1?} of handler time and \
                 parked again: answered as it stands"
            );
            return parked.answer_as_it_stands();
        }
        let Some(messages) = Box::pin(parked.until_woken(lifeline.stopping.clone())).await else {
            return;
        };
        turn = Turn {
            request: parked.request,
            response: Some(parked.response),
            head: parked.head,
            stage: Stage::Woken((handler, messages)),
        };
    }
}

/// One turn of the handler task: an instance (its own, reused or fresh, within
/// `--max-instances`; or its share of a shared one), the request's lifecycle in it, then the
/// instance parked for another request when its plugin reuses them; and what the request
/// becomes next. The turn's clock starts `spent` in, the handler's time in earlier turns.
async fn serve(
    runtime: &Runtime,
    plugin: &Arc<Plugin>,
    turn: Turn,
    spent: Duration,
    lifeline: &mut Lifeline,
    services: &Arc<Services>,
) -> After {
    let method = turn.request.method.clone();
    let Some(mut lease) = Box::pin(acquire(runtime, plugin, turn.request)).await else {
        let _ = turn.head.send(error_response(503, &method));
        return After::Done;
    };
    let deadline = super::lease::deadline(runtime.limits.wall_timeout);
    let ctx = lease.ctx().await;
    if let Some(response) = turn.response {
        ctx.response = response;
    }
    let now = Instant::now();
    ctx.delivery.running_since = now.checked_sub(spent).unwrap_or(now);
    ctx.delivery.head = Some(turn.head);
    ctx.delivery.upgrade = lifeline.upgrade.take();
    ctx.services = Some(services.clone());
    // A fresh instance dies with its request: its handler need not be told the response
    // has gone when its `on_finish` does nothing. One that serves on must forget it.
    let fresh = lease.is_own() && runtime.limits.reuse_for(&plugin.name) <= 1;
    let end = End {
        plugin,
        fresh,
        deadline,
    };
    let reusable = Box::pin(handle(&mut lease, &end, turn.stage)).await;
    let ctx = lease.ctx().await;
    let after = if let Some(opened) = OpenedSocket::take(ctx) {
        After::Socket(opened)
    } else if let Some(events) = ctx.delivery.events.take() {
        After::Events(events)
    } else if let Some(parked) = ParkedRequest::take(ctx) {
        After::Parked(parked)
    } else {
        After::Done
    };
    // The instance is done with (and its slot free), whatever the request does next.
    release(runtime, plugin, lease, reusable);
    after
}

/// One stage of a request's life in an instance: the request itself, or the wake-up of a
/// request parked for a topic's messages.
struct Turn {
    request: Arc<RequestData>,
    /// The response as the handler left it when woken; none at first (the store's own
    /// fresh one serves).
    response: Option<ResponseState>,
    head: oneshot::Sender<hyper::Response<ResponseBody>>,
    stage: Stage,
}

/// What the end of a request's lifecycle depends on.
struct End<'a> {
    plugin: &'a Plugin,
    /// Whether the instance dies with the request.
    fresh: bool,
    /// When the request's wall time is up.
    deadline: Instant,
}

/// The request's lifecycle in its instance: the handler (its waits included), `write_error`
/// on failure, the response (or the end of a streamed one), then `on_finish` once it has been
/// sent, unless the handler's `on_finish` is known to do nothing (then the instance is done as
/// soon as the response is handed over). Returns whether the instance came through without a
/// trap (so it may serve again).
async fn handle(lease: &mut Lease, end: &End<'_>, stage: Stage) -> bool {
    let handler = match &stage {
        Stage::Request(handler) | Stage::Woken((handler, _)) => *handler,
        _ => u32::MAX,
    };
    let ran = lease.run(stage, end.deadline).await;
    let failed = !matches!(ran, Ran::Done);
    // A cancelled request's handler is forgotten: no `on_finish`.
    let cancelled_now = matches!(ran, Ran::Cancelled(_));
    if let Ran::Cancelled(reason) = ran {
        cancelled(lease.ctx().await, reason);
        if reason == CancelReason::ConnectionClosed {
            // Nobody is left to answer.
            return true;
        }
    }
    let healthy = match ran {
        Ran::Done | Ran::Cancelled(_) => true,
        Ran::Failed(error) => send_error(lease, error, end.deadline).await,
        Ran::Trapped(trap) => {
            contain_trap(lease.ctx().await, &trap);
            false
        }
    };
    let ctx = lease.ctx().await;
    if !failed && ctx.memo.wait.is_some() && !ctx.response.streaming() {
        // Parked on a topic: the response waits, unsent, for the handler's wake-up.
        return healthy;
    }
    if let Some(refusal) = ctx.memo.refusal.take()
        && !ctx.response.streaming()
    {
        refusal.apply(&mut ctx.response);
    }
    if !ctx.response.finished() {
        // An unfinished response is finished for the handler, as Tornado's auto-finish.
        let _ = ctx.response.finish();
    }
    let events = ctx.memo.event_stream.take();
    if let Some(topic) = events.filter(|_| !failed && !ctx.response.streaming()) {
        // The response becomes the topic's event stream: its head goes now, its events
        // from this task once the instance is gone; `on_finish` runs now, not at its end.
        let stream = super::events::start(&mut ctx.response, &ctx.request, topic);
        if let Some((head, stream)) = stream
            && let Some(waiting) = ctx.delivery.head.take()
        {
            let _ = waiting.send(head);
            ctx.delivery.events = Some(stream);
        }
        return healthy && on_finish(lease, end.deadline).await;
    }
    let mut response = ctx.response.take_for_sending();
    let sent = match ctx.delivery.stream.take() {
        Some(stream) if failed => {
            // The head is out: the only honest end is a cut-off body.
            stream.abort();
            ctx.delivery.sent.take()
        }
        Some(stream) => {
            let sent = ctx.delivery.sent.take();
            let _ = lease.unlocked(stream.send(response.take_body())).await;
            sent
        }
        None => {
            let if_none_match = ctx.request.headers.get(hyper::header::IF_NONE_MATCH);
            let mut whole = response.into_response(&ctx.request.method, if_none_match);
            switch_protocols(ctx, &mut whole);
            let sent = whole.body_mut().on_sent();
            if let Some(head) = ctx.delivery.head.take() {
                let _ = head.send(whole);
            }
            Some(sent)
        }
    };
    if !healthy || cancelled_now {
        return healthy;
    }
    // The instance has forgotten the request already (its SDK said so as the stage ended,
    // now or for an earlier request of this handler), or it dies with the request and the
    // handler's `on_finish` is known to do nothing.
    if lease.ctx().await.memo.on_finish_unused {
        end.plugin.learn_finish(handler, true);
    }
    if end.plugin.skips_finish(handler, end.fresh) {
        return true;
    }
    if let Some(sent) = sent {
        // Sent or abandoned, the request is over either way.
        let _ = lease.unlocked(sent).await;
    }
    let healthy = on_finish(lease, end.deadline).await;
    if lease.ctx().await.memo.on_finish_unused {
        end.plugin.learn_finish(handler, false);
    }
    healthy
}

/// A 101 for an accepted WebSocket upgrade gets its handshake headers; any other answer
/// (the handler failed after accepting) lets the connection go.
fn switch_protocols(ctx: &mut Ctx, response: &mut hyper::Response<ResponseBody>) {
    let accepted = ctx.memo.socket.accepted.as_deref();
    let Some(accept) = accepted.filter(|_| response.status() == 101) else {
        ctx.delivery.upgrade = None;
        return;
    };
    let headers = response.headers_mut();
    let pairs = [
        (hyper::header::UPGRADE, "websocket"),
        (hyper::header::CONNECTION, "Upgrade"),
        (hyper::header::SEC_WEBSOCKET_ACCEPT, accept),
    ];
    for (name, value) in pairs {
        // Base64 and fixed words: always valid header values.
        if let Ok(value) = hyper::header::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
}
