//! What a WebSocket has yet to send, bounded in bytes: a client that stops reading fills
//! the kernel's buffer, then this queue, then is closed with 1008 (a slow consumer), so one
//! connection never holds more than `--websocket-send-buffer` and a frame.

use std::collections::VecDeque;
use std::task::{Context, Poll, ready};

use futures_util::{Sink, SinkExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Frame};

/// The frames queued for the client, oldest first, and their bytes.
pub(super) struct Outgoing {
    frames: VecDeque<Frame>,
    bytes: usize,
    limit: usize,
    /// Frames went to the socket since it was last flushed.
    unflushed: bool,
}

/// The queue was already past its limit: the client reads too slowly.
#[derive(Debug)]
pub(super) struct Overflow {
    /// The limit, in bytes.
    pub(super) limit: usize,
}

impl Outgoing {
    /// An empty queue that refuses more once it holds over `limit` bytes.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            frames: VecDeque::new(),
            bytes: 0,
            limit,
            unflushed: false,
        }
    }

    /// Queues `frames`, all or none: refused when what is waiting is past the limit
    /// already (one event's messages, or one published message, may take it past). A
    /// refused queue is emptied: the connection closes, and what a client did not read in
    /// time is not worth sending.
    pub(super) fn queue(
        &mut self,
        frames: impl IntoIterator<Item = Frame>,
    ) -> Result<(), Overflow> {
        if self.bytes > self.limit {
            self.discard();
            return Err(Overflow { limit: self.limit });
        }
        for frame in frames {
            self.bytes += frame.len();
            self.frames.push_back(frame);
        }
        Ok(())
    }

    /// Drops what is waiting.
    fn discard(&mut self) {
        self.frames.clear();
        self.bytes = 0;
    }

    /// Whether anything is waiting to be written or flushed.
    pub(super) fn busy(&self) -> bool {
        self.unflushed || !self.frames.is_empty()
    }

    /// Writes what is waiting and flushes it; ready when all of it is out (or the socket
    /// failed). A frame leaves the queue only once the socket has taken it, so dropping this
    /// poll's future between calls loses nothing.
    pub(super) fn poll_write<S>(
        &mut self,
        socket: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WsError>>
    where
        S: Sink<Frame, Error = WsError> + Unpin,
    {
        while !self.frames.is_empty() {
            ready!(socket.poll_ready_unpin(cx))?;
            let frame = self.frames.pop_front().expect("a frame is waiting");
            self.bytes -= frame.len();
            socket.start_send_unpin(frame)?;
            self.unflushed = true;
        }
        ready!(socket.poll_flush_unpin(cx))?;
        self.unflushed = false;
        Poll::Ready(Ok(()))
    }

    /// Writes and flushes everything waiting.
    pub(super) async fn write_all<S>(&mut self, socket: &mut S) -> Result<(), WsError>
    where
        S: Sink<Frame, Error = WsError> + Unpin,
    {
        std::future::poll_fn(|cx| self.poll_write(socket, cx)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_past_its_limit_refuses_more_until_it_drains() {
        let mut outgoing = Outgoing::new(10);
        outgoing
            .queue([Frame::text("12345678"), Frame::text("9012")])
            .unwrap();
        assert!(outgoing.queue([Frame::text("x")]).is_err());
        assert!(!outgoing.busy(), "a refused queue is emptied");
        outgoing.queue([Frame::text("x")]).unwrap();
        assert!(outgoing.busy());
    }

    #[tokio::test]
    async fn what_the_client_does_not_read_stays_queued_and_counted_until_it_does() {
        use futures_util::StreamExt;
        use tokio_tungstenite::WebSocketStream;
        use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

        let (server, client) = tokio::io::duplex(1024);
        let config = WebSocketConfig::default().write_buffer_size(0);
        let mut server = WebSocketStream::from_raw_socket(server, Role::Server, Some(config)).await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let mut outgoing = Outgoing::new(1 << 20);
        let frames: Vec<_> = (0..10)
            .map(|n| Frame::text(format!("{n}").repeat(600)))
            .collect();
        outgoing.queue(frames).unwrap();
        // The pipe takes about one frame: the write stops, and the rest stays queued.
        let written = futures_util::poll!(std::future::poll_fn(
            |cx| outgoing.poll_write(&mut server, cx)
        ));
        assert!(written.is_pending());
        assert!(
            outgoing.bytes > 0 && outgoing.bytes < 6000,
            "{} bytes queued",
            outgoing.bytes
        );
        let reading = async {
            let mut got = Vec::new();
            while got.len() < 10 {
                got.push(client.next().await.unwrap().unwrap().into_text().unwrap());
            }
            got
        };
        let (got, written) = tokio::join!(reading, outgoing.write_all(&mut server));
        written.unwrap();
        let expected: Vec<String> = (0..10).map(|n| format!("{n}").repeat(600)).collect();
        assert_eq!(got, expected);
        assert!(!outgoing.busy());
    }
}
