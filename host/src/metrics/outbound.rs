//! What handlers' waiting costs and brings: outbound requests by plugin, origin and status
//! (599 when no response arrived), their durations, and the requests waiting now.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// A fetch's plugin, origin and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    plugin: Arc<str>,
    /// Bounded by the operator's allowances: a denied origin is never fetched.
    origin: String,
    code: u16,
}

/// A fetch's plugin and origin.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OriginLabels {
    plugin: Arc<str>,
    origin: String,
}

/// Fetch durations' bounds, in seconds: a fetch waits on another server.
const FETCH_BOUNDS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 20.0,
];

/// The outbound families.
pub(super) struct OutboundMetrics {
    requests: Family<FetchLabels, Counter>,
    durations: Family<OriginLabels, Histogram>,
    /// Requests whose handler waits (on a fetch, a timer) with no turn running.
    pub(super) waiting: Gauge,
}

impl OutboundMetrics {
    /// Registers them in `registry`.
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::default();
        let histogram = || Histogram::new(FETCH_BOUNDS);
        let durations = Family::new_with_constructor(histogram as fn() -> Histogram);
        let waiting = Gauge::default();
        registry.register(
            "gale_outbound_requests",
            "Fetches handlers made, by plugin, origin and status (599: no response)",
            requests.clone(),
        );
        registry.register_with_unit(
            "gale_outbound_request_duration",
            "Time from a fetch's start to its end, by plugin and origin",
            Unit::Seconds,
            durations.clone(),
        );
        registry.register(
            "gale_handlers_waiting",
            "Requests whose handler waits on a fetch or a timer, running nothing",
            waiting.clone(),
        );
        Self {
            requests,
            durations,
            waiting,
        }
    }

    /// Counts a fetch.
    pub(super) fn fetched(&self, plugin: &Arc<str>, origin: &str, code: u16, took: Duration) {
        let (plugin, origin) = (plugin.clone(), origin.to_owned());
        let labels = OriginLabels { plugin, origin };
        self.durations
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        let OriginLabels { plugin, origin } = labels;
        self.requests
            .get_or_create(&FetchLabels {
                plugin,
                origin,
                code,
            })
            .inc();
    }
}
