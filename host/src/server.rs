//! Listeners and workers. A worker is one OS thread running one tokio `current_thread`
//! loop, as Tornado's IOLoop: it accepts, parses, routes and runs handlers. `--workers N`
//! runs N of them on one port with `SO_REUSEPORT`, sharing the compiled plugins.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::config::ConnectionSettings;
use crate::http::connection::ClientStream;
use crate::http::framing::Framing;
use crate::http::request::own_head;
use crate::runtime::Services;
use crate::worker::{ConnectionPermit, Shared, Worker};

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
    let http = http_builder(&shared.connection);
    let accounts = Arc::new(shared.database.open()?);
    let outbound = Arc::new(crate::outbound::Outbound::new(shared.outbound.clone())?);
    // Connect and migrate now, so the first request need not, and an unreachable database
    // is reported at start; requests retry it until it answers.
    let warming = accounts.clone();
    tokio::task::spawn_local(async move { warming.warm_up().await });
    // Rc: the worker's state never leaves its thread, so its clones need no atomics.
    let worker = Rc::new(Worker {
        shared,
        tasks: TaskTracker::new(),
        services: Arc::new(Services { accounts, outbound }),
        stopping: shutdown.clone(),
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
        // A peer that vanishes without a word (a cable pulled, a laptop shut) is found out
        // by the kernel, not held for ever.
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive());
        let for_requests = worker.clone();
        let framing = Arc::new(Mutex::new(Framing::new(read_buffer_size(
            &worker.shared.connection,
        ))));
        let write_timeout = worker.shared.connection.write_timeout;
        let stream = ClientStream::new(stream, framing.clone(), write_timeout, remote);
        let permit = ConnectionPermit::new(permit, &worker.shared);
        let held = permit.clone();
        let service = service_fn(move |mut request| {
            // Here, before hyper reads on: see `own_head`.
            own_head(&mut request);
            // Only a request with `Upgrade` can outlive the connection's task.
            if request.headers().contains_key(hyper::header::UPGRADE) {
                request.extensions_mut().insert(held.clone());
            }
            if let Some(ambiguous) = framing.lock().ok().and_then(|mut framing| framing.take()) {
                request.extensions_mut().insert(ambiguous);
            }
            let worker = for_requests.clone();
            async move {
                Ok::<_, Infallible>(crate::intake::serve_request(&worker, request, remote).await)
            }
        });
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut stopping = shutdown.clone();
        worker.tasks.spawn_local(async move {
            let mut connection = std::pin::pin!(connection);
            // At shutdown, hyper finishes the request in flight and closes the connection.
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = stopping.wait_for(|stop| *stop) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%remote, "connection ended: {error}");
            }
            drop(permit);
        });
    }
    drop(listener);
    let (deadline, tasks) = (worker.shared.connection.shutdown_timeout, &worker.tasks);
    tasks.close();
    let drained = tokio::time::timeout(deadline, tasks.wait()).await;
    if drained.is_err() {
        tracing::warn!("shutdown: requests still running after {deadline:?} were dropped");
    }
    Ok(())
}

/// TCP keepalive: probes after a minute of silence, then every 10 s (the kernel gives up
/// after 9 unanswered).
fn keepalive() -> socket2::TcpKeepalive {
    socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
}

/// hyper's HTTP/1 settings: keep-alive, the head's timeout, count and size limits (beyond
/// them hyper answers 431, or closes a connection whose head is late).
fn http_builder(settings: &ConnectionSettings) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_headers(settings.max_headers)
        .max_header_size(settings.max_header_size)
        .max_buf_size(read_buffer_size(settings));
    http
}

/// hyper's read buffer: it must hold a whole head, and hyper refuses one below 8 KiB.
fn read_buffer_size(settings: &ConnectionSettings) -> usize {
    settings.max_header_size.max(8192) + 8192
}
