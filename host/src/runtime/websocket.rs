//! A WebSocket connection, held by the host between events: the handler that accepted the
//! upgrade is gone when the 101 is sent, and each later event (a message, a pong, the close)
//! runs in an instance of its own, which ends with it. Between events the connection costs
//! its socket, its buffers and its state, never an instance.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Frame};

use super::bindings::exports::gale::web::app::{SocketEvent, Stage};
use super::bindings::gale::web::websocket::Message;
use super::ctx::SocketMemo;
use super::instances::{acquire, release};
use super::{Plugin, Runtime};
use crate::accounts::AccountStore;
use crate::http::request::RequestData;
use crate::topics::Published;

/// A connection the handler has just accepted, with what its upgrade request queued.
pub struct Opened {
    /// hyper's hand-over of the connection, once the 101 is out.
    pub upgrade: OnUpgrade,
    /// The upgrade request: every event sees it, as Tornado's `self.request`.
    pub request: RequestData,
    /// What `open` queued and kept.
    pub first: SocketMemo,
}

/// One open WebSocket, counted while it lives.
pub struct Counted(Arc<AtomicUsize>);

impl Counted {
    /// Counts one more on `count`.
    pub fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The bytes read from a connection at a time.
const READ_BUFFER: usize = 4096;

/// What a connection keeps of its worker.
pub struct Ties {
    /// Turns true when the worker stops (the connection closes with 1001).
    pub stopping: watch::Receiver<bool>,
    /// The worker's count of open WebSockets.
    pub open: Arc<AtomicUsize>,
    /// How its events follow a swap of its plugin.
    pub follow: Option<Follow>,
}

/// How a connection follows its plugin across swaps: later events run the version in
/// force; once the plugin no longer serves the connection's path, it closes with 1001.
pub struct Follow {
    /// The plugin version and handler the connection's path routes to now, while it is
    /// still the same plugin's.
    pub resolve: Box<dyn Fn() -> Option<(Arc<Plugin>, u32)> + Send + Sync>,
    /// Changes each time a new route table is published.
    pub changes: watch::Receiver<u64>,
}

/// The plugin and handler in force after the next publish; never without a `Follow`.
async fn swapped(follow: &mut Option<Follow>) -> Option<(Arc<Plugin>, u32)> {
    let Some(follow) = follow else {
        return std::future::pending().await;
    };
    if follow.changes.changed().await.is_err() {
        // The registry is gone with the server; the stop signal ends the connection.
        return std::future::pending().await;
    }
    (follow.resolve)()
}

/// One connection's events, as the handler task runs them.
struct Connection<'a> {
    runtime: &'a Runtime,
    plugin: Arc<Plugin>,
    handler: u32,
    accounts: Arc<AccountStore>,
    request: RequestData,
    state: Vec<u8>,
    /// The client's close frame, for `on_close`.
    peer_close: Option<(u16, String)>,
    /// The topics it is subscribed to.
    subscriptions: Vec<Subscription>,
}

/// A topic's name and the connection's place in it.
type Subscription = (String, broadcast::Receiver<Arc<Published>>);

/// Tornado's `periodic_ping`: a ping every interval, and the connection closed when one
/// goes unanswered past the timeout.
struct Pinger {
    interval: Duration,
    timeout: Duration,
    next: Instant,
    /// When the unanswered ping went out.
    waiting_since: Option<Instant>,
}

/// What a due ping means.
enum Ping {
    /// Send one.
    Send,
    /// The last went unanswered too long.
    TimedOut,
}

impl Pinger {
    fn new(interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            next: Instant::now() + interval,
            waiting_since: None,
        }
    }

    /// Resolves when a ping is due or overdue; never without an interval.
    async fn due(&mut self) -> Ping {
        if self.interval.is_zero() {
            return std::future::pending().await;
        }
        // The timeout is at most the interval: an unanswered ping runs out first.
        let deadline = self
            .waiting_since
            .map_or(self.next, |sent| sent + self.timeout);
        tokio::time::sleep_until(deadline.into()).await;
        if self.waiting_since.is_some() {
            return Ping::TimedOut;
        }
        let now = Instant::now();
        self.next = now + self.interval;
        if !self.timeout.is_zero() {
            self.waiting_since = Some(now);
        }
        Ping::Send
    }

    /// A pong came.
    fn answered(&mut self) {
        self.waiting_since = None;
    }
}

/// What the connection does after an event.
enum Next {
    /// Read on.
    Continue,
    /// Close with this frame (none: a close frame without a code).
    Close(Option<CloseFrame>),
}

/// Serves an accepted connection until it closes: sends what `open` queued, then runs an
/// event per message, pong and the close, in order, one at a time (as Tornado's
/// `on_message` runs, unless it is a coroutine).
pub async fn serve(
    runtime: &Runtime,
    plugin: &Arc<Plugin>,
    handler: u32,
    accounts: Arc<AccountStore>,
    opened: Opened,
    ties: Ties,
) {
    let Ties {
        mut stopping,
        open,
        follow,
    } = ties;
    let _counted = Counted::new(&open);
    let mut follow = follow;
    let upgraded = match opened.upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!(
                plugin = &*plugin.name,
                "the upgrade did not happen: {error}"
            );
            return;
        }
    };
    let settings = runtime.limits.websocket;
    let limit = settings.max_message;
    // tungstenite's buffers are 128 KiB each by default, allocated up front: 10,000 idle
    // connections would hold 1.3 GiB for reading alone. A read buffer grows for a large
    // message; frames are written as they come (the kernel's buffer coalesces them).
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let io = TokioIo::new(upgraded);
    let mut socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let mut connection = Connection {
        runtime,
        plugin: plugin.clone(),
        handler,
        accounts,
        request: opened.request,
        state: opened.first.state.clone(),
        peer_close: None,
        subscriptions: Vec::new(),
    };
    let mut next = connection.deliver(&mut socket, opened.first).await;
    let mut pinger = Pinger::new(settings.ping_interval, settings.ping_timeout);
    while let Next::Continue = next {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            ping = pinger.due() => {
                next = match ping {
                    Ping::Send => send(&mut socket, [Frame::Ping(Default::default())], None).await,
                    Ping::TimedOut => Next::Close(Some(close_frame(CloseCode::Normal, "ping timed out"))),
                };
                continue;
            }
            swapped = swapped(&mut follow) => {
                next = match swapped {
                    Some((plugin, handler)) => {
                        (connection.plugin, connection.handler) = (plugin, handler);
                        Next::Continue
                    }
                    // Its plugin no longer serves it: going away, as at shutdown.
                    None => Next::Close(Some(close_frame(CloseCode::Away, ""))),
                };
                continue;
            }
            _ = stopping.wait_for(|stop| *stop) => {
                next = Next::Close(Some(close_frame(CloseCode::Away, "")));
                continue;
            }
            published = next_published(&mut connection.subscriptions) => {
                next = match published {
                    Some(message) => send(&mut socket, [Frame::text(&*message.data)], None).await,
                    None => Next::Close(Some(close_frame(CloseCode::Policy, "reading too slowly"))),
                };
                continue;
            }
        };
        let event = match frame {
            Some(Ok(Frame::Text(text))) => SocketEvent::Message(Message::Text(text.to_string())),
            Some(Ok(Frame::Binary(bytes))) => SocketEvent::Message(Message::Binary(bytes.into())),
            Some(Ok(Frame::Pong(data))) => {
                pinger.answered();
                // The host's own pings carry nothing: only the handler's wake it.
                if data.is_empty() {
                    continue;
                }
                SocketEvent::Pong(data.into())
            }
            // tungstenite answers pings itself.
            Some(Ok(Frame::Ping(_) | Frame::Frame(_))) => continue,
            Some(Ok(Frame::Close(frame))) => {
                let said = frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
                connection.close(said).await;
                // tungstenite has queued the answering close frame: send it, then the end.
                let _ = socket.flush().await;
                return;
            }
            broken => {
                // A broken stream (a bad client: its close code, when RFC 6455 has one), or
                // a client gone without a close frame.
                if let Some(Err(error)) = broken {
                    tracing::debug!(plugin = &*plugin.name, "WebSocket closed: {error}");
                    if let Some(code) = close_code_for(&error) {
                        let _ = socket.close(Some(close_frame(code, ""))).await;
                    }
                }
                connection.close(None).await;
                return;
            }
        };
        next = match connection.event(event).await {
            Some(memo) => connection.deliver(&mut socket, memo).await,
            None => Next::Close(Some(close_frame(CloseCode::Error, ""))),
        };
    }
    let Next::Close(frame) = next else { return };
    let _ = socket.close(frame).await;
    // Read until the client answers the close (or goes), as RFC 6455 asks.
    while let Some(Ok(_)) = socket.next().await {}
    connection.close(None).await;
}

/// Sends `frames` in order, then `close`, if any.
async fn send<S>(
    socket: &mut WebSocketStream<S>,
    frames: impl IntoIterator<Item = Frame>,
    close: Option<Option<CloseFrame>>,
) -> Next
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for frame in frames {
        if socket.feed(frame).await.is_err() {
            return Next::Close(None);
        }
    }
    if socket.flush().await.is_err() {
        return Next::Close(None);
    }
    match close {
        Some(frame) => Next::Close(frame),
        None => Next::Continue,
    }
}

/// The next message of any topic the connection is subscribed to; `None` when it has
/// fallen more than [`crate::topics::QUEUE`] messages behind (a slow consumer). Never ready
/// without subscriptions.
async fn next_published(subscriptions: &mut [Subscription]) -> Option<Arc<Published>> {
    if subscriptions.is_empty() {
        return std::future::pending().await;
    }
    let receiving = subscriptions
        .iter_mut()
        .map(|(_, receiver)| Box::pin(receiver.recv()));
    let (received, _, _) = futures_util::future::select_all(receiving).await;
    received.ok()
}

/// The close code RFC 6455 gives a broken connection's cause, as Tornado sends them.
fn close_code_for(error: &WsError) -> Option<CloseCode> {
    match error {
        WsError::Capacity(_) => Some(CloseCode::Size),
        WsError::Utf8(_) => Some(CloseCode::Invalid),
        WsError::Protocol(_) => Some(CloseCode::Protocol),
        _ => None,
    }
}

/// A close frame with `code` and `reason`.
fn close_frame(code: CloseCode, reason: &str) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }
}

impl Connection<'_> {
    /// Applies an event's subscriptions, then sends its frames and close.
    async fn deliver<S>(&mut self, socket: &mut WebSocketStream<S>, memo: SocketMemo) -> Next
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let mut missed = Vec::new();
        for (name, topic) in memo.subscriptions {
            self.subscriptions
                .retain(|(subscribed, _)| *subscribed != name);
            if let Some((topic, newest)) = topic {
                // What was published between the `subscribe` call and now goes first.
                let (since, receiver) = topic.subscribe(newest.as_deref());
                missed.extend(since.iter().map(|message| Frame::text(&*message.data)));
                self.subscriptions.push((name, receiver));
            }
        }
        let frames = memo.outbox.into_iter().chain(missed);
        send(socket, frames, memo.close).await
    }

    /// Runs `event` in an instance of its own; what it queued and kept, or `None` when it
    /// failed (an error or a trap: the connection closes with 1011, as Tornado's does when a
    /// callback raises; every other connection goes on).
    async fn event(&mut self, event: SocketEvent) -> Option<SocketMemo> {
        let (slot, mut parked) = acquire(self.runtime, &self.plugin, self.request.clone()).await?;
        let ctx = parked.store.data_mut();
        ctx.accounts = Some(self.accounts.clone());
        ctx.memo.socket.open = true;
        ctx.memo.socket.state = std::mem::take(&mut self.state);
        if let SocketEvent::Close = event {
            ctx.memo.socket.peer_close = self.peer_close.take();
        }
        let stage = Stage::Socket((self.handler, event));
        let outcome = parked
            .instance
            .gale_web_app()
            .call_dispatch(&mut parked.store, &stage)
            .await;
        let memo = std::mem::take(&mut parked.store.data_mut().memo.socket);
        self.state = memo.state.clone();
        let healthy = match outcome {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::error!(
                    plugin = &*self.plugin.name,
                    "WebSocket handler failed: HTTP {} {}",
                    error.status,
                    error.message
                );
                false
            }
            Err(trap) => {
                tracing::error!(
                    plugin = &*self.plugin.name,
                    "WebSocket handler trapped: {}",
                    trap.root_cause()
                );
                release(self.runtime, &self.plugin, parked, false);
                drop(slot);
                return None;
            }
        };
        release(self.runtime, &self.plugin, parked, true);
        drop(slot);
        healthy.then_some(memo)
    }

    /// `on_close`, with the client's close frame when it sent one.
    async fn close(&mut self, said: Option<(u16, String)>) {
        self.peer_close = said;
        let _ = self.event(SocketEvent::Close).await;
    }
}
