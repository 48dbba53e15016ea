//! The admin endpoint (`--admin`, loopback only, off by default): `GET /plugins` answers the
//! plugins in force, their versions, routes and last errors as JSON (`gale plugins` reads
//! it); `GET /load` the instances alive and the connections open.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::plugins::set::PluginSet;
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

fn answer(
    request: &Request<hyper::body::Incoming>,
    set: &Mutex<PluginSet>,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let host = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|host| host.to_str().ok());
    let (status, body) = match (request.method(), request.uri().path()) {
        _ if !host.is_some_and(loopback_host) => (
            StatusCode::FORBIDDEN,
            "the admin endpoint answers only requests for a loopback Host (localhost, 127.0.0.1, [::1])\n".into(),
        ),
        (&Method::GET, "/plugins") => {
            let status = set.lock().unwrap_or_else(|p| p.into_inner()).status();
            (
                StatusCode::OK,
                serde_json::to_string_pretty(&status).unwrap_or_default(),
            )
        }
        (&Method::GET, "/load") => {
            let set = set.lock().unwrap_or_else(|p| p.into_inner());
            (
                StatusCode::OK,
                serde_json::to_string_pretty(&load(&set, shared)).unwrap_or_default(),
            )
        }
        (_, "/plugins" | "/load") => (StatusCode::METHOD_NOT_ALLOWED, "GET only\n".into()),
        _ => (
            StatusCode::NOT_FOUND,
            "the admin endpoint serves GET /plugins and GET /load\n".into(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// What the server holds now: instances running a handler, instances parked between
/// requests (`--reuse-instances`), and connections open (WebSockets and held streams
/// included).
fn load(set: &PluginSet, shared: &Shared) -> Value {
    serde_json::json!({
        "instances_in_use": shared.runtime.instances_in_use(),
        "instances_idle": set.idle_instances(),
        "connections_open": shared.open_connections.load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// `gale plugins`: fetches `GET /plugins` from the admin endpoint at `addr` and prints it for
/// a person.
pub fn print_plugins(addr: SocketAddr) -> anyhow::Result<()> {
    let status = fetch(addr)?;
    let plugins = status["plugins"].as_array().cloned().unwrap_or_default();
    if plugins.is_empty() {
        println!("no plugin is loaded");
    }
    for plugin in plugins {
        let name = plugin["name"].as_str().unwrap_or("?");
        match plugin["serving"].as_object() {
            Some(serving) => {
                let hash = serving["hash"].as_str().unwrap_or("");
                println!(
                    "{name}  {}  {} since {}",
                    crate::plugins::set::short(hash),
                    serving["origin"].as_str().unwrap_or(""),
                    serving["since"].as_str().unwrap_or("")
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

/// `GET /plugins` over HTTP/1.0: one request, read to the end.
fn fetch(addr: SocketAddr) -> anyhow::Result<Value> {
    let unreachable = || {
        format!("cannot reach the admin endpoint at {addr}: is gale serving with --admin {addr}?")
    };
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(unreachable)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET /plugins HTTP/1.0\r\nHost: {addr}\r\n\r\n").with_context(unreachable)?;
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
    serde_json::from_str(body).with_context(|| format!("{addr} is not a gale admin endpoint"))
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
