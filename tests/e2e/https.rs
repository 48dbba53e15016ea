//! HTTPS served by gale itself (`--tls-cert`): HTTP/2 and HTTP/1.1 by ALPN, a renewed
//! certificate taken without a restart, plain HTTP sent on, and HTTP/2's limits against a
//! hostile client writing raw frames.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::h2raw::{
    ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, Frame, GOAWAY, H2, HEADERS, PING, RST_STREAM,
    SETTINGS, WINDOW_UPDATE, request_headers,
};
use crate::support::{Server, TestCa, binary, wait_until};

/// HTTP/2's error codes the tests expect.
const REFUSED_STREAM: u32 = 0x7;
const ENHANCE_YOUR_CALM: u32 = 0xb;

/// A CA, and the probe served over HTTPS with its certificate (and `flags`).
fn https_probe(flags: &[&str]) -> (TestCa, Server, PathBuf, PathBuf) {
    let ca = TestCa::new();
    let (cert, key) = ca.issue("server");
    let mut all = vec![
        "--listen",
        "https://127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    all.extend(flags);
    let server = Server::with(&["probe", "hello"], &all);
    (ca, server, cert, key)
}

/// `curl` over HTTPS trusting `ca`: the HTTP version, the status and the body.
fn curl(ca: &Path, version: &str, url: &str) -> (String, String, String) {
    let output = Command::new("curl")
        .args(["-sS", version, "--cacert", ca.to_str().unwrap()])
        .args(["-D", "-", "-w", "\n%{http_version} %{http_code}", url])
        .output()
        .expect("running curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (response, last) = text.rsplit_once('\n').unwrap_or(("", ""));
    let (version, status) = last.split_once(' ').unwrap_or(("", ""));
    (version.to_owned(), status.to_owned(), response.to_owned())
}

#[test]
fn https_answers_over_http2_and_http11_reporting_https_as_tornado_does_with_hsts() {
    let (ca, server, ..) = https_probe(&["--hsts", "600"]);
    let url = format!("https://localhost:{}/client", server.addr.port());
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let (got, status, response) = curl(&ca.cert, flag, &url);
        assert_eq!(
            (got.as_str(), status.as_str()),
            (version, "200"),
            "{response}"
        );
        assert!(response.ends_with("127.0.0.1 https"), "{response}");
        let hsts = "strict-transport-security: max-age=600";
        assert!(response.to_lowercase().contains(hsts), "{response}");
    }
}

#[test]
fn plain_http_is_sent_on_to_the_same_url_on_https_with_308_and_without_hsts() {
    let (_ca, server, ..) = https_probe(&[
        "--listen",
        "http://127.0.0.1:0",
        "--redirect-http",
        "--hsts",
        "600",
    ]);
    let (plain, https) = (server.addr_of("http"), server.addr_of("https"));
    let mut stream = TcpStream::connect(plain).unwrap();
    let request = "POST /client?a=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = [0u8; 512];
    let read = stream.read(&mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..read]).to_lowercase();
    assert!(head.starts_with("http/1.1 308"), "{head}");
    let location = format!("location: https://localhost:{}/client?a=1", https.port());
    assert!(head.contains(&location), "{head}");
    assert!(!head.contains("strict-transport-security"), "{head}");
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_stops_the_start_naming_both_files() {
    let ca = TestCa::new();
    let (cert, _) = ca.issue("one");
    let (_, other_key) = ca.issue("two");
    let output = Command::new(binary())
        .args([
            "serve",
            "--plugins",
            "/nonexistent",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&other_key)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("does not belong to the certificate")
            && stderr.contains(other_key.to_str().unwrap())
            && stderr.contains(cert.to_str().unwrap()),
        "{stderr}"
    );
}

#[test]
fn a_renewed_certificate_serves_new_handshakes_with_no_request_failing_and_a_broken_one_is_refused()
{
    let (ca, server, cert, key) = https_probe(&[]);
    let addr = server.addr;
    let before = H2::connect(addr, &ca.cert).peer_certificate();
    let stop = Arc::new(AtomicBool::new(false));
    let (answered, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let load = {
        let (stop, answered, failed) = (stop.clone(), answered.clone(), failed.clone());
        let ca = ca.cert.clone();
        std::thread::spawn(move || {
            let url = format!("https://localhost:{}/hello/world", addr.port());
            while !stop.load(Ordering::Relaxed) {
                let (_, status, _) = curl(&ca, "--http2", &url);
                let counter = if status == "200" { &answered } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    wait_until("requests are flowing", || {
        answered.load(Ordering::Relaxed) > 5
    });
    let (new_cert, new_key) = ca.issue("renewed");
    std::fs::copy(&new_key, &key).unwrap();
    std::fs::copy(&new_cert, &cert).unwrap();
    server.wait_for_log("new certificate from");
    let after = H2::connect(addr, &ca.cert).peer_certificate();
    assert_ne!(before, after, "new handshakes get the renewed certificate");
    // A key that belongs to another certificate: refused, the renewed pair serves on.
    let (_, stray_key) = ca.issue("stray");
    std::fs::copy(&stray_key, &key).unwrap();
    server.wait_for_log("the certificate in force keeps serving");
    let seen = answered.load(Ordering::Relaxed);
    wait_until("requests go on after the refusal", || {
        answered.load(Ordering::Relaxed) > seen + 5
    });
    assert_eq!(H2::connect(addr, &ca.cert).peer_certificate(), after);
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no request failed");
}

#[test]
fn a_tls_client_that_stalls_mid_handshake_is_closed_at_the_header_timeout() {
    let (_ca, server, ..) = https_probe(&["--header-timeout", "1s"]);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // A handshake record's header announcing 512 bytes that never come.
    stream.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).unwrap();
    let mut byte = [0u8; 1];
    let read = stream.read(&mut byte);
    assert!(matches!(read, Ok(0)), "closed, not left open: {read:?}");
}

#[test]
fn an_http2_connection_that_opens_no_stream_is_closed_at_the_header_timeout() {
    let (ca, server, ..) = https_probe(&["--header-timeout", "1s"]);
    let mut h2 = H2::connect(server.addr, &ca.cert);
    let goaway = h2.read_until(|frame| frame.kind == GOAWAY);
    assert!(goaway.is_some(), "GOAWAY before the connection ends");
    // hyper confirms the end with a ping, then closes.
    while let Some(frame) = h2.read() {
        if frame.kind == PING && frame.flags & ACK == 0 {
            h2.send(PING, ACK, 0, &frame.payload).unwrap();
        }
    }
}

#[test]
fn the_hundred_and_first_open_stream_is_refused() {
    let (ca, server, ..) = https_probe(&[]);
    let mut h2 = H2::connect(server.addr, &ca.cert);
    let settings = h2.read_until(|frame| frame.kind == SETTINGS).unwrap();
    let advertised = settings
        .payload
        .chunks(6)
        .find(|setting| setting[..2] == [0, 3]);
    assert_eq!(advertised.map(|s| &s[2..]), Some(&100u32.to_be_bytes()[..]));
    // Bodies never sent: each stream stays open.
    let block = request_headers("POST", "/arguments");
    for index in 0..101 {
        h2.send(HEADERS, END_HEADERS, 2 * index + 1, &block)
            .unwrap();
    }
    let refused = |frame: &Frame| frame.kind == RST_STREAM && frame.error_code() == REFUSED_STREAM;
    let reset = h2.read_until(refused).expect("a stream refused");
    assert_eq!(reset.stream, 201, "the 101st, not one of the hundred");
}

#[test]
fn a_rapid_reset_flood_is_cut_off_with_enhance_your_calm_and_the_server_serves_on() {
    let (ca, server, ..) = https_probe(&[]);
    let mut h2 = H2::connect(server.addr, &ca.cert);
    let block = request_headers("GET", "/hello/world");
    let cancel = 0x8u32.to_be_bytes();
    let mut sent_pairs = 0;
    for index in 0..5_000u32 {
        let stream = 2 * index + 1;
        let sent = h2
            .send(HEADERS, END_HEADERS | END_STREAM, stream, &block)
            .and_then(|()| h2.send(RST_STREAM, 0, stream, &cancel));
        if sent.is_err() {
            break;
        }
        sent_pairs += 1;
    }
    // The GOAWAY may be lost to the reset of a connection the client still writes to.
    let goaway = h2.read_until(|frame| frame.kind == GOAWAY);
    assert!(goaway.is_none_or(|f| f.error_code() == ENHANCE_YOUR_CALM));
    assert!(
        sent_pairs < 5_000,
        "the connection was closed during the flood"
    );
    server.wait_for_log("pending-accept streams reached limit");
    let served = server.log().matches("GET /hello/world").count();
    assert!(
        served <= 100,
        "{served} of the flood's requests reached a handler"
    );
    let url = format!("https://localhost:{}/hello/world", server.addr.port());
    assert_eq!(curl(&ca.cert, "--http2", &url).1, "200");
}

#[test]
fn a_continuation_flood_ends_the_connection_instead_of_growing_the_header_list() {
    let (ca, server, ..) = https_probe(&[]);
    let before = server.rss_kib();
    let mut h2 = H2::connect(server.addr, &ca.cert);
    h2.send(HEADERS, 0, 1, &request_headers("GET", "/hello/world"))
        .unwrap();
    // A literal header split over frames of 16 KiB, 10 MiB in all: ten times any limit.
    let filler = vec![b'a'; 16 * 1024];
    let mut sent = 0usize;
    while sent < 10 << 20 && h2.send(CONTINUATION, 0, 1, &filler).is_ok() {
        sent += filler.len();
    }
    let ended = h2.read_until(|frame| frame.kind == GOAWAY || frame.kind == RST_STREAM);
    assert!(
        ended.is_none() || ended.is_some_and(|f| f.kind == GOAWAY),
        "connection-level"
    );
    assert!(sent < 10 << 20, "the server stopped reading before 10 MiB");
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 8 * 1024, "RSS grew {grown} KiB");
}

/// A response as both protocols must agree on it: the status, the headers but those that
/// belong to one connection or one moment, cookies' expiry dates dropped, and the body.
fn comparable(version: &str, args: &[&str], url: &str, ca: &Path) -> String {
    let output = Command::new("curl")
        .args(["-sS", version, "--cacert", ca.to_str().unwrap(), "-D", "-"])
        .args(args)
        .arg(url)
        .output()
        .expect("running curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").split(' ').nth(1).unwrap_or("");
    assert!(status.len() == 3, "{version} {url} answered: {text:?}");
    let per_connection = ["date", "connection", "transfer-encoding", "content-length"];
    let mut headers: Vec<String> = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_lowercase(), value))
        .filter(|(name, _)| !per_connection.contains(&name.as_str()))
        .map(|(name, value)| {
            let parts = value
                .split("; ")
                .filter(|part| !part.starts_with("expires="));
            format!("{name}: {}", parts.collect::<Vec<_>>().join("; "))
        })
        .collect();
    headers.sort();
    format!("{status}\n{}\n\n{body}", headers.join("\n"))
}

#[test]
fn every_handler_api_answers_over_http2_as_over_http11() {
    let static_dir = tempfile::tempdir().unwrap();
    std::fs::write(static_dir.path().join("a.txt"), "hello world\n").unwrap();
    let (ca, server, ..) = https_probe(&[
        "--listen",
        "http://127.0.0.1:0",
        "--cookie-secret",
        "matrix",
        "--static",
        static_dir.path().to_str().unwrap(),
    ]);
    let cases: &[(&str, &[&str])] = &[
        ("/arguments?a=1&a=2", &[]),
        ("/arguments?a=1", &["-d", "a=x"]),
        ("/status?code=201", &[]),
        ("/echo/x/y%20z", &[]),
        ("/cookie/full", &[]),
        ("/cookie/read", &["-b", "a=1; b=2"]),
        ("/clear", &[]),
        ("/go/x", &[]),
        ("/error/404", &[]),
        ("/nowhere", &[]),
        ("/flush/head", &["-I"]),
        ("/stages", &[]),
        ("/static/a.txt", &["-r", "2-5"]),
    ];
    let (plain, https) = (server.addr_of("http"), server.addr_of("https"));
    for (path, args) in cases {
        let over_http11 = format!("http://localhost:{}{path}", plain.port());
        let over_http2 = format!("https://localhost:{}{path}", https.port());
        assert_eq!(
            comparable("--http1.1", args, &over_http11, &ca.cert),
            comparable("--http2", args, &over_http2, &ca.cert),
            "{path} {args:?}"
        );
    }
}

#[test]
fn a_websocket_over_https_speaks_on_its_own_http11_connection() {
    let (ca, server, ..) = https_probe(&[]);
    // A browser opens a WebSocket on a connection that offers HTTP/1.1 alone.
    let tcp = TcpStream::connect(server.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let config = crate::support::h2raw::client_config(&ca.cert, &[b"http/1.1"]);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = rustls::StreamOwned::new(rustls::ClientConnection::new(config, name).unwrap(), tcp);
    let url = format!("wss://localhost:{}/ws/echo", server.addr.port());
    let (mut socket, _) = tungstenite::client(url, tls).expect("the handshake over TLS");
    let greeting = socket.read().unwrap();
    assert!(greeting.is_text(), "{greeting:?}");
    socket.send(tungstenite::Message::text("over tls")).unwrap();
    let echoed = socket.read().unwrap().into_text().unwrap();
    assert!(echoed.contains("over tls"), "{echoed}");
}

#[test]
fn a_stream_that_never_reads_holds_neither_its_connection_nor_the_server() {
    let (ca, server, ..) = https_probe(&[]);
    let mut h2 = H2::connect(server.addr, &ca.cert);
    // Every stream's window starts at 0: nothing is sent on it until the client says so.
    h2.send(SETTINGS, 0, 0, &[0, 4, 0, 0, 0, 0]).unwrap();
    h2.send(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &request_headers("GET", "/version?kib=8192"),
    )
    .unwrap();
    h2.send(
        HEADERS,
        END_HEADERS | END_STREAM,
        3,
        &request_headers("GET", "/hello/world"),
    )
    .unwrap();
    // Only stream 3 is opened to data.
    h2.send(WINDOW_UPDATE, 0, 3, &(1u32 << 20).to_be_bytes())
        .unwrap();
    let ended = h2.read_until(|frame| {
        frame.kind == DATA && frame.stream == 3 && frame.flags & END_STREAM != 0
    });
    assert!(
        ended.is_some(),
        "the second stream is answered beside the stalled one"
    );
    let url = format!("https://localhost:{}/hello/world", server.addr.port());
    assert_eq!(curl(&ca.cert, "--http2", &url).1, "200");
    assert!(
        server.rss_kib() < 256 * 1024,
        "the stalled 8 MiB is not multiplied"
    );
}

#[test]
fn a_ping_flood_from_a_client_that_reads_nothing_is_held_by_tcp_then_closed_at_the_write_timeout() {
    let (ca, server, ..) = https_probe(&["--write-timeout", "2s"]);
    let before = server.rss_kib();
    let mut h2 = H2::connect(server.addr, &ca.cert);
    let mut sent = 0;
    while sent < 1_000_000 && h2.send(PING, 0, 0, &[7; 8]).is_ok() {
        sent += 1;
    }
    assert!(
        sent < 1_000_000,
        "the server stopped reading pings it could not answer"
    );
    let url = format!("https://localhost:{}/hello/world", server.addr.port());
    assert_eq!(curl(&ca.cert, "--http2", &url).1, "200", "the loop is free");
    server.wait_for_log("read nothing for 2s (--write-timeout)");
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 16 * 1024, "RSS grew {grown} KiB");
}
