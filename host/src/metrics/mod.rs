//! gale's metrics, in Prometheus' text exposition (OpenMetrics): what the admin endpoint's
//! `GET /metrics` answers, and what its page and `gale plugins` read.
//!
//! One set per process, as Prometheus scrapes a process: every worker counts into the same
//! atomics, so nothing is summed twice. Recording starts with [`enable`] (`--admin`, the
//! only way to read them); without it each point costs one branch. Labels are bounded: a
//! route is its *pattern*, a method outside HTTP's nine is `other`, a status is a number.

mod database;
mod labels;
mod outbound;
mod process;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use labels::{
    AccountLabels, DirectionLabels, LoadLabels, PluginLabels, RequestLabels, RouteMethodLabels,
    TrapLabels, method_label,
};
pub use labels::{LoadOutcome, RouteLabel, TrapKind};

/// Latency bounds, in seconds: OpenTelemetry's defaults (0.005 … 10 s), below which five
/// finer ones: a request here is answered in 0.1–0.5 ms, and with OpenTelemetry's alone
/// every one fell into the first bucket, so p50 and p99 read 2.5 and 5 ms whatever they were.
const LATENCY_BOUNDS: [f64; 19] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75,
    1.0, 2.5, 5.0, 7.5, 10.0,
];

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The metrics, when recording is on.
pub fn get() -> Option<&'static Metrics> {
    METRICS.get()
}

/// Records into the metrics, when recording is on.
pub fn record(what: impl FnOnce(&Metrics)) {
    if let Some(metrics) = get() {
        what(metrics);
    }
}

/// Turns recording on (before the first plugin loads, so its load is counted).
pub fn enable() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

/// The states read at each scrape.
#[derive(Debug, Default)]
pub struct Now {
    /// Client connections open, WebSockets and held streams included.
    pub connections_open: usize,
    /// Handler instances running a request or an event.
    pub instances_in_use: usize,
    /// Instances parked for reuse between requests.
    pub instances_idle: usize,
    /// Plugin versions in memory: in force, or still run by requests and connections.
    pub versions_held: usize,
    /// Whether the account store's last operation reached the database.
    pub database_up: bool,
    /// The plugins in force: name and version (content hash).
    pub plugins: Vec<(Arc<str>, Arc<str>)>,
    /// Connections open to each plugin's own databases, across workers.
    pub db_connections: Vec<(Arc<str>, usize)>,
}

/// Every metric gale records.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteMethodLabels, Histogram>,
    in_flight: Gauge,
    instance_wait: Histogram,
    traps: Family<TrapLabels, Counter>,
    loads: Family<LoadLabels, Counter>,
    accounts: Family<AccountLabels, Counter>,
    websockets_open: Gauge,
    websocket_messages: Family<DirectionLabels, Counter>,
    event_streams_open: Gauge,
    polls_parked: Gauge,
    published: Family<PluginLabels, Counter>,
    outbound: outbound::OutboundMetrics,
    database: database::DatabaseMetrics,
    scraped: Arc<Scraped>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BOUNDS)
}

impl Metrics {
    fn new() -> Self {
        let requests = Family::default();
        let durations = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let (in_flight, instance_wait) = (Gauge::default(), latency_histogram());
        let (traps, loads, accounts) = (Family::default(), Family::default(), Family::default());
        let (websockets_open, event_streams_open, polls_parked) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let (websocket_messages, published) = (Family::default(), Family::default());
        let mut registry = Registry::default();
        let seconds = Unit::Seconds;
        registry.register(
            "gale_http_requests",
            "Requests answered, by plugin, route pattern, method and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "gale_http_request_duration",
            "Time from a request's arrival to its response head, by plugin, route pattern and method",
            seconds.clone(),
            durations.clone(),
        );
        registry.register(
            "gale_http_requests_in_flight",
            "Requests read and not yet answered",
            in_flight.clone(),
        );
        registry.register_with_unit(
            "gale_instance_wait",
            "Time a request or an event waited for a handler instance (--max-instances)",
            seconds,
            instance_wait.clone(),
        );
        registry.register(
            "gale_handler_traps",
            "Handler instances stopped, by plugin and kind (panic, memory, stack, timeout, budget)",
            traps.clone(),
        );
        registry.register(
            "gale_plugin_loads",
            "Plugin files handled, by outcome (loaded, swapped, refused, removed)",
            loads.clone(),
        );
        registry.register(
            "gale_account_operations",
            "Account-store calls, by operation and outcome",
            accounts.clone(),
        );
        registry.register(
            "gale_websockets_open",
            "WebSocket connections open",
            websockets_open.clone(),
        );
        registry.register(
            "gale_websocket_messages",
            "WebSocket messages, by plugin and direction (received, sent)",
            websocket_messages.clone(),
        );
        registry.register(
            "gale_event_streams_open",
            "Server-sent event streams open",
            event_streams_open.clone(),
        );
        registry.register(
            "gale_long_polls_parked",
            "Long-poll requests parked on a topic, holding no instance",
            polls_parked.clone(),
        );
        registry.register(
            "gale_topic_messages_published",
            "Messages published to topics, by plugin",
            published.clone(),
        );
        let outbound = outbound::OutboundMetrics::register(&mut registry);
        let database = database::DatabaseMetrics::register(&mut registry);
        let scraped = Arc::new(Scraped(OnceLock::new()));
        registry.register_collector(Box::new(scraped.clone()));
        Self {
            registry,
            requests,
            durations,
            in_flight,
            instance_wait,
            traps,
            loads,
            accounts,
            websockets_open,
            websocket_messages,
            event_streams_open,
            polls_parked,
            published,
            outbound,
            database,
            scraped,
        }
    }

    /// Reads `now` at each scrape for what is a state rather than a count (connections
    /// open, instances, the plugins in force, the database); the first call holds.
    pub fn observe(&self, now: impl Fn() -> Now + Send + Sync + 'static) {
        let _ = self.scraped.0.set(Box::new(now));
    }

    /// The exposition, as `GET /metrics` answers it.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// One more of `what`, until the guard is dropped.
    pub fn hold(&self, what: Hold) -> Holding {
        let gauge = match what {
            Hold::Request => &self.in_flight,
            Hold::WebSocket => &self.websockets_open,
            Hold::EventStream => &self.event_streams_open,
            Hold::ParkedPoll => &self.polls_parked,
            Hold::Waiting => &self.outbound.waiting,
        };
        gauge.inc();
        Holding(gauge.clone())
    }

    /// A request answered with `code`, `elapsed` after it arrived.
    pub fn request_answered(
        &self,
        route: &RouteLabel,
        method: &hyper::Method,
        code: u16,
        elapsed: Duration,
    ) {
        let (plugin, route) = (route.plugin.clone(), route.pattern.clone());
        let method = method_label(method);
        let labels = RequestLabels {
            plugin: plugin.clone(),
            route: route.clone(),
            method,
            code,
        };
        self.requests.get_or_create(&labels).inc();
        let labels = RouteMethodLabels {
            plugin,
            route,
            method,
        };
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A request or an event waited `waited` for an instance.
    pub fn instance_waited(&self, waited: Duration) {
        self.instance_wait.observe(waited.as_secs_f64());
    }

    /// An instance of `plugin` stopped by a trap of `kind`.
    pub fn trapped(&self, plugin: &Arc<str>, kind: TrapKind) {
        let labels = TrapLabels {
            plugin: plugin.clone(),
            kind,
        };
        self.traps.get_or_create(&labels).inc();
    }

    /// A plugin file handled with `outcome`.
    pub fn plugin_loaded(&self, plugin: &str, outcome: LoadOutcome) {
        let labels = LoadLabels {
            plugin: plugin.into(),
            outcome,
        };
        self.loads.get_or_create(&labels).inc();
    }

    /// An account-store call `op` ended with `outcome`.
    pub fn account_operation(&self, op: &'static str, outcome: &'static str) {
        self.accounts
            .get_or_create(&AccountLabels { op, outcome })
            .inc();
    }

    /// A WebSocket message of `plugin` received from its client, or sent to it.
    pub fn websocket_message(&self, plugin: &Arc<str>, received: bool) {
        let direction = if received { "received" } else { "sent" };
        let labels = DirectionLabels {
            plugin: plugin.clone(),
            direction,
        };
        self.websocket_messages.get_or_create(&labels).inc();
    }

    /// A message published to a topic of `plugin`.
    pub fn published(&self, plugin: &Arc<str>) {
        let labels = PluginLabels {
            plugin: plugin.clone(),
        };
        self.published.get_or_create(&labels).inc();
    }
}

impl Metrics {
    /// Counts a handler's fetch to `origin`, answered `code` (599 without a response).
    pub fn outbound_request(&self, plugin: &Arc<str>, origin: &str, code: u16, took: Duration) {
        self.outbound.fetched(plugin, origin, code, took);
    }

    /// Counts a statement a handler ran on its plugin's `database`, ended with `outcome`.
    pub fn database_query(
        &self,
        plugin: &Arc<str>,
        database: &str,
        outcome: &'static str,
        took: Duration,
    ) {
        self.database.ran(plugin, database, outcome, took);
    }
}

/// What is counted while it lasts.
#[derive(Clone, Copy, Debug)]
pub enum Hold {
    /// A request read and not yet answered.
    Request,
    /// An open WebSocket.
    WebSocket,
    /// An open event stream.
    EventStream,
    /// A long poll parked on a topic.
    ParkedPoll,
    /// A request whose handler waits on fetches or timers.
    Waiting,
}

/// One more of `what`, when recording is on, until the guard is dropped (also when the
/// future holding it is dropped first).
pub fn hold(what: Hold) -> Option<Holding> {
    get().map(|metrics| metrics.hold(what))
}

/// Counts one while it lives.
pub struct Holding(Gauge);

impl Drop for Holding {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What is read at each scrape: the server's states (once observed), and the process's own
/// metrics.
struct Scraped(OnceLock<Box<dyn Fn() -> Now + Send + Sync>>);

impl std::fmt::Debug for Scraped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scraped")
    }
}

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = self.0.get().map(|now| now()).unwrap_or_default();
        let gauges = [
            (
                "gale_connections_open",
                "Client connections open",
                now.connections_open,
            ),
            (
                "gale_instances_in_use",
                "Handler instances running a request or an event",
                now.instances_in_use,
            ),
            (
                "gale_instances_idle",
                "Handler instances parked for reuse (--reuse-instances)",
                now.instances_idle,
            ),
            (
                "gale_plugin_versions_held",
                "Plugin versions in memory: those in force, and older ones still run by requests or connections in flight",
                now.versions_held,
            ),
            (
                "gale_database_up",
                "Whether the account store's last operation reached its database",
                usize::from(now.database_up),
            ),
        ];
        for (name, help, value) in gauges {
            process::one(
                &mut encoder,
                name,
                help,
                None,
                &ConstGauge::new(value as i64),
            )?;
        }
        let help = "The plugins in force, by name and version (content hash): always 1";
        let mut info = encoder.encode_descriptor(
            "gale_plugin_info",
            help,
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (plugin, version) in now.plugins {
            let labels = labels::InfoLabels { plugin, version };
            ConstGauge::new(1i64).encode(info.encode_family(&labels)?)?;
        }
        database::encode_connections(&mut encoder, now.db_connections)?;
        process::encode(&mut encoder)
    }
}
