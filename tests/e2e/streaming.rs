//! `flush`: a response streamed in chunks with backpressure, a failure after the head cut
//! off honestly, and `clear`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{Server, get};

/// Sends `raw` and reads to the end of the connection, counting the body's bytes without
/// keeping them; returns the head and the count.
fn count_body(server: &Server, raw: &str) -> (String, u64) {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let (mut head, mut count, mut buffer) = (Vec::new(), 0u64, vec![0; 1 << 16]);
    let mut in_body = false;
    loop {
        let read = stream.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        if in_body {
            count += read as u64;
            continue;
        }
        head.extend_from_slice(&buffer[..read]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            count += (head.len() - end - 4) as u64;
            head.truncate(end + 4);
            in_body = true;
        }
    }
    (String::from_utf8(head).unwrap(), count)
}

#[test]
fn big_streams_a_gibibyte_without_holding_it() {
    let server = Server::with(&["tutorial"], &[]);
    const GIB: u64 = 1 << 30;
    // HTTP/1.0: the body runs to the close, so the count is the body's exact size.
    let (head, count) = count_body(&server, &format!("GET /big?size={GIB} HTTP/1.0\r\n\r\n"));
    assert!(head.starts_with("HTTP/1.0 200 OK"), "{head}");
    assert_eq!(count, GIB);
    let peak = server.peak_rss_kib();
    assert!(
        peak < 256 * 1024,
        "the server peaked at {peak} KiB for a 1 GiB response"
    );
}

#[test]
fn big_is_chunked_on_http_1_1_and_has_no_etag() {
    let server = Server::with(&["tutorial"], &[]);
    let response = get(server.addr, "/big?size=200000");
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert!(response.header("content-length").is_none());
    assert!(response.header("etag").is_none());
    assert_eq!(response.body.len(), 200_000);
    assert!(response.body.iter().all(|&b| b == b'x'));
    assert_eq!(get(server.addr, "/big?size=many").status, 400);
}

#[test]
fn a_slow_reader_holds_back_the_writer() {
    let server = Server::with(&["tutorial"], &["--handler-timeout", "3s"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .write_all(b"GET /big?size=33554432 HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut first = vec![0; 1024];
    stream.read_exact(&mut first).unwrap();
    // Not reading for most of the handler's time limit (which runs while it waits in
    // flush: a longer pause stops it, see `attacks`): it waits, and memory stays flat.
    std::thread::sleep(Duration::from_secs(2));
    let peak = server.peak_rss_kib();
    assert!(
        peak < 128 * 1024,
        "the server peaked at {peak} KiB while the client paused"
    );
    let mut rest = 0u64;
    let mut buffer = vec![0; 1 << 16];
    loop {
        match stream.read(&mut buffer).unwrap() {
            0 => break,
            read => rest += read as u64,
        }
    }
    let head_len = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(rest + (1024 - head_len) as u64, 33_554_432);
    assert!(!server.log().contains("time limit"));
}

#[test]
fn an_error_after_a_flush_cuts_the_body_off() {
    let server = Server::with(&["probe"], &[]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /flush/fail HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    // The connection closes without the final chunk; hyper may or may not have written the
    // head and the first chunk by then, but never a body that looks complete.
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 200 OK"),
        "{text}"
    );
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "the body must not look complete: {text:?}"
    );
    server.wait_for_log("cannot send an error response after the head was sent");
}

#[test]
fn clear_resets_status_headers_and_body() {
    let server = Server::with(&["probe"], &[]);
    let response = get(server.addr, "/clear");
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "after clear")
    );
    assert!(response.header("x-gone").is_none());
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
}

#[test]
fn a_head_request_that_flushes_gets_the_head_only() {
    let server = Server::with(&["probe"], &[]);
    let raw = "HEAD /flush/head HTTP/1.1\r\nHost: x\r\n\r\nGET /flush/head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(raw.as_bytes()).unwrap();
    let mut all = String::new();
    stream.read_to_string(&mut all).unwrap();
    assert!(all.starts_with("HTTP/1.1 200 OK"), "{all}");
    assert!(!all.contains("not sent"), "{all}");
    // The connection stayed usable: the pipelined GET got its 405 (the probe has no get).
    assert!(all.contains("HTTP/1.1 405"), "{all}");
    assert!(!server.log().contains("trapped"), "{}", server.log());
}
