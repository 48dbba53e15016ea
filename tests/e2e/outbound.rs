//! Waiting on the world, seen from the host: the gateway examples, who a plugin may call
//! (deny by default, private addresses refused after resolution and at every redirect),
//! HTTPS and HTTP/2 with a private CA, and a waiting handler's limits, costs and endings
//! (its wall time, its client leaving, a swap, a shutdown). The hostile plugin's `/waits/*`
//! routes make the attacks.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::{
    Connection, Nginx, Server, TestCa, Tornado, deploy, get, patched, plugin, python_plugin,
    report, send, wait_until,
};

/// The hostile plugin's answer to fetching `url`.
fn fetch(server: &Server, url: &str) -> serde_json::Value {
    let path = format!("/waits/fetch?url={}", percent(url));
    get(server.addr, &path).json()
}

/// `text` with the characters a query value may not carry escaped.
fn percent(text: &str) -> String {
    text.replace('%', "%25")
        .replace('&', "%26")
        .replace('?', "%3F")
        .replace('=', "%3D")
}

/// The hostile plugin, allowed `origins`, with `flags` besides.
fn hostile(origins: &str, flags: &[&str]) -> Server {
    let allowed = format!("hostile={origins}");
    let mut all = vec!["--allow-outbound", allowed.as_str()];
    all.extend(flags);
    Server::with(&["hostile"], &all)
}

#[test]
fn the_gateway_fetches_the_tutorials_pages_at_once_in_rust_and_in_python() {
    let expected = serde_json::json!({
        "/": {"code": 200, "body": "hello world"},
        "/time/2026/12/4": {"code": 200, "body": "2026-12-4"},
        "/greet?name=gateway": {"code": 200, "body": "hello gateway"},
    });
    // The gateway fetches the host its client named.
    let combined = |addr: SocketAddr| {
        let request = format!("GET /gateway HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        send(addr, &request).json()
    };
    let rust = Server::with(
        &["tutorial", "gateway"],
        &["--allow-outbound", "gateway=self"],
    );
    assert_eq!(combined(rust.addr), expected);
    let (Some(tutorial), Some(gateway)) = (python_plugin("tutorial"), python_plugin("gateway"))
    else {
        return;
    };
    let python = Server::start(
        &[tutorial, gateway],
        &[],
        &["--allow-outbound", "gateway=self"],
        &[],
    );
    assert_eq!(combined(python.addr), expected);
}

#[test]
fn a_rust_handler_sees_tornados_client_errors_and_timeouts() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let server = hostile(&upstream.url(), &[]);
    let cases = get(server.addr, &format!("/waits/cases?u={}", upstream.url())).json();
    let expected = serde_json::json!({
        "raised": [404, "HTTP 404: Not Found", 10],
        "kept": 503,
        "timed_out": [599, true, "Timeout during request"],
        "with_timeout": "Timeout",
    });
    assert_eq!(cases, expected);
}

#[test]
fn a_fetch_of_an_origin_not_allowed_fails_at_once_naming_the_flag_to_add() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let server = Server::with(
        &["gateway", "hostile"],
        &["--allow-outbound", "gateway=self"],
    );
    let url = format!("{}/echo", upstream.url());
    for _ in 0..3 {
        let answer = fetch(&server, &url);
        assert_eq!(answer["code"], 599, "{answer}");
        let flag = format!("--allow-outbound hostile={}", upstream.url());
        assert!(
            answer["error"].as_str().unwrap().contains(&flag),
            "{answer}"
        );
    }
    // One warning per plugin and origin a minute, however many fetches.
    server.wait_for_log("a fetch was denied");
    assert_eq!(server.log().matches("a fetch was denied").count(), 1);
    // Another plugin's allowance is not this one's.
    let own = format!("/waits/fetch?url=http://{}/", server.addr);
    assert_eq!(get(server.addr, &own).json()["code"], 599);
}

#[test]
fn names_that_resolve_to_private_or_metadata_addresses_are_refused_at_every_hop() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let port = upstream.addr.port();
    let origins = format!(
        "http://evil.test:{port},http://metadata.test,{}",
        upstream.url()
    );
    let resolve = "evil.test=127.0.0.1,metadata.test=169.254.169.254";
    let server = hostile(&origins, &["--outbound-resolve", resolve]);
    let refused = |url: &str, why: &str| {
        let answer = fetch(&server, url);
        assert_eq!(answer["code"], 599, "{url}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{url}: {error}");
    };
    // An allowed name is not a way to loopback or the cloud's metadata service...
    refused(
        &format!("http://evil.test:{port}/echo"),
        "127.0.0.1, which is not a public address",
    );
    refused(
        "http://metadata.test/latest/",
        "169.254.169.254, which is not a public address",
    );
    // ...nor is the address itself, unless allowed, nor a redirect to either.
    refused(
        "http://169.254.169.254/latest/",
        "is not allowed for plugin hostile",
    );
    let via = |to: &str| format!("{}/redirect?to={to}", upstream.url());
    refused(
        &via(&format!("http://evil.test:{port}/echo")),
        "not a public address",
    );
    refused(
        &via("http://10.0.0.1/"),
        "http://10.0.0.1:80 is not allowed",
    );
    // The address an origin names itself is reachable.
    let named = fetch(&server, &format!("{}/echo", upstream.url()));
    assert_eq!(named["code"], 200, "{named}");
}

#[test]
fn ten_thousand_fetches_are_refused_past_ten_at_once_and_fifty_in_all() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let server = hostile(&upstream.url(), &[]);
    let path = format!("/waits/many?n=10000&url={}/page/1", upstream.url());
    let answer = get(server.addr, &path).json();
    assert_eq!(
        (answer["started"].as_u64(), answer["answered"].as_u64()),
        (Some(50), Some(50))
    );
    let refusals = answer["refusals"].as_array().unwrap();
    assert!(
        refusals[0]
            .as_str()
            .unwrap()
            .contains("at most 10 fetches at once (--max-fetches-at-once)")
    );
    assert!(
        refusals[1]
            .as_str()
            .unwrap()
            .contains("at most 50 fetches (--max-fetches)")
    );
}

#[test]
fn a_hundred_thousand_timers_are_refused_past_the_limit_at_no_cost_to_the_host() {
    let server = Server::with(&["hostile"], &[]);
    let before = server.rss_kib();
    let answer = get(server.addr, "/waits/timers?n=100000").json();
    assert_eq!(answer["accepted"], 1000, "{answer}");
    assert_eq!(answer["refused"], 99_000, "{answer}");
    assert!(
        answer["why"]
            .as_str()
            .unwrap()
            .contains("at most 1000 timers at once (--max-timers)")
    );
    let grown = server.rss_kib().saturating_sub(before);
    report(&format!("100,000 timers tried: RSS +{} KiB", grown));
    assert!(grown < 16 << 10, "the host grew {grown} KiB");
}

#[test]
fn an_upstream_body_without_end_is_an_error_at_the_limit_and_holds_no_more() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let server = hostile(&upstream.url(), &["--max-response-buffer", "4MiB"]);
    let before = server.rss_kib();
    let answer = fetch(&server, &format!("{}/forever", upstream.url()));
    assert_eq!(answer["code"], 599, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("over the 4194304 bytes"),
        "{answer}"
    );
    let grown = server.peak_rss_kib().saturating_sub(before);
    report(&format!(
        "an endless upstream body, 4 MiB limit: peak RSS +{grown} KiB"
    ));
    assert!(grown < 32 << 10, "the host grew {grown} KiB");
}

#[test]
fn https_with_a_private_ca_speaks_http2_and_without_the_ca_is_refused() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let ca = TestCa::new();
    let Some(nginx) = Nginx::tls_in_front_of(&ca, upstream.addr) else {
        return;
    };
    let origin = format!("https://127.0.0.1:{}", nginx.addr.port());
    let ca_file = ca.cert.display().to_string();
    let trusting = hostile(&origin, &["--outbound-ca", &ca_file]);
    let protocol = fetch(&trusting, &format!("{origin}/protocol"));
    assert_eq!(
        (protocol["code"].as_u64(), protocol["body"].as_str()),
        (Some(200), Some("HTTP/2.0"))
    );
    let echoed = fetch(&trusting, &format!("{origin}/echo"));
    assert_eq!(echoed["code"], 200, "{echoed}");
    let untrusting = hostile(&origin, &[]);
    let refused = fetch(&untrusting, &format!("{origin}/protocol"));
    assert_eq!(refused["code"], 599, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("TLS"),
        "{refused}"
    );
}

#[test]
fn a_handler_waiting_past_its_wall_time_is_cancelled_and_answered_503() {
    let server = Server::with(
        &["hostile"],
        &["--handler-wall-timeout", "1s", "--handler-timeout", "1s"],
    );
    let answer = get(server.addr, "/waits/sleep?s=30");
    assert_eq!(answer.status, 503);
    server.wait_for_log("handler waited past its wall time of 1s (--handler-wall-timeout)");
}

/// Process CPU time (user and system) of `server` so far, in clock ticks.
fn cpu_ticks(server: &Server) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.pid())).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn the_loop_serves_everyone_while_two_hundred_handlers_wait_and_the_waiters_cost_no_cpu() {
    let server = Server::with(&["hello", "hostile"], &["--admin", "127.0.0.1:0"]);
    let admin = server.admin_addr();
    let addr = server.addr;
    let waiters: Vec<_> = (0..200)
        .map(|_| std::thread::spawn(move || get(addr, "/waits/sleep?s=3").text()))
        .collect();
    let waiting = || {
        let metrics = get(admin, "/metrics").text();
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("gale_handlers_waiting "))
            .map(str::to_owned)
    };
    wait_until("200 handlers wait", || waiting().as_deref() == Some("200"));
    let ticks = cpu_ticks(&server);
    assert_eq!(get(addr, "/hello/world").text(), "Hello, world");
    std::thread::sleep(Duration::from_secs(1));
    let spent = cpu_ticks(&server) - ticks;
    report(&format!(
        "200 handlers waiting for a second: {spent} CPU ticks (of 100 a second)"
    ));
    assert!(spent < 30, "waiting handlers spent {spent} ticks");
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap(), "slept waits-version:original");
    }
}

#[test]
fn a_client_that_leaves_a_waiting_rust_handler_runs_its_on_connection_close() {
    let server = Server::with(&["hostile"], &[]);
    let mut connection = Connection::open(server.addr);
    connection.write("GET /waits/sleep?s=30 HTTP/1.1\r\nHost: x\r\n\r\n");
    std::thread::sleep(Duration::from_millis(300));
    drop(connection);
    server.wait_for_log("on_connection_close: /waits/sleep?s=30 left");
}

#[test]
fn a_handler_waiting_on_the_old_version_finishes_on_it_and_a_shutdown_waits_for_it() {
    const ORIGINAL: &str = "waits-version:original";
    let original = std::fs::read(plugin("hostile")).unwrap();
    let mut server = Server::start(&[], &[("hostile.wasm", original.clone())], &[], &[]);
    let addr = server.addr;
    let slow = std::thread::spawn(move || get(addr, "/waits/sleep?s=2").text());
    std::thread::sleep(Duration::from_millis(300));
    deploy(
        server.plugin_dir(),
        "hostile.wasm",
        &patched(&original, ORIGINAL, "waits-version:replaced"),
    );
    wait_until("the new version answers", || {
        get(addr, "/waits/sleep?s=0").text() == "slept waits-version:replaced"
    });
    assert_eq!(slow.join().unwrap(), format!("slept {ORIGINAL}"));
    // SIGTERM lets a waiting handler finish.
    let draining = std::thread::spawn(move || get(addr, "/waits/sleep?s=1").text());
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.terminate().success());
    assert_eq!(draining.join().unwrap(), "slept waits-version:replaced");
}

#[test]
fn fetches_are_counted_by_plugin_origin_and_code_in_the_metrics() {
    let Some(upstream) = Tornado::upstream() else {
        return;
    };
    let server = hostile(&upstream.url(), &["--admin", "127.0.0.1:0"]);
    let admin = server.admin_addr();
    fetch(&server, &format!("{}/page/1", upstream.url()));
    fetch(&server, &format!("{}/status/404", upstream.url()));
    let metrics = get(admin, "/metrics").text();
    let origin = format!("http://127.0.0.1:{}", upstream.addr.port());
    for code in [200, 404] {
        let line = format!(
            "gale_outbound_requests_total{{plugin=\"hostile\",origin=\"{origin}\",code=\"{code}\"}} 1"
        );
        assert!(metrics.contains(&line), "no {line} in\n{metrics}");
    }
    let durations = format!(
        "gale_outbound_request_duration_seconds_count{{plugin=\"hostile\",origin=\"{origin}\"}} 2"
    );
    assert!(metrics.contains(&durations), "{metrics}");
}
