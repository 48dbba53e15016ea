//! The upgrade request, run as a [`RequestHandler`]: Tornado's handshake checks in its
//! order, then `open`; and each later event, dispatched to its method.

use super::{WebSocket, WebSocketHandler, host};
use crate::bindings::exports::gale::web::app::SocketEvent;
use crate::{PathArgs, Request, RequestHandler, Result, Value};

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
        if let Err(refusal) = host::accept(chosen.as_deref()) {
            use crate::refused::Refused;
            return refuse(req, refusal.status(), &refusal.message());
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
