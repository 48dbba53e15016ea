//! Server-sent events: a response that streams a topic as `text/event-stream`, held by the
//! host with no instance, as the chat demo's event source needs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::http::body::{BodySender, ResponseBody};
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::topics::{Subscription, Topic};

/// A comment line this often keeps the stream (and proxies on the way) from going idle,
/// and finds out a client that has gone.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// An event stream whose head has gone out.
pub struct EventStream {
    sender: BodySender,
    /// The history after the client's `Last-Event-ID`, then what is published.
    subscription: Subscription,
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
    let subscription = topic.subscribe(last.as_deref());
    let (head, sender) = response.start_stream();
    Some((
        head,
        EventStream {
            sender,
            subscription,
        },
    ))
}

impl EventStream {
    /// Streams until the client goes, or falls so far behind that the topic moved on (the
    /// stream ends; `EventSource` reconnects with its `Last-Event-ID` and catches up), or
    /// the worker stops.
    pub async fn run(mut self, mut stopping: tokio::sync::watch::Receiver<bool>) {
        let _held = crate::metrics::hold(crate::metrics::Hold::EventStream);
        let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
        keep_alive.tick().await;
        loop {
            let chunk = tokio::select! {
                biased;
                received = self.subscription.next() => match received {
                    Ok(message) => event(&message.id, &message.data),
                    Err(_lagged) => return,
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

/// One message as an event: its id, its data a `data:` line per line, a blank line. Lines
/// end at CR, LF or CRLF, as an `EventSource` reads them: split anywhere else, a CR inside
/// the data would start a field (`retry:`, `event:`) or an event of the publisher's making.
fn event(id: &str, data: &str) -> Bytes {
    let mut text = format!("id: {}\n", id.replace(['\r', '\n'], ""));
    for line in lines(data) {
        text.push_str("data: ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    Bytes::from(text)
}

/// `text`'s lines as the event-stream format ends them: at CRLF, CR or LF.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let Some(end) = text.find(['\r', '\n']) else {
            rest = None;
            return Some(text);
        };
        let after = match text[end..].starts_with("\r\n") {
            true => end + 2,
            false => end + 1,
        };
        rest = Some(&text[after..]);
        Some(&text[..end])
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_is_an_event_with_a_data_line_per_line() {
        assert_eq!(
            &super::event("7", "one\ntwo")[..],
            b"id: 7\ndata: one\ndata: two\n\n"
        );
    }

    #[test]
    fn a_cr_in_the_data_ends_a_line_as_an_event_source_reads_it_so_it_forges_no_field() {
        let data = "x\rretry: 99999\r\rdata: forged\r\nlast\n";
        let expected = "id: 7\ndata: x\ndata: retry: 99999\ndata: \ndata: data: forged\n\
                        data: last\ndata: \n\n";
        assert_eq!(
            std::str::from_utf8(&super::event("7", data)).unwrap(),
            expected
        );
    }
}
