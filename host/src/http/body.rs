//! The response body type, which tells the handler's lifecycle when hyper is done with it.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

/// A response body. When it is dropped, which hyper does once it has written the body (or
/// the connection has gone), the [`Sent`] receiver resolves: that is when `on_finish` runs.
pub struct ResponseBody {
    inner: Full<Bytes>,
    sent: Option<oneshot::Sender<()>>,
}

/// Resolves once the body it was taken from has been written or abandoned.
pub type Sent = oneshot::Receiver<()>;

impl ResponseBody {
    /// A body of these bytes.
    pub fn new(bytes: Bytes) -> Self {
        Self {
            inner: Full::new(bytes),
            sent: None,
        }
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
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
