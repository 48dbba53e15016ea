//! One connection's events: each runs in an instance of its own, and what it queued (frames,
//! subscriptions, a close) is applied when it ends.

use std::sync::Arc;

use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::send_queue::{Overflow, SendQueue};
use super::{Plugin, Runtime, close_frame};
use crate::http::request::RequestData;
use crate::runtime::bindings::exports::gale::web::app::{SocketEvent, Stage};
use crate::runtime::ctx::{Services, SocketMemo};
use crate::runtime::instances::{acquire, release};
use crate::runtime::lease::Ran;
use crate::topics::{Lagged, Published, Subscription};

/// What the connection does after an event.
pub(super) enum Next {
    /// Read on.
    Continue,
    /// Close with this frame (none: a close frame without a code).
    Close(Option<CloseFrame>),
}

impl Next {
    /// Closing on a client that reads too slowly (1008, as a policy violation).
    pub(super) fn too_slow() -> Self {
        Self::Close(Some(close_frame(CloseCode::Policy, "reading too slowly")))
    }
}

/// One connection's events, as the handler task runs them.
pub(super) struct Connection<'a> {
    pub(super) runtime: &'a Runtime,
    pub(super) plugin: Arc<Plugin>,
    pub(super) handler: u32,
    pub(super) services: Arc<Services>,
    pub(super) request: Arc<RequestData>,
    pub(super) state: Vec<u8>,
    /// The client's close frame, for `on_close`.
    pub(super) peer_close: Option<(u16, String)>,
    /// The topics it is subscribed to, by name.
    pub(super) subscriptions: Vec<(Arc<str>, Subscription)>,
}

/// The next message of any topic the connection is subscribed to; [`Lagged`] when the
/// topic's history has let go of one it had yet to read (a slow consumer). Never ready
/// without subscriptions.
pub(super) async fn next_published(
    subscriptions: &mut [(Arc<str>, Subscription)],
) -> Result<Arc<Published>, Lagged> {
    if subscriptions.is_empty() {
        return std::future::pending().await;
    }
    let receiving = subscriptions
        .iter_mut()
        .map(|(_, subscription)| Box::pin(subscription.next()));
    let (received, _, _) = futures_util::future::select_all(receiving).await;
    received
}

impl Connection<'_> {
    /// Follows a swap: later events run on `swapped`, the version and handler the path
    /// routes to now; with none (its plugin no longer serves it), the connection goes away,
    /// as at shutdown.
    pub(super) fn follow(&mut self, swapped: Option<(Arc<Plugin>, u32)>) -> Next {
        match swapped {
            Some((plugin, handler)) => {
                (self.plugin, self.handler) = (plugin, handler);
                Next::Continue
            }
            None => Next::Close(Some(close_frame(CloseCode::Away, ""))),
        }
    }

    /// Applies an event's subscriptions (each reads from the moment of its `subscribe`
    /// call, so nothing published meanwhile is missed), then queues its frames and says
    /// whether it closes.
    pub(super) fn deliver(&mut self, send_queue: &mut SendQueue, memo: SocketMemo) -> Next {
        for (name, change) in memo.subscriptions {
            self.subscriptions
                .retain(|(subscribed, _)| *subscribed != name);
            if let Some(subscription) = change {
                self.subscriptions.push((name, subscription));
            }
        }
        match (self.queue(send_queue, memo.outbox), memo.close) {
            (Next::Continue, Some(frame)) => Next::Close(frame),
            (next, _) => next,
        }
    }

    /// Queues `frames`; a client too slow to take what was queued already is closed (1008).
    pub(super) fn queue(
        &self,
        send_queue: &mut SendQueue,
        frames: impl IntoIterator<Item = Frame>,
    ) -> Next {
        let plugin = &self.plugin.name;
        let frames = frames.into_iter().inspect(|frame| {
            if let Frame::Text(_) | Frame::Binary(_) = frame {
                crate::metrics::record(|metrics| metrics.websocket_message(plugin, false));
            }
        });
        match send_queue.queue(frames) {
            Ok(()) => Next::Continue,
            Err(Overflow { limit }) => {
                tracing::info!(
                    plugin = &*self.plugin.name,
                    "closing a WebSocket whose client reads too slowly: over {limit} bytes wait for it (--websocket-send-buffer)"
                );
                Next::too_slow()
            }
        }
    }

    /// Runs `event` in an instance (its future is large: box it where a task that lives on
    /// awaits it), as Tornado runs `on_message`, a coroutine's waits included; what it queued
    /// and kept, or `None` when it failed (an error, a trap, its wall time passed: the
    /// connection closes with 1011, as Tornado's does when a callback raises; every other
    /// connection goes on).
    pub(super) async fn event(&mut self, event: SocketEvent) -> Option<SocketMemo> {
        let mut lease = acquire(self.runtime, &self.plugin, self.request.clone()).await?;
        let deadline = crate::runtime::lease::deadline(self.runtime.limits.wall_timeout);
        let ctx = lease.ctx().await;
        ctx.services = Some(self.services.clone());
        ctx.memo.socket.open = true;
        ctx.memo.socket.state = std::mem::take(&mut self.state);
        let names = self.subscriptions.iter().map(|(name, _)| name.clone());
        ctx.memo.socket.subscribed = names.collect();
        if let SocketEvent::Close = event {
            ctx.memo.socket.peer_close = self.peer_close.take();
        }
        let ran = lease
            .run(Stage::Socket((self.handler, event)), deadline)
            .await;
        let ctx = lease.ctx().await;
        let memo = std::mem::take(&mut ctx.memo.socket);
        self.state = memo.state.clone();
        let plugin = &*self.plugin.name;
        let healthy = match ran {
            Ran::Done => true,
            Ran::Failed(error) => {
                tracing::error!(
                    plugin,
                    "WebSocket handler failed: HTTP {} {}",
                    error.status,
                    error.message
                );
                false
            }
            Ran::Cancelled(_) => {
                tracing::error!(
                    plugin,
                    "WebSocket handler waited past its wall time of {:?} (--handler-wall-timeout)",
                    self.runtime.limits.wall_timeout
                );
                false
            }
            Ran::Trapped(trap) => {
                crate::runtime::traps::count(
                    &ctx.sandbox.plugin,
                    ctx.sandbox.limits.refused,
                    &trap,
                );
                tracing::error!(plugin, "WebSocket handler trapped: {}", trap.root_cause());
                release(self.runtime, &self.plugin, lease, false);
                return None;
            }
        };
        release(self.runtime, &self.plugin, lease, true);
        healthy.then_some(memo)
    }

    /// `on_close`, with the client's close frame when it sent one.
    pub(super) async fn close(&mut self, said: Option<(u16, String)>) {
        self.peer_close = said;
        let _ = Box::pin(self.event(SocketEvent::Close)).await;
    }
}
