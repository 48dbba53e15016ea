//! Server-sent events: a response that streams a topic as `text/event-stream`, held by the
//! host with no instance, as the chat demo's event source needs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::http::body::{BodySender, ResponseBody};
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::topics::{Published, Topic};

/// A comment line this often keeps the stream (and proxies on the way) from going idle,
/// and finds out a client that has gone.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// An event stream whose head has gone out.
pub struct EventStream {
    sender: BodySender,
    /// The history after the client's `Last-Event-ID`, then what is published.
    missed: Vec<Arc<Published>>,
    receiver: broadcast::Receiver<Arc<Published>>,
}

/// Turns `response` into an event stream of `topic`: its head (the handler's status,
/// headers and cookies, `Content-Type: text/event-stream`) and the stream to run. `None`
/// when the response cannot take the header (it has passed a cap).
pub fn start(
    response: &mut ResponseState,
    request: &RequestData,
    topic: Arc<Topic>,
) -> Option<(hyper::Response<ResponseBody>, EventStream)> {
    response
        .set_header("Content-Type", "text/event-stream")
        .ok()?;
    response.set_header("Cache-Control", "no-cache").ok()?;
    response.clear_body();
    let last = request.header("Last-Event-ID");
    let (missed, receiver) = topic.subscribe(last.as_deref());
    let (head, sender) = response.start_stream();
    Some((
        head,
        EventStream {
            sender,
            missed,
            receiver,
        },
    ))
}

impl EventStream {
    /// Streams until the client goes, or falls so far behind that the topic moved on (the
    /// stream ends; `EventSource` reconnects with its `Last-Event-ID` and catches up), or
    /// the worker stops.
    pub async fn run(mut self, mut stopping: tokio::sync::watch::Receiver<bool>) {
        let _held = crate::metrics::hold(crate::metrics::Hold::EventStream);
        for message in std::mem::take(&mut self.missed) {
            if self.sender.send(event(&message)).await.is_err() {
                return;
            }
        }
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.tick().await;
        loop {
            let chunk = tokio::select! {
                received = self.receiver.recv() => match received {
                    Ok(message) => event(&message),
                    Err(_) => return,
                },
                _ = keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
                _ = stopping.wait_for(|stop| *stop) => return,
            };
            if self.sender.send(chunk).await.is_err() {
                return;
            }
        }
    }
}

/// One message as an event: its id, its data a `data:` line per line, a blank line.
fn event(message: &Published) -> Bytes {
    let mut text = format!("id: {}\n", message.id.replace(['\r', '\n'], ""));
    for line in message.data.split('\n') {
        text.push_str("data: ");
        text.push_str(line.trim_end_matches('\r'));
        text.push('\n');
    }
    text.push('\n');
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_is_an_event_with_a_data_line_per_line() {
        let message = crate::topics::Published {
            id: "7".into(),
            data: "one\ntwo".into(),
        };
        assert_eq!(
            &super::event(&message)[..],
            b"id: 7\ndata: one\ndata: two\n\n"
        );
    }
}
