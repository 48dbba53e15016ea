//! A real Prometheus (Debian's package) scrapes gale's admin endpoint, and PromQL through
//! its HTTP API returns exactly the requests, traps and swaps the test made.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Server, get, installed};
use crate::swap::{ORIGINAL, REPLACED, probe_as};

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// A Prometheus of the test's own, scraping one target every second; stopped when dropped.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Prometheus {
    /// Prometheus scraping `target`, or `None` (SKIPPED) when it is not installed; with
    /// `GALE_REQUIRE_PROMETHEUS` set (as .ci/run does), its absence fails the test.
    fn scraping(target: SocketAddr) -> Option<Prometheus> {
        let tests = "the Prometheus test";
        if !installed(PROMETHEUS, "GALE_REQUIRE_PROMETHEUS", tests, "prometheus") {
            return None;
        }
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gale\n    \
                 scrape_interval: 1s\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                data.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting prometheus");
        let prometheus = Prometheus {
            child,
            addr,
            _data: data,
        };
        prometheus.wait_until("Prometheus is ready", || {
            std::net::TcpStream::connect(addr).is_ok() && get(addr, "/-/ready").status == 200
        });
        Some(prometheus)
    }

    /// The value of the instant query `promql`: its one sample, or 0 when it has none.
    fn query(&self, promql: &str) -> f64 {
        let encoded =
            percent_encoding::utf8_percent_encode(promql, percent_encoding::NON_ALPHANUMERIC);
        let answer = get(self.addr, &format!("/api/v1/query?query={encoded}")).json();
        assert_eq!(answer["status"], "success", "{promql}: {answer}");
        let result = answer["data"]["result"].as_array().unwrap();
        match result.as_slice() {
            [] => 0.0,
            [sample] => sample["value"][1].as_str().unwrap().parse().unwrap(),
            _ => panic!("{promql} has more than one sample: {answer}"),
        }
    }

    /// Polls `condition` for up to 30 s (a scrape a second, and start-up).
    fn wait_until(&self, what: &str, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_exactly_the_requests_traps_and_swaps_made() {
    let flags = ["--admin", "127.0.0.1:0", "--handler-timeout", "1s"];
    let server = Server::start(&[], &[("app.wasm", probe_as(ORIGINAL))], &flags, &[]);
    let Some(prometheus) = Prometheus::scraping(server.admin_addr()) else {
        return;
    };
    for _ in 0..5 {
        assert_eq!(get(server.addr, "/version").text(), ORIGINAL);
    }
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/missing").status, 404);
    }
    assert_eq!(get(server.addr, "/panic").status, 500);
    assert_eq!(get(server.addr, "/spin").status, 503);
    crate::support::deploy(server.plugin_dir(), "app.wasm", &probe_as(REPLACED));
    server.wait_for_log("swapped app");
    for _ in 0..2 {
        assert_eq!(get(server.addr, "/version").text(), REPLACED);
    }
    let version = r#"sum(gale_http_requests_total{route="/version",code="200"})"#;
    prometheus.wait_until("Prometheus has scraped the last request", || {
        prometheus.query(version) == 7.0
    });
    let expected = [
        (
            r#"sum(gale_http_requests_total{plugin="",code="404"})"#,
            3.0,
        ),
        (
            r#"sum(gale_http_requests_total{route="/panic",code="500"})"#,
            1.0,
        ),
        (
            r#"sum(gale_http_requests_total{route="/spin",code="503"})"#,
            1.0,
        ),
        (r#"sum(gale_http_requests_total)"#, 12.0),
        (
            r#"sum(gale_handler_traps_total{plugin="app",kind="panic"})"#,
            1.0,
        ),
        (
            r#"sum(gale_handler_traps_total{plugin="app",kind="timeout"})"#,
            1.0,
        ),
        (r#"sum(gale_handler_traps_total)"#, 2.0),
        (
            r#"sum(gale_plugin_loads_total{plugin="app",outcome="loaded"})"#,
            1.0,
        ),
        (
            r#"sum(gale_plugin_loads_total{plugin="app",outcome="swapped"})"#,
            1.0,
        ),
        (
            r#"sum(gale_http_request_duration_seconds_count{route="/version"})"#,
            7.0,
        ),
        (r#"count(gale_plugin_info{plugin="app"})"#, 1.0),
        (r#"gale_http_requests_in_flight"#, 0.0),
        (r#"gale_database_up"#, 1.0),
    ];
    for (promql, count) in expected {
        assert_eq!(prometheus.query(promql), count, "{promql}");
    }
    // The version in force is the one swapped in, as the log named it.
    let swapped = server.wait_for_log("swapped app");
    let new_version = swapped
        .split(" -> ")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    let info = format!(r#"gale_plugin_info{{plugin="app",version="{new_version}"}}"#);
    assert_eq!(prometheus.query(&info), 1.0, "{info}");
}
