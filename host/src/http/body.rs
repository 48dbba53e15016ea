//! The response body type: whole, or streamed chunk by chunk through a small bounded
//! channel (`flush`, static files), and it tells the handler's lifecycle when hyper is done
//! with it.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{mpsc, oneshot};

/// Chunks a streamed body may hold queued before the writer waits: backpressure, so a large
/// response never sits whole in memory.
pub const STREAM_DEPTH: usize = 4;

/// A response body. When it is dropped, which hyper does once it has written the body (or
/// the connection has gone), the [`Sent`] receiver resolves: that is when `on_finish` runs.
pub struct ResponseBody {
    kind: Kind,
    sent: Option<oneshot::Sender<()>>,
}

enum Kind {
    Whole(Option<Bytes>),
    Stream(mpsc::Receiver<Result<Bytes, Aborted>>),
}

/// The writing side of a streamed body. Sending waits while [`STREAM_DEPTH`] chunks are
/// queued; dropping it ends the body; [`BodySender::abort`] cuts it off so the client sees
/// a truncated response rather than a short one that looks complete.
pub struct BodySender(mpsc::Sender<Result<Bytes, Aborted>>);

/// The client has gone: the body can no longer be sent.
#[derive(Debug)]
pub struct ClientGone;

impl BodySender {
    /// Queues `chunk`, waiting for room.
    pub async fn send(&self, chunk: Bytes) -> Result<(), ClientGone> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.0.send(Ok(chunk)).await.map_err(|_| ClientGone)
    }

    /// Ends the body with an error: hyper closes the connection without the final chunk.
    pub async fn abort(self) {
        let _ = self.0.send(Err(Aborted)).await;
    }
}

/// The error that cuts a streamed body off.
#[derive(Debug)]
pub struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the response was cut off after its head was sent")
    }
}

impl std::error::Error for Aborted {}

/// Resolves once the body it was taken from has been written or abandoned.
pub type Sent = oneshot::Receiver<()>;

impl ResponseBody {
    /// A body of these bytes.
    pub fn new(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Whole(Some(bytes).filter(|bytes| !bytes.is_empty())),
            sent: None,
        }
    }

    /// A streamed body and the sender that feeds it.
    pub fn stream() -> (Self, BodySender) {
        let (sender, receiver) = mpsc::channel(STREAM_DEPTH);
        let body = Self {
            kind: Kind::Stream(receiver),
            sent: None,
        };
        (body, BodySender(sender))
    }

    /// A receiver that resolves when this body has been sent.
    pub fn on_sent(&mut self) -> Sent {
        let (tx, rx) = oneshot::channel();
        self.sent = Some(tx);
        rx
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        if let Some(sent) = self.sent.take() {
            // Nobody waiting is fine: the lifecycle may not need to know.
            let _ = sent.send(());
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Aborted;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.kind {
            Kind::Whole(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            Kind::Stream(receiver) => receiver
                .poll_recv(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Whole(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}
