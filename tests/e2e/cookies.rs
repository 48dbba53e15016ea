//! Cookies: Tornado's parsing of `Cookie`, its `Set-Cookie` output for every `set_cookie`
//! argument, clearing, and signed cookies that a Tornado app sharing the secret reads and
//! writes alike.

use std::net::SocketAddr;

use crate::support::{Response, Server, Tornado, get, send};

const SECRET: &str = "a shared cookie secret";

fn with_cookie(addr: SocketAddr, path: &str, cookie: &str) -> Response {
    send(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
}

/// What the tutorial's `/cookie/signed/get` reads from a `signed` cookie of this value.
fn read_signed(addr: SocketAddr, signed: &str) -> String {
    with_cookie(addr, "/cookie/signed/get", &format!("signed={signed}")).text()
}

/// `Set-Cookie` values with the `expires` dates cut out (two servers' clocks may tick
/// between two requests).
fn without_dates(response: &Response) -> Vec<String> {
    response
        .header_all("set-cookie")
        .iter()
        .map(|cookie| {
            cookie
                .split("; ")
                .filter(|attribute| !attribute.starts_with("expires="))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect()
}

/// The `expires` date of a `Set-Cookie` value.
fn expires_of(header: &str) -> std::time::SystemTime {
    let date = header
        .split("expires=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no expires in {header}"));
    httpdate::parse_http_date(date).expect("an HTTP date")
}

/// The value of the cookie `name` in a response's `Set-Cookie`.
fn set_value(response: &Response, name: &str) -> String {
    response
        .header_all("set-cookie")
        .iter()
        .find_map(|cookie| cookie.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no Set-Cookie for {name} in {:?}", response.headers))
        .to_owned()
}

#[test]
fn cookie_set_then_get_returns_the_value() {
    let server = Server::with(&["tutorial"], &[]);
    let set = get(server.addr, "/cookie/set");
    let value = set.text();
    assert_eq!(value.len(), 32);
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
    let header = set.header("set-cookie").unwrap();
    assert!(
        header.starts_with(&format!("sessionid={value}; expires=")),
        "{header}"
    );
    assert!(header.ends_with("GMT; Path=/"), "{header}");
    let expires = expires_of(header);
    let minutes = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs()
        / 60;
    assert!((28..=30).contains(&minutes), "expires in {minutes} minutes");
    let got = with_cookie(server.addr, "/cookie/get", &format!("sessionid={value}"));
    assert_eq!(got.text(), value);
    assert_eq!(get(server.addr, "/cookie/get").text(), "none");
}

#[test]
fn set_cookie_writes_every_argument_as_tornado() {
    let server = Server::with(&["probe"], &[]);
    let ours = get(server.addr, "/cookie/full");
    assert_eq!(
        without_dates(&ours),
        [
            "full=v; Domain=ex.com; HttpOnly; Max-Age=10; Path=/p; SameSite=Lax; Secure",
            r#"quoted="a\054b\073c"; Path=/"#,
        ]
    );
    let twice = get(server.addr, "/cookie/full?twice=1");
    assert_eq!(
        without_dates(&twice),
        [r#"quoted="a\054b\073c"; Path=/"#, "full=second; Path=/"]
    );
    if let Some(tornado) = Tornado::start(SECRET) {
        assert_eq!(
            without_dates(&get(tornado.addr, "/cookie/full")),
            without_dates(&ours)
        );
        assert_eq!(
            without_dates(&get(tornado.addr, "/cookie/full?twice=1")),
            without_dates(&twice)
        );
    }
}

#[test]
fn request_cookies_parse_as_tornado() {
    let server = Server::with(&["probe"], &[]);
    let header = r#"a=1; b; c="x\054y"; d = 2 ; a=3; bad key=4; e="q\"\\"; f="#;
    let ours = with_cookie(server.addr, "/cookie/read", header).text();
    assert_eq!(ours, "a=3\nc=x,y\nd=2\ne=q\"\\\nf=");
    if let Some(tornado) = Tornado::start(SECRET) {
        assert_eq!(
            with_cookie(tornado.addr, "/cookie/read", header).text(),
            ours
        );
    }
}

#[test]
fn invalid_cookies_are_refused_with_a_500() {
    let server = Server::with(&["probe"], &[]);
    for query in [
        "name=a&value=x%20y",
        "name=a%20b&value=x",
        "name=a&value=%E2%98%BA",
    ] {
        let response = get(server.addr, &format!("/cookie/bad?{query}"));
        assert_eq!(response.status, 500, "{query}");
        assert!(response.header("set-cookie").is_none());
    }
    server.wait_for_log("Invalid cookie");
}

#[test]
fn clear_cookie_and_clear_all_cookies_expire_them() {
    let server = Server::with(&["probe"], &[]);
    let one = get(server.addr, "/cookie/clear?name=gone");
    let header = one.header("set-cookie").unwrap();
    assert!(header.starts_with(r#"gone=""; expires="#), "{header}");
    assert!(expires_of(header) < std::time::SystemTime::now());
    let all = with_cookie(server.addr, "/cookie/clear", "a=1; b=2");
    let names: Vec<&str> = all
        .header_all("set-cookie")
        .iter()
        .map(|cookie| cookie.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn signed_cookies_round_trip_and_refuse_tampering_expiry_and_other_secrets() {
    // One secret for every plugin, so that the probe judges the tutorial's values.
    let shared = ["--cookie-secret", SECRET, "--shared-cookie-secret"];
    let server = Server::with(&["tutorial"], &shared);
    let probe = Server::with(&["probe"], &shared);
    let set = get(server.addr, "/cookie/signed/set?value=hello%20world");
    assert_eq!(set.text(), "hello world");
    let signed = set_value(&set, "signed");
    // Base64's `=` is not a legal cookie character: quoted, as Python's SimpleCookie does.
    assert!(signed.starts_with("\"2|1:0|10:"), "{signed}");
    let read = |cookie: &str| with_cookie(server.addr, "/cookie/signed/get", cookie).text();
    assert_eq!(read(&format!("signed={signed}")), "hello world");
    assert_eq!(
        read(&format!("signed={}", signed.replace("aGVsbG8", "aGVsbG9"))),
        "none"
    );
    assert_eq!(
        read("signed=2|1:0|10:1700000000|6:signed|4:eA==|00"),
        "none"
    );
    assert_eq!(read(""), "none");
    let expired = with_cookie(
        probe.addr,
        "/signed/get?name=signed&days=-1",
        &format!("signed={signed}"),
    );
    assert_eq!(expired.text(), "none");
    let renamed = with_cookie(
        probe.addr,
        "/signed/get?name=other",
        &format!("other={signed}"),
    );
    assert_eq!(
        renamed.text(),
        "none",
        "a value signed for one name must not pass for another"
    );
    let other = Server::with(&["tutorial"], &["--cookie-secret", "another secret"]);
    assert_eq!(read_signed(other.addr, &signed), "none");
}

#[test]
fn signed_cookies_pass_between_gale_and_tornado_sharing_a_secret() {
    let Some(tornado) = Tornado::start(SECRET) else {
        return;
    };
    let flags = ["--cookie-secret", SECRET, "--shared-cookie-secret"];
    let server = Server::with(&["tutorial"], &flags);
    let made_by_tornado = get(tornado.addr, "/sign?name=signed&value=from%20tornado").text();
    assert_eq!(read_signed(server.addr, &made_by_tornado), "from tornado");
    assert_eq!(tornado_reads(&tornado, &server, "from gale"), "from gale");
}

/// What `tornado` reads of the signed cookie the tutorial on `server` sets to `value`.
fn tornado_reads(tornado: &Tornado, server: &Server, value: &str) -> String {
    let path = format!("/cookie/signed/set?value={}", value.replace(' ', "%20"));
    let made_by_gale = set_value(&get(server.addr, &path), "signed");
    let read = with_cookie(
        tornado.addr,
        "/read?name=signed",
        &format!("signed={made_by_gale}"),
    );
    read.text()
}

#[test]
fn the_cookie_secret_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let from_file = Server::with(
        &["tutorial"],
        &["--cookie-secret-file", file.to_str().unwrap()],
    );
    let from_flag = Server::with(&["tutorial"], &["--cookie-secret", SECRET]);
    let signed = set_value(&get(from_file.addr, "/cookie/signed/set?value=v"), "signed");
    assert_eq!(read_signed(from_flag.addr, &signed), "v");
}

#[test]
fn each_plugin_signs_with_a_secret_of_its_own_unless_the_secret_is_shared() {
    let server = Server::with(&["tutorial", "probe"], &["--cookie-secret", SECRET]);
    let signed = set_value(&get(server.addr, "/cookie/signed/set?value=mine"), "signed");
    assert_eq!(
        read_signed(server.addr, &signed),
        "mine",
        "the plugin reads its own"
    );
    let probe_reads = |cookie: &str| {
        with_cookie(
            server.addr,
            "/signed/get?name=signed",
            &format!("signed={cookie}"),
        )
        .text()
    };
    assert_eq!(probe_reads(&signed), "none", "another plugin refuses it");
    let flags = ["--cookie-secret", SECRET, "--shared-cookie-secret"];
    let shared = Server::with(&["tutorial", "probe"], &flags);
    let signed = set_value(&get(shared.addr, "/cookie/signed/set?value=ours"), "signed");
    let read = with_cookie(
        shared.addr,
        "/signed/get?name=signed",
        &format!("signed={signed}"),
    );
    assert_eq!(
        read.text(),
        "ours",
        "with --shared-cookie-secret one secret serves all"
    );
    // The derived secret is Tornado's to use: a Tornado app given it reads the plugin's.
    let Some(tornado) = Tornado::start(&derived_secret("tutorial")) else {
        return;
    };
    assert_eq!(
        tornado_reads(&tornado, &server, "for tornado"),
        "for tornado"
    );
}

/// The secret `plugin` signs with, unless `--shared-cookie-secret`.
fn derived_secret(plugin: &str) -> String {
    let derived = gale_host::__private::signed::derive_secret(SECRET.as_bytes(), plugin);
    String::from_utf8(derived).unwrap()
}
