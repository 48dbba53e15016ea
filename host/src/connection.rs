//! One client connection, from accept to close: the TLS handshake on an HTTPS listener,
//! then hyper's HTTP/1.1, or HTTP/2 where ALPN chose it, each request handed to the
//! intake; at shutdown, the request in flight finished and the connection closed.

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{HOST, LOCATION, STRICT_TRANSPORT_SECURITY, UPGRADE};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::config::ConnectionSettings;
use crate::http::body::ResponseBody;
use crate::http::connection::ClientStream;
use crate::http::framing::Framing;
use crate::http::request::own_head;
use crate::http::response::error_response;
use crate::http::xheaders::Scheme;
use crate::worker::{ConnectionPermit, Worker};

/// HTTP/2 streams a client may have open at once (the RFC's recommended minimum); one
/// more is refused with `REFUSED_STREAM`.
const MAX_CONCURRENT_STREAMS: u32 = 100;

/// Streams a client may open and reset before the server has accepted them, after which
/// the connection is closed with `ENHANCE_YOUR_CALM`: the rapid-reset flood
/// (CVE-2023-44487) costs the server at most this many streams' work.
const MAX_PENDING_ACCEPT_RESETS: usize = 20;

/// How often an HTTP/2 connection is pinged, and how long the answer may take before it is
/// closed: a peer that vanished is found out as a WebSocket's is (`--websocket-ping-interval`'s
/// default).
const PING_INTERVAL: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(20);

/// What a listener serves.
#[derive(Clone)]
pub(crate) enum Serves {
    /// Plain HTTP/1.1.
    Http,
    /// Plain HTTP, every request sent on with 308 to the same URL on HTTPS at this port.
    RedirectToHttps(u16),
    /// HTTPS: HTTP/2 or HTTP/1.1 as ALPN chooses.
    Https(tokio_rustls::TlsAcceptor),
}

/// Serves one accepted connection, holding `permit`, in a task of the worker's until it
/// closes. Each way is a task of its own type, as large as that way needs: one future for
/// all made every plain HTTP/1.1 connection's task as large as HTTP/2 over TLS needs, 8.8
/// KiB, then a box inside a smaller task (`host/tests/memory.rs`).
pub(crate) fn spawn(
    worker: Rc<Worker>,
    stream: TcpStream,
    remote: SocketAddr,
    serves: &Serves,
    permit: ConnectionPermit,
) {
    let tasks = worker.tasks.clone();
    let (scheme, redirect) = match serves {
        Serves::Http => (Scheme::Http, None),
        Serves::RedirectToHttps(port) => (Scheme::Http, Some(*port)),
        Serves::Https(acceptor) => {
            tasks.spawn_local(https(worker, stream, remote, acceptor.clone(), permit));
            return;
        }
    };
    tasks.spawn_local(http1(worker, stream, remote, scheme, redirect, permit));
}

/// A TLS handshake, then HTTP/2 or HTTP/1.1 as ALPN chose; each boxed, as only one of the
/// three is ever alive.
async fn https(
    worker: Rc<Worker>,
    stream: TcpStream,
    remote: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    permit: ConnectionPermit,
) {
    // A client that stalls mid-handshake holds a connection as a slow head does: the same
    // limit closes both.
    let limit = worker.shared.connection.header_timeout;
    let handshake = tokio::time::timeout(limit, acceptor.accept(stream));
    let stream = match Box::pin(handshake).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return tracing::debug!(%remote, "TLS handshake failed: {error}"),
        Err(_) => {
            return tracing::debug!(%remote, "closed: no TLS handshake within --header-timeout");
        }
    };
    match stream.get_ref().1.alpn_protocol() {
        Some(b"h2") => Box::pin(http2(worker, stream, remote, permit)).await,
        _ => Box::pin(http1(worker, stream, remote, Scheme::Https, None, permit)).await,
    }
}

/// HTTP/1.1 on `stream`; with `redirect`, every request is sent on to HTTPS at that port.
async fn http1<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    worker: Rc<Worker>,
    stream: S,
    remote: SocketAddr,
    scheme: Scheme,
    redirect: Option<u16>,
    permit: ConnectionPermit,
) {
    let settings = &worker.shared.connection;
    let framing = Arc::new(Mutex::new(Framing::new(read_buffer_size(settings))));
    let stream = ClientStream::new(
        stream,
        Some(framing.clone()),
        settings.write_timeout,
        remote,
    );
    let requests = Requests {
        worker: worker.clone(),
        remote,
        scheme,
        framing: Some(framing),
        held: Some(permit.clone()),
        activity: Rc::default(),
    };
    // Boxed per request: hyper keeps a place for the service's future for the connection's
    // whole life, and inline it was 2 KiB on every idle connection (`host/tests/memory.rs`).
    let service = service_fn(move |request| {
        let requests = requests.clone();
        Box::pin(async move {
            Ok::<_, Infallible>(match redirect {
                Some(port) => to_https(&request, port),
                None => requests.answer(request).await,
            })
        })
    });
    let connection = http1_builder(settings)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    drive(&worker, connection, |c| c.graceful_shutdown(), remote, None).await;
    drop(permit);
}

/// HTTP/2 on a TLS stream whose ALPN chose it.
async fn http2<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    worker: Rc<Worker>,
    stream: S,
    remote: SocketAddr,
    permit: ConnectionPermit,
) {
    let settings = &worker.shared.connection;
    let stream = ClientStream::new(stream, None, settings.write_timeout, remote);
    let activity = Rc::new(Activity::default());
    let requests = Requests {
        worker: worker.clone(),
        remote,
        scheme: Scheme::Https,
        framing: None,
        held: None,
        activity: activity.clone(),
    };
    let service = service_fn(move |request| {
        let requests = requests.clone();
        async move { Ok::<_, Infallible>(requests.answer(request).await) }
    });
    let connection = http2_builder(settings).serve_connection(TokioIo::new(stream), service);
    let idle = Some((activity, settings.header_timeout));
    drive(&worker, connection, |c| c.graceful_shutdown(), remote, idle).await;
    drop(permit);
}

/// Runs `connection` to its end; at shutdown, or (HTTP/2) once it has been idle for the
/// limit, `graceful` lets the requests in flight finish and closes it.
async fn drive<C: Future<Output = hyper::Result<()>>>(
    worker: &Worker,
    connection: C,
    graceful: impl Fn(Pin<&mut C>),
    remote: SocketAddr,
    idle: Option<(Rc<Activity>, Duration)>,
) {
    let mut connection = std::pin::pin!(connection);
    let mut stopping = worker.stopping.clone();
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        _ = stopping.wait_for(|stop| *stop) => {
            graceful(connection.as_mut());
            connection.await
        }
        () = idle_for(idle.as_ref()) => {
            tracing::debug!(%remote, "closing an HTTP/2 connection idle for --header-timeout");
            graceful(connection.as_mut());
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%remote, "connection ended: {error}");
    }
}

/// Returns once the connection has had no request in flight for `limit`; never without a
/// watch. hyper closes an idle HTTP/1.1 connection itself (`header_read_timeout`); an idle
/// HTTP/2 one it would keep for ever, answering the client's pings.
async fn idle_for(watch: Option<&(Rc<Activity>, Duration)>) {
    let Some((activity, limit)) = watch else {
        return std::future::pending().await;
    };
    loop {
        let quiet_since = activity.last.get();
        tokio::time::sleep_until(quiet_since + *limit).await;
        if activity.in_flight.get() == 0 && activity.last.get() == quiet_since {
            return;
        }
        if activity.in_flight.get() > 0 {
            // Looked at again a limit from now, or sooner once the request ends.
            activity.last.set(Instant::now());
        }
    }
}

/// An HTTP/2 connection's requests in flight and when the last one began or ended.
struct Activity {
    in_flight: Cell<usize>,
    last: Cell<Instant>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            in_flight: Cell::new(0),
            last: Cell::new(Instant::now()),
        }
    }
}

/// One request counted in its connection's [`Activity`] while it lives.
struct InFlight(Rc<Activity>);

impl InFlight {
    fn new(activity: &Rc<Activity>) -> Self {
        activity.in_flight.set(activity.in_flight.get() + 1);
        activity.last.set(Instant::now());
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.set(self.0.in_flight.get() - 1);
        self.0.last.set(Instant::now());
    }
}

/// What each request of one connection is served with.
#[derive(Clone)]
struct Requests {
    worker: Rc<Worker>,
    remote: SocketAddr,
    scheme: Scheme,
    framing: Option<Arc<Mutex<Framing>>>,
    /// The connection's permit, for a request that upgrades (HTTP/1.1 only).
    held: Option<ConnectionPermit>,
    activity: Rc<Activity>,
}

impl Requests {
    /// Hands `request` to the intake, with what its connection knows of it.
    async fn answer(self, mut request: hyper::Request<Incoming>) -> hyper::Response<ResponseBody> {
        let _in_flight = InFlight::new(&self.activity);
        // Here, before hyper reads on: see `own_head`.
        own_head(&mut request);
        // Only a request with `Upgrade` can outlive the connection's task.
        if let Some(held) = &self.held
            && request.headers().contains_key(UPGRADE)
        {
            request.extensions_mut().insert(held.clone());
        }
        let ambiguous = self
            .framing
            .as_ref()
            .and_then(|framing| framing.lock().ok()?.take());
        if let Some(ambiguous) = ambiguous {
            request.extensions_mut().insert(ambiguous);
        }
        let worker = &self.worker;
        let mut response =
            crate::intake::serve_request(worker, request, self.remote, self.scheme).await;
        if let (Scheme::Https, Some(hsts)) = (self.scheme, &worker.shared.connection.hsts) {
            let headers = response.headers_mut();
            headers
                .entry(STRICT_TRANSPORT_SECURITY)
                .or_insert(hsts.clone());
        }
        response
    }
}

/// `--redirect-http`: 308 to the same host and path on HTTPS at `port` (the method and body
/// kept, unlike 301); 400 without a `Host`.
fn to_https(request: &hyper::Request<Incoming>, port: u16) -> hyper::Response<ResponseBody> {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|host| host.to_str().ok());
    let Some(host) = host.and_then(host_name) else {
        return error_response(400, request.method());
    };
    let port = match port {
        443 => String::new(),
        port => format!(":{port}"),
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str());
    let mut response = hyper::Response::new(ResponseBody::new(bytes::Bytes::new()));
    *response.status_mut() = hyper::StatusCode::PERMANENT_REDIRECT;
    match format!("https://{host}{port}{path}").parse() {
        Ok(location) => response.headers_mut().insert(LOCATION, location),
        Err(_) => return error_response(400, request.method()),
    };
    response
}

/// The name in a `Host` value, without its port (`[::1]` kept bracketed); `None` if it is
/// not a plain host name or address.
fn host_name(host: &str) -> Option<&str> {
    let name = match host.strip_prefix('[') {
        Some(rest) => &host[..rest.find(']')? + 2],
        None => host.split(':').next()?,
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "-.:[]".contains(c);
    (!name.is_empty() && name.chars().all(plain)).then_some(name)
}

/// hyper's HTTP/1 settings: keep-alive, the head's timeout, count and size limits (beyond
/// them hyper answers 431, or closes a connection whose head is late).
fn http1_builder(settings: &ConnectionSettings) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_headers(settings.max_headers)
        .max_header_size(settings.max_header_size)
        .max_buf_size(read_buffer_size(settings));
    http
}

/// hyper's HTTP/2 settings: the limits of streams, resets and headers that keep a hostile
/// client's cost bounded, and pings that find a vanished one.
fn http2_builder(settings: &ConnectionSettings) -> http2::Builder<LocalExec> {
    let mut http = http2::Builder::new(LocalExec);
    http.timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_pending_accept_reset_streams(MAX_PENDING_ACCEPT_RESETS)
        .max_header_list_size(u32::try_from(settings.max_header_size).unwrap_or(u32::MAX))
        .keep_alive_interval(PING_INTERVAL)
        .keep_alive_timeout(PING_TIMEOUT);
    http
}

/// hyper's read buffer: it must hold a whole head, and hyper refuses one below 8 KiB.
fn read_buffer_size(settings: &ConnectionSettings) -> usize {
    settings.max_header_size.max(8192) + 8192
}

/// Runs HTTP/2's stream tasks on the worker's own loop: they hold the worker's `Rc`s.
#[derive(Clone, Copy)]
struct LocalExec;

impl<F: Future + 'static> hyper::rt::Executor<F> for LocalExec {
    fn execute(&self, future: F) {
        tokio::task::spawn_local(future);
    }
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn a_host_loses_its_port_and_nothing_else() {
        assert_eq!(host_name("example.com:8080"), Some("example.com"));
        assert_eq!(host_name("[::1]:8080"), Some("[::1]"));
        assert_eq!(host_name("127.0.0.1"), Some("127.0.0.1"));
        assert_eq!(host_name("evil.com/x"), None);
        assert_eq!(host_name("a b"), None);
        assert_eq!(host_name(""), None);
    }
}
