//! A plugin author's first hour, outside the checkout: `gale --version`, `gale new` (each
//! template), `cargo test` in the new crate (its test runs a real server through
//! `gale-testing`), `gale build` and `gale serve` on what it made.

use gale_host::__private::WIT_VERSION;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Server, binary, get, root};

/// Runs `gale ARGS` in `dir`.
fn gale(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("running gale")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn gale_version_names_the_contract_it_serves_and_the_sdk_to_write_with() {
    let version = gale(&root(), &["--version"]);
    let line = String::from_utf8_lossy(&version.stdout);
    let host = env!("CARGO_PKG_VERSION");
    assert_eq!(
        line.trim(),
        format!(
            "gale {host} (serves plugins of gale:web@{}, written with gale-sdk {host})",
            gale_host::__private::WIT_VERSION
        )
    );
}

#[test]
fn gale_new_refuses_a_bad_name_an_existing_directory_and_an_unknown_template() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["9lives", "My-Plugin", "a/b"] {
        let made = gale(dir.path(), &["new", bad]);
        assert!(!made.status.success());
        assert!(
            stderr(&made).contains("cannot name a plugin"),
            "{}",
            stderr(&made)
        );
    }
    assert!(gale(dir.path(), &["new", "taken"]).status.success());
    let again = gale(dir.path(), &["new", "taken"]);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    let unknown = gale(dir.path(), &["new", "other", "--template", "blog"]);
    assert!(
        stderr(&unknown).contains("[possible values: hello, accounts, chat, gateway, notes]"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn plugins_made_by_gale_new_outside_the_checkout_build_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let made = gale(dir.path(), &["new", "greeter"]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(String::from_utf8_lossy(&made.stdout).contains("gale dev ."));
    for template in ["accounts", "chat", "gateway", "notes"] {
        let name = format!("my-{template}");
        let made = gale(dir.path(), &["new", &name, "--template", template]);
        assert!(made.status.success(), "{}", stderr(&made));
    }
    // Pinned to the versions the workspace builds with, so the build reuses them.
    for name in [
        "greeter",
        "my-accounts",
        "my-chat",
        "my-gateway",
        "my-notes",
    ] {
        std::fs::copy(
            root().join("Cargo.lock"),
            dir.path().join(name).join("Cargo.lock"),
        )
        .unwrap();
    }
    // The new crate's own test (gale-testing: a real server) passes with no other step.
    let tested = Command::new("cargo")
        .arg("test")
        .current_dir(dir.path().join("greeter"))
        .env("GALE_BINARY", binary())
        .env("CARGO_TARGET_DIR", root().join("target/gale/author-test"))
        .output()
        .expect("running cargo test");
    let said = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success() && said.contains("test tests::it_answers ... ok"),
        "{said}\n{}",
        stderr(&tested)
    );
    let out = dir.path().join("out");
    let crates: Vec<String> = [
        "greeter",
        "my-accounts",
        "my-chat",
        "my-gateway",
        "my-notes",
    ]
    .iter()
    .map(|name| dir.path().join(name).display().to_string())
    .collect();
    let mut args = vec!["build"];
    args.extend(crates.iter().map(String::as_str));
    let out_text = out.display().to_string();
    args.extend(["--out", &out_text]);
    // From the checkout, so that the build shares its wasm target directory.
    let built = gale(&root(), &args);
    assert!(built.status.success(), "{}", stderr(&built));
    let plugins: Vec<_> = ["greeter", "my_accounts", "my_chat", "my_notes"]
        .iter()
        .map(|name| out.join(format!("{name}.wasm")))
        .collect();
    let server = Server::start(&plugins, &[], &[], &[]);
    let page = get(server.addr, "/?name=ada").text();
    assert!(page.contains("<h1>Hello, ada, from greeter</h1>"), "{page}");
    assert_eq!(get(server.addr, "/register").status, 200);
    assert!(get(server.addr, "/chat").text().contains("WebSocket"));
    // Its table made by the migration it brought, applied when it loaded.
    server.wait_for_log("applied 0001_notes.sql to its database");
    assert_eq!(get(server.addr, "/notes").status, 302);
    // The gateway, beside the tutorial whose pages it fetches.
    let gateway = [
        out.join("my_gateway.wasm"),
        crate::support::plugin("tutorial"),
    ];
    let allowed = ["--allow-outbound", "my_gateway=self"];
    let server = Server::start(&gateway, &[], &allowed, &[]);
    let host = format!(
        "GET /gateway HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let combined = crate::support::send(server.addr, &host).json();
    assert_eq!(combined["/"]["body"], "hello world", "{combined}");
}

#[test]
fn building_a_crate_without_routes_says_how_to_declare_them() {
    let dir = tempfile::tempdir().unwrap();
    assert!(gale(dir.path(), &["new", "bare"]).status.success());
    let krate = dir.path().join("bare");
    std::fs::write(
        krate.join("src/lib.rs"),
        "//! No routes yet.\n\npub fn nothing() {}\n",
    )
    .unwrap();
    std::fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let out = dir.path().join("out").display().to_string();
    let built = gale(
        &root(),
        &["build", &krate.display().to_string(), "--out", &out],
    );
    assert!(!built.status.success());
    assert!(
        stderr(&built).contains("bare.wasm is refused")
            && stderr(&built).contains("gale_sdk::routes![...]"),
        "{}",
        stderr(&built)
    );
}

#[test]
fn building_against_an_sdk_of_another_contract_says_which_sdk_to_use() {
    let dir = tempfile::tempdir().unwrap();
    // An SDK whose WIT is another contract (0.1), beside its gale-testing, as `--sdk` expects.
    let other = dir.path().join("old-gale");
    for part in [
        "sdk/src",
        "sdk/src/db",
        "sdk/src/websocket",
        "testing/src",
        "wit",
    ] {
        std::fs::create_dir_all(other.join(part)).unwrap();
        for entry in std::fs::read_dir(root().join(part)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, other.join(part).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    for manifest in ["sdk/Cargo.toml", "testing/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap();
        // Outside the workspace: its inherited keys written out.
        let standalone = text
            .replace("rust-version.workspace = true\n", "")
            .replace("version.workspace = true", "version = \"0.1.0\"")
            .replace("edition.workspace = true", "edition = \"2024\"")
            .replace("license.workspace = true\n", "")
            .replace("serde_json.workspace = true", "serde_json = \"1\"")
            .replace("askama.workspace = true", "askama = \"0.16\"");
        std::fs::write(other.join(manifest), standalone).unwrap();
    }
    let wit = std::fs::read_to_string(root().join("wit/gale.wit")).unwrap();
    std::fs::write(
        other.join("wit/gale.wit"),
        wit.replace(
            &format!("package gale:web@{WIT_VERSION};"),
            "package gale:web@0.1.0;",
        ),
    )
    .unwrap();

    let sdk = other.join("sdk").display().to_string();
    let made = gale(dir.path(), &["new", "dated", "--sdk", &sdk]);
    assert!(made.status.success(), "{}", stderr(&made));
    std::fs::copy(
        root().join("Cargo.lock"),
        dir.path().join("dated/Cargo.lock"),
    )
    .unwrap();
    let out = dir.path().join("out").display().to_string();
    let krate = dir.path().join("dated").display().to_string();
    let built = gale(&root(), &["build", &krate, "--out", &out]);
    assert!(!built.status.success());
    assert!(
        stderr(&built).contains("built against gale:web@0.1.0")
            && stderr(&built).contains(&format!("rebuild it with gale-sdk {WIT_VERSION}")),
        "{}",
        stderr(&built)
    );
}
