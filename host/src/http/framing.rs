//! Watches the bytes of a connection as hyper reads them, to tell the service what hyper's
//! request type cannot: whether a head carried both `Content-Length` and
//! `Transfer-Encoding`. hyper reads such a request by `Transfer-Encoding` and drops the
//! length without a trace; a proxy in front may have read it by the length, so the two
//! disagree on where the next request starts (request smuggling). RFC 9112 section 6.1
//! lets a server refuse it, and Tornado does: so does gale, with 400.
//!
//! The watch follows the framing of each request (a head, then a body of its length or in
//! chunks) to find the next head. Where it cannot follow (a head hyper refuses too, an
//! upgrade), it stops watching that connection; hyper closes such connections anyway.

use std::collections::VecDeque;

/// Marks a request whose head carried both `Content-Length` and `Transfer-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmbiguousLength;

/// Where the watch is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before or inside a head; bytes `[..searched]` of the partial head hold no blank line.
    Head { searched: usize },
    /// Inside a body of known length: bytes left.
    Body(u64),
    /// Reading a chunk-size line.
    ChunkSize,
    /// Inside a chunk's data: bytes left, then its CRLF.
    ChunkData(u64),
    /// Reading trailer lines, up to the blank one.
    Trailers,
    /// Not following this connection any more.
    Lost,
}

/// The framing of one connection's requests, and a verdict per head seen, in order.
#[derive(Debug)]
pub struct Framing {
    state: State,
    /// A head or line that has not ended yet.
    partial: Vec<u8>,
    /// Whether each head seen (not yet taken) carried both lengths.
    verdicts: VecDeque<bool>,
    /// Past this many bytes of one head, hyper answers 431: stop watching.
    max_head: usize,
}

impl Framing {
    /// A watch for heads of at most `max_head` bytes.
    pub fn new(max_head: usize) -> Self {
        Self {
            state: State::Head { searched: 0 },
            partial: Vec::new(),
            verdicts: VecDeque::new(),
            max_head,
        }
    }

    /// The verdict of the next head hyper hands the service: `Some(AmbiguousLength)` when
    /// it carried both lengths.
    pub fn take(&mut self) -> Option<AmbiguousLength> {
        self.verdicts
            .pop_front()
            .and_then(|ambiguous| ambiguous.then_some(AmbiguousLength))
    }

    /// Follows `bytes`, the next ones read from the connection.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            bytes = match self.state {
                State::Lost => return,
                State::Head { searched } => self.head(bytes, searched),
                State::Body(left) => {
                    let taken = left.min(bytes.len() as u64);
                    self.state = match left - taken {
                        0 => State::Head { searched: 0 },
                        left => State::Body(left),
                    };
                    &bytes[taken as usize..]
                }
                State::ChunkData(left) => {
                    let taken = left.min(bytes.len() as u64);
                    self.state = State::ChunkData(left - taken);
                    if left - taken == 0 {
                        // The data's CRLF is read as an empty chunk-size line.
                        self.state = State::ChunkSize;
                        self.partial.push(b'-');
                    }
                    &bytes[taken as usize..]
                }
                State::ChunkSize | State::Trailers => self.line(bytes),
            };
        }
    }

    /// Gathers a head; at its blank line, judges it and follows its body.
    fn head<'a>(&mut self, bytes: &'a [u8], searched: usize) -> &'a [u8] {
        // A whole head in one read is judged in place; only a split one is copied.
        let (head, copied): (&[u8], bool) = if self.partial.is_empty() {
            (bytes, false)
        } else {
            self.partial.extend_from_slice(bytes);
            (&self.partial, true)
        };
        let Some(end) = blank_line_end(head, searched) else {
            if !copied {
                self.partial.extend_from_slice(bytes);
            }
            self.state = match self.partial.len() > self.max_head {
                true => State::Lost,
                false => State::Head {
                    searched: self.partial.len(),
                },
            };
            return &[];
        };
        let judged = judge(&head[..end]);
        let consumed_of_bytes = end - (head.len() - bytes.len());
        self.partial.clear();
        self.state = match judged {
            Some(Judged::Blank) => State::Head { searched: 0 },
            Some(Judged::Request { ambiguous, body }) => {
                self.verdicts.push_back(ambiguous);
                body
            }
            None => State::Lost,
        };
        &bytes[consumed_of_bytes..]
    }

    /// Gathers a chunk-size or trailer line, then moves on.
    fn line<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        let Some(newline) = bytes.iter().position(|&b| b == b'\n') else {
            self.partial.extend_from_slice(bytes);
            if self.partial.len() > self.max_head {
                self.state = State::Lost;
            }
            return &[];
        };
        self.partial.extend_from_slice(&bytes[..newline]);
        let line = std::mem::take(&mut self.partial);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        self.state = match self.state {
            State::Trailers if line.is_empty() => State::Head { searched: 0 },
            State::Trailers => State::Trailers,
            // The CRLF that ends a chunk's data (marked `-` when the data ended).
            _ if line == b"-" => State::ChunkSize,
            _ => match chunk_size(line) {
                Some(0) => State::Trailers,
                Some(size) => State::ChunkData(size),
                None => State::Lost,
            },
        };
        &bytes[newline + 1..]
    }
}

/// What a complete head says.
enum Judged {
    /// Only blank lines, which a server ignores before a request line.
    Blank,
    /// A request: whether it carried both lengths, and how its body is framed.
    Request { ambiguous: bool, body: State },
}

/// The end of the first blank line in `head` at or after `from` (minus the 3 bytes a
/// line end spanning reads may have left unseen): the byte after `\n\n` or `\n\r\n`.
fn blank_line_end(head: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let mut at = start;
    while let Some(offset) = head[at..].iter().position(|&b| b == b'\n') {
        let newline = at + offset;
        match &head[newline + 1..] {
            [b'\n', ..] => return Some(newline + 2),
            [b'\r', b'\n', ..] => return Some(newline + 3),
            _ => at = newline + 1,
        }
    }
    None
}

/// Reads a head as hyper does: its lengths, and the body they frame. `None` when hyper
/// would refuse it or upgrade the connection (the watch stops there).
fn judge(head: &[u8]) -> Option<Judged> {
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Some(Judged::Blank);
    }
    let mut few = [httparse::EMPTY_HEADER; 64];
    // Every header line takes at least 3 bytes (`a:\n`).
    let mut many;
    let headers = match httparse::Request::new(&mut few).parse(head) {
        Err(httparse::Error::TooManyHeaders) => {
            many = vec![httparse::EMPTY_HEADER; head.len() / 3 + 1];
            many.as_mut_slice()
        }
        _ => &mut few[..],
    };
    let mut request = httparse::Request::new(headers);
    let httparse::Status::Complete(_) = request.parse(head).ok()? else {
        return None;
    };
    if request.method == Some("CONNECT") {
        return None;
    }
    let (mut length, mut chunked, mut encoded) = (None, false, false);
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).ok()?;
            length = Some(text.trim().parse::<u64>().ok()?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            encoded = true;
            let last = header.value.rsplit(|&b| b == b',').next().unwrap_or(b"");
            chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        } else if header.name.eq_ignore_ascii_case("upgrade") {
            return None;
        }
    }
    let body = match (encoded, length) {
        (true, _) if chunked => State::ChunkSize,
        (true, _) => return None,
        (false, Some(0) | None) => State::Head { searched: 0 },
        (false, Some(length)) => State::Body(length),
    };
    Some(Judged::Request {
        ambiguous: encoded && length.is_some(),
        body,
    })
}

/// A chunk-size line's size: hex digits, before any `;` extension.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.split(|&b| b == b';').next()?.trim_ascii();
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdicts of `stream` fed in pieces of `piece` bytes.
    fn verdicts(stream: &[u8], piece: usize) -> Vec<bool> {
        let mut framing = Framing::new(1 << 16);
        for chunk in stream.chunks(piece) {
            framing.feed(chunk);
        }
        framing.verdicts.into_iter().collect()
    }

    const PIPELINE: &[u8] = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nGET /\
        POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;ext=1\r\nGET /\r\n0\r\nTrailer: t\r\n\r\n\
        \r\nPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n\
        GET /d HTTP/1.1\nHost: x\n\n";

    #[test]
    fn each_head_of_a_pipeline_is_found_past_bodies_of_either_framing() {
        for piece in [1, 2, 3, 7, PIPELINE.len()] {
            assert_eq!(
                verdicts(PIPELINE, piece),
                [false, false, true, false],
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn a_head_with_both_lengths_is_ambiguous_in_either_order() {
        let first = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(verdicts(first, 64), [true]);
        let mut framing = Framing::new(1 << 16);
        framing.feed(first);
        assert_eq!(framing.take(), Some(AmbiguousLength));
        assert_eq!(framing.take(), None);
    }

    #[test]
    fn what_hyper_refuses_or_upgrades_stops_the_watch() {
        let refused = b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        assert!(verdicts(refused, 64).is_empty());
        let upgrade = b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        assert!(verdicts(upgrade, 64).is_empty());
        let endless = vec![b'a'; 1 << 17];
        let mut framing = Framing::new(1 << 16);
        framing.feed(&endless);
        assert_eq!(framing.state, State::Lost);
    }
}
