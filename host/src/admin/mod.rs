//! The admin endpoint (`--admin`, loopback only, off by default): a live page at `GET /`
//! (`page.html`, `page.js`, `page.css`), Prometheus metrics at `GET /metrics`, the plugins in
//! force with their versions, routes, last errors and history as JSON at `GET /plugins`
//! (`gale plugins` reads it), and the instances alive and connections open at `GET /load`.

mod client;
mod exposition;
mod top;

pub use client::print_plugins;
pub use top::print_top;

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::metrics::Now;
use crate::plugins::set::{PluginSet, short};
use crate::worker::Shared;

/// Connections the admin endpoint serves at once; beyond it, accepting waits.
const MAX_CONNECTIONS: usize = 16;

/// Serves the admin endpoint on `listener` until the process ends. A request head must
/// arrive within `header_timeout` (`--header-timeout`), so a client that trickles one does
/// not hold a connection.
pub async fn serve(
    listener: TcpListener,
    set: Arc<Mutex<PluginSet>>,
    shared: Arc<Shared>,
    header_timeout: Duration,
) {
    if let Some(metrics) = crate::metrics::get() {
        let (set, shared) = (set.clone(), shared.clone());
        metrics.observe(move || now(&set, &shared));
    }
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (set, shared) = (set.clone(), shared.clone());
        let service = service_fn(move |request: Request<hyper::body::Incoming>| {
            let answer = answer(&request, &set, &shared);
            async move { Ok::<_, Infallible>(answer) }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// Whether a `Host` header names this machine's loopback: `localhost` or a loopback
/// address, with any port. A page elsewhere that rebinds its own name to 127.0.0.1 still
/// sends its own name, and is refused.
fn loopback_host(host: &str) -> bool {
    if let Ok(address) = host.parse::<std::net::IpAddr>() {
        return address.is_loopback();
    }
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The page, its script and its style, served as they are (no build step, no CDN).
const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");

fn answer(
    request: &Request<hyper::body::Incoming>,
    set: &Mutex<PluginSet>,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let host = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|host| host.to_str().ok());
    let json = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        _ if !host.is_some_and(loopback_host) => (
            StatusCode::FORBIDDEN,
            TEXT,
            "the admin endpoint answers only requests for a loopback Host (localhost, 127.0.0.1, [::1])\n".into(),
        ),
        (&Method::GET, "/") => (StatusCode::OK, "text/html; charset=UTF-8", PAGE.into()),
        (&Method::GET, "/page.js") => (StatusCode::OK, "text/javascript; charset=UTF-8", SCRIPT.into()),
        (&Method::GET, "/page.css") => (StatusCode::OK, "text/css; charset=UTF-8", STYLE.into()),
        (&Method::GET, "/metrics") => match crate::metrics::get() {
            Some(metrics) => (StatusCode::OK, OPENMETRICS, metrics.encode()),
            None => (StatusCode::SERVICE_UNAVAILABLE, TEXT, "metrics are off\n".into()),
        },
        (&Method::GET, "/plugins") => {
            let status = set.lock().unwrap_or_else(|p| p.into_inner()).status();
            (StatusCode::OK, JSON, json(&status))
        }
        (&Method::GET, "/load") => {
            let now = now(set, shared);
            let load = serde_json::json!({
                "instances_in_use": now.instances_in_use,
                "instances_idle": now.instances_idle,
                "connections_open": now.connections_open,
                "plugin_versions_held": now.versions_held,
            });
            (StatusCode::OK, JSON, json(&load))
        }
        (_, "/" | "/page.js" | "/page.css" | "/metrics" | "/plugins" | "/load") => {
            (StatusCode::METHOD_NOT_ALLOWED, TEXT, "GET only\n".into())
        }
        _ => (
            StatusCode::NOT_FOUND,
            TEXT,
            "the admin endpoint serves GET /, /metrics, /plugins and /load\n".into(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    // Whatever a plugin named its routes, nothing on the page runs but the page's own script.
    headers.insert(
        hyper::header::CONTENT_SECURITY_POLICY,
        hyper::header::HeaderValue::from_static("default-src 'self'"),
    );
    headers.insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        hyper::header::HeaderValue::from_static("nosniff"),
    );
    response
}

const TEXT: &str = "text/plain; charset=UTF-8";
const JSON: &str = "application/json; charset=UTF-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the server holds now: connections open (WebSockets and held streams included),
/// instances running a handler, instances parked between requests (`--reuse-instances`),
/// the database's state and the plugins in force.
fn now(set: &Mutex<PluginSet>, shared: &Shared) -> Now {
    let set = set.lock().unwrap_or_else(|p| p.into_inner());
    Now {
        connections_open: shared.open_connections.load(Ordering::Relaxed),
        instances_in_use: shared.runtime.instances_in_use(),
        instances_idle: set.idle_instances(),
        versions_held: crate::runtime::versions_held(),
        database_up: shared.database.is_up(),
        plugins: set
            .versions()
            .into_iter()
            .map(|(name, hash)| (name, short(&hash).into()))
            .collect(),
        db_connections: shared.workers_databases.connections(),
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_loopback_hosts_reach_the_admin_endpoint() {
        for host in [
            "localhost",
            "LOCALHOST:8001",
            "127.0.0.1",
            "127.0.0.1:9",
            "[::1]:80",
            "::1",
        ] {
            assert!(loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8001",
            "10.0.0.1",
            "[::2]:80",
            "localhost.evil",
            "",
        ] {
            assert!(!loopback_host(host), "{host}");
        }
    }
}
