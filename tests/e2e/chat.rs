//! The chat plugin: Tornado's two chat demos in one message log. A WebSocket, a long poll
//! and an event stream see the same messages in the same order, and a newcomer gets the
//! history.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::support::send;

/// A form POST to `path`.
pub fn post(addr: SocketAddr, path: &str, form: &str) -> crate::support::Response {
    send(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}

/// An event stream of the chat, its head read.
pub fn events(addr: SocketAddr) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /chat/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    reader
}

/// The next event's data, as JSON.
pub fn next_event(reader: &mut BufReader<TcpStream>) -> Value {
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the event stream ended");
        if let Some(data) = line.strip_prefix("data: ") {
            return serde_json::from_str(data.trim()).unwrap();
        }
    }
}

/// The text of an HTML fragment with its character references resolved: askama writes
/// `&#60;` where Tornado writes `&lt;`, and both mean `<`.
pub fn unescaped(html: &str) -> String {
    let mut text = html.to_owned();
    for (reference, character) in [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ] {
        text = text.replace(reference, character);
    }
    text
}

/// The suite both chat plugins pass: the Rust one and the same demos written as Tornado code
/// in Python (`plugins-py/chat`).
macro_rules! chat_suite {
    ($chat:expr) => {
        use std::time::Duration;

        use serde_json::Value;
        use tungstenite::Message;

        use super::{events, next_event, post, unescaped};
        use crate::support::{Server, get};
        use crate::websocket::{closed_with, connect, text};

        fn chat() -> Option<Server> {
            Some(Server::start(&[$chat?], &[], &[], &[]))
        }

        #[test]
        fn every_transport_sees_the_same_messages_in_the_same_order() {
            let Some(server) = chat() else { return };
            let addr = server.addr;
            let mut socket = connect(addr, "/chat/socket");
            let mut stream = events(addr);
            let poll = std::thread::spawn(move || post(addr, "/chat/a/message/updates", ""));
            std::thread::sleep(Duration::from_millis(300));

            socket.send(Message::text(r#"{"body": "hello"}"#)).unwrap();
            let first: Value = serde_json::from_str(&text(&mut socket)).unwrap();
            assert_eq!(first["body"], "hello");
            assert_eq!(first["id"].as_str().unwrap().len(), 32, "a uuid4 in hex");
            let polled = poll.join().unwrap().json();
            assert_eq!(polled, serde_json::json!({"messages": [first.clone()]}));
            assert_eq!(next_event(&mut stream), first);

            let second = post(addr, "/chat/a/message/new", "body=second").json();
            assert_eq!(second["body"], "second");
            let cursor = first["id"].as_str().unwrap();
            let after = post(addr, "/chat/a/message/updates", &format!("cursor={cursor}")).json();
            assert_eq!(after, serde_json::json!({"messages": [second.clone()]}));
            assert_eq!(
                serde_json::from_str::<Value>(&text(&mut socket)).unwrap(),
                second
            );
            assert_eq!(next_event(&mut stream), second);

            // A newcomer gets the history, oldest first.
            let mut newcomer = connect(addr, "/chat/socket");
            let history: Vec<Value> = (0..2)
                .map(|_| serde_json::from_str(&text(&mut newcomer)).unwrap())
                .collect();
            assert_eq!(history, [first, second]);
        }

        #[test]
        fn a_message_as_large_as_the_socket_takes_reaches_everyone() {
            let Some(server) = chat() else { return };
            let (mut sender, mut other) =
                (connect(server.addr, "/chat/socket"), connect(server.addr, "/chat/socket"));
            // 65,536 bytes: the chat's websocket_max_message_size, envelope included.
            let body = "x".repeat(65_536 - r#"{"body": ""}"#.len());
            sender.send(Message::text(format!(r#"{{"body": "{body}"}}"#))).unwrap();
            for socket in [&mut sender, &mut other] {
                let heard: Value = serde_json::from_str(&text(socket)).unwrap();
                assert_eq!(heard["body"].as_str().map(str::len), Some(body.len()));
            }
        }

        #[test]
        fn the_page_picks_its_transport_and_refuses_an_unknown_one() {
            let Some(server) = chat() else { return };
            let page = get(server.addr, "/chat?transport=sse").text();
            assert!(page.contains(r#"<body data-transport="sse">"#), "{page}");
            assert!(page.contains("new EventSource("), "{page}");
            let unknown = get(server.addr, "/chat?transport=carrier-pigeon");
            assert_eq!(unknown.status, 400, "{}", unknown.text());
        }

        #[test]
        fn the_page_shows_the_history_escaped_before_any_transport_connects() {
            let Some(server) = chat() else { return };
            let body = "<b>hi</b> & 'bye'";
            let form = "body=%3Cb%3Ehi%3C%2Fb%3E+%26+%27bye%27";
            let sent = post(server.addr, "/chat/a/message/new", form).json();
            let page = get(server.addr, "/chat").text();
            let start = format!(r#"<li id="m{}">"#, sent["id"].as_str().unwrap());
            let item = page.split(&start).nth(1).and_then(|rest| rest.split("</li>").next());
            let item = item.unwrap_or_else(|| panic!("no {start} in {page}"));
            assert!(!item.contains(['<', '>', '\'']), "{item} is not escaped");
            assert_eq!(unescaped(item), body);
        }

        #[test]
        fn what_is_not_a_message_is_refused() {
            let Some(server) = chat() else { return };
            for frame in [Message::text("not json"), Message::binary(vec![1u8])] {
                let mut socket = connect(server.addr, "/chat/socket");
                socket.send(frame).unwrap();
                let expected = (1003, r#"expected {"body": text}"#.to_owned());
                assert_eq!(closed_with(&mut socket), Some(expected));
            }
            let missing = post(server.addr, "/chat/a/message/new", "other=1");
            assert_eq!(missing.status, 400);
        }
    };
}

mod rust {
    chat_suite!(Some(crate::support::plugin("chat")));
}

mod python {
    chat_suite!(crate::support::python_plugin("chat"));
}
