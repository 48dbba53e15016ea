//! Listeners and workers. A worker is one OS thread running one tokio `current_thread`
//! loop, as Tornado's IOLoop: it accepts, parses, routes and runs handlers. `--workers N`
//! runs N of them on each address with `SO_REUSEPORT`, sharing the compiled plugins.

use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use crate::config::ServeOptions;
use crate::connection::{self, Serves};
use crate::databases::Databases;
use crate::http::xheaders::Scheme;
use crate::runtime::Services;
use crate::tls::Certificates;
use crate::worker::{ConnectionPermit, Shared, Worker};

/// Every address the server listens on, bound, with a socket on each for every worker.
pub(crate) struct Listening {
    /// Each worker's sockets and what they serve.
    pub(crate) per_worker: Vec<Vec<Endpoint>>,
    bound: Vec<(SocketAddr, Scheme)>,
}

impl Listening {
    /// Binds each `--listen` address `--workers` times; an HTTPS one serves `certificates`.
    pub(crate) fn bind(
        options: &ServeOptions,
        certificates: Option<&Arc<Certificates>>,
    ) -> anyhow::Result<Self> {
        let tls = certificates.map(Certificates::server_config).transpose()?;
        let mut sockets = Vec::new();
        let mut bound = Vec::new();
        for (addr, scheme) in options.tls.endpoints(&options.listen)? {
            let listeners = bind(addr, options.workers)?;
            bound.push((listeners[0].local_addr()?, scheme));
            sockets.push(listeners);
        }
        let https_port = bound.iter().find(|(_, s)| *s == Scheme::Https);
        let https_port = https_port.map(|(addr, _)| addr.port());
        let mut per_worker: Vec<Vec<Endpoint>> = Vec::new();
        for (listeners, (_, scheme)) in sockets.into_iter().zip(&bound) {
            let serves = match (scheme, &tls, https_port) {
                (Scheme::Https, Some(tls), _) => Serves::Https(tls.clone().into()),
                (Scheme::Http, _, Some(port)) if options.tls.redirect_http => {
                    Serves::RedirectToHttps(port)
                }
                _ => Serves::Http,
            };
            for (worker, listener) in listeners.into_iter().enumerate() {
                if per_worker.len() <= worker {
                    per_worker.push(Vec::new());
                }
                let serves = serves.clone();
                per_worker[worker].push(Endpoint { listener, serves });
            }
        }
        Ok(Self { per_worker, bound })
    }

    /// The first address bound that serves `scheme`.
    pub(crate) fn first(&self, scheme: Scheme) -> Option<SocketAddr> {
        let mut addrs = self.bound.iter().filter(|(_, s)| *s == scheme);
        addrs.next().map(|(addr, _)| *addr)
    }

    /// The addresses as URLs, `https://127.0.0.1:8443, http://127.0.0.1:8080`.
    pub(crate) fn shown(&self) -> String {
        let urls: Vec<_> = self
            .bound
            .iter()
            .map(|(addr, scheme)| format!("{}://{addr}", scheme.as_str()))
            .collect();
        urls.join(", ")
    }
}

/// Binds `count` listening sockets to `addr` (the first picks the port when it is 0).
fn bind(addr: SocketAddr, count: u16) -> anyhow::Result<Vec<std::net::TcpListener>> {
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

/// A worker's socket on one address, and what it serves there.
pub(crate) struct Endpoint {
    pub(crate) listener: std::net::TcpListener,
    pub(crate) serves: Serves,
}

/// Runs one worker on its `endpoints` until `shutdown` turns true, then finishes the
/// requests in flight (up to the shutdown timeout) and returns.
pub(crate) fn run_worker(
    shared: Arc<Shared>,
    endpoints: Vec<Endpoint>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve_loop(shared, endpoints, shutdown))
}

async fn serve_loop(
    shared: Arc<Shared>,
    endpoints: Vec<Endpoint>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let accounts = Arc::new(shared.database.open()?);
    let outbound = Arc::new(crate::outbound::Outbound::new(shared.outbound.clone())?);
    let databases = Arc::new(Databases::new(shared.databases.clone()));
    shared.workers_databases.add(&databases);
    // Connect and migrate now, so the first request need not, and an unreachable database
    // is reported at start; requests retry it until it answers.
    let warming = accounts.clone();
    tokio::task::spawn_local(async move { warming.warm_up().await });
    // Rc: the worker's state never leaves its thread, so its clones need no atomics.
    let worker = Rc::new(Worker {
        shared,
        tasks: TaskTracker::new(),
        services: Arc::new(Services {
            accounts,
            outbound,
            databases,
        }),
        stopping: shutdown,
    });
    let mut accepting = Vec::new();
    for endpoint in endpoints {
        let listener = TcpListener::from_std(endpoint.listener)?;
        let loop_ = accept_loop(worker.clone(), listener, endpoint.serves);
        accepting.push(tokio::task::spawn_local(loop_));
    }
    for accept in accepting {
        accept.await?;
    }
    let (deadline, tasks) = (worker.shared.connection.shutdown_timeout, &worker.tasks);
    tasks.close();
    let drained = tokio::time::timeout(deadline, tasks.wait()).await;
    if drained.is_err() {
        tracing::warn!("shutdown: requests still running after {deadline:?} were dropped");
    }
    Ok(())
}

/// Accepts on `listener` until the worker stops, serving each connection in a task of its
/// own.
async fn accept_loop(worker: Rc<Worker>, listener: TcpListener, serves: Serves) {
    let mut shutdown = worker.stopping.clone();
    loop {
        // Beyond --max-connections, wait for a connection to close before accepting.
        let permit = tokio::select! {
            permit = worker.shared.connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = shutdown.wait_for(|stop| *stop) => return,
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
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let _ = stream.set_nodelay(true);
        // A peer that vanishes without a word (a cable pulled, a laptop shut) is found out
        // by the kernel, not held for ever.
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive());
        let permit = ConnectionPermit::new(permit, &worker.shared);
        connection::spawn(worker.clone(), stream, remote, &serves, permit);
    }
}

/// TCP keepalive: probes after a minute of silence, then every 10 s (the kernel gives up
/// after 9 unanswered).
fn keepalive() -> socket2::TcpKeepalive {
    socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
}
