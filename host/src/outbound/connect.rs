//! A worker's outbound connections: opened to the addresses a name may reach (see
//! `addresses.rs`), within the connect timeout, over TLS for `https` (HTTP/2 when the server
//! offers it by ALPN), at most `--outbound-connections` at once, and kept for the next fetch
//! to the same origin while idle.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::rustls::pki_types::ServerName;
use url::Url;

use super::FetchError;
use super::addresses::{is_public, names_address};

/// What a request is sent on.
pub(super) enum Sender {
    /// One request at a time.
    Http1(http1::SendRequest<Full<Bytes>>),
    /// Any number at once.
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// An origin, as connections are kept by.
pub(super) type Key = (String, String, u16);

/// A connection waiting for its next request.
struct Idle {
    sender: Sender,
    since: Instant,
}

/// How long an idle connection is kept.
const IDLE_FOR: Duration = Duration::from_secs(30);
/// Idle connections kept per origin: as many as fetches a busy worker has in flight to one
/// service, within `--outbound-connections` (with 8, 1,000 clients each awaiting one fetch
/// opened a connection per fetch: bench/outbound.py).
const IDLE_PER_ORIGIN: usize = 256;

/// A worker's connections.
pub(super) struct Pool {
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
    permits: Arc<Semaphore>,
    tls: TlsConnector,
    /// `--outbound-resolve NAME=ADDRESS`: names answered without DNS.
    resolve: HashMap<String, IpAddr>,
}

impl Pool {
    /// A pool of at most `connections` at once, TLS by `tls`.
    pub(super) fn new(
        connections: usize,
        tls: Arc<ClientConfig>,
        resolve: HashMap<String, IpAddr>,
    ) -> Self {
        Self {
            idle: Mutex::default(),
            permits: Arc::new(Semaphore::new(connections)),
            tls: TlsConnector::from(tls),
            resolve,
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Idle>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection to `url`'s origin: an idle one, or a new one within `connect_timeout`.
    pub(super) async fn checkout(
        &self,
        url: &Url,
        connect_timeout: Duration,
    ) -> Result<(Sender, Key), FetchError> {
        let key = key_of(url)?;
        if let Some(sender) = self.take_idle(&key) {
            return Ok((sender, key));
        }
        // Boxed: a connection's making (DNS, TLS) is most of a fetch's state, and only a fetch
        // that opens a connection needs it (a fetch's task was 10 KiB with it and the
        // exchange's steps inline, 1.4 KiB boxed).
        let connecting = Box::pin(self.connect(url, &key));
        match tokio::time::timeout(connect_timeout, connecting).await {
            Ok(connected) => Ok((connected?, key)),
            Err(_) => Err(FetchError::Timeout("Timeout while connecting".into())),
        }
    }

    /// Keeps `sender` for the next request to its origin.
    pub(super) fn checkin(&self, key: Key, sender: Sender) {
        let mut idle = self.idle();
        let kept = idle.entry(key).or_default();
        if kept.len() < IDLE_PER_ORIGIN {
            kept.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    fn take_idle(&self, key: &Key) -> Option<Sender> {
        let mut idle = self.idle();
        let kept = idle.get_mut(key)?;
        while let Some(Idle { sender, since }) = kept.pop() {
            if since.elapsed() > IDLE_FOR {
                continue;
            }
            match sender {
                Sender::Http1(sender) if sender.is_ready() => return Some(Sender::Http1(sender)),
                Sender::Http2(sender) if sender.is_ready() => {
                    // Any number of requests share it: it stays for the next.
                    kept.push(Idle {
                        sender: Sender::Http2(sender.clone()),
                        since,
                    });
                    return Some(Sender::Http2(sender));
                }
                _ => continue,
            }
        }
        None
    }

    /// A new connection: resolved, checked, connected, TLS for `https`, handshaken.
    async fn connect(&self, url: &Url, (scheme, host, port): &Key) -> Result<Sender, FetchError> {
        let permit = self.permit().await;
        let stream = self.open(host, *port).await?;
        let _ = stream.set_nodelay(true);
        if scheme == "http" {
            return handshake_http1(TokioIo::new(stream), permit).await;
        }
        let name = ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        )
        .map_err(|_| FetchError::InvalidRequest(format!("{url}: not a TLS server name")))?;
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|error| FetchError::Connection(format!("TLS with {host}: {error}")))?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(tls);
        match h2 {
            true => handshake_http2(io, permit).await,
            false => handshake_http1(io, permit).await,
        }
    }

    /// A place among the worker's connections: an idle one is closed to make room when
    /// none is free.
    async fn permit(&self) -> OwnedSemaphorePermit {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return permit;
        }
        let oldest = self
            .idle()
            .values_mut()
            .filter_map(|kept| (!kept.is_empty()).then(|| kept.remove(0)))
            .next();
        drop(oldest);
        self.permits
            .clone()
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed")
    }

    /// A TCP connection to `host`: an address it names itself, or the public addresses its
    /// name resolves to (the first that answers).
    async fn open(&self, host: &str, port: u16) -> Result<TcpStream, FetchError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = match (self.resolve.get(bare), bare.parse::<IpAddr>()) {
            (Some(ip), _) => vec![SocketAddr::new(*ip, port)],
            (None, Ok(ip)) => vec![SocketAddr::new(ip, port)],
            (None, Err(_)) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|error| FetchError::Connection(format!("{host}: {error}")))?
                .collect(),
        };
        let reachable: Vec<SocketAddr> = addresses
            .iter()
            .copied()
            .filter(|address| names_address(host) || is_public(address.ip().to_canonical()))
            .collect();
        if reachable.is_empty() {
            let found = addresses.first().map(|address| address.ip().to_string());
            return Err(FetchError::ForbiddenAddress(format!(
                "{host} resolves to {}, which is not a public address: only an origin naming \
                 it (an IP literal, or localhost) reaches it",
                found.as_deref().unwrap_or("no address")
            )));
        }
        let mut last = None;
        for address in reachable {
            match TcpStream::connect(address).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last = Some(error),
            }
        }
        let error = last.expect("at least one address was tried");
        match error.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                Err(FetchError::Refused("[Errno 111] Connection refused".into()))
            }
            _ => Err(FetchError::Connection(format!("{host}:{port}: {error}"))),
        }
    }
}

/// `url`'s origin as connections are kept by.
fn key_of(url: &Url) -> Result<Key, FetchError> {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err(FetchError::InvalidRequest(format!("{url}: no host")));
    };
    Ok((url.scheme().to_owned(), host.to_ascii_lowercase(), port))
}

/// An HTTP/1.1 connection on `io`, driven on the worker's loop while `permit` is held.
async fn handshake_http1<I>(io: I, permit: OwnedSemaphorePermit) -> Result<Sender, FetchError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
{
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|error| FetchError::Connection(error.to_string()))?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
        drop(permit);
    });
    Ok(Sender::Http1(sender))
}

/// An HTTP/2 connection on `io`, as [`handshake_http1`].
async fn handshake_http2<I>(io: I, permit: OwnedSemaphorePermit) -> Result<Sender, FetchError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|error| FetchError::Connection(error.to_string()))?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
        drop(permit);
    });
    Ok(Sender::Http2(sender))
}
