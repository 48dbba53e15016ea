//! The `websocket` interface: the upgrade accepted (as Tornado's `accept_connection`), and
//! what an event sends back (messages, pings, a close) and keeps (the connection's state).

use base64::Engine;
use sha1::{Digest, Sha1};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use wasmtime::Result;

use super::HostResult;
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::runtime::bindings::gale::web::websocket::{self, Message, SocketError};
use crate::runtime::ctx::{Sandbox, SocketMemo};
use crate::runtime::refusal::Refusal;
use crate::runtime::traps::OverBudget;

/// The most a connection's state may hold.
pub const MAX_STATE: usize = 16 * 1024;

/// Topics one connection may be subscribed to at once.
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// The longest close reason: a close frame carries 125 bytes, two of them the code.
const MAX_CLOSE_REASON: usize = 123;

/// RFC 6455's GUID, hashed with the client's key into `Sec-WebSocket-Accept`.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What the `websocket` interface sees of the store.
pub(super) struct WebSocketView<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) request: &'a RequestData,
    pub(super) response: &'a mut ResponseState,
    pub(super) socket: &'a mut SocketMemo,
    /// The refusal the host answers instead, when no place is free.
    pub(super) refusal: &'a mut Option<Refusal>,
    /// Whether hyper can hand over the connection (an HTTP/1.1 request's).
    pub(super) upgradable: bool,
}

impl WebSocketView<'_> {
    /// Whether the handler may send: an open connection, or an accepted upgrade, not closing.
    fn sendable(&self) -> Result<(), SocketError> {
        let open = self.socket.open || self.socket.accepted.is_some();
        match open && self.socket.close.is_none() {
            true => Ok(()),
            false => Err(SocketError::Closed),
        }
    }

    /// Queues `frame`, trapping when an event queues more than the connection may hold for
    /// its client (`--websocket-send-buffer`; an empty frame counts its overhead).
    fn queue(&mut self, frame: Frame) -> HostResult<(), SocketError> {
        if let Err(closed) = self.sendable() {
            return Ok(Err(closed));
        }
        self.socket.outbox_bytes += queued_size(&frame);
        let limit = self.sandbox.websocket_send_buffer;
        if self.socket.outbox_bytes > limit {
            return Err(wasmtime::Error::new(OverBudget(format!(
                "the event's messages exceed the {limit}-byte send buffer (--websocket-send-buffer)"
            ))));
        }
        self.socket.outbox.push(frame);
        Ok(Ok(()))
    }

    /// Whether the connection is (or, once the event's changes apply, will be) subscribed to
    /// `topic`, and where its pending change is.
    fn pending(&self, topic: &str) -> (bool, Option<usize>) {
        let pending = self
            .socket
            .subscriptions
            .iter()
            .position(|(name, _)| **name == *topic);
        let subscribed = match pending {
            Some(at) => self.socket.subscriptions[at].1.is_some(),
            None => self.socket.subscribed.iter().any(|name| **name == *topic),
        };
        (subscribed, pending)
    }

    /// Topics subscribed to once the event's changes apply.
    fn subscription_count(&self) -> usize {
        let kept = self.socket.subscribed.iter().filter(|name| {
            !self
                .socket
                .subscriptions
                .iter()
                .any(|(pending, change)| pending == *name && change.is_none())
        });
        let added =
            self.socket.subscriptions.iter().filter(|(name, change)| {
                change.is_some() && !self.socket.subscribed.contains(name)
            });
        kept.count() + added.count()
    }
}

/// What a queued frame costs: its payload, and at least what its place in the queue takes.
pub fn queued_size(frame: &Frame) -> usize {
    frame.len().max(FRAME_OVERHEAD)
}

/// What a queued frame holds beyond its payload; an empty one costs this much.
pub const FRAME_OVERHEAD: usize = 64;

/// A close frame a handler may send: a code RFC 6455 lets an endpoint send (1005, 1006 and
/// 1015 only report; 0-999, 1016-2999 are not codes) with a reason cut to fit the frame;
/// another code closes with 1011 and says why in the log.
fn close_frame(plugin: &str, code: u16, reason: Option<String>) -> CloseFrame {
    let sendable = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
    if !sendable {
        tracing::warn!(
            plugin,
            "close({code}): a WebSocket may not be closed with code {code}; closed with 1011"
        );
        return CloseFrame {
            code: 1011.into(),
            reason: "".into(),
        };
    }
    let mut reason = reason.unwrap_or_default();
    if reason.len() > MAX_CLOSE_REASON {
        let mut end = MAX_CLOSE_REASON;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    CloseFrame {
        code: code.into(),
        reason: reason.into(),
    }
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
fn accept_value(key: &str) -> String {
    let digest = Sha1::new()
        .chain_update(key.as_bytes())
        .chain_update(GUID)
        .finalize();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

impl websocket::Host for WebSocketView<'_> {
    fn accept(&mut self, subprotocol: Option<String>) -> HostResult<(), SocketError> {
        if self.socket.open || self.socket.accepted.is_some() {
            return Ok(Err(SocketError::AlreadyOpen));
        }
        let key = self.request.header("Sec-WebSocket-Key").unwrap_or_default();
        let complete = ["Host", "Sec-WebSocket-Version"]
            .iter()
            .all(|name| self.request.header(name).is_some_and(|v| !v.is_empty()));
        if key.is_empty() || !complete || !self.upgradable || !self.request.body.is_empty() {
            return Ok(Err(SocketError::NotUpgradable));
        }
        match self.sandbox.websockets.reserve(self.request.client.ip) {
            Ok(slot) => self.socket.slot = Some(slot),
            Err(full) => {
                tracing::warn!(
                    plugin = &*self.sandbox.plugin,
                    "503 for a WebSocket upgrade: {full}"
                );
                *self.refusal = Some(Refusal::no_room());
                return Ok(Err(SocketError::NoRoom));
            }
        }
        if let Some(subprotocol) = &subprotocol
            && let Err(error) = self
                .response
                .set_header("Sec-WebSocket-Protocol", subprotocol)
        {
            return Ok(Err(SocketError::InvalidValue(error.to_string())));
        }
        self.response.switch_protocols();
        self.response.finish()?;
        self.socket.accepted = Some(accept_value(key.trim()));
        Ok(Ok(()))
    }

    fn write_message(&mut self, message: Message) -> HostResult<(), SocketError> {
        self.queue(match message {
            Message::Text(text) => Frame::text(text),
            Message::Binary(bytes) => Frame::binary(bytes),
        })
    }

    fn ping(&mut self, data: Vec<u8>) -> HostResult<(), SocketError> {
        if data.len() > 125 {
            let why = format!("a ping carries at most 125 bytes, not {}", data.len());
            return Ok(Err(SocketError::TooLarge(why)));
        }
        self.queue(Frame::Ping(data.into()))
    }

    fn close(&mut self, code: Option<u16>, reason: Option<String>) -> Result<()> {
        if self.sendable().is_err() {
            return Ok(());
        }
        // As Tornado: a reason without a code closes with 1000.
        let code = code.or(reason.as_ref().map(|_| 1000));
        let frame = code.map(|code| close_frame(&self.sandbox.plugin, code, reason));
        self.socket.close = Some(frame);
        Ok(())
    }

    fn close_code(&mut self) -> Result<Option<u16>> {
        Ok(self.socket.peer_close.as_ref().map(|(code, _)| *code))
    }

    fn close_reason(&mut self) -> Result<Option<String>> {
        Ok(self.socket.peer_close.as_ref().map(|(_, why)| why.clone()))
    }

    fn state(&mut self) -> Result<Vec<u8>> {
        Ok(self.socket.state.clone())
    }

    fn set_state(&mut self, state: Vec<u8>) -> HostResult<(), SocketError> {
        if state.len() > MAX_STATE {
            return Ok(Err(SocketError::TooLarge(format!(
                "a WebSocket's state holds at most {MAX_STATE} bytes, not {}",
                state.len()
            ))));
        }
        self.socket.state = state;
        Ok(Ok(()))
    }

    fn subscribe(&mut self, topic: String) -> HostResult<(), SocketError> {
        if let Err(closed) = self.sendable() {
            return Ok(Err(closed));
        }
        let (subscribed, pending) = self.pending(&topic);
        if subscribed {
            return Ok(Ok(()));
        }
        if self.subscription_count() >= MAX_SUBSCRIPTIONS {
            return Ok(Err(SocketError::TooLarge(format!(
                "a WebSocket is subscribed to at most {MAX_SUBSCRIPTIONS} topics"
            ))));
        }
        let found = match self.sandbox.topics.topic(&self.sandbox.plugin, &topic) {
            Ok(found) => found,
            Err(error) => return Ok(Err(SocketError::Topic(error.into()))),
        };
        let change = Some(found.subscribe_from_now());
        match pending {
            Some(at) => self.socket.subscriptions[at].1 = change,
            None => self.socket.subscriptions.push((topic.into(), change)),
        }
        Ok(Ok(()))
    }

    fn unsubscribe(&mut self, topic: String) -> Result<()> {
        // A name no subscription can have (empty, too long) is no subscription: nothing held.
        if crate::topics::check_name(&topic).is_err() {
            return Ok(());
        }
        let was = self.socket.subscribed.iter().any(|name| **name == *topic);
        match self.pending(&topic) {
            (_, Some(at)) if was => self.socket.subscriptions[at].1 = None,
            (_, Some(at)) => drop(self.socket.subscriptions.remove(at)),
            (true, None) => self.socket.subscriptions.push((topic.into(), None)),
            (false, None) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_handler_closes_only_with_codes_a_peer_may_send_and_reasons_that_fit() {
        for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert_eq!(u16::from(super::close_frame("p", code, None).code), 1011);
        }
        for code in [1000, 1001, 1008, 1011, 1014, 3000, 4999] {
            assert_eq!(u16::from(super::close_frame("p", code, None).code), code);
        }
        let long = "é".repeat(100);
        let frame = super::close_frame("p", 4000, Some(long));
        assert_eq!(frame.reason.len(), 122, "cut at a character boundary");
    }

    #[test]
    fn the_accept_value_is_rfc_6455s_example() {
        let accept = super::accept_value("dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
