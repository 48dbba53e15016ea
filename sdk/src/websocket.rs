//! Tornado's `WebSocketHandler`, on a connection the host holds: each event (the upgrade,
//! a message, a pong, the close) runs in an instance of its own, so what a handler keeps
//! between events goes in the connection's [`WebSocket::state`].
//!
//! ```no_run
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

use crate::bindings::exports::gale::web::app::SocketEvent;
use crate::bindings::gale::web::websocket as host;
pub use crate::bindings::gale::web::websocket::Message;
use crate::{HttpError, PathArgs, Request, RequestHandler, Result, Value};

/// The connection as a handler sees it: Tornado's `write_message`, `close`, `ping`, and the
/// request that opened it (its arguments, cookies and `current_user`, through `Deref`).
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
    pub fn write_message(&mut self, message: impl Into<Message>) -> Result {
        host::write_message(&message.into()).map_err(HttpError::internal)
    }

    /// Closes the connection, as Tornado's `close(code, reason)`.
    pub fn close(&mut self, code: Option<u16>, reason: Option<&str>) {
        host::close(code, reason);
    }

    /// Sends a ping; the pong comes to [`WebSocketHandler::on_pong`].
    pub fn ping(&mut self, data: &[u8]) -> Result {
        host::ping(data).map_err(HttpError::internal)
    }

    /// The code of the client's close frame, in `on_close`.
    pub fn close_code(&self) -> Option<u16> {
        host::close_code()
    }

    /// The reason of the client's close frame, in `on_close`.
    pub fn close_reason(&self) -> Option<String> {
        host::close_reason()
    }

    /// What the connection's events keep (empty at first): Tornado keeps it in `self`.
    pub fn state(&self) -> Vec<u8> {
        host::state()
    }

    /// Replaces the state (at most 16 KiB).
    pub fn set_state(&mut self, state: &[u8]) -> Result {
        host::set_state(state).map_err(HttpError::internal)
    }

    /// The state as JSON, `Value::Null` when empty or not JSON.
    pub fn json_state(&self) -> Value {
        serde_json::from_slice(&self.state()).unwrap_or(Value::Null)
    }

    /// Subscribes the connection to `topic`: each message published to it is sent to the
    /// client by the host, with no event for the handler.
    pub fn subscribe(&mut self, topic: &str) -> Result {
        host::subscribe(topic).map_err(HttpError::internal)
    }

    /// Ends the connection's subscription to `topic`.
    pub fn unsubscribe(&mut self, topic: &str) {
        host::unsubscribe(topic);
    }

    /// Replaces the state with a JSON value.
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

/// Tornado's `WebSocketHandler`. Routed like any handler; the upgrade request runs
/// `set_default_headers`, `initialize`, `prepare`, Tornado's handshake checks (`Upgrade`,
/// `Connection`, the origin, the version and key), then `open`. Every later event runs
/// `initialize` and its method on a fresh handler.
pub trait WebSocketHandler {
    /// See [`RequestHandler::set_default_headers`]: headers of the 101 (or of a refusal).
    fn set_default_headers(&mut self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// Receives the route's init arguments, before every event.
    fn initialize(&mut self, _args: &Value) -> Result {
        Ok(())
    }

    /// Runs before the upgrade's checks (authentication belongs here).
    fn prepare(&mut self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// Whether a cross-origin `Origin` may connect (only asked when the origin's host is not
    /// the request's `Host`): by default those in the `trusted_origins` setting.
    fn check_origin(&mut self, _req: &Request, origin: &str) -> bool {
        let settings = crate::runtime::settings();
        let trusted = settings["trusted_origins"].as_array().cloned();
        trusted
            .unwrap_or_default()
            .iter()
            .any(|trusted| trusted.as_str() == Some(origin))
    }

    /// Chooses one of the client's `Sec-WebSocket-Protocol` values, or none.
    fn select_subprotocol(&mut self, _subprotocols: &[String]) -> Option<String> {
        None
    }

    /// The connection is open (the 101 goes out when this returns).
    fn open(&mut self, _ws: &mut WebSocket, _args: PathArgs) -> Result {
        Ok(())
    }

    /// A message from the client.
    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result;

    /// A pong, with its data.
    fn on_pong(&mut self, _ws: &mut WebSocket, _data: Vec<u8>) -> Result {
        Ok(())
    }

    /// The connection has closed: `close_code` and `close_reason` say how.
    fn on_close(&mut self, _ws: &mut WebSocket) -> Result {
        Ok(())
    }
}

/// Finishes the upgrade request with Tornado's status and plain-text message.
fn refuse(req: &mut Request, status: u16, message: &str) -> Result {
    req.set_status(status)?;
    req.finish_with(message);
    Ok(())
}

/// Tornado's `_check_cross_origin`: `None` when the request may connect.
fn cross_origin<W: WebSocketHandler + ?Sized>(handler: &mut W, req: &Request) -> Option<String> {
    let origin = req.header("Origin");
    match req.header("Sec-Fetch-Site").as_deref() {
        Some("same-origin" | "none") => None,
        None => {
            let origin = origin?;
            let host = req.header("Host").unwrap_or_default().to_lowercase();
            let netloc = origin
                .split_once("://")
                .map_or("", |(_, rest)| {
                    rest.split(['/', '?', '#']).next().unwrap_or("")
                })
                .to_lowercase();
            match netloc == host || handler.check_origin(req, &origin) {
                true => None,
                false => Some(format!("Origin {origin:?} not allowed")),
            }
        }
        Some(site) => match origin {
            Some(origin) if handler.check_origin(req, &origin) => None,
            origin => Some(format!(
                "Sec-Fetch-Site {site} & origin {origin:?} not allowed"
            )),
        },
    }
}

impl<W: WebSocketHandler> RequestHandler for W {
    fn set_default_headers(&mut self, req: &mut Request) -> Result {
        WebSocketHandler::set_default_headers(self, req)
    }

    fn initialize(&mut self, args: &Value) -> Result {
        WebSocketHandler::initialize(self, args)
    }

    fn prepare(&mut self, req: &mut Request) -> Result {
        WebSocketHandler::prepare(self, req)
    }

    /// Tornado's `WebSocketHandler.get`: the checks in its order, then the upgrade.
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let upgrade = req.header("Upgrade").unwrap_or_default();
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return refuse(req, 400, "Can \"Upgrade\" only to \"WebSocket\".");
        }
        let connection = req.header("Connection").unwrap_or_default();
        if !connection
            .split(',')
            .any(|token| token.trim().eq_ignore_ascii_case("upgrade"))
        {
            return refuse(req, 400, "\"Connection\" must be \"Upgrade\".");
        }
        if let Some(why) = cross_origin(self, req) {
            crate::log::debug(&format!("Cross origin websockets not allowed: {why}"));
            return refuse(req, 403, "Cross origin websockets not allowed");
        }
        if req.header("Sec-WebSocket-Version").as_deref() != Some("13") {
            req.set_status_reason(426, "Upgrade Required")?;
            req.set_header("Sec-WebSocket-Version", "13")?;
            req.finish();
            return Ok(());
        }
        let offered: Vec<String> = req
            .header("Sec-WebSocket-Protocol")
            .filter(|header| !header.is_empty())
            .map(|header| header.split(',').map(|p| p.trim().to_owned()).collect())
            .unwrap_or_default();
        let chosen = self.select_subprotocol(&offered);
        if let Err(why) = host::accept(chosen.as_deref()) {
            return refuse(req, 400, &why);
        }
        self.open(&mut WebSocket { req }, args)
    }

    fn socket_event(&mut self, req: &mut Request, event: SocketEvent) -> Result {
        let ws = &mut WebSocket { req };
        match event {
            SocketEvent::Message(message) => self.on_message(ws, message),
            SocketEvent::Pong(data) => self.on_pong(ws, data),
            SocketEvent::Close => self.on_close(ws),
        }
    }
}
