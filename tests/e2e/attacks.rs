//! Hostile clients, no plugin needed: bodies built to make parsing slow, and requests a
//! proxy and gale could read differently. Each test's attack stalled or misled the server
//! before its fix.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::support::{Connection, Response, Server, get, report, send};

/// `a0&a1&…&a999999&name=last`: 8 MB of a million argument names, under the body limit.
fn million_names() -> String {
    let mut body = String::with_capacity(8 << 20);
    for at in 0..1_000_000 {
        body += &format!("a{at}&");
    }
    body + "name=last"
}

/// POSTs `body` to `path` on its own thread, while this thread keeps asking for
/// `/hello/world`: each answer must come within a second. Returns the POST's response.
fn post_while_others_are_served(addr: SocketAddr, path: &str, body: String) -> Response {
    let (done, finished) = mpsc::channel();
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let _ = done.send(answer);
    });
    let (started, mut served, mut slowest) = (Instant::now(), 0, Duration::ZERO);
    let answer = loop {
        if let Ok(answer) = finished.try_recv() {
            break answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the POST never ended"
        );
        let asked = Instant::now();
        let mut connection = Connection::open(addr);
        let response =
            connection.send("GET /hello/world HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let took = asked.elapsed();
        assert_eq!(response.status, 200);
        assert!(
            took < Duration::from_secs(1),
            "/hello/world took {took:?} during the POST"
        );
        (served, slowest) = (served + 1, slowest.max(took));
        std::thread::sleep(Duration::from_millis(20));
    };
    report(&format!(
        "a million names to {path}: answered in {:?}; {served} other requests meanwhile, slowest {slowest:?}",
        started.elapsed()
    ));
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head[9..12].parse().expect("a status");
    Response {
        version: head[..8].to_owned(),
        status,
        reason: String::new(),
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn a_million_argument_body_is_refused_at_once_while_others_are_served() {
    let server = Server::with(&["hello", "tutorial"], &[]);
    let response = post_while_others_are_served(server.addr, "/greet", million_names());
    assert_eq!(response.status, 400);
    server.wait_for_log("more than 10000 arguments (query and body together; --max-arguments)");
}

#[test]
fn a_million_argument_body_allowed_by_the_limit_is_parsed_off_the_loop() {
    let server = Server::with(&["hello", "tutorial"], &["--max-arguments", "2000000"]);
    let response = post_while_others_are_served(server.addr, "/greet", million_names());
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "hello last")
    );
}

#[test]
fn query_arguments_count_toward_the_limit() {
    let server = Server::with(&["tutorial"], &["--max-arguments", "3"]);
    assert_eq!(get(server.addr, "/greet?name=a&b&c").text(), "hello a");
    assert_eq!(get(server.addr, "/greet?name=a&b&c&d").status, 400);
    let raw = "POST /greet?name=a&b HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\nc&d";
    assert_eq!(send(server.addr, raw).status, 400);
}

#[test]
fn an_http11_request_without_host_is_400_and_closed() {
    let server = Server::with(&["tutorial"], &[]);
    let mut connection = Connection::open(server.addr);
    let response = connection.send("GET / HTTP/1.1\r\n\r\n");
    assert_eq!(response.status, 400);
    assert!(connection.is_closed());
    let http10 = send(server.addr, "GET / HTTP/1.0\r\n\r\n");
    assert_eq!(http10.text(), "hello world", "HTTP/1.0 needs no Host");
}

#[test]
fn the_admin_endpoint_answers_only_loopback_hosts_and_drops_slow_heads() {
    let server = Server::with(
        &["hello"],
        &["--admin", "127.0.0.1:0", "--header-timeout", "1s"],
    );
    let admin = server.admin_addr();
    let ask = |host: &str| {
        send(
            admin,
            &format!("GET /plugins HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
    };
    assert_eq!(ask(&admin.to_string()).status, 200);
    assert_eq!(ask("localhost").status, 200);
    // A page of evil.example whose name now resolves to 127.0.0.1 (DNS rebinding).
    let rebound = ask(&format!("evil.example:{}", admin.port()));
    assert_eq!(rebound.status, 403);
    assert!(
        rebound.text().contains("loopback Host"),
        "{}",
        rebound.text()
    );
    let mut slow = TcpStream::connect(admin).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    slow.write_all(b"GET /plugins HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the slow head was held {:?}",
        started.elapsed()
    );
}

#[test]
fn a_request_with_both_content_length_and_transfer_encoding_is_400_and_closed() {
    let server = Server::with(&["tutorial"], &[]);
    for headers in [
        "Content-Length: 3\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 3",
    ] {
        let mut connection = Connection::open(server.addr);
        // Read by its chunks this is `name=a`; read by its length (as a proxy may), the
        // body is `6\r\n` and what follows is another request.
        let raw = format!(
            "POST /greet HTTP/1.1\r\nHost: x\r\n{headers}\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n6\r\nname=a\r\n0\r\n\r\n"
        );
        let response = connection.send(&raw);
        assert_eq!(response.status, 400, "{headers}");
        assert!(connection.is_closed(), "{headers}");
    }
    let sound = "POST /greet HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n6\r\nname=a\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut connection = Connection::open(server.addr);
    connection.write(sound);
    assert_eq!(connection.read().text(), "hello a");
    assert_eq!(connection.read().text(), "hello world");
}

#[test]
fn clients_that_stop_reading_free_their_handlers_and_are_closed_at_the_write_timeout() {
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("big.bin"), vec![b's'; 32 << 20]).unwrap();
    let server = Server::with(
        &["tutorial"],
        &[
            "--handler-timeout",
            "1s",
            "--write-timeout",
            "2s",
            "--max-instances",
            "2",
            "--static",
            files.path().to_str().unwrap(),
        ],
    );
    // Both instance slots' handlers stream a gibibyte, and a static file streams, to clients
    // that read nothing.
    let stalled: Vec<TcpStream> = ["/big?size=1073741824"; 2]
        .iter()
        .chain(&["/static/big.bin"])
        .map(|path| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // Both slots were held by a stalled handler until its time limit freed them.
    assert_eq!(get(server.addr, "/time/1/2/3").text(), "1-2-3");
    server.wait_for_log("reached its time limit of 1s waiting in flush()");
    // A stopped handler's body is cut off (hyper drops the connection, or the write timeout
    // does); the static file's connection has only the write timeout to end it.
    let static_port = stalled[2].local_addr().unwrap().port();
    server.wait_for_log(&format!("(--write-timeout) remote=127.0.0.1:{static_port}"));
    for (mut stream, full) in stalled.into_iter().zip([1 << 30, 1 << 30, 32 << 20]) {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut received = Vec::new();
        let ended = stream.read_to_end(&mut received);
        assert!(
            ended.is_ok(),
            "a stalled connection was left open: {ended:?}"
        );
        assert!(
            received.len() < full,
            "{} bytes: the whole response",
            received.len()
        );
    }
}

#[test]
fn large_websocket_messages_leave_no_large_buffers_on_their_connections() {
    let flags = [
        "--max-connections",
        "1000",
        "--max-websockets-per-ip",
        "1000",
    ];
    let server = Server::with(&["probe"], &flags);
    // 300 WebSockets, each sending a 96 KiB message in 1 KiB fragments and receiving its
    // 96 KiB echo: a buffer that kept its largest size would hold 300 × 96 KiB from then on.
    let mut sockets = Vec::new();
    let before = server.peak_rss_kib();
    for _ in 0..300 {
        let mut socket = crate::websocket::greeted(server.addr);
        for part in 0..96 {
            let opcode = match part {
                0 => OpCode::Data(Data::Text),
                _ => OpCode::Data(Data::Continue),
            };
            let fragment = Frame::message(vec![b'x'; 1024], opcode, part == 95);
            socket.write(Message::Frame(fragment)).unwrap();
        }
        socket.flush().unwrap();
        assert_eq!(
            crate::websocket::text(&mut socket).len(),
            "1:".len() + 96 * 1024
        );
        sockets.push(socket);
    }
    let grown_mib = (server.peak_rss_kib() - before) / 1024;
    // Each connection's own buffers are tens of KiB: 300 of them, under 10 MiB.
    assert!(
        grown_mib < 15,
        "300 idle WebSockets grew the server by {grown_mib} MiB"
    );
}
