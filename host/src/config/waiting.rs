//! The flags of what handlers wait on: who a plugin may fetch from (deny by default), the
//! outbound connections, and the limits of a waiting handler; and whether a plugin's
//! instances are fresh or shared.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::parse::{parse_duration, parse_plugin_value};
use crate::outbound::{AllowList, Origin, OutboundSettings, parse_allowance};
use crate::runtime::{InstanceMode, PendingLimits};

/// What handlers wait on, and how their instances serve.
#[derive(clap::Args, Debug, Clone)]
pub struct WaitOptions {
    /// Let a plugin fetch from these origins, as PLUGIN=ORIGIN[,ORIGIN...] (repeat the
    /// flag, or separate plugins with `;` in the variable): `https://api.example.com`,
    /// `http://127.0.0.1:8081`, `https://*.example.com`, or `self` (this server). Nothing
    /// is reachable without it, and a name reaches only public addresses unless the origin
    /// names the address itself.
    #[arg(long = "allow-outbound", env = "GALE_ALLOW_OUTBOUND", value_name = "PLUGIN=ORIGIN,...", value_delimiter = ';', value_parser = parse_allowance)]
    pub allow_outbound: Vec<(String, Vec<Origin>)>,

    /// A PEM file of CA certificates fetches trust besides the system's (a private CA).
    #[arg(long, env = "GALE_OUTBOUND_CA", value_name = "FILE")]
    pub outbound_ca: Option<PathBuf>,

    /// Answer a name without DNS, as NAME=ADDRESS (as curl's --resolve; repeat the flag, or
    /// separate with commas in the variable). The address checks still apply.
    #[arg(long = "outbound-resolve", env = "GALE_OUTBOUND_RESOLVE", value_name = "NAME=ADDRESS", value_delimiter = ',', value_parser = parse_resolve)]
    pub outbound_resolve: Vec<(String, IpAddr)>,

    /// Outbound connections each worker holds at once, idle ones included; a fetch beyond
    /// it waits for one (its connect timeout counting).
    #[arg(long, env = "GALE_OUTBOUND_CONNECTIONS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub outbound_connections: u32,

    /// How long a request's handler may take in all, waits included; past it a waiting
    /// handler is cancelled and the request is 503.
    #[arg(long, env = "GALE_HANDLER_WALL_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub handler_wall_timeout: Duration,

    /// Fetches one request's handler may make in all.
    #[arg(long, env = "GALE_MAX_FETCHES", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_fetches: u32,

    /// Fetches one request's handler may have in flight at once (Tornado's `max_clients`).
    #[arg(long, env = "GALE_MAX_FETCHES_AT_ONCE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_fetches_at_once: u32,

    /// Timers one request's handler may have waiting at once (`gen.sleep`, `call_later`).
    #[arg(long, env = "GALE_MAX_TIMERS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_timers: u32,

    /// Whether a plugin's instances are `fresh` (one per request, nothing outlives it) or
    /// `shared` (one per worker serving all its requests at once, as Tornado's interpreter),
    /// as PLUGIN=MODE, whatever the plugin asks (repeat the flag, or separate with commas
    /// in the variable). Rust plugins ask for fresh ones, Python plugins for shared ones.
    #[arg(long = "instances", env = "GALE_INSTANCES", value_name = "PLUGIN=fresh|shared", value_delimiter = ',', value_parser = parse_instances)]
    pub instances: Vec<(String, InstanceMode)>,
}

impl WaitOptions {
    /// What a handler may wait on at once.
    pub fn pending_limits(&self) -> PendingLimits {
        PendingLimits {
            fetches: self.max_fetches,
            fetches_at_once: self.max_fetches_at_once as usize,
            timers: self.max_timers as usize,
        }
    }

    /// Lets each plugin of `built` (component paths) fetch this server (`self`), as `gale
    /// dev` does so that an example that calls its own server runs without flags.
    pub fn allow_self(&mut self, built: &[std::path::PathBuf]) {
        for component in built {
            if let Some(name) = component.file_stem().and_then(|stem| stem.to_str()) {
                self.allow_outbound
                    .push((name.to_owned(), vec![Origin::This]));
            }
        }
    }

    /// What every worker's outbound HTTP runs under; a fetch's body may be as large as a
    /// response the handler may buffer.
    pub fn outbound_settings(&self, max_body: usize) -> OutboundSettings {
        OutboundSettings {
            allowed: AllowList::new(&self.allow_outbound),
            ca: self.outbound_ca.clone(),
            resolve: self
                .outbound_resolve
                .iter()
                .cloned()
                .collect::<HashMap<_, _>>(),
            connections: self.outbound_connections as usize,
            max_body,
        }
    }
}

/// Parses `NAME=ADDRESS`.
pub fn parse_resolve(text: &str) -> Result<(String, IpAddr), String> {
    parse_plugin_value(
        text,
        "NAME=ADDRESS: write e.g. api.example.com=203.0.113.7",
        |ip| {
            ip.trim()
                .parse()
                .map_err(|_| format!("{ip:?} is not an IP address"))
        },
    )
    .map(|(name, ip)| (name.to_ascii_lowercase(), ip))
}

/// Parses `PLUGIN=fresh|shared`.
pub fn parse_instances(text: &str) -> Result<(String, InstanceMode), String> {
    parse_plugin_value(
        text,
        "PLUGIN=fresh|shared: write e.g. tutorial=shared",
        |mode| match mode.trim() {
            "fresh" => Ok(InstanceMode::Fresh),
            "shared" => Ok(InstanceMode::Shared),
            other => Err(format!("{other:?} is neither fresh nor shared")),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_addresses_and_instances_are_fresh_or_shared() {
        let (name, ip) = parse_resolve("API.example.com=203.0.113.7").unwrap();
        assert_eq!(
            (name.as_str(), ip.to_string().as_str()),
            ("api.example.com", "203.0.113.7")
        );
        assert!(parse_resolve("api.example.com=nowhere").is_err());
        assert_eq!(
            parse_instances("tutorial=shared").unwrap().1,
            InstanceMode::Shared
        );
        assert_eq!(
            parse_instances("hello=fresh").unwrap().1,
            InstanceMode::Fresh
        );
        let error = parse_instances("hello=pooled").unwrap_err();
        assert!(error.contains("neither fresh nor shared"), "{error}");
    }
}
