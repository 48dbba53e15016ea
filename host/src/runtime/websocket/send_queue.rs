//! What a WebSocket has yet to send, bounded in bytes: a client that stops reading fills
//! the kernel's buffer, then this queue, then is closed with 1008 (a slow consumer), so one
//! connection never holds more than `--websocket-send-buffer` and a frame.

use std::collections::VecDeque;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_util::{Sink, SinkExt};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Frame};

/// The largest frame a message goes out in; a larger one is sent in fragments. tungstenite
/// formats each frame into a write buffer that keeps its largest size for the connection's
/// life: one 60 KiB message to 10,000 subscribers would otherwise hold 600 MiB from then on.
pub(super) const FRAGMENT: usize = 16 << 10;

/// The frames queued for the client, oldest first, and their bytes.
pub(super) struct SendQueue {
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

impl SendQueue {
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
            self.bytes += size(&frame);
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
            let front = self.frames.pop_front().expect("a frame is waiting");
            self.bytes -= size(&front);
            let (frame, rest) = fragment(front);
            if let Some(rest) = rest {
                self.bytes += size(&rest);
                self.frames.push_front(rest);
            }
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

/// A frame's bytes, as the queue counts them: its payload, and at least what its place in
/// the queue takes (an empty frame is not free).
fn size(frame: &Frame) -> usize {
    match frame {
        Frame::Frame(raw) => raw
            .payload()
            .len()
            .max(crate::runtime::imports::FRAME_OVERHEAD),
        other => crate::runtime::imports::queued_size(other),
    }
}

/// The first frame `message` goes out in and, when it is larger than [`FRAGMENT`], what is
/// left of it (a continuation, final when the message's last frame was).
fn fragment(message: Frame) -> (Frame, Option<Frame>) {
    let (payload, opcode, last): (Bytes, _, _) = match message {
        Frame::Text(text) if text.len() > FRAGMENT => (text.into(), OpCode::Data(Data::Text), true),
        Frame::Binary(bytes) if bytes.len() > FRAGMENT => (bytes, OpCode::Data(Data::Binary), true),
        Frame::Frame(raw) if raw.payload().len() > FRAGMENT => {
            let (opcode, last) = (raw.header().opcode, raw.header().is_final);
            (raw.into_payload(), opcode, last)
        }
        whole => return (whole, None),
    };
    let first = RawFrame::message(payload.slice(..FRAGMENT), opcode, false);
    let rest = RawFrame::message(
        payload.slice(FRAGMENT..),
        OpCode::Data(Data::Continue),
        last,
    );
    (Frame::Frame(first), Some(Frame::Frame(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_past_its_limit_refuses_more_until_it_drains() {
        let mut send_queue = SendQueue::new(10);
        send_queue
            .queue([Frame::text("12345678"), Frame::text("9012")])
            .unwrap();
        assert!(send_queue.queue([Frame::text("x")]).is_err());
        assert!(!send_queue.busy(), "a refused queue is emptied");
        send_queue.queue([Frame::text("x")]).unwrap();
        assert!(send_queue.busy());
    }

    #[tokio::test]
    async fn a_large_message_goes_out_in_fragments_and_arrives_whole() {
        use futures_util::StreamExt;
        use tokio_tungstenite::WebSocketStream;
        use tokio_tungstenite::tungstenite::protocol::Role;

        let (server, client) = tokio::io::duplex(1 << 20);
        let mut server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let large = "x".repeat(3 * FRAGMENT + 5);
        let mut send_queue = SendQueue::new(1 << 20);
        send_queue
            .queue([Frame::text(large.clone()), Frame::text("after")])
            .unwrap();
        let (first, rest) = fragment(Frame::text(large.clone()));
        assert_eq!(size(&first), FRAGMENT);
        assert_eq!(rest.as_ref().map(size), Some(2 * FRAGMENT + 5));
        send_queue.write_all(&mut server).await.unwrap();
        assert_eq!(send_queue.bytes, 0);
        assert_eq!(client.next().await.unwrap().unwrap(), Frame::text(large));
        assert_eq!(client.next().await.unwrap().unwrap(), Frame::text("after"));
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
        let mut send_queue = SendQueue::new(1 << 20);
        let frames: Vec<_> = (0..10)
            .map(|n| Frame::text(format!("{n}").repeat(600)))
            .collect();
        send_queue.queue(frames).unwrap();
        // The pipe takes about one frame: the write stops, and the rest stays queued.
        let written = futures_util::poll!(std::future::poll_fn(
            |cx| send_queue.poll_write(&mut server, cx)
        ));
        assert!(written.is_pending());
        assert!(
            send_queue.bytes > 0 && send_queue.bytes < 6000,
            "{} bytes queued",
            send_queue.bytes
        );
        let reading = async {
            let mut got = Vec::new();
            while got.len() < 10 {
                got.push(client.next().await.unwrap().unwrap().into_text().unwrap());
            }
            got
        };
        let (got, written) = tokio::join!(reading, send_queue.write_all(&mut server));
        written.unwrap();
        let expected: Vec<String> = (0..10).map(|n| format!("{n}").repeat(600)).collect();
        assert_eq!(got, expected);
        assert!(!send_queue.busy());
    }
}
