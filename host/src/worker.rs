//! A worker's state: what every worker shares (the runtime, the route table in force, the
//! settings), and what each has of its own (its tasks, its account-store pool). The server
//! builds it; the intake serves requests with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_util::task::TaskTracker;

use crate::accounts::Database;
use crate::config::{ConnectionSettings, IntakeSettings};
use crate::http::site::Site;
use crate::outbound::OutboundSettings;
use crate::plugins::registry::Registry;
use crate::runtime::{Runtime, Services};

/// What every worker shares.
pub struct Shared {
    /// The engine and linker.
    pub runtime: Arc<Runtime>,
    /// The route table in force.
    pub registry: Arc<Registry>,
    /// What a request's intake runs under.
    pub intake: IntakeSettings,
    /// What each connection runs under.
    pub connection: ConnectionSettings,
    /// One permit per open connection, across workers (`--max-connections`).
    pub connections: Arc<Semaphore>,
    /// The connections open now, across workers (WebSockets included).
    pub open_connections: Arc<AtomicUsize>,
    /// What requests need of the settings: xheaders, cookie secret, static directory.
    pub site: Arc<Site>,
    /// The account store's database; each worker opens its own pool on it.
    pub database: Arc<Database>,
    /// What handlers' fetches run under; each worker keeps its own connections.
    pub outbound: Arc<OutboundSettings>,
    /// Where the plugins' own databases are (`--data-dir`, `--plugin-database`); each worker
    /// keeps its own pools on them.
    pub databases: Arc<crate::databases::DatabasesSettings>,
    /// Every worker's pools on them, for `gale_db_connections`.
    pub workers_databases: crate::databases::WorkersDatabases,
}

/// One worker's state: what all workers share, the tasks (connections, `on_finish`
/// calls, waiting handlers) it finishes before it stops, and what it lends its requests.
pub(crate) struct Worker {
    pub(crate) shared: Arc<Shared>,
    pub(crate) tasks: TaskTracker,
    /// Its account store, outbound HTTP and plugins' databases.
    pub(crate) services: Arc<Services>,
    /// Turns true when the worker stops.
    pub(crate) stopping: watch::Receiver<bool>,
}

/// A connection's `--max-connections` permit, handed to each of its requests: one that
/// becomes a WebSocket keeps it after hyper lets the connection go.
#[derive(Clone)]
pub(crate) struct ConnectionPermit(pub(crate) Arc<OpenConnection>);

/// What an open connection holds until it closes: its permit and its place in the count.
pub(crate) struct OpenConnection {
    _permit: OwnedSemaphorePermit,
    _counted: Counted,
}

impl ConnectionPermit {
    /// The hold of a connection just accepted with `permit`.
    pub(crate) fn new(permit: OwnedSemaphorePermit, shared: &Shared) -> Self {
        Self(Arc::new(OpenConnection {
            _permit: permit,
            _counted: Counted::new(&shared.open_connections),
        }))
    }
}

/// One open connection, counted while it lives.
pub(crate) struct Counted(Arc<AtomicUsize>);

impl Counted {
    /// Counts one more on `count`.
    pub(crate) fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Connections that must have closed since the last trim before the allocator's free memory
/// is given back: a burst's worth. After 10,000 keep-alive connections closed, glibc kept
/// 204 MiB resident that `malloc_trim` brought to 38 MiB (2026-12-04); trimming walks every
/// arena, so it is done after bursts, not after each connection.
const TRIM_AFTER_CLOSED: usize = 1000;

/// How often the count is looked at.
const TRIM_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Gives the allocator's free memory back each time a burst of connections has closed
/// (the count `open` fell [`TRIM_AFTER_CLOSED`] below its high mark since the last trim).
pub(crate) async fn trim_after_bursts(open: Arc<AtomicUsize>) {
    let mut high = 0;
    let mut checks = tokio::time::interval(TRIM_CHECK);
    loop {
        checks.tick().await;
        let now = open.load(Ordering::Relaxed);
        high = high.max(now);
        if high - now >= TRIM_AFTER_CLOSED {
            crate::plugins::cache::release_free_memory();
            high = now;
        }
    }
}
