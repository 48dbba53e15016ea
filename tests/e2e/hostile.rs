//! A hostile plugin (tests/plugins/hostile) against the host: every byte it makes the host
//! hold is within its budget and caps, it cannot frame a response, forge a log line, or
//! read, set or sign the session cookie.

use std::time::Duration;

use crate::support::{Connection, Server, get, report, send};

/// A budget small enough that each attack meets it quickly.
const BUDGET: &str = "16MiB";

#[test]
fn a_plugin_cannot_make_the_host_hold_memory_past_its_budget_and_caps() {
    let server = Server::with(&["hostile"], &["--max-response-buffer", BUDGET]);
    let attacks = [
        ("/headers/huge", "buffer limit"),
        ("/headers/many", "more than 1000 response header values"),
        ("/cookies/many", "more than 1000 cookies set"),
        ("/reason", "buffer limit"),
    ];
    for round in 0..5 {
        for (path, cap) in attacks {
            let response = get(server.addr, path);
            assert_eq!(response.status, 500, "{path} (round {round})");
            assert_eq!(
                response.text(),
                "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>"
            );
            let line = server.wait_for_log(cap);
            assert!(line.contains("hostile"), "the log names the plugin: {line}");
        }
    }
    let peak = server.peak_rss_kib();
    report(&format!(
        "hostile plugin, 5 rounds of 4 attacks: peak RSS {} MiB",
        peak / 1024
    ));
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB");
    assert_eq!(
        get(server.addr, "/log/forge").status,
        200,
        "the server serves on"
    );
}

#[test]
fn a_plugin_cannot_frame_a_response_and_split_the_connection() {
    let server = Server::with(&["hostile", "tutorial"], &[]);
    let mut connection = Connection::open(server.addr);
    connection.write("GET /split HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let split = connection.read();
    assert_eq!(
        split.header("x-refused"),
        Some("3"),
        "every framing header refused"
    );
    let body = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled";
    assert_eq!(split.text(), body);
    assert_eq!(
        split.header("content-length"),
        Some(&*body.len().to_string())
    );
    assert_eq!(split.header("transfer-encoding"), None);
    let next = connection.read();
    assert_eq!(
        next.text(),
        "hello world",
        "the second response is the second request's"
    );
}

#[test]
fn a_plugin_log_line_stays_one_line_and_is_rate_limited() {
    let server = Server::with(&["hostile"], &[]);
    assert_eq!(get(server.addr, "/log/forge").text(), "logged");
    let line = server.wait_for_log("/forged-by-hostile");
    assert!(
        line.contains(r"innocent\n200 GET"),
        "one line, escaped: {line}"
    );
    assert_eq!(get(server.addr, "/log/flood").text(), "logged");
    std::thread::sleep(Duration::from_millis(1100));
    get(server.addr, "/log/forge");
    server.wait_for_log("output lines dropped");
    let flood = server.log().matches("flood line").count();
    assert!(
        (100..=300).contains(&flood),
        "{flood} of 10,000 lines logged"
    );
}

#[test]
fn a_plugin_cannot_read_the_session_cookie() {
    let server = Server::with(&["hostile"], &[]);
    let response = send(
        server.addr,
        "GET /session/read HTTP/1.1\r\nHost: x\r\nCookie: a=1; gale_session=SESSIONSECRET; b=2\r\nConnection: close\r\n\r\n",
    );
    let seen = response.text();
    assert!(!seen.contains("SESSIONSECRET"), "{seen}");
    assert!(!seen.contains("gale_session"), "{seen}");
    assert!(seen.contains(r#"header: Some("a=1; b=2")"#), "{seen}");
    assert!(
        seen.contains(r#"("b", "2")"#),
        "other cookies stay visible: {seen}"
    );
}

#[test]
fn a_plugin_can_neither_set_nor_clear_nor_sign_the_session_cookie() {
    let server = Server::with(&["hostile"], &[]);
    let response = send(
        server.addr,
        "GET /session/mint HTTP/1.1\r\nHost: x\r\nCookie: a=1; gale_session=SESSIONSECRET\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(response.text(), "refused 5 of 5");
    let set = response.header_all("set-cookie");
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(
        set[0].starts_with("a=\"\"; expires="),
        "clear_all_cookies clears a: {set:?}"
    );
}

#[test]
fn cookie_dates_past_what_http_can_say_are_clamped_not_a_crash() {
    let server = Server::with(&["hostile"], &[]);
    for days in ["3e6", "1e300", "inf", "-5"] {
        let response = get(server.addr, &format!("/cookie/far?days={days}"));
        assert_eq!(response.status, 200, "days={days}: {}", server.log());
        let far = response.header_all("set-cookie");
        let expected = match days {
            "-5" => None,
            _ => Some("expires=Fri, 31 Dec 9999 23:59:59 GMT"),
        };
        if let Some(expected) = expected {
            assert!(far[0].contains(expected), "{far:?}");
        }
        assert!(
            far[1].contains("expires=Fri, 31 Dec 9999 23:59:59 GMT"),
            "{far:?}"
        );
        assert!(far[1].contains("Max-Age=18446744073709551615"), "{far:?}");
    }
}
