//! Topics across servers through a real Redis (`--pubsub`): what is published on one
//! server reaches WebSocket, long-poll and event-stream subscribers on all, in one order,
//! and each serves the same history; with Redis gone, each server goes on alone and shares
//! again once it is back.

use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;
use tungstenite::{Message, WebSocket};

use crate::chat::{events, next_event, post};
use crate::support::{Redis, Server, plugin};
use crate::websocket::{connect, text};

/// The cookie secret the servers of one deployment share: their relayed messages are
/// signed with a key derived from it.
const SHARED_SECRET: &str = "one deployment's secret";

/// A chat server sharing its topics through `redis`, once it says it does.
fn chat_server(redis: &Redis) -> Server {
    chat_server_with(redis, &[])
}

/// A chat server sharing its topics through `redis`, with `env` (a CA to trust, say).
fn chat_server_with(redis: &Redis, env: &[(&str, &str)]) -> Server {
    let flags = ["--pubsub", &redis.url(), "--cookie-secret", SHARED_SECRET];
    let server = Server::start(&[plugin("chat")], &[], &flags, env);
    server.wait_for_log("topics are shared with other servers through Redis");
    server
}

/// The next chat message on a WebSocket.
fn message(socket: &mut WebSocket<TcpStream>) -> Value {
    serde_json::from_str(&text(socket)).unwrap()
}

fn say(server: &Server, body: &str) -> Value {
    post(server.addr, "/chat/a/message/new", &format!("body={body}")).json()
}

#[test]
fn a_message_published_on_one_server_reaches_every_subscriber_on_all_in_one_order() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let servers: Vec<Server> = (0..3).map(|_| chat_server(&redis)).collect();
    let mut on_first = connect(servers[0].addr, "/chat/socket");
    let mut on_second = connect(servers[1].addr, "/chat/socket");
    let mut streamed = events(servers[2].addr);
    // Ten messages, published in turn on each of the three.
    let said: Vec<Value> = (0..10)
        .map(|n| say(&servers[n % 3], &format!("message{n}")))
        .collect();
    let seen_first: Vec<Value> = (0..10).map(|_| message(&mut on_first)).collect();
    let seen_second: Vec<Value> = (0..10).map(|_| message(&mut on_second)).collect();
    let seen_streamed: Vec<Value> = (0..10).map(|_| next_event(&mut streamed)).collect();
    assert_eq!(seen_first, seen_second, "one order on every server");
    assert_eq!(seen_first, seen_streamed, "one order on every transport");
    let mut sorted = seen_first.clone();
    sorted.sort_by_key(|m| m["id"].as_str().unwrap().to_owned());
    let mut expected = said.clone();
    expected.sort_by_key(|m| m["id"].as_str().unwrap().to_owned());
    assert_eq!(sorted, expected, "every message, once");
    // What one server publishes arrives in the order it published it.
    for server in 0..3 {
        let published: Vec<&Value> = said.iter().skip(server).step_by(3).collect();
        let arrived: Vec<&Value> = seen_first
            .iter()
            .filter(|m| published.contains(m))
            .collect();
        assert_eq!(arrived, published);
    }
    // Each server has the same history.
    for server in &servers {
        let history = post(server.addr, "/chat/a/message/updates", "").json();
        assert_eq!(history["messages"], Value::from(seen_first.clone()));
    }
    // A long poll parked on one server is woken by a publish on another.
    let cursor = seen_first[9]["id"].as_str().unwrap().to_owned();
    let addr = servers[0].addr;
    let poll = std::thread::spawn(move || {
        post(addr, "/chat/a/message/updates", &format!("cursor={cursor}")).json()
    });
    std::thread::sleep(Duration::from_millis(300));
    let late = say(&servers[2], "late");
    let woken = poll.join().unwrap();
    assert_eq!(woken, serde_json::json!({"messages": [late]}));
}

#[test]
fn without_redis_each_server_delivers_alone_and_shares_again_once_it_is_back() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let (first, second) = (chat_server(&redis), chat_server(&redis));
    let mut on_first = connect(first.addr, "/chat/socket");
    let mut on_second = connect(second.addr, "/chat/socket");
    say(&first, "shared");
    assert_eq!(message(&mut on_first)["body"], "shared");
    assert_eq!(message(&mut on_second)["body"], "shared");

    redis.stop();
    first.wait_for_log("lost Redis");
    second.wait_for_log("lost Redis");
    say(&first, "alone");
    assert_eq!(
        message(&mut on_first)["body"],
        "alone",
        "local delivery goes on"
    );
    on_second
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    assert!(
        on_second.read().is_err(),
        "nothing reaches the other server"
    );
    on_second
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    redis.resume();
    first.wait_for_log("is back: topics are shared again");
    second.wait_for_log("is back: topics are shared again");
    say(&second, "together again");
    assert_eq!(message(&mut on_first)["body"], "together again");
    assert_eq!(message(&mut on_second)["body"], "together again");
    assert_eq!(
        first.log().matches("lost Redis").count(),
        1,
        "one line per outage"
    );
    let _ = on_first.send(Message::Close(None));
}

#[test]
fn a_pubsub_url_that_is_not_redis_is_a_clear_error() {
    let run = std::process::Command::new(crate::support::binary())
        .args(["serve", "--plugins", ".", "--listen", "127.0.0.1:0"])
        .args(["--pubsub", "http://127.0.0.1:6379"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(stderr.contains("is not a Redis URL"), "{stderr}");
}

#[test]
fn a_redis_password_never_reaches_the_log() {
    let Some(redis) = Redis::start_with(Some("s3cret-pass"), None) else {
        return;
    };
    let server = chat_server(&redis);
    let line = server.wait_for_log("topics are shared with other servers through Redis");
    assert!(line.contains("redis://:***@127.0.0.1"), "{line}");
    assert!(!server.log().contains("s3cret-pass"), "{}", server.log());
}

#[test]
fn topics_are_shared_through_a_redis_that_speaks_only_tls() {
    let ca = crate::support::TestCa::new();
    let (cert, key) = ca.issue("redis");
    let Some(redis) = Redis::start_with(None, Some((&cert, &key))) else {
        return;
    };
    let trust = [("SSL_CERT_FILE", ca.cert.to_str().unwrap())];
    let (first, second) = (
        chat_server_with(&redis, &trust),
        chat_server_with(&redis, &trust),
    );
    let mut on_second = connect(second.addr, "/chat/socket");
    say(&first, "over TLS");
    assert_eq!(message(&mut on_second)["body"], "over TLS");
}

#[test]
fn a_message_put_on_the_channel_by_another_client_of_redis_is_not_delivered() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let server = chat_server(&redis);
    let forged =
        r#"{"plugin":"chat","topic":"chat","id":"f","data":"{\"id\":\"f\",\"body\":\"forged\"}"}"#;
    assert_eq!(redis.command(&["PUBLISH", "gale:topics", forged]), ":1");
    server.wait_for_log("that no server of this deployment signed");
    say(&server, "genuine");
    let history = post(server.addr, "/chat/a/message/updates", "").json();
    let bodies: Vec<&Value> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["body"])
        .collect();
    assert_eq!(bodies, ["genuine"]);
}
