//! `gale top`: the per-route table of the admin page in a terminal, from two scrapes of
//! `/metrics` a second apart: requests a second, p50 and p99 (interpolated in the
//! histogram's buckets, as Prometheus' `histogram_quantile`) and the share of 5xx.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::client::fetch;
use super::exposition::samples;

/// A route's counts at one scrape.
#[derive(Default, Clone)]
struct Counts {
    requests: f64,
    errors: f64,
    /// Cumulative observations by upper bound, `+Inf` last.
    buckets: BTreeMap<Bound, f64>,
}

/// A bucket's upper bound, ordered (`+Inf` is `f64::INFINITY`).
#[derive(Clone, Copy, PartialEq)]
struct Bound(f64);

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Routes by (plugin, pattern).
type Scrape = BTreeMap<(String, String), Counts>;

/// Prints the table every second, `count` times (forever without it), clearing the screen
/// first when stdout is a terminal.
pub fn print_top(addr: SocketAddr, count: Option<u64>) -> anyhow::Result<()> {
    let mut before = (Instant::now(), scrape(addr)?);
    let mut printed = 0;
    while count.is_none_or(|count| printed < count) {
        std::thread::sleep(Duration::from_secs(1));
        let now = (Instant::now(), scrape(addr)?);
        let seconds = now.0.duration_since(before.0).as_secs_f64();
        let mut out = std::io::stdout().lock();
        if out.is_terminal() {
            write!(out, "\x1b[2J\x1b[H")?;
        }
        writeln!(out, "{}", table(&before.1, &now.1, seconds))?;
        out.flush()?;
        before = now;
        printed += 1;
    }
    Ok(())
}

fn scrape(addr: SocketAddr) -> anyhow::Result<Scrape> {
    let mut routes = Scrape::new();
    for sample in samples(&fetch(addr, "/metrics")?) {
        let key = || {
            let label = |name| sample.label(name).unwrap_or("").to_owned();
            (label("plugin"), label("route"))
        };
        match sample.name.as_str() {
            "gale_http_requests_total" => {
                let counts = routes.entry(key()).or_default();
                counts.requests += sample.value;
                if sample.is_server_error() {
                    counts.errors += sample.value;
                }
            }
            "gale_http_request_duration_seconds_bucket" => {
                let bound = match sample.label("le") {
                    Some("+Inf") => f64::INFINITY,
                    Some(le) => le.parse().unwrap_or(f64::NAN),
                    None => continue,
                };
                let buckets = &mut routes.entry(key()).or_default().buckets;
                *buckets.entry(Bound(bound)).or_default() += sample.value;
            }
            _ => {}
        }
    }
    Ok(routes)
}

/// The table of what changed from `before` to `now`, `seconds` apart, busiest route first.
fn table(before: &Scrape, now: &Scrape, seconds: f64) -> String {
    let empty = Counts::default();
    let mut rows: Vec<_> = now
        .iter()
        .map(|(route, counts)| {
            let earlier = before.get(route).unwrap_or(&empty);
            let requests = counts.requests - earlier.requests;
            let errors = counts.errors - earlier.errors;
            let quantile = |q| quantile(q, &earlier.buckets, &counts.buckets);
            (
                route,
                requests / seconds,
                quantile(0.5),
                quantile(0.99),
                errors / requests,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut text = format!(
        "{:<12} {:<32} {:>9} {:>10} {:>10} {:>7}\n",
        "PLUGIN", "ROUTE", "REQ/S", "P50", "P99", "5XX"
    );
    for ((plugin, route), rate, p50, p99, errors) in rows {
        let plugin = if plugin.is_empty() { "(host)" } else { plugin };
        let route = if route.is_empty() {
            "(no route)"
        } else {
            route
        };
        let errors = match errors.is_nan() {
            true => "-".to_owned(),
            false => format!("{:.1}%", errors * 100.0),
        };
        text += &format!(
            "{plugin:<12} {route:<32} {rate:>9.1} {:>10} {:>10} {errors:>7}\n",
            latency(p50),
            latency(p99)
        );
    }
    text
}

fn latency(seconds: Option<f64>) -> String {
    match seconds {
        Some(seconds) if seconds < 1.0 => format!("{:.2}ms", seconds * 1000.0),
        Some(seconds) => format!("{seconds:.2}s"),
        None => "-".into(),
    }
}

/// The `q` quantile of the observations between two scrapes' cumulative buckets,
/// interpolated linearly within its bucket; `None` without observations.
fn quantile(q: f64, before: &BTreeMap<Bound, f64>, now: &BTreeMap<Bound, f64>) -> Option<f64> {
    let delta = |bound: &Bound| now[bound] - before.get(bound).copied().unwrap_or(0.0);
    let total = now.keys().next_back().map(delta)?;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for bound in now.keys() {
        let count = delta(bound);
        if count >= rank {
            if bound.0.is_infinite() {
                return Some(lower);
            }
            let share = if count > below {
                (rank - below) / (count - below)
            } else {
                0.0
            };
            return Some(lower + (bound.0 - lower) * share);
        }
        (lower, below) = (bound.0, count);
    }
    Some(lower)
}

#[cfg(test)]
mod tests {
    use super::{Bound, quantile};
    use std::collections::BTreeMap;

    fn buckets(counts: &[(f64, f64)]) -> BTreeMap<Bound, f64> {
        counts.iter().map(|&(le, n)| (Bound(le), n)).collect()
    }

    #[test]
    fn quantiles_interpolate_within_the_bucket_of_the_observations_between_scrapes() {
        let before = buckets(&[(0.001, 10.0), (0.01, 10.0), (f64::INFINITY, 10.0)]);
        // 100 more: 50 at most 1 ms, 50 between 1 and 10 ms.
        let now = buckets(&[(0.001, 60.0), (0.01, 110.0), (f64::INFINITY, 110.0)]);
        assert_eq!(quantile(0.5, &before, &now), Some(0.001));
        let p99 = quantile(0.99, &before, &now).unwrap();
        assert!((p99 - (0.001 + 0.009 * 49.0 / 50.0)).abs() < 1e-12, "{p99}");
        assert_eq!(quantile(0.5, &now, &now), None);
    }
}
