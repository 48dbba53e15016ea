//! The request and response imports, observed through the probe plugin.

use serde_json::json;

use crate::support::{Server, get, send};

fn probe() -> Server {
    Server::with(&["probe"], &[])
}

#[test]
fn captures_are_url_unescaped_and_plus_stays_a_plus() {
    let server = probe();
    let response = get(server.addr, "/echo/a%20b%2Fc+d/%C3%A9t%C3%A9/x");
    assert_eq!(
        response.json(),
        json!({"args": ["a b/c+d", "été/x"], "kwargs": []})
    );
}

#[test]
fn named_captures_are_kwargs_and_a_missing_group_is_null() {
    let server = probe();
    assert_eq!(
        get(server.addr, "/kw/one/two%21").json(),
        json!({"args": [], "kwargs": [["first", "one"], ["second", "two!"]]})
    );
    assert_eq!(
        get(server.addr, "/kw/one").json(),
        json!({"args": [], "kwargs": [["first", "one"], ["second", null]]})
    );
}

#[test]
fn a_capture_that_is_not_utf8_is_400() {
    let server = probe();
    assert_eq!(get(server.addr, "/echo/%FF/x").status, 400);
}

#[test]
fn arguments_follow_tornados_getters() {
    let server = probe();
    let response = get(server.addr, "/arguments?a=+1+&a=2%00x&b=&c");
    assert_eq!(
        response.json(),
        json!({
            "a": "2 x",
            "all_a": ["1", "2 x"],
            "query_a": ["1", "2 x"],
            "unstripped_a": [" 1 ", "2 x"],
            "query": [["a", [" 1 ", "2\u{0}x"]], ["b", [""]], ["c", [""]]],
        })
    );
    assert_eq!(get(server.addr, "/arguments").json()["a"], "default");
}

#[test]
fn body_arguments_come_after_query_arguments() {
    let server = probe();
    let raw = "POST /arguments?a=q HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n\
               Content-Length: 7\r\nConnection: close\r\n\r\na=b&c=d";
    let text = send(server.addr, raw).text();
    assert!(text.starts_with(r#"{"body_a": ["b"], "a": "b"}"#), "{text}");
}

#[test]
fn an_argument_that_is_not_utf8_is_400() {
    let server = probe();
    assert_eq!(get(server.addr, "/arguments?a=%FF").status, 400);
    server.wait_for_log("Invalid unicode in a");
}

#[test]
fn set_status_takes_known_codes_and_custom_reasons() {
    let server = probe();
    let created = get(server.addr, "/status?code=201");
    assert_eq!(
        (
            created.status,
            created.reason.as_str(),
            created.text().as_str()
        ),
        (201, "Created", "status 201")
    );
    let custom = get(server.addr, "/status?code=299&reason=Quite+Fine");
    assert_eq!((custom.status, custom.reason.as_str()), (299, "Quite Fine"));
}

#[test]
fn set_status_of_an_unknown_code_without_a_reason_is_an_error() {
    let server = probe();
    assert_eq!(get(server.addr, "/status?code=299").status, 500);
    server.wait_for_log("unknown status code 299");
}

#[test]
fn a_header_value_with_a_line_break_is_refused() {
    let server = probe();
    assert_eq!(
        get(server.addr, "/header?value=ok").header("x-probe"),
        Some("ok")
    );
    let response = get(server.addr, "/header?value=a%0D%0ASet-Cookie:+x=y");
    assert_eq!(response.status, 500);
    assert!(response.header("set-cookie").is_none());
    server.wait_for_log("Unsafe header value");
}

#[test]
fn an_http_error_clears_the_response_and_uses_its_reason() {
    let server = probe();
    let teapot = get(server.addr, "/error/418");
    assert_eq!(teapot.status, 418);
    assert_eq!(
        teapot.text(),
        "<html><title>418: I&#x27;m a Teapot</title><body>418: I&#x27;m a Teapot</body></html>"
    );
    let custom = get(server.addr, "/error/503?reason=Back+Soon");
    assert_eq!((custom.status, custom.reason.as_str()), (503, "Back Soon"));
    assert_eq!(
        custom.text(),
        "<html><title>503: Back Soon</title><body>503: Back Soon</body></html>"
    );
    assert_eq!(get(server.addr, "/error/599").reason, "Unknown");
}

#[test]
fn reverse_url_escapes_arguments_and_refuses_what_it_cannot_build() {
    let server = probe();
    assert_eq!(
        get(server.addr, "/reverse/echo?arg=a+b&arg=c/d").text(),
        "/echo/a%20b/c/d"
    );
    assert_eq!(get(server.addr, "/reverse/nosuch").status, 500);
    server.wait_for_log("nosuch not found in named urls");
    assert_eq!(get(server.addr, "/reverse/kw?arg=x").status, 500);
    server.wait_for_log("Cannot reverse url regex");
}

#[test]
fn a_redirect_handler_substitutes_captures_but_never_changes_the_host() {
    let server = probe();
    let response = get(server.addr, "/go/x?y=1");
    assert_eq!(
        (response.status, response.header("location")),
        (302, Some("/x/b?y=1"))
    );
    for escape in ["/go/", "/go/%2Fevil.example", "/go/%5Cevil.example"] {
        assert_eq!(get(server.addr, escape).status, 400, "{escape}");
    }
    server.wait_for_log("Redirect URL cannot change the scheme or netloc");
}

#[test]
fn xheaders_take_the_client_from_the_proxy_headers_only_when_asked() {
    let proxied = "GET /client HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\n\
                   X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n";
    let direct = Server::with(&["probe"], &[]);
    assert_eq!(send(direct.addr, proxied).text(), "127.0.0.1 http");
    let behind_proxy = Server::with(&["probe"], &["--xheaders"]);
    assert_eq!(send(behind_proxy.addr, proxied).text(), "5.6.7.8 https");
    let real_ip = "GET /client HTTP/1.1\r\nHost: x\r\nX-Real-Ip: 9.9.9.9\r\nX-Scheme: ftp\r\n\
                   Connection: close\r\n\r\n";
    assert_eq!(send(behind_proxy.addr, real_ip).text(), "9.9.9.9 http");
}

#[test]
fn the_request_reports_every_property_as_tornado() {
    let server = probe();
    let raw = "PUT /facts?x=1%202 HTTP/1.0\r\nHost: example.org:8080\r\nX-Multi: a\r\nx-multi: b\r\n\
               Connection: close\r\nContent-Length: 9\r\n\r\nraw body!";
    let facts = send(server.addr, raw).json();
    assert_eq!(facts["method"], "PUT");
    assert_eq!(facts["uri"], "/facts?x=1%202");
    assert_eq!(facts["path"], "/facts");
    assert_eq!(facts["query"], "x=1%202");
    assert_eq!(facts["version"], "HTTP/1.0");
    assert_eq!(facts["host"], "example.org:8080");
    assert_eq!(facts["protocol"], "http");
    assert_eq!(facts["body"], "raw body!");
    assert_eq!(
        facts["x_multi"], "a,b",
        "several values join with a comma, as Tornado's get"
    );
    let headers = facts["headers"].as_array().unwrap();
    assert!(headers.contains(&serde_json::json!(["X-Multi", "a"])));
    assert!(headers.contains(&serde_json::json!(["X-Multi", "b"])));
}
