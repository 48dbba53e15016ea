//! Topics: a publish from an HTTP handler reaches every subscribed WebSocket, on every
//! worker, in one order, with no handler woken; history from a cursor; event streams that
//! replay after `Last-Event-ID`.

use std::io::{BufRead, BufReader, Write};
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
            let mut socket = crate::websocket::connect(server.addr, "/ws/echo");
            crate::websocket::text(&mut socket);
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
