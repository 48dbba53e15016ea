//! The response body type: whole, or streamed chunk by chunk through a small bounded
//! channel (`flush`, static files), and it tells the handler's lifecycle when hyper is done
//! with it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

/// Chunks a streamed body may hold queued before the writer waits: backpressure, so a large
/// response never sits whole in memory.
pub const STREAM_DEPTH: usize = 4;

/// Bytes a streamed body may hold queued: a chunk waits until they would fit (a larger one
/// until the queue is empty), so four huge flushes cannot queue four times their size.
pub const STREAM_BYTES: usize = 1 << 20;

/// A response body. When it is dropped, which hyper does once it has written the body (or
/// the connection has gone), the [`Sent`] receiver resolves: that is when `on_finish` runs.
pub struct ResponseBody {
    kind: Kind,
    sent: Option<oneshot::Sender<()>>,
}

enum Kind {
    Whole(Option<Bytes>),
    Stream(Stream),
}

/// A queued chunk, holding its share of [`STREAM_BYTES`] until hyper takes it.
type Queued = Result<(Bytes, OwnedSemaphorePermit), Aborted>;

/// The reading side of a streamed body.
struct Stream {
    chunks: mpsc::Receiver<Queued>,
    /// Closed by [`BodySender::abort`]: the body then ends in an error.
    room: Arc<Semaphore>,
}

/// The writing side of a streamed body. Sending waits while [`STREAM_DEPTH`] chunks or
/// [`STREAM_BYTES`] are queued; dropping it ends the body; [`BodySender::abort`] cuts it off
/// so the client sees a truncated response rather than a short one that looks complete.
pub struct BodySender {
    chunks: mpsc::Sender<Queued>,
    room: Arc<Semaphore>,
}

/// The client has gone: the body can no longer be sent. As a trap, it stops the handler
/// that flushed to it, through no fault of its own (the metrics do not count it).
#[derive(Debug)]
pub struct ClientGone;

impl std::fmt::Display for ClientGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the client closed the connection during flush()")
    }
}

impl std::error::Error for ClientGone {}

impl BodySender {
    /// Queues `chunk`, waiting for room.
    pub async fn send(&self, chunk: Bytes) -> Result<(), ClientGone> {
        if chunk.is_empty() {
            return Ok(());
        }
        let share = chunk.len().min(STREAM_BYTES) as u32;
        let permit = self
            .room
            .clone()
            .acquire_many_owned(share)
            .await
            .map_err(|_| ClientGone)?;
        self.chunks
            .send(Ok((chunk, permit)))
            .await
            .map_err(|_| ClientGone)
    }

    /// Resolves once hyper has let the body go: sent, or the client gone.
    pub async fn closed(&self) {
        self.chunks.closed().await;
    }

    /// Ends the body with an error: hyper closes the connection without the final chunk.
    /// It does not wait: a client that reads nothing must not hold the handler here.
    pub fn abort(self) {
        self.room.close();
        // With room, this wakes hyper if it waits for a chunk; without, hyper finds the
        // queue closed when it next asks.
        let _ = self.chunks.try_send(Err(Aborted));
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
        let (chunks, receiver) = mpsc::channel(STREAM_DEPTH);
        let room = Arc::new(Semaphore::new(STREAM_BYTES));
        let body = Self {
            kind: Kind::Stream(Stream {
                chunks: receiver,
                room: room.clone(),
            }),
            sent: None,
        };
        (body, BodySender { chunks, room })
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
            Kind::Stream(stream) if stream.room.is_closed() => Poll::Ready(Some(Err(Aborted))),
            // The permit goes with the chunk's handing over: hyper holds the bytes now.
            Kind::Stream(stream) => stream
                .chunks
                .poll_recv(cx)
                .map(|queued| queued.map(|queued| queued.map(|(bytes, _)| Frame::data(bytes)))),
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn a_streamed_body_queues_at_most_its_byte_bound() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mut body, sender) = ResponseBody::stream();
            let chunk = Bytes::from(vec![b'x'; STREAM_BYTES / 2 + 1]);
            sender.send(chunk.clone()).await.unwrap();
            let second =
                tokio::time::timeout(Duration::from_millis(50), sender.send(chunk.clone()));
            assert!(
                second.await.is_err(),
                "two chunks over the bound must not both queue"
            );
            let first = body.frame().await.unwrap().unwrap();
            assert_eq!(first.into_data().unwrap().len(), chunk.len());
            sender.send(chunk).await.unwrap();
        });
    }

    #[test]
    fn an_aborted_body_ends_in_an_error_even_when_its_queue_is_full() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mut body, sender) = ResponseBody::stream();
            for _ in 0..STREAM_DEPTH {
                sender.send(Bytes::from_static(b"x")).await.unwrap();
            }
            sender.abort();
            assert!(body.frame().await.unwrap().is_err());
        });
    }
}
