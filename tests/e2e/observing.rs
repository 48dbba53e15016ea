//! Seeing what the server does: Tornado's access log (as text or JSON), and the Prometheus
//! metrics of the admin endpoint counted exactly, across workers, by route pattern.

use std::collections::HashMap;
use std::process::Command;

use crate::support::{Connection, Server, binary, get, send};

/// The log line of the request `needle` (`"200 GET /version"`), once it is written.
fn access_line(server: &Server, needle: &str) -> String {
    server.wait_for_log(needle)
}

#[test]
fn every_request_is_logged_as_tornado_logs_it_with_its_plugin_version_and_route() {
    let server = Server::with(&["probe"], &[]);
    assert_eq!(get(server.addr, "/version").status, 200);
    let line = access_line(&server, "200 GET /version (127.0.0.1) ");
    assert!(line.contains(" INFO "), "{line}");
    assert!(line.contains("gale::access"), "{line}");
    let ms = line.split("(127.0.0.1) ").nth(1).unwrap();
    let ms = ms.split("ms").next().unwrap();
    assert!(
        ms.parse::<f64>().is_ok() && ms.split('.').nth(1).unwrap().len() == 2,
        "Tornado's %.2fms: {line}"
    );
    assert!(line.contains(r#"plugin="probe""#), "{line}");
    assert!(line.contains(r#"route="/version""#), "{line}");
    let version = line.split(r#"version=""#).nth(1).unwrap();
    assert!(
        version.split('"').next().unwrap().len() == 12,
        "a short hash: {line}"
    );

    // The level follows the status, as Tornado's log_request.
    assert_eq!(get(server.addr, "/no/such/page?x=1").status, 404);
    let line = access_line(&server, "404 GET /no/such/page?x=1 (127.0.0.1)");
    assert!(line.contains(" WARN "), "{line}");
    assert_eq!(get(server.addr, "/panic").status, 500);
    let line = access_line(&server, "500 GET /panic (127.0.0.1)");
    assert!(line.contains(" ERROR "), "{line}");
    assert!(line.contains(r#"route="/panic""#), "{line}");
}

#[test]
fn behind_a_proxy_the_access_log_names_the_client_not_the_proxy() {
    let server = Server::with(&["probe"], &["--xheaders"]);
    let response = send(
        server.addr,
        "GET /version HTTP/1.1\r\nHost: x\r\nX-Real-Ip: 203.0.113.7\r\n\r\n",
    );
    assert_eq!(response.status, 200);
    access_line(&server, "200 GET /version (203.0.113.7)");
}

#[test]
fn access_log_off_silences_the_request_lines_and_nothing_else() {
    let server = Server::with(
        &["probe"],
        &["--access-log", "off", "--handler-timeout", "1s"],
    );
    assert_eq!(get(server.addr, "/version").status, 200);
    assert_eq!(get(server.addr, "/spin").status, 503);
    // The plugin's line and the host's own error still come; the request lines do not.
    server.wait_for_log("spin started");
    server.wait_for_log("handler exceeded its time limit");
    let log = server.log();
    assert!(!log.contains("GET /version"), "{log}");
    assert!(!log.contains("503 GET /spin"), "{log}");
}

#[test]
fn json_logs_are_one_object_a_line_with_the_request_fields() {
    let server = Server::with(&["probe"], &["--log-format", "json"]);
    assert_eq!(get(server.addr, "/version").status, 200);
    let line = access_line(&server, "200 GET /version (127.0.0.1)");
    let object: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(object["level"], "INFO");
    assert_eq!(object["target"], "gale::access");
    assert_eq!(object["plugin"], "probe");
    assert_eq!(object["route"], "/version");
    assert!(object["message"].as_str().unwrap().ends_with("ms"));
    for line in server.log().lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not a JSON line: {line}"));
    }
}

#[test]
fn an_unknown_log_format_is_a_clear_command_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Command::new(binary())
        .args(["serve", "--plugins"])
        .arg(dir.path())
        .args(["--log-format", "xml"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("invalid value 'xml' for '--log-format")
            && stderr.contains("[possible values: text, json]"),
        "{stderr}"
    );
}

/// The samples of an exposition by their series, exactly as printed (`name{labels}`).
pub fn samples(exposition: &str) -> HashMap<String, f64> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// `GET /metrics` from the server's admin endpoint, as samples.
fn scrape(server: &Server) -> HashMap<String, f64> {
    let response = get(server.admin_addr(), "/metrics");
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("application/openmetrics-text")),
        "{:?}",
        response.header("content-type")
    );
    assert!(response.text().ends_with("# EOF\n"));
    samples(&response.text())
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
}

#[test]
fn metrics_count_requests_by_route_pattern_and_traps_by_kind_summed_over_two_workers() {
    let flags = ["--workers", "2", "--admin", "127.0.0.1:0"];
    let server = crate::isolation::faults_server_with(&flags);
    // Each on a connection of its own, so both workers take some.
    for _ in 0..40 {
        assert_eq!(get(server.addr, "/").status, 200);
    }
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/no/such/page").status, 404);
    }
    let faults = [
        ("/loop", 503, "timeout"),
        ("/memory", 500, "memory"),
        ("/recursion", 500, "stack"),
        ("/panic", 500, "panic"),
        ("/huge-write", 500, "budget"),
    ];
    for (path, status, _) in faults {
        assert_eq!(get(server.addr, path).status, status, "{path}");
    }
    // One request with a method of its own: counted as `other`, never as a new series name.
    let mut connection = Connection::open(server.addr);
    let response = connection.send("BREW / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert!(response.status >= 400);
    let metrics = scrape(&server);
    let requests = |plugin: &str, route: &str, method: &str, code: u16| {
        let series = format!(
            r#"gale_http_requests_total{{plugin="{plugin}",route="{route}",method="{method}",code="{code}"}}"#
        );
        value(&metrics, &series)
    };
    assert_eq!(requests("tutorial", "/", "GET", 200), 40.0);
    assert_eq!(requests("", "", "GET", 404), 3.0);
    assert!(
        metrics
            .keys()
            .any(|series| series.contains(r#"method="other""#))
    );
    for (path, status, kind) in faults {
        assert_eq!(requests("faults", path, "GET", status), 1.0, "{path}");
        let traps = format!(r#"gale_handler_traps_total{{plugin="faults",kind="{kind}"}}"#);
        assert_eq!(value(&metrics, &traps), 1.0, "{path} is a {kind} trap");
    }
    let histogram =
        r#"gale_http_request_duration_seconds_count{plugin="tutorial",route="/",method="GET"}"#;
    assert_eq!(value(&metrics, histogram), 40.0);
    let timed = r#"gale_http_request_duration_seconds_bucket{le="0.5",plugin="faults",route="/loop",method="GET"}"#;
    assert_eq!(value(&metrics, timed), 0.0, "the loop ran a whole second");
    for loaded in ["faults", "tutorial"] {
        let series = format!(r#"gale_plugin_loads_total{{plugin="{loaded}",outcome="loaded"}}"#);
        assert_eq!(value(&metrics, &series), 1.0);
    }
    assert_eq!(value(&metrics, "gale_http_requests_in_flight"), 0.0);
    assert_eq!(value(&metrics, "gale_instances_in_use"), 0.0);
    assert_eq!(value(&metrics, "gale_database_up"), 1.0);
    assert!(value(&metrics, "process_resident_memory_bytes") > 1e6);
    assert!(value(&metrics, "process_open_fds") > 3.0);
    assert!(metrics.contains_key("process_cpu_seconds_total"));
    let info = metrics
        .keys()
        .find(|series| series.starts_with(r#"gale_plugin_info{plugin="tutorial",version=""#))
        .expect("gale_plugin_info for the tutorial");
    assert_eq!(value(&metrics, info), 1.0);
}

#[test]
fn the_admin_page_and_metrics_answer_only_loopback_hosts_and_the_page_runs_only_its_own_script() {
    let server = Server::with(&["tutorial"], &["--admin", "127.0.0.1:0"]);
    let admin = server.admin_addr();
    let response = send(
        admin,
        "GET /metrics HTTP/1.1\r\nHost: gale.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(response.status, 403);
    assert_eq!(get(admin, "/metric").status, 404);
    let page = get(admin, "/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-security-policy"),
        Some("default-src 'self'")
    );
    assert!(page.text().contains(r#"<script src="/page.js""#));
    assert!(get(admin, "/page.js").text().contains("histogram_quantile"));
}

#[test]
fn account_operations_and_long_connections_have_their_counts() {
    let store = crate::support::TestStore::sqlite();
    let server = store.serve(&["accounts", "probe"], &["--admin", "127.0.0.1:0"]);
    let mut visitor = crate::support::Visitor::new(&server);
    assert_eq!(
        visitor.register("metrics user", "a long password").status,
        201
    );
    assert_eq!(
        visitor.register("metrics user", "a long password").status,
        409
    );
    assert_eq!(
        visitor.login("metrics user", "the wrong password").status,
        401
    );
    assert_eq!(visitor.login("metrics user", "a long password").status, 302);
    let mut sockets: Vec<_> = (0..3)
        .map(|_| crate::websocket::greeted(server.addr))
        .collect();
    for socket in &mut sockets {
        socket.send(tungstenite::Message::text("hi")).unwrap();
        crate::websocket::text(socket);
    }
    let published = get(server.addr, "/topic/publish?topic=news&id=1&data=x");
    assert_eq!(published.status, 200);
    let metrics = scrape(&server);
    let operation = |op: &str, outcome: &str| {
        let series = format!(r#"gale_account_operations_total{{op="{op}",outcome="{outcome}"}}"#);
        value(&metrics, &series)
    };
    assert_eq!(operation("register", "ok"), 1.0);
    assert_eq!(operation("register", "taken"), 1.0);
    assert_eq!(operation("login", "bad_credentials"), 1.0);
    assert_eq!(operation("login", "ok"), 1.0);
    assert_eq!(value(&metrics, "gale_websockets_open"), 3.0);
    let published = r#"gale_topic_messages_published_total{plugin="probe"}"#;
    assert_eq!(value(&metrics, published), 1.0);
    // Every request and event that ran a handler waited (if only for nothing) for one.
    assert!(value(&metrics, "gale_instance_wait_seconds_count") >= 8.0);
    let messages = |direction: &str| {
        let series =
            format!(r#"gale_websocket_messages_total{{plugin="probe",direction="{direction}"}}"#);
        value(&metrics, &series)
    };
    assert_eq!(messages("received"), 3.0);
    // Each socket's greeting and its echo.
    assert_eq!(messages("sent"), 6.0);
    for mut socket in sockets {
        socket.close(None).unwrap();
        while socket.read().is_ok() {}
    }
    crate::support::wait_until("the WebSockets are no longer counted", || {
        value(&scrape(&server), "gale_websockets_open") == 0.0
    });
}

#[test]
fn gale_plugins_lists_each_plugins_requests_and_errors() {
    let server = Server::with(&["probe"], &["--admin", "127.0.0.1:0"]);
    for _ in 0..4 {
        assert_eq!(get(server.addr, "/version").status, 200);
    }
    assert_eq!(get(server.addr, "/panic").status, 500);
    assert_eq!(get(server.addr, "/missing").status, 404);
    let listing = Command::new(binary())
        .args(["plugins", "--admin", &server.admin_addr().to_string()])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("(5 requests, 1 error)"), "{listing}");
}

#[test]
fn a_log_reader_that_stops_reading_does_not_stall_the_server() {
    // stderr is a pipe nobody reads: its 64 KiB fill after a few hundred access lines.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::support::plugin("hello"),
        dir.path().join("hello.wasm"),
    )
    .unwrap();
    let mut child = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins"])
        .arg(dir.path())
        .env("GALE_LOG", "info")
        .env(
            "GALE_CACHE_DIR",
            crate::support::root().join("target/gale/test-cache"),
        )
        .env("GALE_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let addr: std::net::SocketAddr = first
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut connection = Connection::open(addr);
    connection.set_timeout(std::time::Duration::from_secs(5));
    for _ in 0..3_000 {
        let response = connection.send("GET /hello/world HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(response.status, 200);
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn gale_top_prints_each_routes_rate_and_latencies_from_two_scrapes() {
    let server = Server::with(&["tutorial"], &["--admin", "127.0.0.1:0"]);
    let addr = server.addr;
    let load = std::thread::spawn(move || {
        let mut connection = Connection::open(addr);
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(3) {
            let response = connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(response.status, 200);
        }
    });
    let top = Command::new(binary())
        .args([
            "top",
            "--admin",
            &server.admin_addr().to_string(),
            "-n",
            "2",
        ])
        .output()
        .unwrap();
    load.join().unwrap();
    let output = String::from_utf8_lossy(&top.stdout);
    assert!(top.status.success(), "{output}");
    let row = output
        .lines()
        .rfind(|line| line.split_whitespace().take(2).eq(["tutorial", "/"]))
        .unwrap_or_else(|| panic!("no row for the tutorial's /: {output}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert!(columns[2].parse::<f64>().unwrap() > 0.0, "{row}");
    assert!(
        columns[3].ends_with("ms") && columns[4].ends_with("ms"),
        "{row}"
    );
    assert_eq!(columns[5], "0.0%", "{row}");
}
