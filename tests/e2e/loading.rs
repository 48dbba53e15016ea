//! Loading plugins: what is refused, with what message, while the rest serves.

use std::process::Command;

use gale_host::__private::WIT_VERSION;

use crate::support::{Server, get, patched, plugin, root};

/// `hello.wasm` with its contract version rewritten: what a plugin built against another
/// gale:web looks like to the host.
fn hello_built_against(version: &str) -> Vec<u8> {
    let bytes = std::fs::read(plugin("hello")).unwrap();
    let (from, to) = (b"gale:web/", version.as_bytes());
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        let name_end = at + rest[at..].iter().position(|&b| b == b'@').unwrap_or(0);
        out.extend_from_slice(&rest[..=name_end]);
        out.extend_from_slice(to);
        rest = &rest[name_end + 1 + to.len()..];
    }
    out.extend_from_slice(rest);
    assert_eq!(out.len(), bytes.len(), "the rewrite keeps every length");
    out
}

/// The line that refuses hello rewritten to contract `version`, served beside the tutorial
/// (which must go on answering).
fn refusal_of_contract(version: &str) -> String {
    let server = Server::start(
        &[plugin("tutorial")],
        &[("other.wasm", hello_built_against(version))],
        &[],
        &[],
    );
    let line = server.wait_for_log("refused");
    assert!(line.contains("other.wasm"), "{line}");
    assert_eq!(get(server.addr, "/time/1/2/3").text(), "1-2-3");
    line
}

#[test]
fn a_plugin_built_against_another_contract_is_refused_at_start() {
    let line = refusal_of_contract("7.0.0");
    let expected =
        format!("built against gale:web@7.0.0 but this host provides gale:web@{WIT_VERSION}");
    assert!(line.contains(&expected), "{line}");
}

#[test]
fn a_plugin_built_against_the_contract_before_coroutines_is_refused_naming_the_sdk_to_rebuild_with()
{
    // 0.3.0's `dispatch` took no request id and its plugins could not wait: they would
    // pass a version check of 0.3 and fail on wasmtime's type check, which names no SDK.
    let line = refusal_of_contract("0.3.0");
    let expected = format!(
        "built against gale:web@0.3.0 but this host provides gale:web@{WIT_VERSION}: \
         rebuild it with gale-sdk {WIT_VERSION}"
    );
    assert!(line.contains(&expected), "{line}");
}

#[test]
fn files_that_are_not_components_are_refused_while_the_others_serve() {
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let garbage = b"definitely not wasm".to_vec();
    let server = Server::start(
        &[plugin("tutorial")],
        &[("core.wasm", core_module), ("junk.wasm", garbage)],
        &[],
        &[],
    );
    let core = server.wait_for_log("core.wasm");
    assert!(
        core.contains("core WebAssembly module, not a component"),
        "{core}"
    );
    let junk = server.wait_for_log("junk.wasm");
    assert!(junk.contains("not a WebAssembly component"), "{junk}");
    assert_eq!(get(server.addr, "/").text(), "hello world");
}

#[test]
fn route_order_across_plugins_follows_plugin_names() {
    // The probe's `/time/.*` overlaps the tutorial's `/time/(\d+)/(\d+)/(\d+)`: the plugin
    // whose name sorts first answers.
    let probe = std::fs::read(plugin("probe")).unwrap();
    let first = Server::start(
        &[plugin("tutorial")],
        &[("a-probe.wasm", probe.clone())],
        &[],
        &[],
    );
    assert_eq!(get(first.addr, "/time/1/2/3").text(), "probe");
    let last = Server::start(&[plugin("tutorial")], &[("z-probe.wasm", probe)], &[], &[]);
    assert_eq!(get(last.addr, "/time/1/2/3").text(), "1-2-3");
}

#[test]
fn a_plugin_claiming_a_pattern_another_plugin_owns_is_refused() {
    let hello = std::fs::read(plugin("hello")).unwrap();
    let server = Server::start(&[plugin("hello")], &[("hello2.wasm", hello)], &[], &[]);
    let line = server.wait_for_log("refused");
    assert!(
        line.contains("hello2.wasm")
            && line.contains(r#"route "/hello/world" is already claimed by plugin hello"#),
        "{line}"
    );
    assert_eq!(get(server.addr, "/hello/world").text(), "Hello, world");
}

#[test]
fn the_example_plugins_serve_side_by_side() {
    let server = Server::with(&["hello", "tutorial"], &[]);
    assert_eq!(get(server.addr, "/hello/world").text(), "Hello, world");
    assert_eq!(get(server.addr, "/").text(), "hello world");
    assert!(!server.log().contains("refused"), "{}", server.log());
}

#[test]
fn check_prints_a_plugins_routes_and_refuses_a_bad_file() {
    let ok = Command::new(env!("CARGO_BIN_EXE_gale"))
        .arg("check")
        .arg(plugin("tutorial"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}");
    assert!(
        stdout.contains(r"/time/(\d+)/(\d+)/(\d+)") && stdout.contains(r#"(name "time")"#),
        "{stdout}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"nope").unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_gale"))
        .arg("check")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a WebAssembly component"));
}

#[test]
fn serve_without_a_plugin_directory_says_what_is_missing() {
    let output = Command::new(env!("CARGO_BIN_EXE_gale"))
        .args(["serve", "--plugins", "/no/such/dir"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read the plugin directory /no/such/dir")
    );
}

#[test]
fn flags_are_also_read_from_gale_variables() {
    // With the default 10 s limit the client (5 s patience) would give up first.
    let server = Server::start(
        &[plugin("probe")],
        &[],
        &[],
        &[("GALE_HANDLER_TIMEOUT", "500ms")],
    );
    assert_eq!(get(server.addr, "/spin").status, 503);
}

#[test]
fn dev_builds_a_plugin_crate_and_serves_it() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gale"));
    command
        .current_dir(root())
        .args(["dev", "tests/plugins/probe", "--listen", "127.0.0.1:0"]);
    let server = Server::spawn(command);
    assert_eq!(
        get(server.addr, "/echo/dev/x").json()["args"],
        serde_json::json!(["dev", "x"])
    );
}

#[test]
fn a_plugin_with_a_bad_route_regex_is_refused_with_the_route_named() {
    let tutorial = std::fs::read(plugin("tutorial")).unwrap();
    let broken = patched(&tutorial, "/greet", "/gr(et");
    let server = Server::start(&[plugin("hello")], &[("broken.wasm", broken)], &[], &[]);
    let line = server.wait_for_log("broken.wasm");
    assert!(line.contains(r#"route "/gr(et": bad regex"#), "{line}");
    assert_eq!(get(server.addr, "/hello/world").text(), "Hello, world");
}

#[test]
fn a_truncated_component_is_refused() {
    let bytes = std::fs::read(plugin("hello")).unwrap();
    let truncated = bytes[..bytes.len() / 2].to_vec();
    let server = Server::start(&[plugin("tutorial")], &[("cut.wasm", truncated)], &[], &[]);
    let line = server.wait_for_log("cut.wasm");
    assert!(line.contains("does not compile"), "{line}");
    assert_eq!(get(server.addr, "/time/1/2/3").text(), "1-2-3");
}

#[test]
fn a_plugin_file_larger_than_256_mib_is_refused_unread() {
    let server = Server::with(&["hello"], &[]);
    let partial = server.plugin_dir().join(".huge.wasm.partial");
    // Sparse: 257 MiB that take no disk.
    std::fs::File::create(&partial)
        .unwrap()
        .set_len(257 << 20)
        .unwrap();
    std::fs::rename(&partial, server.plugin_dir().join("huge.wasm")).unwrap();
    let line = server.wait_for_log("more than the 256 MiB a plugin may be");
    assert!(line.contains("huge.wasm"), "{line}");
    assert_eq!(get(server.addr, "/hello/world").status, 200);
}

#[test]
fn a_compiled_code_cache_others_may_write_to_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let shared = tempfile::tempdir().unwrap();
    let cache = shared.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut command = Command::new(crate::support::binary());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(plugin("hello"), dir.path().join("hello.wasm")).unwrap();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins"])
        .arg(dir.path())
        .env("GALE_CACHE_DIR", &cache);
    let server = Server::spawn(command);
    let line = server.wait_for_log("not using the compiled-code cache");
    assert!(line.contains("others may write to it (mode 777)"), "{line}");
    assert_eq!(get(server.addr, "/hello/world").status, 200);
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        0,
        "nothing was written there"
    );
}

#[test]
fn a_plugin_built_against_a_newer_patch_of_the_contract_is_refused_with_what_to_do() {
    let (major_minor, _) = WIT_VERSION.rsplit_once('.').unwrap();
    let newer = format!("{major_minor}.9");
    let line = refusal_of_contract(&newer);
    let expected = format!(
        "built against gale:web@{newer}, newer than this host's gale:web@{WIT_VERSION}: \
         rebuild it with gale-sdk {WIT_VERSION}, or run a newer gale"
    );
    assert!(line.contains(&expected), "{line}");
}

#[test]
fn a_plugin_built_against_an_older_patch_of_the_contract_is_served() {
    // 0.4.1 added the `database` import; a plugin of 0.4.0 lacks it and is served as it was.
    let (major_minor, patch) = WIT_VERSION.rsplit_once('.').unwrap();
    let older = format!("{major_minor}.{}", patch.parse::<u32>().unwrap() - 1);
    let server = Server::start(&[], &[("old.wasm", hello_built_against(&older))], &[], &[]);
    server.wait_for_log("loaded old");
    assert_eq!(get(server.addr, "/hello/world").text(), "Hello, world");
}
