//! A real browser (Debian's Chromium, driven by playwright-core from npm) registers, logs
//! in, sees `/me`, logs out and is sent back to the login page; and chats on three pages,
//! one per transport; and watches the admin page under load. The screenshots are kept in
//! `target/gale/artifacts/`.

use std::path::Path;
use std::process::Command;

use crate::support::{Server, TestCa, TestStore, report, root};

/// Whether node, playwright-core (`npm ci --prefix tests/browser`) and Chromium are here;
/// with `GALE_REQUIRE_BROWSER` set (as .ci/run does), their absence fails the test.
fn browser_available() -> bool {
    let node = Command::new("node").arg("--version").output().is_ok();
    let playwright = root()
        .join("tests/browser/node_modules/playwright-core")
        .exists();
    let chromium =
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("GALE_CHROMIUM").is_some();
    let available = node && playwright && chromium;
    if !available {
        assert!(
            std::env::var_os("GALE_REQUIRE_BROWSER").is_none(),
            "the browser test needs node, Chromium (apt-get install chromium) and \
             playwright-core (npm ci --prefix tests/browser)"
        );
        report(
            "SKIPPED: the browser test (needs node, chromium and npm ci --prefix tests/browser)",
        );
    }
    available
}

/// Runs `tests/browser/SCRIPT` against `server` and checks the screenshot it takes, kept in
/// `target/gale/artifacts/NAME.png`; what the script printed (a JSON line).
fn run_browser(script: &str, server: &Server, name: &str) -> serde_json::Value {
    run_browser_on(
        script,
        &format!("http://{}", server.addr),
        &[],
        server,
        name,
    )
}

/// As [`run_browser`], on the page at `base`, with `more` arguments after the screenshot's.
fn run_browser_on(
    script: &str,
    base: &str,
    more: &[&str],
    server: &Server,
    name: &str,
) -> serde_json::Value {
    let artifacts = root().join("target/gale/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&screenshot);
    let run = Command::new("node")
        .arg(root().join("tests/browser").join(script))
        .arg(base)
        .arg(&screenshot)
        .args(more)
        .output()
        .expect("running node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "the browser run failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&run.stderr),
        server.log()
    );
    let png = std::fs::read(&screenshot).expect("the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    report(&format!("browser: screenshot at {}", screenshot.display()));
    serde_json::from_str(stdout.trim()).expect("a JSON line")
}

#[test]
fn a_browser_registers_logs_in_sees_me_and_logs_out() {
    if !browser_available() {
        return;
    }
    let store = TestStore::sqlite();
    let server = Server::with(&["accounts"], &store.flags());
    let shown = run_browser("accounts.mjs", &server, "accounts-me");
    let stored = store.rows("SELECT uuid FROM users WHERE account = 'browser user'");
    assert_eq!(
        shown["uuid"],
        stored[0][0].as_str(),
        "/me shows the stored uuid"
    );
}

#[test]
fn three_pages_chat_over_websocket_long_polling_and_events_and_see_one_order() {
    if !browser_available() {
        return;
    }
    let server = Server::with(&["chat"], &[]);
    let shown = run_browser("chat.mjs", &server, "chat");
    assert_one_order(&shown);
}

/// Every transport's page shows the three messages in the order they were sent.
fn assert_one_order(shown: &serde_json::Value) {
    let expected = serde_json::json!(["from ws", "from poll", "from sse"]);
    for transport in ["ws", "poll", "sse"] {
        assert_eq!(shown[transport], expected, "{transport}");
    }
}

#[test]
fn the_chat_over_https_comes_over_http2_with_its_websocket_long_polls_and_events() {
    if !browser_available() {
        return;
    }
    let ca = TestCa::new();
    let (cert, key) = ca.issue("server");
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let tls = [
        "--listen",
        "https://127.0.0.1:0",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
    ];
    let server = Server::with(&["chat"], &tls);
    let base = format!("https://localhost:{}", server.addr.port());
    let shown = run_browser_on("chat.mjs", &base, &[], &server, "chat-https");
    assert_one_order(&shown);
    for transport in ["ws", "poll", "sse"] {
        assert_eq!(shown["protocols"][transport], "h2", "{transport}'s page");
    }
}

#[test]
fn the_admin_page_charts_a_loaded_server_agrees_with_metrics_and_shows_markup_as_text() {
    if !browser_available() {
        return;
    }
    let refused = (
        "<img src=x onerror=window.pwned=2>.wasm",
        b"not a component".to_vec(),
    );
    let plugins = [
        crate::support::plugin("probe"),
        crate::support::plugin("hostile"),
    ];
    let flags = ["--admin", "127.0.0.1:0", "--access-log", "off"];
    let server = Server::start(&plugins, &[refused], &flags, &[]);
    let (admin, app) = (server.admin_addr(), format!("http://{}", server.addr));
    let shown = run_browser_on(
        "admin.mjs",
        &format!("http://{admin}"),
        &[&app],
        &server,
        "admin",
    );
    assert!(shown["during"]["rate"].as_f64().unwrap() > 0.0, "{shown}");
    let (page, metrics) = (&shown["shown"], &shown["metrics"]);
    assert_eq!(
        page, metrics,
        "the page's count of /version is /metrics' count"
    );
    assert_eq!(
        metrics, &shown["answered"],
        "every request the load made, counted once"
    );
}
