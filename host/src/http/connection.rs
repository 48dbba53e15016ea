//! A client connection's byte stream as hyper sees it, with two watches hyper lacks: its
//! HTTP/1 reads are followed by the [`Framing`] watch, and a write the client leaves unread for
//! `--write-timeout` fails, so hyper closes the connection. Without that, a client that
//! stops reading a long response holds its connection, and a streaming handler's slot,
//! for as long as it likes.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::framing::Framing;

/// A client's stream: reads shown to `framing` (HTTP/1's; HTTP/2 has none), writes bounded
/// by `write_timeout`.
pub struct ClientStream<S> {
    inner: S,
    framing: Option<Arc<Mutex<Framing>>>,
    write_timeout: Duration,
    remote: SocketAddr,
    /// Running while a write waits for the client to read; made only then.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> ClientStream<S> {
    /// `inner`, the connection from `remote`.
    pub fn new(
        inner: S,
        framing: Option<Arc<Mutex<Framing>>>,
        write_timeout: Duration,
        remote: SocketAddr,
    ) -> Self {
        Self {
            inner,
            framing,
            write_timeout,
            remote,
            stalled: None,
        }
    }

    /// A write's outcome, failed once the client has read nothing for `write_timeout`.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.write_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if stalled.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        tracing::warn!(
            remote = %self.remote,
            "closing the connection: the client read nothing for {timeout:?} (--write-timeout)"
        );
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client read nothing for --write-timeout",
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ClientStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Some(framing) = &this.framing
            && let Ok(mut framing) = framing.lock()
        {
            framing.feed(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ClientStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, bytes);
        this.bounded(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.bounded(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.bounded(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
