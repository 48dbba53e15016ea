//! Topics: a publish from an HTTP handler reaches every subscribed WebSocket, on every
//! worker, in one order, with no handler woken; history from a cursor; event streams that
//! replay after `Last-Event-ID`.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::Duration;

use tungstenite::Message;

use crate::support::{Server, get};

/// Publishes `data` under `id` to `topic` through the probe's HTTP route.
fn publish(server: &Server, topic: &str, id: &str, data: &str) {
    let response = get(
        server.addr,
        &format!("/topic/publish?topic={topic}&id={id}&data={data}"),
    );
    assert_eq!(response.status, 200, "{}", response.text());
}

#[test]
fn a_publish_reaches_every_subscribed_websocket_on_every_worker_in_one_order() {
    let server = Server::with(&["probe"], &["--workers", "2"]);
    let mut sockets: Vec<_> = (0..6)
        .map(|_| {
            let mut socket = crate::websocket::greeted(server.addr);
            socket.send(Message::text("sub:news")).unwrap();
            socket
        })
        .collect();
    // A message through each connection proves its subscription was applied.
    for socket in &mut sockets {
        socket.send(Message::text("ready")).unwrap();
        assert_eq!(crate::websocket::text(socket), "2:ready");
    }
    for n in 0..20 {
        publish(&server, "news", &n.to_string(), &format!("item{n}"));
    }
    let expected: Vec<String> = (0..20).map(|n| format!("item{n}")).collect();
    for socket in &mut sockets {
        let got: Vec<String> = (0..20).map(|_| crate::websocket::text(socket)).collect();
        assert_eq!(got, expected);
    }
    // Unsubscribed, a connection hears nothing more; the others go on hearing.
    sockets[0].send(Message::text("unsub:news")).unwrap();
    sockets[0].send(Message::text("after")).unwrap();
    assert_eq!(crate::websocket::text(&mut sockets[0]), "4:after");
    publish(&server, "news", "last", "last");
    assert_eq!(crate::websocket::text(&mut sockets[1]), "last");
    sockets[0].send(Message::text("check")).unwrap();
    assert_eq!(crate::websocket::text(&mut sockets[0]), "5:check");
}

#[test]
fn a_topics_history_is_what_came_after_the_cursor() {
    let server = Server::with(&["probe"], &[]);
    for id in ["a", "b", "c"] {
        publish(&server, "log", id, &format!("m{id}"));
    }
    let history = |cursor: &str| {
        get(
            server.addr,
            &format!("/topic/history?topic=log&cursor={cursor}"),
        )
        .text()
    };
    assert_eq!(history("a"), "b=mb\nc=mc\n");
    assert_eq!(history(""), "a=ma\nb=mb\nc=mc\n");
    assert_eq!(history("unknown"), "a=ma\nb=mb\nc=mc\n");
    assert_eq!(history("c"), "");
}

#[test]
fn an_event_stream_replays_after_last_event_id_then_streams_what_is_published() {
    let server = Server::with(&["probe"], &[]);
    for id in ["a", "b"] {
        publish(&server, "feed", id, &format!("m{id}"));
    }
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = "GET /topic/events?topic=feed HTTP/1.1\r\nHost: x\r\nLast-Event-ID: a\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        head.push(line.trim().to_lowercase());
    }
    assert_eq!(head[0], "http/1.1 200 ok");
    assert!(
        head.contains(&"content-type: text/event-stream".to_owned()),
        "{head:?}"
    );
    assert!(
        head.contains(&"transfer-encoding: chunked".to_owned()),
        "{head:?}"
    );
    let mut events = String::new();
    let mut read_until = |needle: &str, events: &mut String| {
        while !events.contains(needle) {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "the stream ended; so far: {events}");
            events.push_str(&line);
        }
    };
    read_until("data: mb", &mut events);
    assert!(!events.contains("data: ma"), "{events}");
    publish(&server, "feed", "c", "mc");
    read_until("data: mc", &mut events);
    assert!(events.contains("id: c\ndata: mc\n"), "{events}");
}

#[test]
fn a_parked_request_is_answered_at_the_next_publish_and_holds_no_instance() {
    // One instance for the whole server: parked requests holding instances would starve
    // every other request.
    let server = Server::with(&["probe"], &["--max-instances", "1"]);
    let addr = server.addr;
    let waiting: Vec<_> = (0..5)
        .map(|_| std::thread::spawn(move || get(addr, "/topic/poll?topic=chat&timeout=20000")))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let other = get(server.addr, "/echo/a/b");
    assert_eq!(other.status, 200, "a request beside the parked ones");
    publish(&server, "chat", "m1", "hello");
    for parked in waiting {
        let answer = parked.join().unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.text(), "m1=hello\n");
        assert_eq!(
            answer.header("x-parked"),
            Some("yes"),
            "the first stage's headers"
        );
    }
}

#[test]
fn a_burst_of_long_polls_makes_its_instances_a_few_at_a_time_in_few_pool_slots() {
    // One worker: its places (four) bound the instances alive at once, so the burst
    // touches a handful of pool slots. Before, a stage preempted at an epoch tick let the
    // loop make instances for every request queued behind it, each in a slot of its own.
    let server = Server::with(&["probe"], &["--workers", "1"]);
    let mut polls: Vec<_> = (0..500)
        .map(|_| {
            let mut poll = crate::support::Connection::open(server.addr);
            poll.write("GET /topic/poll?topic=burst&timeout=20000 HTTP/1.1\r\nHost: x\r\n\r\n");
            poll
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    publish(&server, "burst", "m1", "hello");
    for poll in &mut polls {
        assert_eq!(poll.read().text(), "m1=hello\n");
    }
    let slots = slots_with_an_image(&server);
    assert!(slots <= 8, "500 polls touched {slots} pool slots");
}

/// The pool slots whose memory holds a plugin's image (a copy-on-write mapping of the
/// compiled-code cache's file, or of wasmtime's own image): each slot an instance has used.
fn slots_with_an_image(server: &Server) -> usize {
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", server.pid())).unwrap();
    maps.lines()
        .filter(|line| {
            let image = line.ends_with(".cwasm") || line.contains("wasm-memory-image");
            image
                && line
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|perms| perms.contains('w'))
        })
        .count()
}

#[test]
fn a_cursor_behind_is_answered_at_once_and_a_quiet_topic_at_the_time_limit() {
    let server = Server::with(&["probe"], &[]);
    for id in ["a", "b"] {
        publish(&server, "room", id, &format!("m{id}"));
    }
    let behind = get(server.addr, "/topic/poll?topic=room&cursor=a&timeout=20000");
    assert_eq!(behind.text(), "b=mb\n");
    let quiet = get(server.addr, "/topic/poll?topic=room&cursor=b&timeout=300");
    assert_eq!((quiet.status, quiet.text()), (200, "none".to_owned()));
}

/// A WebSocket to the probe's echo whose client takes at most a few KiB into its kernel
/// buffer: one that stops reading backs up into the server at once.
fn narrow_subscriber(server: &Server, topic: &str) -> tungstenite::WebSocket<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr.into()).unwrap();
    let stream = TcpStream::from(socket);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let url = format!("ws://{}/ws/echo", server.addr);
    let (mut socket, _) = tungstenite::client(url, stream).unwrap();
    crate::websocket::text(&mut socket);
    socket.send(Message::text(format!("sub:{topic}"))).unwrap();
    socket.send(Message::text("ready")).unwrap();
    assert_eq!(crate::websocket::text(&mut socket), "2:ready");
    socket
}

#[test]
fn clients_that_never_read_are_closed_with_1008_while_the_server_stays_small_and_serves() {
    let server = Server::with(&["probe"], &["--websocket-send-buffer", "256KiB"]);
    let mut idle: Vec<_> = (0..100)
        .map(|_| narrow_subscriber(&server, "flood"))
        .collect();
    let mut reader = narrow_subscriber(&server, "flood");
    let before = server.peak_rss_kib();
    // 100 messages of 60 KiB to 101 subscribers: 600 MiB, of which the kernel's buffers take
    // up to 4 MiB a connection; the rest would wait in the server, unbounded.
    let data = "x".repeat(60 << 10);
    for n in 0..100 {
        let body = format!("topic=flood&id={n}&data={data}");
        let request = format!(
            "POST /topic/publish HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(crate::support::send(server.addr, &request).status, 200);
        // The one client that reads keeps up, and hears every message.
        assert_eq!(crate::websocket::text(&mut reader).len(), data.len());
    }
    let grown_mib = (server.peak_rss_kib() - before) / 1024;
    assert!(grown_mib < 120, "the server grew by {grown_mib} MiB");
    // Each idle client finds what its kernel took, then the server's close: 1008, or the
    // end of the stream once the close frame could not be sent within the close wait.
    for socket in &mut idle {
        let ended = loop {
            match socket.read() {
                Ok(Message::Text(_)) => continue,
                Ok(Message::Close(frame)) => break frame.map(|frame| u16::from(frame.code)),
                Ok(other) => panic!("unexpected {other:?}"),
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    panic!("a client that never read is still connected")
                }
                Err(_) => break None,
            }
        };
        assert!(matches!(ended, Some(1008) | None), "closed with {ended:?}");
    }
    let closed = server.log().matches("reads too slowly").count();
    assert_eq!(closed, 100, "{}", server.log());
}
