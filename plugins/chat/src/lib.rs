//! Tornado's two chat demos in one plugin, one message log: `demos/websocket/chatdemo.py`
//! (WebSockets) and `demos/chat/chatdemo.py` (long polling), plus server-sent events. Every
//! message goes through the host's `chat` topic, which keeps the last 200 as history, so
//! every transport sees the same messages in the same order.

use std::time::Duration;

use gale_sdk::{
    HttpError, Message, PathArgs, Published, Request, RequestHandler, Result, Template, Value,
    WebSocket, WebSocketHandler, json,
};

/// The one topic.
const TOPIC: &str = "chat";

/// The largest message a socket may send, as the demo's `websocket_max_message_size`.
const MAX_MESSAGE: usize = 65536;

/// How long a long-polling request waits for a message.
const POLL_FOR: Duration = Duration::from_secs(30);

/// A new message `{"id": ID, "body": TEXT}` (ID a fresh uuid4 in hex), published to the
/// topic; the message as JSON.
fn new_message(req: &mut Request, body: &str) -> Result<Value> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id)
        .map_err(|error| HttpError::new(500).with_message(error.to_string()))?;
    // Version 4, variant 10: a uuid4, as Python's `uuid.uuid4().hex`.
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    let id: String = id.iter().map(|byte| format!("{byte:02x}")).collect();
    let message = json!({"id": id, "body": body});
    req.publish(TOPIC, &id, &gale_sdk::json::encode(&message))?;
    Ok(message)
}

/// Messages as the JSON they were published as.
fn parsed(messages: Vec<Published>) -> Vec<Value> {
    messages
        .iter()
        .filter_map(|message| gale_sdk::serde_json::from_str(&message.data).ok())
        .collect()
}

/// The ways the page can follow the topic.
const TRANSPORTS: [&str; 3] = ["ws", "poll", "sse"];

/// The chat page (`templates/chat.html`): the history so far, escaped, then a script that
/// follows the topic over `transport`.
#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage<'a> {
    transport: &'a str,
    /// `(id, body)` of each message, oldest first.
    history: Vec<(String, String)>,
}

/// `/chat`: the page, which picks its transport with `?transport=ws|poll|sse`.
#[derive(Default)]
struct Page;

impl RequestHandler for Page {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let transport = req.get_argument_or("transport", "ws")?;
        if !TRANSPORTS.contains(&transport.as_str()) {
            return Err(HttpError::new(400).with_message(format!(
                "transport must be ws, poll or sse, not {transport:?}"
            )));
        }
        let history = parsed(req.topic_history(TOPIC, None)?)
            .iter()
            .filter_map(|message| {
                let text = |key: &str| Some(message.get(key)?.as_str()?.to_owned());
                Some((text("id")?, text("body")?))
            })
            .collect();
        req.render(&ChatPage {
            transport: &transport,
            history,
        })
    }
}

/// `/chat/socket`: on open, the history oldest first, then every message as it is
/// published; a text frame `{"body": TEXT}` publishes a message.
#[derive(Default)]
struct ChatSocket;

impl WebSocketHandler for ChatSocket {
    fn open(&mut self, ws: &mut WebSocket, _args: PathArgs) -> Result {
        for message in ws.topic_history(TOPIC, None)? {
            ws.write_message(message.data)?;
        }
        ws.subscribe(TOPIC)
    }

    fn on_message(&mut self, ws: &mut WebSocket, message: Message) -> Result {
        let body = match &message {
            Message::Text(text) if text.len() > MAX_MESSAGE => {
                ws.close(Some(1009), None);
                return Ok(());
            }
            Message::Text(text) => gale_sdk::serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|value| value["body"].as_str().map(str::to_owned)),
            Message::Binary(_) => None,
        };
        match body {
            // The sender gets it too, through its subscription, as everyone does.
            Some(body) => {
                if let Err(error) = new_message(ws, &body) {
                    // Past the topic's limit once in its envelope (a body of control
                    // characters escapes to six times its length): too big, as a message
                    // past the socket's own limit is.
                    gale_sdk::log::warn(&format!("a message was not published: {}", error.message));
                    ws.close(Some(1009), Some("message too big to publish"));
                }
                Ok(())
            }
            None => {
                ws.close(Some(1003), Some("expected {\"body\": text}"));
                Ok(())
            }
        }
    }
}

/// `/chat/a/message/new`: publishes the POSTed `body`, answers it as JSON.
#[derive(Default)]
struct MessageNew;

impl RequestHandler for MessageNew {
    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let body = req.get_argument("body")?;
        let message = new_message(req, &body)?;
        req.write(message);
        Ok(())
    }
}

/// `/chat/a/message/updates`: the messages after `cursor` at once if there are any, else
/// the next ones, waiting at most 30 s (then none), as the demo's `MessageUpdatesHandler`.
#[derive(Default)]
struct MessageUpdates;

impl RequestHandler for MessageUpdates {
    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let cursor = req.get_argument_or("cursor", "")?;
        let cursor = (!cursor.is_empty()).then_some(cursor.as_str());
        req.wait_for_messages(TOPIC, cursor, POLL_FOR)
    }

    fn on_messages(&mut self, req: &mut Request, messages: Vec<Published>) -> Result {
        req.write(json!({"messages": parsed(messages)}));
        Ok(())
    }
}

/// `/chat/events`: the topic as server-sent events, after `Last-Event-ID` when sent.
#[derive(Default)]
struct Events;

impl RequestHandler for Events {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.stream_events(TOPIC)
    }
}

gale_sdk::routes![
    (r"/chat", Page),
    (r"/chat/socket", ChatSocket),
    (r"/chat/a/message/new", MessageNew),
    (r"/chat/a/message/updates", MessageUpdates),
    (r"/chat/events", Events),
];
