//! A hostile plugin (tests/plugins/hostile) against the host through long connections and
//! topics: imports called without end or with enormous arguments, a long poll that parks
//! again at every wake, every topic filled, a session cookie smuggled in by hand. Each
//! attack costs the plugin its own connection or request; the host stays small and up.

use std::net::TcpStream;
use std::time::Instant;

use tungstenite::{Message, WebSocket};

use crate::support::{Server, get, report};
use crate::websocket::{closed_with, connect, text};

fn hostile() -> Server {
    Server::with(&["hostile"], &[])
}

/// A WebSocket of the hostile plugin's, told to make `attack`.
fn attacking(server: &Server, attack: &str) -> WebSocket<TcpStream> {
    let mut socket = connect(server.addr, "/ws/attack");
    socket.send(Message::text(attack)).unwrap();
    socket
}

/// The server's peak RSS in MiB, reported under `what`.
fn peak_mib(server: &Server, what: &str) -> u64 {
    let peak = server.peak_rss_kib() / 1024;
    report(&format!("{what}: peak RSS {peak} MiB"));
    peak
}

#[test]
fn unsubscribing_from_an_enormous_name_holds_nothing() {
    let server = hostile();
    let mut socket = attacking(&server, "unsubscribe-huge");
    assert_eq!(text(&mut socket), "unsubscribed");
    // 200 names of 32 MiB were 6.4 GiB to hold; each is dropped as it comes.
    assert!(peak_mib(&server, "200 unsubscribes of 32 MiB") < 400);
}

#[test]
fn an_event_that_queues_empty_frames_without_end_is_stopped_at_the_send_buffer() {
    let server = Server::with(&["hostile"], &["--websocket-send-buffer", "256KiB"]);
    for attack in ["empty-messages", "empty-pings"] {
        let mut socket = attacking(&server, attack);
        let closed = loop {
            match socket.read() {
                Ok(Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(error) => panic!("{attack}: the connection ended without a close: {error}"),
            }
        };
        assert_eq!(closed, Some(1011), "{attack}");
        server.wait_for_log("send buffer (--websocket-send-buffer)");
    }
    assert!(peak_mib(&server, "empty frames until stopped") < 150);
}

#[test]
fn twenty_thousand_subscriptions_to_one_topic_are_one_and_share_its_messages() {
    let server = hostile();
    let mut socket = attacking(&server, "subscribe-flood");
    assert_eq!(text(&mut socket), "subscribed");
    // What the event published after subscribing arrives, once.
    assert_eq!(text(&mut socket).len(), 60 << 10);
    socket.send(Message::text("still here")).unwrap();
    let next = text(&mut socket);
    assert!(
        next == "still here",
        "then a message of {} bytes",
        next.len()
    );
    assert!(peak_mib(&server, "20,000 subscriptions and a publish") < 150);
}

#[test]
fn a_plugin_filling_every_topic_it_may_have_stays_within_its_topic_budget() {
    let server = hostile();
    let before = server.rss_kib();
    let filled = get(server.addr, "/topics/fill?topics=300");
    assert_eq!(filled.text(), "filled 300 topics");
    // 300 MiB of history asked for; 16 MiB kept (--topic-memory's default).
    let grown = (server.rss_kib() - before) / 1024;
    report(&format!("300 topics of 1 MiB each: RSS grew {grown} MiB"));
    assert!(grown < 80, "RSS grew {grown} MiB");
}

#[test]
fn a_long_poll_that_parks_again_at_every_wake_is_answered_and_the_server_lives() {
    let mut server = hostile();
    let started = Instant::now();
    let answer = get(server.addr, "/poll/repark");
    assert!(server.is_running(), "the server aborted:\n{}", server.log());
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.text(),
        "woken ".repeat(99),
        "the last turn's response as it stands"
    );
    server.wait_for_log("parked again: answered as it stands");
    report(&format!(
        "a re-parking poll answered in {:?}",
        started.elapsed()
    ));
    assert_eq!(get(server.addr, "/poll/repark").status, 200, "and again");
}

#[test]
fn a_plugin_cannot_smuggle_the_session_cookie_in_a_header_of_its_own() {
    let server = hostile();
    for path in ["/cookie/nameless", "/cookie/carrying"] {
        let response = get(server.addr, path);
        assert_eq!(response.status, 500, "{path}");
        let cookies = response.header_all("set-cookie").join("\n");
        assert!(!cookies.contains("gale_session"), "{path}: {cookies}");
    }
}

#[test]
fn a_handler_closes_only_with_codes_a_peer_may_send_and_reasons_that_fit_a_frame() {
    let server = hostile();
    for code in ["0", "1005", "1006", "1015"] {
        let mut socket = attacking(&server, &format!("close:{code}"));
        assert_eq!(
            closed_with(&mut socket),
            Some((1011, String::new())),
            "close({code})"
        );
    }
    let mut socket = attacking(&server, "close-long");
    assert_eq!(closed_with(&mut socket), Some((4000, "r".repeat(123))));
    let mut socket = attacking(&server, "close:4001");
    assert_eq!(closed_with(&mut socket).map(|(code, _)| code), Some(4001));
}
