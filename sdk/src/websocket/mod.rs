//! Tornado's `WebSocketHandler`, on a connection the host holds: each event (the upgrade,
//! a message, a pong, the close) runs in an instance of its own, so what a handler keeps
//! between events goes in the connection's [`WebSocket::state`].
//!
//! ```no_run,standalone_crate
//! use gale_sdk::{Message, PathArgs, Result, WebSocket, WebSocketHandler};
//!
//! #[derive(Default)]
//! struct EchoSocket;
//! impl WebSocketHandler for EchoSocket {
//!     fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
//!         ws.write_message(message)
//!     }
//! }
//! gale_sdk::routes![(r"/echo", EchoSocket)];
//! ```

use std::ops::{Deref, DerefMut};

mod handler;
mod upgrade;

pub use handler::WebSocketHandler;

use crate::bindings::gale::web::websocket as host;
/// A WebSocket message, text or binary: what `on_message` receives and `write_message` sends.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn event(ws: &mut WebSocket, message: Message) -> Result {
/// if let Message::Binary(bytes) = message {
///     ws.write_message(Message::Text(format!("{} bytes", bytes.len())))?;
/// }
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::websocket::Message;
use crate::{Request, Result, Value};

/// The connection as a handler sees it: Tornado's `write_message`, `close`, `ping`, and the
/// request that opened it (its arguments, cookies and `current_user`, through `Deref`).
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn event(ws: &mut WebSocket) -> Result {
/// let user = ws.current_user()?; // the upgrade request's session, through Deref
/// ws.write_message(json!({"hello": user.map(|u| u.account)}))?;
/// # Ok(())
/// # }
/// ```
pub struct WebSocket<'a> {
    req: &'a mut Request,
}

impl Deref for WebSocket<'_> {
    type Target = Request;
    fn deref(&self) -> &Request {
        self.req
    }
}

impl DerefMut for WebSocket<'_> {
    fn deref_mut(&mut self) -> &mut Request {
        self.req
    }
}

impl WebSocket<'_> {
    /// Sends a message: text for a `&str`, `String` or JSON value, binary for bytes. The host
    /// sends an event's messages in order when it ends.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.write_message("text")?;
    /// ws.write_message(vec![1u8, 2, 3])?; // binary
    /// ws.write_message(json!({"event": "joined"}))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_message(&mut self, message: impl Into<Message>) -> Result {
        host::write_message(&message.into()).map_err(crate::refused::refused)
    }

    /// Closes the connection, as Tornado's `close(code, reason)`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.close(Some(1000), Some("bye"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn close(&mut self, code: Option<u16>, reason: Option<&str>) {
        host::close(code, reason);
    }

    /// Sends a ping; the pong comes to [`WebSocketHandler::on_pong`].
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.ping(b"are you there")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn ping(&mut self, data: &[u8]) -> Result {
        host::ping(data).map_err(crate::refused::refused)
    }

    /// The code of the client's close frame, in `on_close`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// if ws.close_code() == Some(1001) {
    ///     gale_sdk::log::info("the client went away");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        host::close_code()
    }

    /// The reason of the client's close frame, in `on_close`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// let why = ws.close_reason().unwrap_or_default();
    /// # Ok(())
    /// # }
    /// ```
    pub fn close_reason(&self) -> Option<String> {
        host::close_reason()
    }

    /// What the connection's events keep (empty at first): Tornado keeps it in `self`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// let nickname = String::from_utf8(ws.state()).unwrap_or_default();
    /// # Ok(())
    /// # }
    /// ```
    pub fn state(&self) -> Vec<u8> {
        host::state()
    }

    /// Replaces the state (at most 16 KiB).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.set_state(b"ada")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_state(&mut self, state: &[u8]) -> Result {
        host::set_state(state).map_err(crate::refused::refused)
    }

    /// The state as JSON, `Value::Null` when empty or not JSON.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// let count = ws.json_state()["count"].as_u64().unwrap_or(0);
    /// ws.set_json_state(&json!({"count": count + 1}))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn json_state(&self) -> Value {
        serde_json::from_slice(&self.state()).unwrap_or(Value::Null)
    }

    /// Subscribes the connection to `topic`: each message published to it is sent to the
    /// client by the host, with no event for the handler.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.subscribe("room:lobby")?; // what is published there now reaches this client
    /// # Ok(())
    /// # }
    /// ```
    pub fn subscribe(&mut self, topic: &str) -> Result {
        host::subscribe(topic).map_err(crate::refused::refused)
    }

    /// Ends the connection's subscription to `topic`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.unsubscribe("room:lobby");
    /// # Ok(())
    /// # }
    /// ```
    pub fn unsubscribe(&mut self, topic: &str) {
        host::unsubscribe(topic);
    }

    /// Replaces the state with a JSON value.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn event(ws: &mut WebSocket) -> Result {
    /// ws.set_json_state(&json!({"room": "lobby", "nick": "ada"}))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_json_state(&mut self, state: &Value) -> Result {
        self.set_state(state.to_string().as_bytes())
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.to_owned())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Message::Binary(bytes)
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Message::Binary(bytes.to_vec())
    }
}

impl From<Value> for Message {
    /// As Tornado's `write_message(dict)`: the JSON as text.
    fn from(value: Value) -> Self {
        Message::Text(crate::json::encode(&value))
    }
}
