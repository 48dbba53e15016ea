//! A WebSocket connection, held by the host between events: the handler that accepted the
//! upgrade is gone when the 101 is sent, and each later event (a message, a pong, the close)
//! runs in an instance of its own, which ends with it. Between events the connection costs
//! its socket, its buffers and its state, never an instance.

mod connection;
mod control;
mod pinger;
mod send_queue;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Frame};

use super::bindings::exports::gale::web::app::SocketEvent;
use super::bindings::gale::web::websocket::Message;
use super::ctx::{Ctx, Services, SocketMemo};
use super::{Plugin, Runtime};
use crate::http::request::RequestData;
use connection::{Connection, Next, next_published};
use control::ControlRate;
use pinger::{Ping, Pinger};
use send_queue::FRAGMENT;
use send_queue::SendQueue;

/// A connection the handler has just accepted, with what its upgrade request queued.
pub struct OpenedSocket {
    /// hyper's hand-over of the connection, once the 101 is out.
    pub upgrade: OnUpgrade,
    /// The upgrade request: every event sees it (shared, not copied), as Tornado's
    /// `self.request`.
    pub request: Arc<RequestData>,
    /// What `open` queued and kept.
    pub first: SocketMemo,
}

impl OpenedSocket {
    /// The connection a handler has just switched to WebSocket, with what its upgrade
    /// request queued (messages, a close) and left as state.
    pub fn take(ctx: &mut Ctx) -> Option<Self> {
        let upgrade = ctx.delivery.upgrade.take()?;
        ctx.memo.socket.accepted.as_ref()?;
        let first = std::mem::take(&mut ctx.memo.socket);
        let request = std::mem::replace(&mut ctx.request, RequestData::placeholder());
        Some(Self {
            upgrade,
            request,
            first,
        })
    }
}

/// The bytes read from a connection at a time. tungstenite fills its read buffer with
/// zeros up to this before each read, so all of it is resident on every WebSocket that has
/// read a message: 4 KiB made 10,000 idle WebSockets 1.33× bare hyper's c10k. A longer
/// message is read into a buffer reserved at its full length, this much per read.
const READ_BUFFER: usize = 1024;

/// What tungstenite may hold for the socket: a fragment and its header, and the pongs and
/// close frame it answers with, several times over.
const MAX_WRITE_BUFFER: usize = 4 * FRAGMENT;

/// What a connection keeps of its worker.
pub struct Ties {
    /// Turns true when the worker stops (the connection closes with 1001).
    pub stopping: watch::Receiver<bool>,
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

/// The frames a closing connection reads while it waits for the client's close frame.
const FRAMES_AFTER_CLOSE: usize = 64;

/// How long a closing connection waits for what it has queued to go out and for the
/// client's answering close frame, as Tornado's 5 seconds before it aborts the stream.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What the socket did: a frame read (or the end), or everything queued written.
enum Io {
    Read(Option<Result<Frame, WsError>>),
    Written(Result<(), WsError>),
}

/// Serves an accepted connection until it closes: sends what `open` queued, then runs an
/// event per message, pong and the close, in order, one at a time (as Tornado's
/// `on_message` runs, unless it is a coroutine), while what is queued for the client (the
/// events' messages, published messages, pings) is written as the client reads it.
pub async fn serve(
    runtime: &Runtime,
    plugin: Arc<Plugin>,
    handler: u32,
    services: Arc<Services>,
    opened: OpenedSocket,
    ties: Ties,
) {
    // The connection holds the version in force (`connection.plugin`), not the one it
    // opened on: a swapped-out version is freed while its connections live on.
    let name = plugin.name.clone();
    let Ties {
        mut stopping,
        mut follow,
    } = ties;
    let mut first = opened.first;
    // Its place among the open WebSockets, taken by `accept`, given back as it ends.
    let _slot = first.slot.take();
    let _held = crate::metrics::hold(crate::metrics::Hold::WebSocket);
    let upgraded = match opened.upgrade.await {
        Ok(upgraded) => upgraded,
        Err(error) => {
            tracing::debug!(plugin = &*name, "the upgrade did not happen: {error}");
            return;
        }
    };
    let settings = runtime.limits.websocket;
    let limit = settings.max_message;
    // tungstenite's buffers are 128 KiB each by default, allocated up front: 10,000 idle
    // connections would hold 1.3 GiB for reading alone. A read buffer grows for a large
    // message; frames are written as they come (the kernel's buffer coalesces them), and
    // what the kernel will not take waits in `SendQueue`, bounded. The write buffer is
    // bounded too: unbounded, it queued a pong for every ping of a client that reads
    // nothing (tests/e2e/client_attacks.rs: such a client is now closed within 2 MB).
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let io = TokioIo::new(upgraded);
    let mut socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let mut connection = Connection {
        runtime,
        plugin,
        handler,
        services,
        request: opened.request,
        state: first.state.clone(),
        peer_close: None,
        subscriptions: Vec::new(),
    };
    let mut send_queue = SendQueue::new(settings.send_buffer);
    let mut next = connection.deliver(&mut send_queue, first);
    let mut pinger = Pinger::new(settings.ping_interval, settings.ping_timeout);
    let mut control = ControlRate::new(settings.max_control_rate);
    while let Next::Continue = next {
        // Reading and writing share the socket: one future polls both.
        let io = std::future::poll_fn(|cx| {
            if send_queue.busy()
                && let Poll::Ready(written) = send_queue.poll_write(&mut socket, cx)
            {
                return Poll::Ready(Io::Written(written));
            }
            socket.poll_next_unpin(cx).map(Io::Read)
        });
        let frame = tokio::select! {
            io = io => match io {
                Io::Read(frame) => frame,
                Io::Written(Ok(())) => continue,
                // The client is gone: nothing more can reach it.
                Io::Written(Err(error)) => Some(Err(error)),
            },
            ping = pinger.due() => {
                next = match ping {
                    Ping::Send => connection.queue(&mut send_queue, [Frame::Ping(Default::default())]),
                    Ping::TimedOut => Next::Close(Some(close_frame(CloseCode::Normal, "ping timed out"))),
                };
                continue;
            }
            swapped = swapped(&mut follow) => {
                next = connection.follow(swapped);
                continue;
            }
            _ = stopping.wait_for(|stop| *stop) => {
                next = Next::Close(Some(close_frame(CloseCode::Away, "")));
                continue;
            }
            published = next_published(&mut connection.subscriptions) => {
                next = match published {
                    // The topic's copy of the data, shared with every other subscriber.
                    Ok(message) => connection.queue(&mut send_queue, [Frame::Text(message.data.clone())]),
                    Err(_lagged) => Next::too_slow(),
                };
                continue;
            }
        };
        // A swap published while the frame came in, not yet seen by the select (which picks
        // among ready branches at random): the event runs on the version in force.
        if let Some(follow) = follow.as_mut()
            && follow.changes.has_changed().unwrap_or(false)
        {
            follow.changes.borrow_and_update();
            next = connection.follow((follow.resolve)());
            if !matches!(next, Next::Continue) {
                continue;
            }
        }
        if let Some(Ok(Frame::Text(_) | Frame::Binary(_))) = &frame {
            crate::metrics::record(|metrics| metrics.websocket_message(&name, true));
        }
        if let Some(Ok(Frame::Ping(_) | Frame::Pong(_))) = &frame
            && !control.allows_another()
        {
            tracing::info!(
                plugin = &*name,
                "closing a WebSocket whose client sent over {} control frames a second (--websocket-max-control-rate)",
                settings.max_control_rate
            );
            next = Next::Close(Some(close_frame(
                CloseCode::Policy,
                "too many control frames",
            )));
            continue;
        }
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
                // tungstenite has queued the answering close frame (the client is closing:
                // nothing else may follow it): send it, then the end.
                let _ = close_wait(futures_util::SinkExt::flush(&mut socket)).await;
                return;
            }
            broken => {
                // A broken stream (a bad client: its close code, when RFC 6455 has one), or
                // a client gone without a close frame.
                if let Some(Err(error)) = broken {
                    tracing::debug!(plugin = &*name, "WebSocket closed: {error}");
                    if let Some(code) = close_code_for(&error) {
                        let closing = socket.close(Some(close_frame(code, "")));
                        let _ = close_wait(closing).await;
                    }
                }
                connection.close(None).await;
                return;
            }
        };
        next = match Box::pin(connection.event(event)).await {
            Some(memo) => connection.deliver(&mut send_queue, memo),
            None => Next::Close(Some(close_frame(CloseCode::Error, ""))),
        };
    }
    let Next::Close(frame) = next else { return };
    // What is queued goes first, then the close frame; then read until the client answers
    // it (or goes), as RFC 6455 asks, but not longer than a client that reads nothing may
    // hold the connection, nor past a few frames of a client that sends on regardless (a
    // flood of pings went on for the whole wait: 1.1 GB read in 5 s).
    let closing = async {
        send_queue.write_all(&mut socket).await?;
        socket.close(frame).await?;
        let mut ignored = 0;
        while let Some(Ok(_)) = socket.next().await {
            ignored += 1;
            if ignored > FRAMES_AFTER_CLOSE {
                break;
            }
        }
        Ok::<_, WsError>(())
    };
    let _ = close_wait(closing).await;
    connection.close(None).await;
}

/// `closing`, for at most [`CLOSE_WAIT`]. Boxed: a close in flight and its timer are large,
/// and inline they made every idle connection's task larger (10,000 idle WebSockets: 160 ->
/// 140 MiB, bench/websocket.py in docs/performance-log.md).
fn close_wait<F: Future>(closing: F) -> std::pin::Pin<Box<tokio::time::Timeout<F>>> {
    Box::pin(tokio::time::timeout(CLOSE_WAIT, closing))
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
