//! Listeners and workers. A worker is one OS thread running one tokio `current_thread`
//! loop, as Tornado's IOLoop: it accepts, parses, routes and runs handlers. `--workers N`
//! runs N of them on one port with `SO_REUSEPORT`, sharing the compiled plugins.

use std::cell::RefCell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio_util::task::TaskTracker;

use crate::accounts::{AccountStore, Database};
use crate::config::ServeOptions;
use crate::http::body::ResponseBody;
use crate::http::connection::ClientStream;
use crate::http::framing::{AmbiguousLength, Framing};
use crate::http::request::{RequestData, own_head};
use crate::http::response::error_response;
use crate::http::site::Site;
use crate::http::static_files;
use crate::plugins::registry::Registry;
use crate::router::Target;
use crate::runtime::{Runtime, driver};

/// What every worker shares.
pub struct Shared {
    /// The engine and linker.
    pub runtime: Arc<Runtime>,
    /// The route table in force.
    pub registry: Arc<Registry>,
    /// The settings.
    pub options: ServeOptions,
    /// One permit per open connection, across workers (`--max-connections`).
    pub connections: Arc<Semaphore>,
    /// What requests need of the settings: xheaders, cookie secret, static directory.
    pub site: Arc<Site>,
    /// The account store's database; each worker opens its own pool on it.
    pub database: Arc<Database>,
}

/// Binds `count` listening sockets to `addr` (the first picks the port when it is 0).
pub fn bind(addr: SocketAddr, count: u16) -> anyhow::Result<Vec<std::net::TcpListener>> {
    let first = bind_one(addr, count > 1).with_context(|| format!("cannot listen on {addr}"))?;
    let addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..count {
        listeners
            .push(bind_one(addr, true).with_context(|| format!("cannot add a worker on {addr}"))?);
    }
    Ok(listeners)
}

fn bind_one(addr: SocketAddr, reuse_port: bool) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(reuse_port)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// One worker's state: what all workers share, and the tasks (connections, `on_finish`
/// calls) it finishes before it stops.
struct Worker {
    shared: Arc<Shared>,
    tasks: TaskTracker,
    accounts: Arc<AccountStore>,
}

/// Runs one worker on `listener` until `shutdown` turns true, then finishes the requests in
/// flight (up to the shutdown timeout) and returns.
pub fn run_worker(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve_loop(shared, listener, shutdown))
}

async fn serve_loop(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let graceful = GracefulShutdown::new();
    let http = http_builder(&shared.options);
    let accounts = Arc::new(shared.database.open()?);
    // Connect and migrate now, so the first request need not, and an unreachable database
    // is reported at start; requests retry it until it answers.
    let warming = accounts.clone();
    tokio::task::spawn_local(async move { warming.warm_up().await });
    // Rc: the worker's state never leaves its thread, so its clones need no atomics.
    let worker = Rc::new(Worker {
        shared,
        tasks: TaskTracker::new(),
        accounts,
    });
    loop {
        // Beyond --max-connections, wait for a connection to close before accepting.
        let permit = tokio::select! {
            permit = worker.shared.connections.clone().acquire_owned() => permit?,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let for_requests = worker.clone();
        let framing = Rc::new(RefCell::new(Framing::new(read_buffer_size(
            &worker.shared.options,
        ))));
        let write_timeout = worker.shared.options.write_timeout;
        let stream = ClientStream::new(stream, framing.clone(), write_timeout, remote);
        let service = service_fn(move |mut request| {
            // Here, before hyper reads on: see `own_head`.
            own_head(&mut request);
            if let Some(ambiguous) = framing.borrow_mut().take() {
                request.extensions_mut().insert(ambiguous);
            }
            let worker = for_requests.clone();
            async move { Ok::<_, Infallible>(serve_request(&worker, request, remote).await) }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        worker.tasks.spawn_local(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%remote, "connection ended: {error}");
            }
            drop(permit);
        });
    }
    drop(listener);
    let (deadline, tasks) = (worker.shared.options.shutdown_timeout, &worker.tasks);
    tasks.close();
    let drained = tokio::time::timeout(deadline, async {
        graceful.shutdown().await;
        tasks.wait().await;
    })
    .await;
    if drained.is_err() {
        tracing::warn!("shutdown: requests still running after {deadline:?} were dropped");
    }
    Ok(())
}

/// hyper's HTTP/1 settings: keep-alive, the head's timeout, count and size limits (beyond
/// them hyper answers 431, or closes a connection whose head is late).
fn http_builder(options: &ServeOptions) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_headers(options.max_headers as usize)
        .max_header_size(options.max_header_size)
        .max_buf_size(read_buffer_size(options));
    http
}

/// hyper's read buffer: it must hold a whole head, and hyper refuses one below 8 KiB.
fn read_buffer_size(options: &ServeOptions) -> usize {
    options.max_header_size.max(8192) + 8192
}

/// Routes one request and runs its handler; logs it as Tornado's access log does.
async fn serve_request(
    worker: &Worker,
    request: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<ResponseBody> {
    let started = Instant::now();
    let (method, uri) = (request.method().clone(), request.uri().clone());
    // Boxed for its short life: hyper keeps this future per connection, at its largest size,
    // for as long as the connection is open, and routing is the large part of it.
    let response = match Box::pin(route(worker, request, remote)).await {
        Routed::Now(response) => response,
        // Only a stopping worker drops a handler task before it answers.
        Routed::Later(response) => response
            .await
            .unwrap_or_else(|_| error_response(503, &method)),
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    match status {
        500.. => tracing::error!("{status} {method} {uri} ({}) {elapsed:.2}ms", remote.ip()),
        400..500 => tracing::warn!("{status} {method} {uri} ({}) {elapsed:.2}ms", remote.ip()),
        _ => tracing::debug!("{status} {method} {uri} ({}) {elapsed:.2}ms", remote.ip()),
    }
    response
}

/// Where a request's response comes from.
enum Routed {
    /// Answered by the host.
    Now(hyper::Response<ResponseBody>),
    /// Answered by a handler task, when it has a response.
    Later(oneshot::Receiver<hyper::Response<ResponseBody>>),
}

impl From<hyper::Response<ResponseBody>> for Routed {
    fn from(response: hyper::Response<ResponseBody>) -> Self {
        Routed::Now(response)
    }
}

async fn route(worker: &Worker, request: hyper::Request<Incoming>, remote: SocketAddr) -> Routed {
    let shared = &*worker.shared;
    let table = shared.registry.snapshot();
    let (parts, body) = request.into_parts();
    if let Err(why) = check_framing(&parts) {
        tracing::warn!("400 {} {}: {why}", parts.method, parts.uri);
        let mut response = error_response(400, &parts.method);
        // What else a proxy sent on this connection may be read differently: end it.
        let close = hyper::header::HeaderValue::from_static("close");
        response
            .headers_mut()
            .insert(hyper::header::CONNECTION, close);
        return response.into();
    }
    if let Some(files) = &shared.site.static_files
        && let Some(path) = parts.uri.path().strip_prefix(static_files::PREFIX)
    {
        // Boxed, as the static target below: reading files is large state, seldom needed.
        return Box::pin(serve_static(files, &parts, path)).await.into();
    }
    let Some((route, captures)) = table.find(parts.uri.path()) else {
        return error_response(404, &parts.method).into();
    };
    let path_args = match captures {
        Ok(path_args) => path_args,
        Err(error) => {
            tracing::warn!("400 {} {}: {error}", parts.method, parts.uri);
            return error_response(400, &parts.method).into();
        }
    };
    let target = route.target.clone();
    let (limit, timeout) = (shared.options.max_body_size, shared.options.body_timeout);
    let body = match tokio::time::timeout(timeout, read_body(body, limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(status)) => return error_response(status, &parts.method).into(),
        Err(_) => {
            tracing::warn!(
                "408: the request body did not arrive within {timeout:?} (--body-timeout)"
            );
            return error_response(408, &parts.method).into();
        }
    };
    let site = shared.site.clone();
    let mut request = RequestData::new(parts, body, remote, path_args, table, site);
    let max_arguments = usize::try_from(shared.options.max_arguments).unwrap_or(usize::MAX);
    if let Err(error) = request.parse_body(max_arguments).await {
        tracing::warn!("400 {} {}: {error}", request.method, request.uri);
        return error_response(400, &request.method).into();
    }
    match target {
        Target::Plugin { plugin, handler } => {
            let (runtime, accounts) = (&shared.runtime, &worker.accounts);
            Routed::Later(driver::start(
                runtime,
                &worker.tasks,
                &plugin,
                handler,
                request,
                accounts,
            ))
        }
        Target::Redirect(redirect) => redirect.respond(&request).into(),
        Target::Static(files) => {
            let path = request.path_args.args.first().cloned().flatten();
            let query = request.query();
            let path = path.as_deref().unwrap_or("");
            Box::pin(files.respond(&request.method, &request.headers, query, path))
                .await
                .into()
        }
    }
}

/// RFC 9112's rules for a request a proxy and gale could read differently: a request must
/// not carry both `Content-Length` and `Transfer-Encoding` (section 6.1, as Tornado), and an
/// HTTP/1.1 request must carry `Host` (section 3.2: "MUST respond with 400").
fn check_framing(parts: &hyper::http::request::Parts) -> Result<(), &'static str> {
    if parts.extensions.get::<AmbiguousLength>().is_some() {
        return Err("a request must not have both Content-Length and Transfer-Encoding (RFC 9112)");
    }
    if parts.version == hyper::Version::HTTP_11 && !parts.headers.contains_key(hyper::header::HOST)
    {
        return Err("an HTTP/1.1 request must have a Host header (RFC 9112)");
    }
    Ok(())
}

/// `--static`: the path after `/static/`, URL-unescaped, from the static directory.
async fn serve_static(
    files: &static_files::StaticFiles,
    parts: &hyper::http::request::Parts,
    path: &str,
) -> hyper::Response<ResponseBody> {
    let Ok(path) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return error_response(400, &parts.method);
    };
    let query = parts.uri.query().unwrap_or("");
    files
        .respond(&parts.method, &parts.headers, query, &path)
        .await
}

/// Reads the whole body, refusing one larger than `limit` with 413 before reading it when
/// `Content-Length` says so.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, u16> {
    if hyper::body::Body::size_hint(&body).lower() > limit as u64 {
        tracing::warn!(
            "413: the request body is larger than the {limit}-byte limit (--max-body-size)"
        );
        return Err(413);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            tracing::warn!(
                "413: the request body exceeded the {limit}-byte limit (--max-body-size)"
            );
            Err(413)
        }
        Err(error) => {
            tracing::warn!("400: the request body could not be read: {error}");
            Err(400)
        }
    }
}
