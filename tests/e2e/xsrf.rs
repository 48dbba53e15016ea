//! `xsrf_cookies`: a plugin that turns it on gets Tornado's 403 for an unsafe method without
//! a token matching the `_xsrf` cookie, before `prepare`; tokens are Tornado's format.

use std::net::SocketAddr;

use crate::support::{Response, Server, Tornado, get, send};

fn request(addr: SocketAddr, method: &str, cookie: &str, extra: &str, body: &str) -> Response {
    send(
        addr,
        &format!(
            "{method} /form HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n{extra}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// `method /form` with the `_xsrf` cookie and the token in the `X-XSRFToken` header.
fn with_token(addr: SocketAddr, method: &str, cookie: &str, token: &str) -> Response {
    let header = format!("X-XSRFToken: {token}\r\n");
    request(addr, method, &format!("_xsrf={cookie}"), &header, "")
}

/// The `_xsrf` cookie a response sets, and the token in its JSON body.
fn token_and_cookie(response: &Response) -> (String, String) {
    let cookie = response
        .header("set-cookie")
        .and_then(|cookie| cookie.strip_prefix("_xsrf="))
        .and_then(|rest| rest.split(';').next())
        .expect("an _xsrf cookie")
        .to_owned();
    let token = response.json()["token"].as_str().unwrap().to_owned();
    (token, cookie)
}

#[test]
fn unsafe_methods_need_the_token_before_prepare_runs() {
    let server = Server::with(&["forms"], &[]);
    let form = get(server.addr, "/form");
    let (token, cookie) = token_and_cookie(&form);
    let field = form.json()["field"].as_str().unwrap().to_owned();
    assert_eq!(
        field,
        format!(r#"<input type="hidden" name="_xsrf" value="{token}"/>"#)
    );
    assert!(
        token.starts_with("2|") && token.split('|').count() == 4,
        "{token}"
    );
    let jar = format!("_xsrf={cookie}");
    let missing = request(server.addr, "POST", &jar, "", "a=1");
    assert_eq!(missing.status, 403);
    server.wait_for_log("'_xsrf' argument missing from POST");
    let deleted = request(server.addr, "DELETE", &jar, "", "");
    assert_eq!(deleted.status, 403);
    assert!(
        !server.log().contains("prepare POST"),
        "prepare ran for a refused request"
    );
    assert!(!server.log().contains("prepare DELETE"));
    let accepted = request(
        server.addr,
        "POST",
        &jar,
        "",
        &format!("_xsrf={}", token.replace('|', "%7C")),
    );
    assert_eq!(
        (accepted.status, accepted.text().as_str()),
        (200, "accepted")
    );
    let by_header = request(
        server.addr,
        "DELETE",
        &jar,
        &format!("X-XSRFToken: {token}\r\n"),
        "",
    );
    assert_eq!(by_header.text(), "deleted");
    let by_django_header = request(
        server.addr,
        "POST",
        &jar,
        &format!("X-CSRFToken: {token}\r\n"),
        "",
    );
    assert_eq!(by_django_header.text(), "accepted");
}

#[test]
fn a_token_that_does_not_match_the_cookie_is_403() {
    let server = Server::with(&["forms"], &[]);
    let (token, _) = token_and_cookie(&get(server.addr, "/form"));
    let (_, other_cookie) = token_and_cookie(&get(server.addr, "/form"));
    let mismatched = with_token(server.addr, "POST", &other_cookie, &token);
    assert_eq!(mismatched.status, 403);
    server.wait_for_log("XSRF cookie does not match POST argument");
    let garbage = request(server.addr, "POST", "", "X-XSRFToken: 2|zz|00|1\r\n", "");
    assert_eq!(garbage.status, 403);
    server.wait_for_log("'_xsrf' argument has invalid format");
}

#[test]
fn a_request_with_the_cookie_keeps_it_and_gets_a_fresh_mask() {
    let server = Server::with(&["forms"], &[]);
    let (first, cookie) = token_and_cookie(&get(server.addr, "/form"));
    let again = request(server.addr, "GET", &format!("_xsrf={cookie}"), "", "");
    assert!(
        again.header("set-cookie").is_none(),
        "the cookie is not set again"
    );
    let second = again.json()["token"].as_str().unwrap().to_owned();
    assert_ne!(first, second, "each request masks the token afresh");
    let accepted = with_token(server.addr, "POST", &cookie, &second);
    assert_eq!(accepted.status, 200);
}

#[test]
fn tornados_xsrf_cookie_and_token_pass_in_gale() {
    let Some(tornado) = Tornado::start("s") else {
        return;
    };
    let server = Server::with(&["forms"], &[]);
    let (token, cookie) = token_and_cookie(&get(tornado.addr, "/form"));
    let accepted = with_token(server.addr, "POST", &cookie, &token);
    assert_eq!(accepted.text(), "accepted");
    let (token, cookie) = token_and_cookie(&get(server.addr, "/form"));
    let at_tornado = with_token(tornado.addr, "POST", &cookie, &token);
    assert_eq!(at_tornado.text(), "accepted");
}
