//! Attacks through long connections and topics: imports called without end or with
//! enormous arguments from a WebSocket event, a long poll that parks again each time it is
//! woken, a plugin that fills every topic it may have.

use gale_sdk::WebSocketHandler;
use gale_sdk::{Message, PathArgs, Published, Request, RequestHandler, Result, WebSocket};

/// `/ws/attack`: a WebSocket whose every text message names an attack:
/// `unsubscribe-huge` (200 unsubscribes of a 32 MiB name), `empty-messages` and
/// `empty-pings` (empty frames until something stops it), `subscribe-flood` (20,000
/// subscriptions to one topic, then a 60 KiB publish to it), `close:CODE` (a close with any
/// code) and `close-long` (a 200-byte reason). Anything else is echoed.
#[derive(Default)]
pub struct Attack;

impl WebSocketHandler for Attack {
    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
        let Message::Text(text) = message else {
            return Ok(());
        };
        match text.as_str() {
            "unsubscribe-huge" => {
                let name = "t".repeat(32 << 20);
                for _ in 0..200 {
                    ws.unsubscribe(&name);
                }
                ws.write_message("unsubscribed")?;
            }
            "empty-messages" => loop {
                ws.write_message("")?;
            },
            "empty-pings" => loop {
                ws.ping(&[])?;
            },
            "subscribe-flood" => {
                for _ in 0..20_000 {
                    ws.subscribe("flood")?;
                }
                ws.publish("flood", "1", &"x".repeat(60 << 10))?;
                ws.write_message("subscribed")?;
            }
            "close-long" => ws.close(Some(4000), Some(&"r".repeat(200))),
            command => match command.strip_prefix("close:") {
                Some(code) => ws.close(code.parse().ok(), None),
                None => ws.write_message(text)?,
            },
        }
        Ok(())
    }
}

/// `/topics/fill?topics=N`: 1 MiB of history (16 messages of 64 KiB less an envelope) into
/// each of N topics.
#[derive(Default)]
pub struct FillTopics;

impl RequestHandler for FillTopics {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let topics: u32 = req.get_argument("topics")?.parse().unwrap_or(0);
        let data = "x".repeat((64 << 10) - 128);
        for topic in 0..topics {
            for id in 0..16 {
                req.publish(&format!("fill-{topic}"), &id.to_string(), &data)?;
            }
        }
        req.write(format!("filled {topics} topics"));
        Ok(())
    }
}

/// `/poll/repark`: parks on a topic with a cursor its history never holds, so each wake is
/// at once, and parks again each time it is woken: it never answers by itself.
#[derive(Default)]
pub struct Repark;

impl RequestHandler for Repark {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.publish("repark", "only", "a message the cursor never names")?;
        req.wait_for_messages("repark", Some("stale"), std::time::Duration::from_secs(30))
    }

    fn on_messages(&mut self, req: &mut Request, _messages: Vec<Published>) -> Result {
        req.write("woken ");
        req.wait_for_messages("repark", Some("stale"), std::time::Duration::from_secs(30))
    }
}

/// `/cookie/nameless`: a `Set-Cookie` whose name is empty, so a browser stores its value,
/// `gale_session=...`, as if it were the session cookie; `/cookie/carrying` hides the
/// session cookie's name inside another cookie's header value.
#[derive(Default)]
pub struct SmuggledSession;

impl RequestHandler for SmuggledSession {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let value = match &args[0] {
            "nameless" => "=gale_session=2|1:0|10:1|4:dGVzdA==|00; Path=/",
            _ => "theme=dark; Path=/, gale_session=2|1:0|10:1|4:dGVzdA==|00",
        };
        req.add_header("Set-Cookie", value)?;
        req.write("smuggled");
        Ok(())
    }
}
