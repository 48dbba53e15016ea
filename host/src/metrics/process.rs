//! The process's own metrics, read from `/proc/self` at each scrape under the names every
//! Prometheus client library gives them (`process_resident_memory_bytes`, …).

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// Encodes resident memory, CPU time, open and allowed file descriptors; a value that
/// cannot be read (not Linux) is left out.
pub(super) fn encode(encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
    if let Some((cpu_seconds, resident_bytes)) = stat() {
        let help = "User and system CPU time spent";
        let cpu = ConstCounter::new(cpu_seconds);
        one(encoder, "process_cpu", help, Some(&Unit::Seconds), &cpu)?;
        let rss = ConstGauge::new(resident_bytes);
        one(
            encoder,
            "process_resident_memory",
            "Resident memory size",
            Some(&Unit::Bytes),
            &rss,
        )?;
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        let open = ConstGauge::new(entries.count() as i64);
        one(
            encoder,
            "process_open_fds",
            "Open file descriptors",
            None,
            &open,
        )?;
    }
    if let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current {
        let max = ConstGauge::new(i64::try_from(limit).unwrap_or(i64::MAX));
        let help = "The most file descriptors the process may open";
        one(encoder, "process_max_fds", help, None, &max)?;
    }
    Ok(())
}

/// Encodes `metric`, a family of one sample, under `name`.
pub(super) fn one(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, unit, metric.metric_type())?)
}

/// CPU seconds (user + system) and resident bytes, from `/proc/self/stat`.
fn stat() -> Option<(f64, i64)> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14, 15 (utime, stime) and 24 (rss), numbered from 1 with the name as 2.
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let cpu = (field(14)? + field(15)?) as f64 / ticks;
    let page = rustix::param::page_size() as u64;
    Some((cpu, i64::try_from(field(24)? * page).ok()?))
}
