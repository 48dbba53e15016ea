//! What plugins ask of their own databases: statements by plugin, database and outcome, and
//! their durations.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// A statement's plugin, database (a plugin names at most 16) and outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueryLabels {
    plugin: Arc<str>,
    database: String,
    outcome: &'static str,
}

/// A statement's plugin.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabels {
    plugin: Arc<str>,
}

/// Statement durations' bounds, in seconds: a point read on SQLite takes tens of microseconds.
const QUERY_BOUNDS: [f64; 12] = [
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0,
];

/// The database families.
pub(super) struct DatabaseMetrics {
    queries: Family<QueryLabels, Counter>,
    durations: Family<PluginLabels, Histogram>,
}

impl DatabaseMetrics {
    /// Registers them in `registry`.
    pub(super) fn register(registry: &mut Registry) -> Self {
        let queries = Family::default();
        let histogram = || Histogram::new(QUERY_BOUNDS);
        let durations = Family::new_with_constructor(histogram as fn() -> Histogram);
        registry.register(
            "gale_db_queries",
            "Statements plugins ran on their own databases, by plugin, database and outcome",
            queries.clone(),
        );
        registry.register_with_unit(
            "gale_db_query_duration",
            "Time a statement took, its connection's wait included, by plugin",
            Unit::Seconds,
            durations.clone(),
        );
        Self { queries, durations }
    }

    /// Counts a statement.
    pub(super) fn ran(
        &self,
        plugin: &Arc<str>,
        database: &str,
        outcome: &'static str,
        took: Duration,
    ) {
        let plugin = plugin.clone();
        self.durations
            .get_or_create(&PluginLabels {
                plugin: plugin.clone(),
            })
            .observe(took.as_secs_f64());
        let database = database.to_owned();
        let labels = QueryLabels {
            plugin,
            database,
            outcome,
        };
        self.queries.get_or_create(&labels).inc();
    }
}

/// `gale_db_connections{plugin}`: `connections` open to each plugin's databases, as read at
/// a scrape.
pub(super) fn encode_connections(
    encoder: &mut prometheus_client::encoding::DescriptorEncoder,
    connections: Vec<(Arc<str>, usize)>,
) -> Result<(), std::fmt::Error> {
    use prometheus_client::encoding::EncodeMetric;
    let help = "Connections open to each plugin's own databases, across workers";
    let mut open = encoder.encode_descriptor(
        "gale_db_connections",
        help,
        None,
        prometheus_client::metrics::MetricType::Gauge,
    )?;
    for (plugin, count) in connections {
        let gauge = prometheus_client::metrics::gauge::ConstGauge::new(count as i64);
        gauge.encode(open.encode_family(&PluginLabels { plugin })?)?;
    }
    Ok(())
}
