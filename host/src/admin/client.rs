//! `gale plugins`: the admin endpoint's client, for a person at a terminal.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use super::exposition::samples;

/// `gale plugins`: fetches `GET /plugins` and `GET /metrics` from the admin endpoint at
/// `addr` and prints them for a person: each plugin's version, routes, requests answered,
/// errors (5xx) and last refusal.
pub fn print_plugins(addr: SocketAddr) -> anyhow::Result<()> {
    let status: Value = serde_json::from_str(&fetch(addr, "/plugins")?)
        .with_context(|| format!("{addr} is not a gale admin endpoint"))?;
    let counts = requests_by_plugin(&fetch(addr, "/metrics")?);
    let plugins = status["plugins"].as_array().cloned().unwrap_or_default();
    if plugins.is_empty() {
        println!("no plugin is loaded");
    }
    for plugin in plugins {
        let name = plugin["name"].as_str().unwrap_or("?");
        match plugin["serving"].as_object() {
            Some(serving) => {
                let hash = serving["hash"].as_str().unwrap_or("");
                let (requests, errors) = counts.get(name).copied().unwrap_or_default();
                println!(
                    "{name}  {}  {} since {}  ({requests} request{}, {errors} error{})",
                    crate::plugins::set::short(hash),
                    serving["origin"].as_str().unwrap_or(""),
                    serving["since"].as_str().unwrap_or(""),
                    plural(requests),
                    plural(errors)
                );
                for route in serving["routes"].as_array().into_iter().flatten() {
                    let named = match route["name"].as_str() {
                        Some(route_name) => format!("  (name {route_name:?})"),
                        None => String::new(),
                    };
                    println!("    {}{named}", route["pattern"].as_str().unwrap_or(""));
                }
            }
            None => println!("{name}  not serving"),
        }
        if let Some(error) = plugin["last_error"].as_object() {
            println!(
                "    last error ({}): {}",
                error["at"].as_str().unwrap_or(""),
                error["message"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Requests answered and errors (5xx) by plugin, summed from `gale_http_requests_total`.
fn requests_by_plugin(exposition: &str) -> HashMap<String, (u64, u64)> {
    let mut counts: HashMap<String, (u64, u64)> = HashMap::new();
    for sample in samples(exposition) {
        if sample.name != "gale_http_requests_total" {
            continue;
        }
        let Some(plugin) = sample.label("plugin").filter(|plugin| !plugin.is_empty()) else {
            continue;
        };
        let entry = counts.entry(plugin.to_owned()).or_default();
        entry.0 += sample.value as u64;
        if sample.is_server_error() {
            entry.1 += sample.value as u64;
        }
    }
    counts
}

/// `GET path` over HTTP/1.0: one request, read to the end; the body of a 200.
pub(super) fn fetch(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    let unreachable = || {
        format!("cannot reach the admin endpoint at {addr}: is gale serving with --admin {addr}?")
    };
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(unreachable)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").with_context(unreachable)?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .with_context(unreachable)?;
    let response = String::from_utf8_lossy(&response);
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        bail!("{addr} did not answer HTTP");
    };
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!("{addr} answered {}", head.lines().next().unwrap_or(""));
    }
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::requests_by_plugin;

    #[test]
    fn requests_and_errors_are_summed_per_plugin_from_the_exposition() {
        let exposition = r#"# TYPE gale_http_requests counter
gale_http_requests_total{plugin="a",route="/x\\d\"}",method="GET",code="200"} 7
gale_http_requests_total{plugin="a",route="/y",method="POST",code="503"} 2
gale_http_requests_total{plugin="b",route="/",method="GET",code="404"} 1
gale_http_requests_total{plugin="",route="",method="GET",code="404"} 9
"#;
        let counts = requests_by_plugin(exposition);
        assert_eq!(counts["a"], (9, 2));
        assert_eq!(counts["b"], (1, 0));
        assert_eq!(counts.len(), 2);
    }
}
