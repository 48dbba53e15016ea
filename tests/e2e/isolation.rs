//! A handler cannot hurt the host, and hostile clients cannot exhaust it: every fault costs
//! only its own request, and the HTTP front closes what would tie it up.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{Connection, Server, get, send, wait_until};

/// The faults plugin beside the tutorial (whose `/` is the "is the host fine?" check), with
/// small limits so that every fault is quick to reach, and few instances so that a leaked
/// one would soon turn every request into a 503.
fn faults_server() -> Server {
    faults_server_with(&[])
}

/// [`faults_server`] with `more` flags.
pub fn faults_server_with(more: &[&str]) -> Server {
    let mut flags = vec![
        "--handler-timeout",
        "1s",
        "--handler-memory",
        "16MiB",
        "--max-response-buffer",
        "4MiB",
        "--max-instances",
        "8",
    ];
    flags.extend(more);
    Server::with(&["faults", "tutorial"], &flags)
}

/// Asks each `(route, status, times)` of `faults` that many times, checking its status and
/// that the tutorial's `/` still answers after each.
pub fn each_fault_answers(server: &Server, faults: &[(&str, u16, usize)]) {
    for &(path, status, times) in faults {
        for _ in 0..times {
            assert_eq!(get(server.addr, path).status, status, "{path}");
            assert_eq!(get(server.addr, "/").text(), "hello world", "after {path}");
        }
    }
}

#[test]
fn every_fault_answers_its_error_the_host_stays_up_and_no_instance_leaks() {
    let server = faults_server();
    // (route, status, times): the loop costs a whole time limit, so it runs fewer times.
    let faults = [
        ("/loop", 503, 10),
        ("/memory", 500, 20),
        ("/recursion", 500, 20),
        ("/panic", 500, 20),
        ("/huge-write", 500, 20),
        ("/error-trap", 500, 20),
        ("/finish-trap", 200, 20),
    ];
    each_fault_answers(&server, &faults);
    for needle in [
        "handler exceeded its time limit",
        "write_error traps on purpose",
        "on_finish trapped",
        "--max-response-buffer",
    ] {
        server.wait_for_log(needle);
    }
}

#[test]
fn a_plugin_reaches_no_file_environment_process_or_network() {
    let server = Server::with(&["faults"], &[]);
    // The server's own port: a connection would succeed if the sandbox let it out.
    let port = server.addr.port();
    assert_eq!(
        get(server.addr, &format!("/escape?port={port}")).text(),
        "file: refused\nenv: refused\nprocess: refused\nnetwork: refused\n"
    );
}

#[test]
fn plugin_output_becomes_tagged_log_lines_at_a_limited_rate() {
    let server = Server::with(&["faults"], &[]);
    assert_eq!(
        get(server.addr, "/chatter?lines=5000").text(),
        "printed 5000 lines"
    );
    let first = server.wait_for_log("stdout: chatter line 0");
    assert!(first.contains("plugin=\"faults\""), "{first}");
    std::thread::sleep(Duration::from_millis(200));
    get(server.addr, "/chatter?lines=1");
    server.wait_for_log("output lines dropped");
    let logged = server.log().matches("stdout: chatter line").count();
    assert!(logged < 1000, "{logged} of 5000 lines were logged");
}

#[test]
fn the_loop_answers_while_two_handlers_spin() {
    // Under the client's five-second patience.
    let server = Server::with(&["faults", "tutorial"], &["--handler-timeout", "3s"]);
    let addr = server.addr;
    let spinners: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || get(addr, "/loop").status))
        .collect();
    while server.log().matches("loop started").count() < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    for _ in 0..20 {
        assert_eq!(get(addr, "/").text(), "hello world");
    }
    for spinner in spinners {
        assert_eq!(spinner.join().unwrap(), 503);
    }
}

#[test]
fn slowloris_connections_are_closed_and_do_not_stop_a_normal_client() {
    let server = Server::with(&["tutorial"], &["--header-timeout", "1s"]);
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    let started = Instant::now();
    let header = b"GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut sent = 0;
    while started.elapsed() < Duration::from_millis(600) {
        for stream in &mut slow {
            let _ = stream.write_all(&header[sent % header.len()..][..1]);
        }
        sent += 1;
        assert_eq!(get(server.addr, "/").text(), "hello world");
        std::thread::sleep(Duration::from_millis(50));
    }
    for stream in &mut slow {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        let closed = match stream.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "a slow connection was left open");
    }
    assert_eq!(get(server.addr, "/").text(), "hello world");
}

#[test]
fn beyond_max_connections_accepting_pauses_until_one_closes() {
    let server = Server::with(&["tutorial"], &["--max-connections", "4"]);
    let request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut held: Vec<Connection> = (0..4).map(|_| Connection::open(server.addr)).collect();
    for connection in &mut held {
        assert_eq!(connection.send(request).status, 200);
    }
    let addr = server.addr;
    let waiting = std::thread::spawn(move || get(addr, "/").text());
    std::thread::sleep(Duration::from_millis(500));
    assert!(!waiting.is_finished(), "a fifth connection was served");
    for connection in &mut held {
        assert_eq!(connection.send(request).status, 200, "held ones are served");
    }
    held.pop();
    assert_eq!(waiting.join().unwrap(), "hello world");
}

#[test]
fn oversized_and_malformed_heads_are_refused() {
    let server = Server::with(
        &["tutorial"],
        &["--max-header-size", "16KiB", "--max-headers", "20"],
    );
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 << 10)
    );
    assert_eq!(send(server.addr, &big).status, 431);
    let many: String = (0..30).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_eq!(
        send(
            server.addr,
            &format!("GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n")
        )
        .status,
        431
    );
    assert_eq!(send(server.addr, "GARBAGE\r\n\r\n").status, 400);
    assert_eq!(get(server.addr, "/").text(), "hello world");
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_408() {
    let server = Server::with(&["tutorial"], &["--body-timeout", "500ms"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"POST /greet HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nname=")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout"),
        "{response}"
    );
    server.wait_for_log("--body-timeout");
}

#[test]
fn a_plugin_can_have_a_time_limit_of_its_own() {
    // Past the client's five-second patience for every plugin but one.
    let server = Server::with(
        &["faults", "tutorial"],
        &[
            "--handler-timeout",
            "60s",
            "--plugin-timeout",
            "faults=300ms",
        ],
    );
    assert_eq!(get(server.addr, "/loop").status, 503);
    let line = server.wait_for_log("exceeded its time limit");
    assert!(
        line.contains(r#"plugin="faults""#) && line.contains(r#"route="/loop""#),
        "{line}"
    );
}

#[test]
fn requests_beyond_max_instances_wait_for_one_instead_of_failing() {
    let server = Server::with(&["probe"], &["--max-instances", "2"]);
    let addr = server.addr;
    let clients: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || get(addr, "/busy?ms=300")))
        .collect();
    for client in clients {
        let response = client.join().unwrap();
        assert_eq!(
            (response.status, response.text().as_str()),
            (200, "busy for 300 ms")
        );
    }
    assert!(!server.log().contains("no handler instance came free"));
}

#[test]
fn a_request_that_waits_longer_than_a_handler_may_run_is_503() {
    let server = Server::with(
        &["probe"],
        &["--max-instances", "1", "--handler-timeout", "1s"],
    );
    let addr = server.addr;
    let busy = std::thread::spawn(move || get(addr, "/busy?ms=900"));
    server.wait_for_log("busy started");
    // The second queues first (the semaphore is fair), so it runs from 0.9 s to 1.8 s and the
    // third, queued behind it, is still waiting when its second is up.
    let second = std::thread::spawn(move || get(addr, "/busy?ms=900"));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let third = get(server.addr, "/busy?ms=10");
    assert_eq!(third.status, 503);
    assert_eq!(busy.join().unwrap().status, 200);
    assert_eq!(second.join().unwrap().status, 200);
    server.wait_for_log("no handler instance came free within 1s");
}

#[test]
fn a_reused_instance_keeps_its_statics_for_n_requests_but_not_past_a_trap() {
    let server = Server::with(&["faults"], &["--reuse-instances", "faults=3"]);
    let count = || get(server.addr, "/count").text();
    // Three requests per instance, a new handler object each time.
    let served: Vec<String> = (0..7).map(|_| count()).collect();
    assert_eq!(served, ["1,1", "2,1", "3,1", "1,1", "2,1", "3,1", "1,1"]);
    // A trap ends the instance: the next request starts afresh.
    assert_eq!(get(server.addr, "/panic").status, 500);
    assert_eq!(count(), "1,1");
    // Other plugins keep a fresh instance per request.
    let fresh = Server::with(&["faults"], &[]);
    for _ in 0..3 {
        assert_eq!(get(fresh.addr, "/count").text(), "1,1");
    }
}

#[test]
fn no_state_survives_between_requests_with_or_without_resident_memory() {
    // The default keeps 256KiB resident (touched pages reset by memset); 0 unmaps it all;
    // 64MiB keeps the whole of a handler's memory resident.
    let resident = |size| ["--resident-memory", size];
    for flags in [&[][..], &resident("0")[..], &resident("64MiB")[..]] {
        let server = Server::with(&["probe"], flags);
        for _ in 0..20 {
            assert_eq!(get(server.addr, "/fresh").text(), "1", "{flags:?}");
        }
    }
}

#[test]
fn a_reused_instance_finds_nothing_of_the_previous_requests_state() {
    let store = crate::support::TestStore::sqlite();
    let server = store.serve(&["accounts", "probe"], &["--reuse-instances", "probe=10"]);
    let mut visitor = crate::support::Visitor::new(&server);
    assert_eq!(visitor.register("ada", "a long password").status, 201);
    assert_eq!(visitor.login("ada", "a long password").status, 302);
    // The first request sets a status, a header and a cookie, reads the user and the
    // xsrf token from its cookies.
    let first = visitor.get("/state?set=1");
    assert_eq!(first.status, 299);
    assert!(
        first
            .text()
            .starts_with("served=1 status=200 user=Some(\"ada\")"),
        "{}",
        first.text()
    );
    // The next, on the same instance, without cookies.
    let second = get(server.addr, "/state");
    let text = second.text();
    assert!(
        text.starts_with("served=2 "),
        "the instance was not reused: {text}"
    );
    assert!(text.contains("status=200 user=None"), "{text}");
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-leak"), None);
    let cookies = second.header_all("set-cookie");
    assert!(
        cookies.iter().all(|cookie| !cookie.starts_with("leak=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|cookie| cookie.starts_with("_xsrf=")),
        "a request without an _xsrf cookie gets a token of its own: {cookies:?}"
    );
}

#[test]
fn the_memory_a_burst_of_connections_used_is_given_back_once_they_close() {
    let server = Server::with(&["hello"], &["--max-connections", "10000"]);
    let before = server.rss_kib();
    let burst: Vec<_> = (0..3000)
        .map(|_| {
            let mut connection = Connection::open(server.addr);
            let answer = connection.send("GET /hello/world HTTP/1.1\r\nHost: x\r\n\r\n");
            assert_eq!(answer.status, 200);
            connection
        })
        .collect();
    let held = server.rss_kib().saturating_sub(before);
    drop(burst);
    // glibc keeps what a thread freed unless told; the server trims after a burst closes.
    wait_until("half the burst's memory given back", || {
        server.rss_kib() < before + held / 2
    });
}
