//! A raw HTTP/2 client over TLS, frame by frame, for the hostile tests: it sends what a
//! well-behaved client never would (resets in a flood, endless CONTINUATION frames) and
//! shows every frame the server answers with.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// Frame types (RFC 9113 §6): `DATA`.
pub const DATA: u8 = 0;
/// `HEADERS`.
pub const HEADERS: u8 = 1;
/// `RST_STREAM`.
pub const RST_STREAM: u8 = 3;
/// `SETTINGS`.
pub const SETTINGS: u8 = 4;
/// `PING`.
pub const PING: u8 = 6;
/// `GOAWAY`.
pub const GOAWAY: u8 = 7;
/// `WINDOW_UPDATE`.
pub const WINDOW_UPDATE: u8 = 8;
/// `CONTINUATION`.
pub const CONTINUATION: u8 = 9;
/// Flags.
pub const END_STREAM: u8 = 0x1;
/// `ACK` (of `SETTINGS` and `PING`).
pub const ACK: u8 = 0x1;
/// `END_HEADERS`.
pub const END_HEADERS: u8 = 0x4;

/// One frame read.
#[derive(Debug)]
pub struct Frame {
    /// Its type.
    pub kind: u8,
    /// Its flags.
    pub flags: u8,
    /// Its stream.
    pub stream: u32,
    /// Its payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A GOAWAY's or RST_STREAM's error code.
    pub fn error_code(&self) -> u32 {
        let at = if self.kind == GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }
}

/// An HTTP/2 connection to a gale server that trusts `ca`.
pub struct H2 {
    tls: StreamOwned<ClientConnection, TcpStream>,
}

/// A TLS client trusting `ca` and offering `alpn`.
pub fn client_config(ca: &Path, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

impl H2 {
    /// Connects, completes the handshake (ALPN `h2`), sends the preface and empty settings.
    pub fn connect(addr: SocketAddr, ca: &Path) -> H2 {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        // A flood the server stops reading fails here instead of blocking the test.
        tcp.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let connection = ClientConnection::new(client_config(ca, &[b"h2"]), name).unwrap();
        let mut h2 = H2 {
            tls: StreamOwned::new(connection, tcp),
        };
        h2.tls
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .unwrap();
        h2.send(SETTINGS, 0, 0, &[]).unwrap();
        assert_eq!(
            h2.tls.conn.alpn_protocol(),
            Some(&b"h2"[..]),
            "ALPN chose h2"
        );
        h2
    }

    /// The server's certificate (DER).
    pub fn peer_certificate(&self) -> Vec<u8> {
        self.tls.conn.peer_certificates().unwrap()[0].to_vec()
    }

    /// Writes one frame.
    pub fn send(
        &mut self,
        kind: u8,
        flags: u8,
        stream: u32,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let length = (payload.len() as u32).to_be_bytes();
        let mut frame = vec![length[1], length[2], length[3], kind, flags];
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        self.tls.write_all(&frame)?;
        self.tls.flush()
    }

    /// Reads the next frame; `None` once the server has closed the connection.
    pub fn read(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        self.tls.read_exact(&mut head).ok()?;
        let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; length];
        self.tls.read_exact(&mut payload).ok()?;
        let stream = u32::from_be_bytes(head[5..9].try_into().unwrap()) & 0x7fff_ffff;
        Some(Frame {
            kind: head[3],
            flags: head[4],
            stream,
            payload,
        })
    }

    /// Reads until a frame `wanted` accepts, or the end of the connection.
    pub fn read_until(&mut self, wanted: impl Fn(&Frame) -> bool) -> Option<Frame> {
        std::iter::from_fn(|| self.read()).find(|frame| wanted(frame))
    }
}

/// An HPACK block (static table indexes, literals without indexing or Huffman) of a
/// request: `method` GET or POST, https, `path`, authority `localhost`.
pub fn request_headers(method: &str, path: &str) -> Vec<u8> {
    let method = if method == "POST" { 0x83 } else { 0x82 };
    let mut block = vec![method, 0x87];
    // `:path` (static index 4) and `:authority` (1) as literals with an indexed name.
    for (index, value) in [(0x04, path), (0x01, "localhost")] {
        block.push(index);
        block.push(value.len() as u8);
        block.extend_from_slice(value.as_bytes());
    }
    block
}
