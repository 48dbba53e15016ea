//! The `websocket` interface: the upgrade accepted (as Tornado's `accept_connection`), and
//! what an event sends back (messages, pings, a close) and keeps (the connection's state).

use base64::Engine;
use sha1::{Digest, Sha1};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use wasmtime::Result;

use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::runtime::bindings::gale::web::websocket::{self, Message};
use crate::runtime::ctx::{Sandbox, SocketMemo};
use crate::runtime::traps::OverBudget;

/// The most a connection's state may hold.
pub const MAX_STATE: usize = 16 * 1024;

/// RFC 6455's GUID, hashed with the client's key into `Sec-WebSocket-Accept`.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What the `websocket` interface sees of the store.
pub(super) struct Socket<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) request: &'a mut RequestData,
    pub(super) response: &'a mut ResponseState,
    pub(super) socket: &'a mut SocketMemo,
    /// Whether hyper can hand over the connection (an HTTP/1.1 request's).
    pub(super) upgradable: bool,
}

impl Socket<'_> {
    /// Whether the handler may send: an open connection, or an accepted upgrade, not closing.
    fn sendable(&self) -> std::result::Result<(), String> {
        if !self.socket.open && self.socket.accepted.is_none() {
            return Err("the WebSocket is not open: accept the upgrade first".into());
        }
        if self.socket.close.is_some() {
            return Err("the WebSocket is closing".into());
        }
        Ok(())
    }

    /// Queues `frame`, trapping when an event queues more than the response buffer limit.
    fn queue(&mut self, frame: Frame) -> Result<std::result::Result<(), String>> {
        if let Err(why) = self.sendable() {
            return Ok(Err(why));
        }
        self.socket.outbox_bytes += frame.len();
        let limit = self.sandbox.response_buffer;
        if self.socket.outbox_bytes > limit {
            return Err(wasmtime::Error::new(OverBudget(format!(
                "the event's messages exceed the {limit}-byte buffer limit (--max-response-buffer)"
            ))));
        }
        self.socket.outbox.push(frame);
        Ok(Ok(()))
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

impl websocket::Host for Socket<'_> {
    fn accept(&mut self, subprotocol: Option<String>) -> Result<std::result::Result<(), String>> {
        if self.socket.open || self.socket.accepted.is_some() {
            return Ok(Err("the WebSocket is already open".into()));
        }
        let key = self.request.header("Sec-WebSocket-Key").unwrap_or_default();
        let complete = ["Host", "Sec-WebSocket-Version"]
            .iter()
            .all(|name| self.request.header(name).is_some_and(|v| !v.is_empty()));
        if key.is_empty() || !complete || !self.upgradable {
            return Ok(Err("Missing/Invalid WebSocket headers".into()));
        }
        if let Some(subprotocol) = &subprotocol
            && let Err(error) = self
                .response
                .set_header("Sec-WebSocket-Protocol", subprotocol)
        {
            return Ok(Err(error.to_string()));
        }
        self.response.clear_header("Content-Type");
        self.response.set_error_status(101, None);
        self.response.finish()?;
        self.socket.accepted = Some(accept_value(key.trim()));
        Ok(Ok(()))
    }

    fn write_message(&mut self, message: Message) -> Result<std::result::Result<(), String>> {
        self.queue(match message {
            Message::Text(text) => Frame::text(text),
            Message::Binary(bytes) => Frame::binary(bytes),
        })
    }

    fn ping(&mut self, data: Vec<u8>) -> Result<std::result::Result<(), String>> {
        if data.len() > 125 {
            return Ok(Err("a ping carries at most 125 bytes".into()));
        }
        self.queue(Frame::Ping(data.into()))
    }

    fn close(&mut self, code: Option<u16>, reason: Option<String>) -> Result<()> {
        if self.sendable().is_err() {
            return Ok(());
        }
        // As Tornado: a reason without a code closes with 1000.
        let code = code.or(reason.as_ref().map(|_| 1000));
        let frame = code.map(|code| CloseFrame {
            code: code.into(),
            reason: reason.unwrap_or_default().into(),
        });
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

    fn set_state(&mut self, state: Vec<u8>) -> Result<std::result::Result<(), String>> {
        if state.len() > MAX_STATE {
            return Ok(Err(format!(
                "a WebSocket's state holds at most {MAX_STATE} bytes, not {}",
                state.len()
            )));
        }
        self.socket.state = state;
        Ok(Ok(()))
    }

    fn subscribe(&mut self, topic: String) -> Result<std::result::Result<(), String>> {
        if let Err(why) = self.sendable() {
            return Ok(Err(why));
        }
        match self.sandbox.topics.topic(&self.sandbox.plugin, &topic) {
            Ok(found) => {
                let newest = found.newest();
                self.socket
                    .subscriptions
                    .push((topic, Some((found, newest))));
                Ok(Ok(()))
            }
            Err(error) => Ok(Err(error.to_string())),
        }
    }

    fn unsubscribe(&mut self, topic: String) -> Result<()> {
        self.socket.subscriptions.push((topic, None));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_accept_value_is_rfc_6455s_example() {
        let accept = super::accept_value("dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
