//! Hostile clients against long connections: a ping flood that reads nothing, an upgrade
//! that carries a body, more WebSockets than one address may hold, upgrades racing for the
//! last place, a publish that tries to forge event-stream fields, and an address that hides
//! behind its IPv6 form. Each costs the client its own connection; the host stays small and
//! serves everyone else.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::{Connection, Server, get, report, send};

/// A masked client frame with `opcode` and `payload` (at most 125 bytes).
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut bytes = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    bytes.extend_from_slice(&mask);
    bytes.extend(
        payload
            .iter()
            .enumerate()
            .map(|(at, byte)| byte ^ mask[at % 4]),
    );
    bytes
}

/// A socket to `addr` that takes little into its kernel buffer, so what the server sends
/// backs up into the server at once.
fn narrow(addr: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    socket.into()
}

#[test]
fn a_client_flooding_pings_while_reading_nothing_is_closed_and_costs_the_host_nothing() {
    let server = Server::with(&["probe"], &[]);
    let stream = narrow(server.addr);
    let url = format!("ws://{}/ws/echo", server.addr);
    let (mut socket, _) = tungstenite::client(url, stream).unwrap();
    let mut stream = socket.get_mut().try_clone().unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let before = server.rss_kib();
    let burst: Vec<u8> = (0..1000).flat_map(|_| frame(0x9, &[b'p'; 125])).collect();
    let (started, mut sent) = (Instant::now(), 0usize);
    // Pings for as long as the server takes them (the old host queued a pong for each,
    // unread and uncounted, and took them for as long as they came).
    let closed = loop {
        if started.elapsed() > Duration::from_secs(30) {
            break false;
        }
        match stream.write_all(&burst) {
            Ok(()) => sent += burst.len(),
            Err(_) => break true,
        }
    };
    let grown = server.peak_rss_kib().saturating_sub(before) / 1024;
    report(&format!(
        "a ping flood: {} MB sent in {:?} before the server closed it; peak RSS grew {grown} MiB",
        sent >> 20,
        started.elapsed()
    ));
    assert!(
        closed,
        "the server took {} MB of pings in 30 s and kept the connection",
        sent >> 20
    );
    assert!(grown < 30, "peak RSS grew {grown} MiB");
    server.wait_for_log("control frames a second");
    assert_eq!(get(server.addr, "/echo/a/b").status, 200);
}

#[test]
fn an_upgrade_request_with_a_body_is_refused() {
    let server = Server::with(&["probe"], &[]);
    let upgrade = "GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    let with_length = format!("{upgrade}Content-Length: 9\r\n\r\nname=huge");
    assert_eq!(send(server.addr, &with_length).status, 400);
    let chunked = format!("{upgrade}Transfer-Encoding: chunked\r\n\r\n9\r\nname=huge\r\n0\r\n\r\n");
    assert_eq!(send(server.addr, &chunked).status, 400);
    let mut bodiless = Connection::open(server.addr);
    assert_eq!(bodiless.send(&format!("{upgrade}\r\n")).status, 101);
}

/// The handshake's status for an upgrade of `/ws/echo` from `source`, the connection kept
/// open (when it succeeded) by the returned stream.
fn upgrade_from(source: &str, addr: SocketAddr) -> (u16, Connection) {
    let mut connection = Connection::open_from(source.parse().unwrap(), addr);
    let status = connection
        .send(
            "GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .status;
    (status, connection)
}

#[test]
fn one_address_holds_at_most_its_share_of_websockets_and_others_still_connect() {
    let server = Server::with(&["probe"], &["--max-websockets-per-ip", "3"]);
    let held: Vec<_> = (0..3)
        .map(|_| upgrade_from("127.0.0.1", server.addr))
        .collect();
    assert!(held.iter().all(|(status, _)| *status == 101));
    let (refused, _) = upgrade_from("127.0.0.1", server.addr);
    assert_eq!(refused, 503, "a fourth from the same address");
    let (elsewhere, _) = upgrade_from("127.0.0.2", server.addr);
    assert_eq!(elsewhere, 101, "another address");
    drop(held);
    crate::support::wait_until("the places to be given back", || {
        upgrade_from("127.0.0.1", server.addr).0 == 101
    });
}

#[test]
fn upgrades_racing_for_the_last_places_never_take_more_than_there_are() {
    let server = Server::with(&["probe"], &["--max-websockets", "3"]);
    let statuses: Vec<(u16, Connection)> = std::thread::scope(|scope| {
        let racing: Vec<_> = (0..30)
            .map(|at| {
                let source = format!("127.0.1.{}", at + 1);
                let addr = server.addr;
                scope.spawn(move || upgrade_from(&source, addr))
            })
            .collect();
        racing.into_iter().map(|up| up.join().unwrap()).collect()
    });
    let open = statuses.iter().filter(|(status, _)| *status == 101).count();
    assert_eq!(
        open,
        3,
        "{:?}",
        statuses.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    assert!(
        statuses
            .iter()
            .all(|(status, _)| matches!(status, 101 | 503))
    );
}

#[test]
fn websockets_that_could_take_every_connection_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = std::process::Command::new(crate::support::binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "100",
        ])
        .args(["--max-websockets", "100", "--plugins"])
        .arg(dir.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while serve.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = serve.kill();
    let output = serve.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it served: {said}");
    assert!(said.contains("must be below --max-connections"), "{said}");
}

#[test]
fn a_published_carriage_return_cannot_forge_an_event_streams_fields() {
    let server = Server::with(&["probe"], &[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = "GET /topic/events?topic=sse HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let forged = "x%0Dretry:%2099999%0D%0Devent:%20forged%0Ddata:%20forged";
    let published = get(
        server.addr,
        &format!("/topic/publish?topic=sse&id=1&data={forged}"),
    );
    assert_eq!(published.status, 200);
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("forged") {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => seen.extend_from_slice(&chunk[..read]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) => panic!("{error}"),
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let _ = stream
        .read(&mut chunk)
        .map(|read| seen.extend_from_slice(&chunk[..read]));
    let seen = String::from_utf8_lossy(&seen);
    let body = seen.split("\r\n\r\n").nth(1).unwrap_or_default();
    // As an EventSource reads it: a line ends at CR, LF or CRLF; each must be `data: ...`
    // (or the stream's own `id:` and chunk framing, which this reading leaves in).
    for line in body.split(['\r', '\n']).filter(|line| !line.is_empty()) {
        let field = line.split(':').next().unwrap_or_default();
        assert!(
            !matches!(field, "retry" | "event") && line != "data: forged",
            "a forged field: {line:?} in {body:?}"
        );
    }
}

#[test]
fn an_ipv4_peer_on_a_dual_stack_listener_is_its_ipv4_address_for_the_trusted_proxies() {
    let server = Server::with(
        &["tutorial"],
        &[
            "--listen",
            "[::]:0",
            "--xheaders",
            "--trusted-proxies",
            "127.0.0.1",
        ],
    );
    let ipv4 = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let request =
        "GET /request HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.5\r\nConnection: close\r\n\r\n";
    let answer = send(ipv4, request).json();
    assert_eq!(
        answer["remote_ip"], "203.0.113.5",
        "the proxy 127.0.0.1 names the client"
    );
    let direct = send(
        ipv4,
        "GET /request HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(direct.json()["remote_ip"], "127.0.0.1");
}

#[test]
fn xheaders_without_trusted_proxies_are_warned_of_at_start() {
    let server = Server::with(&["tutorial"], &["--xheaders"]);
    server.wait_for_log("--xheaders without --trusted-proxies");
}
