//! WebSockets: the handshake as Tornado 6.6.1 answers it, events in fresh instances with the
//! connection's state carried between them, close codes, and a failing event that ends only
//! its own connection.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::{Message, WebSocket};

use crate::support::{Server, Tornado, get, send};

/// A client connected to `path`, with the handshake's response.
pub fn connect(addr: SocketAddr, path: &str) -> WebSocket<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (socket, _) = tungstenite::client(format!("ws://{addr}{path}"), stream)
        .unwrap_or_else(|error| panic!("the handshake for {path} failed: {error}"));
    socket
}

/// A client of the probe's echo at `/ws/echo`, its greeting read.
pub fn greeted(addr: SocketAddr) -> WebSocket<TcpStream> {
    let mut socket = connect(addr, "/ws/echo");
    text(&mut socket);
    socket
}

/// The next text message.
pub fn text(socket: &mut WebSocket<TcpStream>) -> String {
    match socket.read().unwrap() {
        Message::Text(text) => text.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// The code and reason of the close frame the server sends next.
pub fn closed_with(socket: &mut WebSocket<TcpStream>) -> Option<(u16, String)> {
    match socket.read() {
        Ok(Message::Close(frame)) => {
            frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()))
        }
        Ok(other) => panic!("expected a close, got {other:?}"),
        Err(error) => panic!("the connection ended without a close frame: {error}"),
    }
}

fn probe() -> Server {
    Server::with(&["probe"], &[])
}

#[test]
fn a_websocket_answers_in_order_and_keeps_its_state_between_events() {
    let server = probe();
    let mut socket = connect(server.addr, "/ws/echo?name=bob");
    let greeting: serde_json::Value = serde_json::from_str(&text(&mut socket)).unwrap();
    assert_eq!(greeting, serde_json::json!({"open": 1, "name": "bob"}));
    for word in ["a", "b", "c"] {
        socket.send(Message::text(word)).unwrap();
    }
    let answers: Vec<String> = (0..3).map(|_| text(&mut socket)).collect();
    assert_eq!(answers, ["1:a", "2:b", "3:c"]);
    socket.send(Message::binary(vec![9u8, 8])).unwrap();
    assert_eq!(socket.read().unwrap(), Message::binary(vec![4u8, 9, 8]));
    socket.send(Message::text("query")).unwrap();
    assert_eq!(text(&mut socket), "bob|");
}

/// The admin endpoint's `GET /load`.
fn load_of(server: &Server) -> serde_json::Value {
    serde_json::from_str(&get(server.admin_addr(), "/load").text()).unwrap()
}

#[test]
fn idle_websockets_hold_no_instance_between_their_events_and_count_until_closed() {
    let server = Server::with(&["probe"], &["--admin", "127.0.0.1:0"]);
    let sockets: Vec<_> = (0..50)
        .map(|_| {
            let mut socket = greeted(server.addr);
            socket.send(Message::text("hi")).unwrap();
            assert_eq!(text(&mut socket), "1:hi");
            socket
        })
        .collect();
    let load = load_of(&server);
    assert_eq!(load["instances_in_use"], 0, "{load}");
    assert_eq!(load["instances_idle"], 0, "{load}");
    assert_eq!(load["connections_open"], 50, "{load}");
    drop(sockets);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let load = loop {
        let load = load_of(&server);
        if load["connections_open"] == 0 || std::time::Instant::now() > deadline {
            break load;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        load["connections_open"], 0,
        "closed WebSockets still count: {load}"
    );
}

#[test]
fn the_handler_closes_with_its_code_and_hears_the_clients() {
    let server = probe();
    let mut socket = greeted(server.addr);
    socket.send(Message::text("close")).unwrap();
    assert_eq!(closed_with(&mut socket), Some((4000, "asked".to_owned())));

    let mut socket = greeted(server.addr);
    let bye = CloseFrame {
        code: CloseCode::from(4001),
        reason: "bye".into(),
    };
    socket.close(Some(bye)).unwrap();
    while socket.read().is_ok() {}
    server.wait_for_log("on_close code=Some(4001) reason=Some(\"bye\")");
}

#[test]
fn a_trap_in_an_event_closes_its_connection_with_1011_and_the_others_go_on() {
    let server = probe();
    let mut other = greeted(server.addr);
    for command in ["panic", "fail"] {
        let mut socket = greeted(server.addr);
        socket.send(Message::text(command)).unwrap();
        assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(1011));
    }
    other.send(Message::text("still")).unwrap();
    assert_eq!(text(&mut other), "1:still");
}

#[test]
fn a_message_over_the_limit_closes_with_1009_and_invalid_utf8_with_1007() {
    let server = Server::with(&["probe"], &["--websocket-max-message-size", "1KiB"]);
    let mut socket = greeted(server.addr);
    socket.send(Message::text("x".repeat(2000))).unwrap();
    assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(1009));

    let mut socket = greeted(server.addr);
    let invalid = Frame::message(vec![0xff, 0xfe], OpCode::Data(Data::Text), true);
    socket.send(Message::Frame(invalid)).unwrap();
    assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(1007));
}

#[test]
fn prepare_runs_before_the_upgrade_and_can_refuse_it() {
    let server = probe();
    let refused = send(server.addr, &upgrade_request("/ws/guarded", &[]));
    assert_eq!(refused.status, 403);
    let mut socket = connect(server.addr, "/ws/guarded?allow=1");
    socket.send(Message::text("hi")).unwrap();
    assert_eq!(text(&mut socket), "hi");
}

/// A WebSocket upgrade request for `path`, with `changes` replacing (or, with an empty
/// value, removing) the standard headers.
fn upgrade_request(path: &str, changes: &[(&str, &str)]) -> String {
    let mut headers = vec![
        ("Host", "127.0.0.1"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ];
    for (name, value) in changes {
        headers.retain(|(existing, _)| existing != name);
        if !value.is_empty() {
            headers.push((name, value));
        }
    }
    let lines: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    format!("GET {path} HTTP/1.1\r\n{lines}\r\n")
}

#[test]
fn the_handshake_is_answered_as_tornado_answers_it() {
    let Some(tornado) = Tornado::start("secret") else {
        return;
    };
    let server = probe();
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("no Upgrade header", &[("Upgrade", "")]),
        ("Upgrade to another protocol", &[("Upgrade", "h2c")]),
        ("no upgrade in Connection", &[("Connection", "keep-alive")]),
        (
            "a cross-origin Origin",
            &[("Origin", "http://evil.example")],
        ),
        ("a same-host Origin", &[("Origin", "http://127.0.0.1")]),
        ("a cross-site fetch", &[("Sec-Fetch-Site", "cross-site")]),
        ("another version", &[("Sec-WebSocket-Version", "8")]),
        ("no key", &[("Sec-WebSocket-Key", "")]),
        (
            "a subprotocol",
            &[("Sec-WebSocket-Protocol", "chat, echo.v1")],
        ),
    ];
    for (what, changes) in cases {
        let request = upgrade_request("/ws/echo", changes);
        let ours = send(server.addr, &request);
        let theirs = send(tornado.addr, &request);
        assert_eq!(
            (ours.status, &ours.reason, ours.text()),
            (theirs.status, &theirs.reason, theirs.text()),
            "{what}"
        );
        for header in [
            "upgrade",
            "connection",
            "sec-websocket-accept",
            "sec-websocket-version",
            "sec-websocket-protocol",
        ] {
            let (ours, theirs) = (ours.header(header), theirs.header(header));
            let (ours, theirs) = (ours.map(str::to_lowercase), theirs.map(str::to_lowercase));
            assert_eq!(ours, theirs, "{what}: {header}");
        }
    }
}

#[test]
fn messages_and_closes_arrive_as_tornados_do() {
    let Some(tornado) = Tornado::start("secret") else {
        return;
    };
    let server = probe();
    let mut exchanges = Vec::new();
    for addr in [server.addr, tornado.addr] {
        let mut socket = connect(addr, "/ws/echo/x?name=amy");
        let mut seen = vec![text(&mut socket)];
        socket.send(Message::text("one")).unwrap();
        socket.send(Message::binary(vec![7u8])).unwrap();
        seen.push(text(&mut socket));
        seen.push(format!("{:?}", socket.read().unwrap()));
        socket.send(Message::text("close")).unwrap();
        seen.push(format!("{:?}", closed_with(&mut socket)));
        exchanges.push(seen);
    }
    assert_eq!(exchanges[0], exchanges[1]);
}

#[test]
fn past_max_websockets_an_upgrade_is_503_until_one_closes() {
    let server = Server::with(&["probe"], &["--max-websockets", "1"]);
    let mut first = greeted(server.addr);
    let refused = send(server.addr, &upgrade_request("/ws/echo", &[]));
    assert_eq!(refused.status, 503);
    first.close(None).unwrap();
    while first.read().is_ok() {}
    crate::support::wait_until("the first WebSocket to be counted out", || {
        send(server.addr, &upgrade_request("/ws/echo", &[])).status == 101
    });
}

#[test]
fn an_upgraded_connection_still_counts_in_max_connections() {
    use std::io::{Read, Write};
    let flags = ["--max-connections", "2", "--max-websockets", "1"];
    let server = Server::with(&["probe"], &flags);
    let mut socket = greeted(server.addr);
    // A keep-alive connection takes the other place.
    let mut kept = crate::support::Connection::open(server.addr);
    assert_eq!(
        kept.send("GET /echo/a/b HTTP/1.1\r\nHost: x\r\n\r\n")
            .status,
        200
    );
    let mut waiting = TcpStream::connect(server.addr).unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    waiting
        .write_all(b"GET /echo/a/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    assert!(
        waiting.read_to_end(&mut answer).is_err() && answer.is_empty(),
        "a second connection was served beside the WebSocket"
    );
    socket.close(None).unwrap();
    while socket.read().is_ok() {}
    waiting
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    waiting.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn a_stopping_server_closes_its_websockets_with_1001() {
    let server = probe();
    let mut socket = greeted(server.addr);
    server.signal("TERM");
    assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(1001));
}

#[test]
fn a_ping_unanswered_past_the_timeout_closes_and_an_answered_one_does_not() {
    let flags = ["--websocket-ping-interval", "200ms"];
    let server = Server::with(&["probe"], &flags);
    // Reading answers pings (tungstenite sends the pongs): the connection stays.
    let mut live = greeted(server.addr);
    let mut pings = 0;
    while pings < 4 {
        if let Message::Ping(_) = live.read().unwrap() {
            pings += 1;
        }
    }
    live.send(Message::text("still")).unwrap();
    let answer = loop {
        match live.read().unwrap() {
            Message::Text(text) => break text.to_string(),
            _ => continue,
        }
    };
    assert_eq!(answer, "1:still");
    // Not reading, it answers nothing: closed with 1000 "ping timed out", as Tornado.
    let mut silent = connect(server.addr, "/ws/echo");
    std::thread::sleep(Duration::from_millis(1000));
    let closed = loop {
        match silent.read().unwrap() {
            Message::Close(frame) => {
                break frame.map(|f| (u16::from(f.code), f.reason.to_string()));
            }
            _ => continue,
        }
    };
    assert_eq!(closed, Some((1000, "ping timed out".to_owned())));
}

#[test]
fn a_handlers_ping_brings_its_pong_to_on_pong_and_a_reserved_bit_closes_with_1002() {
    let server = probe();
    let mut socket = greeted(server.addr);
    socket.send(Message::text("ping")).unwrap();
    // tungstenite answers the ping with a pong carrying its data, as a browser does.
    assert_eq!(socket.read().unwrap(), Message::Ping("probe".into()));
    assert_eq!(text(&mut socket), "pong:probe");

    let mut frame = Frame::message(b"x".to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    socket.send(Message::Frame(frame)).unwrap();
    assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(1002));
}
