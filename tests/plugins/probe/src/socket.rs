//! WebSocket handlers: an echo that counts its messages in the connection's state, and
//! commands that close, fail or trap from inside an event.

use gale_sdk::{Message, PathArgs, Request, Result, WebSocket, WebSocketHandler, json};

/// Echoes every message, prefixed by its number on this connection (counted in the
/// connection's state, since each event runs in a fresh instance). Text commands:
/// `close` closes with 4000 "asked", `panic` traps, `fail` returns an error, `query` answers
/// the upgrade request's `name` argument and `Origin`, `sub:T` and `unsub:T` subscribe to
/// topic T and end it, `version` answers the probe's version (see `/version`), `ping` pings
/// (the pong is answered `pong:DATA`).
#[derive(Default)]
pub struct Echo;

impl WebSocketHandler for Echo {
    fn select_subprotocol(&mut self, subprotocols: &[String]) -> Option<String> {
        subprotocols.iter().find(|p| *p == "echo.v1").cloned()
    }

    fn open(&mut self, ws: &mut WebSocket, args: PathArgs) -> Result {
        let greeting = json!({"open": args.len(), "name": ws.get_argument_or("name", "")?});
        ws.write_message(greeting)?;
        ws.set_json_state(&json!({"count": 0}))
    }

    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
        let count = ws.json_state()["count"].as_u64().unwrap_or(0) + 1;
        ws.set_json_state(&json!({"count": count}))?;
        match message {
            Message::Text(text) => match text.as_str() {
                "close" => ws.close(Some(4000), Some("asked")),
                "panic" => panic!("asked to panic"),
                "fail" => return Err(gale_sdk::HttpError::new(500)),
                "version" => ws.write_message(crate::VERSION)?,
                "ping" => ws.ping(b"probe")?,
                command if command.starts_with("sub:") => ws.subscribe(&command[4..])?,
                command if command.starts_with("unsub:") => ws.unsubscribe(&command[6..]),
                "query" => {
                    let origin = ws.header("Origin").unwrap_or_default();
                    let name = ws.get_argument_or("name", "")?;
                    ws.write_message(format!("{name}|{origin}"))?;
                }
                _ => ws.write_message(format!("{count}:{text}"))?,
            },
            Message::Binary(mut bytes) => {
                bytes.insert(0, count as u8);
                ws.write_message(bytes)?;
            }
        }
        Ok(())
    }

    fn on_pong(&mut self, ws: &mut WebSocket, data: Vec<u8>) -> Result {
        ws.write_message(format!("pong:{}", String::from_utf8_lossy(&data)))
    }

    fn on_close(&mut self, ws: &mut WebSocket) -> Result {
        let (code, reason) = (ws.close_code(), ws.close_reason());
        gale_sdk::log::info(&format!("on_close code={code:?} reason={reason:?}"));
        Ok(())
    }
}

/// A WebSocket whose `prepare` refuses requests without `?allow=1` (403), as a handler that
/// authenticates in `prepare` does.
#[derive(Default)]
pub struct Guarded;

impl WebSocketHandler for Guarded {
    fn prepare(&mut self, req: &mut Request) -> Result {
        match req.get_argument_or("allow", "")? == "1" {
            true => Ok(()),
            false => Err(gale_sdk::HttpError::new(403)),
        }
    }

    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
        ws.write_message(message)
    }
}

/// `/topic/publish?topic=T&id=I&data=D`: publishes (a POST's form too); `/topic/history?topic=T&cursor=C`: the
/// history after the cursor as `id=data` lines; `/topic/events?topic=T`: an event stream;
/// `/topic/poll?topic=T&cursor=C&timeout=MS`: long polling, answered as the history is
/// (`none` at the time limit).
#[derive(Default)]
pub struct Topic;

impl gale_sdk::RequestHandler for Topic {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let topic = req.get_argument("topic")?;
        let cursor = req.get_argument_or("cursor", "")?;
        let cursor = (!cursor.is_empty()).then_some(cursor.as_str());
        match &args[0] {
            "publish" => {
                let (id, data) = (req.get_argument("id")?, req.get_argument("data")?);
                req.publish(&topic, &id, &data)
            }
            "history" => {
                for message in req.topic_history(&topic, cursor)? {
                    req.write(format!("{}={}\n", message.id, message.data));
                }
                Ok(())
            }
            "poll" => {
                let timeout = req.get_argument_or("timeout", "30000")?;
                let timeout = std::time::Duration::from_millis(timeout.parse().unwrap_or(30000));
                req.set_header("X-Parked", "yes")?;
                req.wait_for_messages(&topic, cursor, timeout)
            }
            _ => req.stream_events(&topic),
        }
    }

    /// As `get`, for a message too large for a URL.
    fn post(&mut self, req: &mut Request, args: PathArgs) -> Result {
        self.get(req, args)
    }

    fn on_messages(&mut self, req: &mut Request, messages: Vec<gale_sdk::Published>) -> Result {
        if messages.is_empty() {
            req.write("none");
        }
        for message in messages {
            req.write(format!("{}={}\n", message.id, message.data));
        }
        Ok(())
    }
}
