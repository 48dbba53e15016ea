//! A deliberately small HTTP/1.x client: it writes the exact bytes a test gives and parses
//! the answer by hand, so the tests see the wire as it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A connection that can carry several requests.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    /// Connects to `addr`.
    pub fn open(addr: SocketAddr) -> Connection {
        Self::with(TcpStream::connect(addr).expect("connecting to gale"))
    }

    /// Connects to `addr` from the loopback address `source` (127.0.0.0/8 is all this
    /// machine's: another address is another client).
    pub fn open_from(source: std::net::IpAddr, addr: SocketAddr) -> Connection {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        socket
            .bind(&SocketAddr::new(source, 0).into())
            .expect("binding the client's address");
        socket.connect(&addr.into()).expect("connecting to gale");
        Self::with(socket.into())
    }

    fn with(stream: TcpStream) -> Connection {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Connection {
            reader: BufReader::new(stream),
        }
    }

    /// Sends `raw` as it is and reads one response.
    pub fn send(&mut self, raw: &str) -> Response {
        self.reader
            .get_mut()
            .write_all(raw.as_bytes())
            .expect("sending the request");
        self.read_response(raw.starts_with("HEAD "))
    }

    /// Waits up to `timeout` for each read (5 s unless set).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.reader
            .get_ref()
            .set_read_timeout(Some(timeout))
            .unwrap();
    }

    /// Sends `raw` as it is (one request or several, pipelined) without reading.
    pub fn write(&mut self, raw: &str) {
        self.reader
            .get_mut()
            .write_all(raw.as_bytes())
            .expect("sending the request");
    }

    /// Reads the next response (of a request that was not HEAD).
    pub fn read(&mut self) -> Response {
        self.read_response(false)
    }

    /// What one read brings, raw (the head and the first chunks, for a streamed answer).
    pub fn read_some(&mut self) -> String {
        let read = self
            .reader
            .fill_buf()
            .expect("reading from the server")
            .to_vec();
        self.reader.consume(read.len());
        String::from_utf8_lossy(&read).into_owned()
    }

    /// Reads, raw, until what came contains `needle` (or the connection ends).
    pub fn read_until(&mut self, needle: &str) -> String {
        let mut seen = String::new();
        while !seen.contains(needle) {
            let some = self.read_some();
            if some.is_empty() {
                break;
            }
            seen.push_str(&some);
        }
        seen
    }

    /// Whether the server has closed the connection (reads end of stream).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }

    fn read_response(&mut self, head_only: bool) -> Response {
        let status_line = self.line();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default().to_owned();
        let status = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let reason = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let line = self.line();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header line");
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut response = Response {
            version,
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        if head_only || matches!(status, 100..=199 | 204 | 304) {
            return response;
        }
        if response
            .header("transfer-encoding")
            .is_some_and(|te| te.contains("chunked"))
        {
            loop {
                let size = usize::from_str_radix(self.line().trim(), 16).expect("a chunk size");
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).expect("a chunk");
                if size == 0 {
                    break;
                }
                response.body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(length) = response.header("content-length") {
            let mut body = vec![0; length.parse().expect("a content length")];
            self.reader.read_exact(&mut body).expect("the body");
            response.body = body;
        } else {
            self.reader
                .read_to_end(&mut response.body)
                .expect("the body up to close");
        }
        response
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("reading a line");
        assert!(!line.is_empty(), "the server closed the connection");
        line.trim_end_matches(['\r', '\n']).to_owned()
    }
}

/// Sends one raw request on a fresh connection.
pub fn send(addr: SocketAddr, raw: &str) -> Response {
    Connection::open(addr).send(raw)
}

/// `GET path` over HTTP/1.1 on a fresh connection.
pub fn get(addr: SocketAddr, path: &str) -> Response {
    send(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    )
}
