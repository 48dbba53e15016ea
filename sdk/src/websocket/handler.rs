//! The trait a WebSocket handler implements, with Tornado's method names and defaults.

use super::WebSocket;
use crate::{Message, PathArgs, Request, Result, Value};

/// Tornado's `WebSocketHandler`. Routed like any handler; the upgrade request runs
/// `set_default_headers`, `initialize`, `prepare`, Tornado's handshake checks (`Upgrade`,
/// `Connection`, the origin, the version and key), then `open`. Every later event runs
/// `initialize` and its method on a fresh handler.
///
/// ```no_run
/// # use gale_sdk::*;
/// #[derive(Default)]
/// struct EchoSocket;
///
/// impl WebSocketHandler for EchoSocket {
///     fn open(&mut self, ws: &mut WebSocket, _args: PathArgs) -> Result {
///         ws.write_message("welcome")
///     }
///
///     fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
///         ws.write_message(message)
///     }
/// }
/// ```
pub trait WebSocketHandler {
    /// See [`crate::RequestHandler::set_default_headers`]: headers of the 101 (or of a refusal).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn set_default_headers(&mut self, req: &mut Request) -> Result {
    ///     req.set_header("X-Chat-Version", "2")
    /// }
    /// # }
    /// ```
    fn set_default_headers(&mut self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// Receives the route's init arguments, before every event.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn initialize(&mut self, args: &Value) -> Result {
    ///     gale_sdk::log::debug(&format!("room settings: {args}"));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn initialize(&mut self, _args: &Value) -> Result {
        Ok(())
    }

    /// Runs before the upgrade's checks (authentication belongs here).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn prepare(&mut self, req: &mut Request) -> Result {
    ///     if req.current_user()?.is_none() {
    ///         return Err(HttpError::new(403)); // no upgrade without a session
    ///     }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn prepare(&mut self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// Whether a cross-origin `Origin` may connect (only asked when the origin's host is not
    /// the request's `Host`): by default those in the `trusted_origins` setting.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn check_origin(&mut self, _req: &Request, origin: &str) -> bool {
    ///     origin.ends_with(".example.com")
    /// }
    /// # }
    /// ```
    fn check_origin(&mut self, _req: &Request, origin: &str) -> bool {
        let settings = crate::runtime::settings();
        let trusted = settings["trusted_origins"].as_array().cloned();
        trusted
            .unwrap_or_default()
            .iter()
            .any(|trusted| trusted.as_str() == Some(origin))
    }

    /// Chooses one of the client's `Sec-WebSocket-Protocol` values, or none.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn select_subprotocol(&mut self, offered: &[String]) -> Option<String> {
    ///     offered.iter().find(|p| p.as_str() == "chat.v2").cloned()
    /// }
    /// # }
    /// ```
    fn select_subprotocol(&mut self, _subprotocols: &[String]) -> Option<String> {
        None
    }

    /// The connection is open (the 101 goes out when this returns).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn open(&mut self, ws: &mut WebSocket, args: PathArgs) -> Result {
    ///     ws.subscribe(&format!("room:{}", &args[0]))
    /// }
    /// # }
    /// ```
    fn open(&mut self, _ws: &mut WebSocket, _args: PathArgs) -> Result {
        Ok(())
    }

    /// A message from the client.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
    ///     match message {
    ///         Message::Text(text) => ws.write_message(text.to_uppercase()),
    ///         Message::Binary(bytes) => ws.write_message(bytes.len().to_string()),
    ///     }
    /// }
    /// # }
    /// ```
    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result;

    /// A pong, with its data.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn on_pong(&mut self, ws: &mut WebSocket, data: Vec<u8>) -> Result {
    ///     ws.set_state(&data) // remember the last pong
    /// }
    /// # }
    /// ```
    fn on_pong(&mut self, _ws: &mut WebSocket, _data: Vec<u8>) -> Result {
        Ok(())
    }

    /// The connection has closed: `close_code` and `close_reason` say how.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Socket;
    /// # impl WebSocketHandler for Socket {
    /// # fn on_message(&mut self, _ws: &mut WebSocket, _m: Message) -> Result { Ok(()) }
    /// fn on_close(&mut self, ws: &mut WebSocket) -> Result {
    ///     let nick = ws.json_state()["nick"].as_str().unwrap_or("someone").to_owned();
    ///     ws.publish("room:lobby", "", &format!("{nick} left"))
    /// }
    /// # }
    /// ```
    fn on_close(&mut self, _ws: &mut WebSocket) -> Result {
        Ok(())
    }
}
