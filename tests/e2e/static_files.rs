//! `--static DIR`: Tornado's StaticFileHandler at /static/ and `static_url`.

use std::path::Path;

use sha2::{Digest, Sha512};

use crate::support::{Response, Server, Tornado, get, send};

fn site() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("static");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("site.css"), "body { color: teal }\n").unwrap();
    std::fs::write(root.join("sub/a.txt"), "0123456789").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
    let server = Server::with(&["probe"], &["--static", root.to_str().unwrap()]);
    (dir, server)
}

fn with_header(server: &Server, path: &str, header: &str) -> Response {
    send(
        server.addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{header}\r\nConnection: close\r\n\r\n"),
    )
}

fn sha512(path: &Path) -> String {
    format!("{:x}", Sha512::digest(std::fs::read(path).unwrap()))
}

#[test]
fn static_files_carry_etag_last_modified_and_type() {
    let (dir, server) = site();
    let css = get(server.addr, "/static/site.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.text(), "body { color: teal }\n");
    let hash = sha512(&dir.path().join("static/site.css"));
    assert_eq!(css.header("etag"), Some(format!("\"{hash}\"").as_str()));
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert_eq!(css.header("accept-ranges"), Some("bytes"));
    assert!(css.header("last-modified").is_some());
    assert!(css.header("cache-control").is_none());
    let versioned = get(server.addr, &format!("/static/site.css?v={hash}"));
    assert_eq!(versioned.header("cache-control"), Some("max-age=315360000"));
    assert!(versioned.header("expires").is_some());
    let etag = css.header("etag").unwrap();
    let not_modified = with_header(
        &server,
        "/static/site.css",
        &format!("If-None-Match: {etag}"),
    );
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    let since = css.header("last-modified").unwrap();
    let unchanged = with_header(
        &server,
        "/static/site.css",
        &format!("If-Modified-Since: {since}"),
    );
    assert_eq!(unchanged.status, 304);
    let old = with_header(
        &server,
        "/static/site.css",
        "If-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT",
    );
    assert_eq!(old.status, 200);
}

#[test]
fn ranges_are_served_as_tornado() {
    let (_dir, server) = site();
    let part = with_header(&server, "/static/sub/a.txt", "Range: bytes=2-5");
    assert_eq!((part.status, part.text().as_str()), (206, "2345"));
    assert_eq!(part.header("content-range"), Some("bytes 2-5/10"));
    let tail = with_header(&server, "/static/sub/a.txt", "Range: bytes=-3");
    assert_eq!(tail.text(), "789");
    let whole = with_header(&server, "/static/sub/a.txt", "Range: bytes=0-");
    assert_eq!((whole.status, whole.text().as_str()), (200, "0123456789"));
    let past = with_header(&server, "/static/sub/a.txt", "Range: bytes=10-");
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some("bytes */10"));
}

#[test]
fn paths_outside_the_directory_and_directories_are_refused() {
    let (_dir, server) = site();
    assert_eq!(get(server.addr, "/static/..%2Fsecret.txt").status, 403);
    assert_eq!(get(server.addr, "/static/sub/../../secret.txt").status, 403);
    assert_eq!(get(server.addr, "/static/link.txt").status, 403);
    assert_eq!(get(server.addr, "/static/sub").status, 403);
    assert_eq!(get(server.addr, "/static/missing.css").status, 404);
    let post = send(
        server.addr,
        "POST /static/site.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(post.status, 405);
    let head = send(
        server.addr,
        "HEAD /static/sub/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("10"));
}

#[test]
fn static_url_adds_the_content_hash() {
    let (dir, server) = site();
    let url = get(server.addr, "/static-url?path=sub/a.txt").text();
    let hash = sha512(&dir.path().join("static/sub/a.txt"));
    assert_eq!(url, format!("/static/sub/a.txt?v={hash}"));
    std::fs::write(dir.path().join("static/sub/a.txt"), "changed, and longer").unwrap();
    let changed = get(server.addr, "/static-url?path=sub/a.txt").text();
    assert_ne!(changed, url, "an edited file gets a new version");
    assert_eq!(get(server.addr, "/static-url?path=missing.txt").status, 500);
}

#[test]
fn a_plugin_declares_a_static_route_over_a_directory_beside_it() {
    let server = Server::with(&["forms"], &[]);
    assert_eq!(get(server.addr, "/assets/app.js").status, 404);
    let assets = server.plugin_dir().join("site-assets");
    std::fs::create_dir(&assets).unwrap();
    std::fs::write(assets.join("app.js"), "alert(1)").unwrap();
    let script = get(server.addr, "/assets/app.js");
    assert_eq!((script.status, script.text().as_str()), (200, "alert(1)"));
    assert_eq!(script.header("content-type"), Some("text/javascript"));
    assert_eq!(get(server.addr, "/assets/..%2Fforms.wasm").status, 403);
}

#[test]
fn static_responses_match_tornados() {
    let (dir, server) = site();
    let Some(tornado) = Tornado::serving("s", Some(&dir.path().join("static"))) else {
        return;
    };
    let etag = get(server.addr, "/static/site.css")
        .header("etag")
        .unwrap()
        .to_owned();
    let cases = [
        ("/static/site.css", String::new()),
        ("/static/site.css?v=1", String::new()),
        ("/static/site.css", format!("If-None-Match: {etag}")),
        ("/static/sub/a.txt", "Range: bytes=2-5".to_owned()),
        ("/static/sub/a.txt", "Range: bytes=-3".to_owned()),
        ("/static/sub/a.txt", "Range: bytes=10-".to_owned()),
        ("/static/sub/a.txt", "Range: bytes=0-1,4-5".to_owned()),
        ("/static/missing.css", String::new()),
        ("/static/sub/../../secret.txt", String::new()),
    ];
    let compared = [
        "etag",
        "content-type",
        "content-range",
        "accept-ranges",
        "cache-control",
        "content-length",
    ];
    for (path, header) in cases {
        let ours = with_header(&server, path, &header);
        let reference = send(
            tornado.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{header}\r\nConnection: close\r\n\r\n"),
        );
        assert_eq!(ours.status, reference.status, "{path} {header}");
        if ours.status < 400 {
            assert_eq!(ours.body, reference.body, "{path} {header}");
            for name in compared {
                assert_eq!(
                    ours.header(name),
                    reference.header(name),
                    "{name}: {path} {header}"
                );
            }
        }
    }
    for path in ["site.css", "sub/a.txt"] {
        let ours = get(server.addr, &format!("/static-url?path={path}")).text();
        let reference = get(tornado.addr, &format!("/static-url?path={path}")).text();
        assert_eq!(ours, reference);
    }
}

#[test]
fn a_static_route_never_serves_the_plugin_directory_itself() {
    // A directory that links back to the plugin directory: every plugin's .wasm beside it.
    let server = Server::with(&["forms"], &[]);
    std::os::unix::fs::symlink(".", server.plugin_dir().join("site-assets")).unwrap();
    assert_eq!(get(server.addr, "/assets/forms.wasm").status, 403);
    server.wait_for_log("is the plugin directory");
    // A route whose directory is the plugin directory by name is refused at load: the
    // route's `{"path": "site-assets"}` rewritten in the bytes.
    let itself = crate::support::patched(
        &std::fs::read(crate::support::plugin("forms")).unwrap(),
        "site-assets",
        "./././././.",
    );
    let refused = Server::start(&[], &[("forms.wasm", itself)], &[], &[]);
    let line = refused.wait_for_log("refused");
    assert!(line.contains("is the plugin directory itself"), "{line}");
}

#[test]
fn a_static_directory_containing_the_plugin_directory_is_refused_at_start() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let mut child = std::process::Command::new(crate::support::binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--plugins"])
        .arg(&plugins)
        .arg("--static")
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("gale served a static directory that contains its plugins");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("contains the plugin directory"), "{stderr}");
}

#[test]
fn a_file_dated_before_1970_is_served_as_of_1970() {
    let (dir, server) = site();
    let old = std::fs::File::options()
        .write(true)
        .open(dir.path().join("static/site.css"))
        .unwrap();
    let before = std::time::UNIX_EPOCH - std::time::Duration::from_secs(86_400 * 365);
    old.set_modified(before).unwrap();
    let response = get(server.addr, "/static/site.css");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("last-modified"),
        Some("Thu, 01 Jan 1970 00:00:00 GMT")
    );
}
