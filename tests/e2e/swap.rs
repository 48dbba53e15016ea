//! Hot swap: plugins added, replaced and removed while the server answers, with no request
//! dropped and every response wholly from one version.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::{Connection, Server, deploy, get, patched, plugin, wait_until};

pub const ORIGINAL: &str = "probe-version:original";
pub const REPLACED: &str = "probe-version:replaced";

/// The probe whose `/version` answers `version`: two of these are two versions of one plugin.
pub fn probe_as(version: &str) -> Vec<u8> {
    patched(&std::fs::read(plugin("probe")).unwrap(), ORIGINAL, version)
}

/// A server whose `app.wasm` is the probe's original version.
fn serving_original(flags: &[&str]) -> Server {
    Server::start(&[], &[("app.wasm", probe_as(ORIGINAL))], flags, &[])
}

fn version(server: &Server) -> String {
    get(server.addr, "/version").text()
}

/// Waits until new requests get `expected` from `/version`.
fn wait_for_version(server: &Server, expected: &str) {
    wait_until(&format!("/version answers {expected}"), || {
        version(server) == expected
    });
}

#[test]
fn fifty_swaps_under_load_drop_no_request_and_mix_no_versions() {
    let server = serving_original(&[]);
    let versions = [probe_as(REPLACED), probe_as(ORIGINAL)];
    let (stop, addr) = (Arc::new(AtomicBool::new(false)), server.addr);
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                // One keep-alive connection each for the whole run: a reset fails the test.
                let mut connection = Connection::open(addr);
                let mut answered = 0;
                while !stop.load(Ordering::Relaxed) {
                    let response = connection.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n");
                    assert_eq!(response.status, 200);
                    let text = response.text();
                    assert!(
                        text == ORIGINAL || text == REPLACED,
                        "a mixed answer: {text:?}"
                    );
                    answered += 1;
                }
                (connection, answered)
            })
        })
        .collect();
    for swap in 0..50 {
        let (bytes, expected) = (&versions[swap % 2], [REPLACED, ORIGINAL][swap % 2]);
        deploy(server.plugin_dir(), "app.wasm", bytes);
        wait_for_version(&server, expected);
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let (mut connection, answered) = client.join().expect("a client saw a failure");
        assert!(answered > 0);
        // After the last swap, connections opened before it get the last version too.
        let response = connection.send("GET /version HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(response.text(), ORIGINAL);
    }
    wait_until("the log shows 50 swaps", || {
        server.log().matches("swapped app").count() == 50
    });
}

#[test]
fn requests_in_flight_finish_on_the_old_version_while_new_ones_get_the_new() {
    let server = serving_original(&["--handler-timeout", "60s"]);
    let addr = server.addr;
    let slow = std::thread::spawn(move || get(addr, "/version?ms=1500").text());
    server.wait_for_log("version busy started");
    // A 16 MiB response, read slowly: most of it is still to come when the swap happens.
    let mut big = TcpStream::connect(addr).unwrap();
    big.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    big.write_all(b"GET /version?kib=16384 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut big = BufReader::new(big);
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        assert!(big.read_line(&mut head).unwrap() > 0, "no head: {head:?}");
    }
    let mut first = vec![0; 64 << 10];
    big.read_exact(&mut first).unwrap();

    deploy(server.plugin_dir(), "app.wasm", &probe_as(REPLACED));
    wait_for_version(&server, REPLACED);

    let mut rest = Vec::new();
    big.read_to_end(&mut rest).unwrap();
    first.extend_from_slice(&rest);
    let body = String::from_utf8(first).unwrap();
    assert!(
        body.len() >= 16 << 20,
        "the whole body arrived: {}",
        body.len()
    );
    assert!(
        body.lines().all(|line| line == ORIGINAL),
        "a line from the new version"
    );
    assert_eq!(slow.join().unwrap(), ORIGINAL);
}

#[test]
fn broken_new_versions_are_refused_while_the_old_one_keeps_answering() {
    let server = serving_original(&["--admin", "127.0.0.1:0"]);
    let original = probe_as(ORIGINAL);
    let replaced = probe_as(REPLACED);
    let refusals: [(&str, &str, Vec<u8>); 4] = [
        (
            "app.wasm",
            "does not compile",
            replaced[..replaced.len() / 2].to_vec(),
        ),
        (
            "app.wasm",
            "not a WebAssembly component",
            b"not wasm at all".to_vec(),
        ),
        (
            "app.wasm",
            r#"route "/sta(es": bad regex"#,
            patched(&replaced, "/stages", "/sta(es"),
        ),
        ("copy.wasm", "is already claimed by plugin app", original),
    ];
    for (name, reason, bytes) in refusals {
        deploy(server.plugin_dir(), name, &bytes);
        let line = server.wait_for_log(reason);
        assert!(line.contains("refused") && line.contains(name), "{line}");
        assert_eq!(version(&server), ORIGINAL);
    }
    let admin = server.admin_addr().to_string();
    let listing = Command::new(env!("CARGO_BIN_EXE_gale"))
        .args(["plugins", "--admin", &admin])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("app  ") && listing.contains("/version"),
        "{listing}"
    );
    assert!(
        listing.contains("last error") && listing.contains("bad regex"),
        "{listing}"
    );
    assert!(listing.contains("copy  not serving"), "{listing}");
}

#[test]
fn a_file_written_in_place_is_loaded_only_once_complete() {
    let server = serving_original(&[]);
    let replaced = probe_as(REPLACED);
    let mut file = std::fs::File::create(server.plugin_dir().join("app.wasm")).unwrap();
    let (head, tail) = replaced.split_at(replaced.len() / 2);
    file.write_all(head).unwrap();
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        version(&server),
        ORIGINAL,
        "the half-written file is not loaded"
    );
    file.write_all(tail).unwrap();
    drop(file);
    wait_for_version(&server, REPLACED);
    assert!(!server.log().contains("refused"), "{}", server.log());
}

#[test]
fn plugins_added_and_removed_while_serving_gain_and_lose_their_routes() {
    let server = serving_original(&[]);
    deploy(
        server.plugin_dir(),
        "tutorial.wasm",
        &std::fs::read(plugin("tutorial")).unwrap(),
    );
    wait_until("the tutorial serves /", || {
        get(server.addr, "/").status == 200
    });
    std::fs::remove_file(server.plugin_dir().join("app.wasm")).unwrap();
    wait_until("/version is gone", || {
        get(server.addr, "/version").status == 404
    });
    server.wait_for_log("removed app");
    assert_eq!(get(server.addr, "/").text(), "hello world");
}

#[test]
fn sighup_reloads_the_directory_when_watching_is_off() {
    let server = serving_original(&["--no-watch"]);
    deploy(server.plugin_dir(), "app.wasm", &probe_as(REPLACED));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(version(&server), ORIGINAL, "--no-watch does not watch");
    server.signal("HUP");
    wait_for_version(&server, REPLACED);
    server.wait_for_log("SIGHUP: reloading");
}

#[test]
fn the_compiled_code_cache_survives_a_restart_and_a_corrupt_entry_is_rebuilt() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    // The log up to the line that says how `app` was loaded.
    let start = || {
        let server = Server::start(
            &[],
            &[("app.wasm", probe_as(ORIGINAL))],
            &["--cache-dir", cache_dir],
            &[],
        );
        assert_eq!(version(&server), ORIGINAL);
        server.wait_for_log("loaded app");
        server.log()
    };
    let first = start();
    assert!(first.contains("compiled in"), "{first}");
    let second = start();
    assert!(
        second.contains("from the compiled-code cache") && !second.contains("compiled in"),
        "{second}"
    );
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue; // functions/: Cranelift's incremental cache, which checks its own
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    let third = start();
    assert!(
        third.contains("ignoring the corrupt compiled-code cache entry"),
        "{third}"
    );
    assert!(third.contains("compiled in"), "{third}");
    let fourth = start();
    assert!(
        fourth.contains("from the compiled-code cache"),
        "rebuilt: {fourth}"
    );
}

#[test]
fn dev_rebuilds_a_changed_crate_and_keeps_the_old_version_on_a_build_error() {
    // A copy of the hello crate, outside the workspace, with the workspace's lock so that
    // cargo reuses the dependencies it has built.
    let root = crate::support::root();
    let crate_dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "[package]\nname = \"devswap\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\ngale-sdk = {{ path = {:?} }}\n\n[workspace]\n",
        root.join("sdk")
    );
    std::fs::write(crate_dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), crate_dir.path().join("Cargo.lock")).unwrap();
    std::fs::create_dir(crate_dir.path().join("src")).unwrap();
    let source = crate_dir.path().join("src/lib.rs");
    let hello = std::fs::read_to_string(root.join("plugins/hello/src/lib.rs")).unwrap();
    std::fs::write(&source, &hello).unwrap();

    let mut command = Command::new(env!("CARGO_BIN_EXE_gale"));
    command
        .current_dir(&root)
        .arg("dev")
        .arg(crate_dir.path())
        .args(["--listen", "127.0.0.1:0"]);
    let server = Server::spawn(command);
    let greeting = || get(server.addr, "/hello/world").text();
    assert_eq!(greeting(), "Hello, world");

    std::fs::write(
        &source,
        hello.replace("\"Hello, world\"", "\"Hello, swap!\""),
    )
    .unwrap();
    wait_until("the rebuilt version answers", || {
        greeting() == "Hello, swap!"
    });

    std::fs::write(&source, "this is not Rust").unwrap();
    server.wait_for_log("the previous version keeps serving");
    assert_eq!(greeting(), "Hello, swap!");
}

#[test]
fn a_websocket_outlives_a_swap_and_runs_its_later_events_on_the_new_version() {
    use tungstenite::Message;
    let server = serving_original(&[]);
    let mut socket = crate::websocket::greeted(server.addr);
    socket.send(Message::text("version")).unwrap();
    assert_eq!(crate::websocket::text(&mut socket), ORIGINAL);

    deploy(server.plugin_dir(), "app.wasm", &probe_as(REPLACED));
    wait_for_version(&server, REPLACED);
    socket.send(Message::text("version")).unwrap();
    assert_eq!(crate::websocket::text(&mut socket), REPLACED);

    // Its plugin removed, it is going away.
    std::fs::remove_file(server.plugin_dir().join("app.wasm")).unwrap();
    let closed = crate::websocket::closed_with(&mut socket);
    assert_eq!(closed.map(|(code, _)| code), Some(1001));
}

#[test]
fn an_open_websocket_keeps_only_the_version_in_force_and_old_idle_instances_go() {
    use tungstenite::Message;
    let flags = ["--admin", "127.0.0.1:0", "--reuse-instances", "app=100"];
    let tutorial = std::fs::read(plugin("tutorial")).unwrap();
    let files = [
        ("app.wasm", probe_as(ORIGINAL)),
        ("tutorial.wasm", tutorial),
    ];
    let server = Server::start(&[], &files, &flags, &[]);
    let held = || {
        let load = get(server.admin_addr(), "/load").json();
        (
            load["plugin_versions_held"].clone(),
            load["instances_idle"].clone(),
        )
    };
    let mut socket = crate::websocket::greeted(server.addr);
    for (at, version) in ["probe-version:second00", "probe-version:third000"]
        .iter()
        .enumerate()
    {
        for _ in 0..5 {
            assert_eq!(get(server.addr, "/echo/a/b").status, 200);
        }
        deploy(server.plugin_dir(), "app.wasm", &probe_as(version));
        wait_for_version(&server, version);
        socket.send(Message::text("version")).unwrap();
        assert_eq!(crate::websocket::text(&mut socket), *version, "swap {at}");
    }
    // The probe in force and the tutorial; the first versions freed, with their idle
    // instances, though the socket opened on the first is still open.
    wait_until("old versions to be freed", || held().0 == 2);
    assert_eq!(
        held().1,
        1,
        "one idle instance, of the version in force (/version's)"
    );
}
