//! Request bodies: form and multipart arguments and files, the argument getters over
//! query and body, and the bad bodies that are 400.

use serde_json::json;

use crate::support::{Response, Server, Tornado, send};

fn post(
    server_or_tornado: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    body: &str,
) -> Response {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    send(server_or_tornado, &raw)
}

const MULTIPART: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nh\u{e9}llo\r\n\
    --XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfirst file\r\n\
    --XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"raw.bin\"\r\n\r\n\x01\x02\x03\r\n\
    --XyZ\r\nContent-Disposition: form-data; name=\"intl\"; filename=\"x.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\neuro\r\n\
    --XyZ\r\nContent-Disposition: form-data; name=\"utf8\"; filename=\"na\u{ef}ve r\u{e9}sum\u{e9}.txt\"\r\n\r\nplain\r\n\
    --XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nsecond\r\n\
    --XyZ--\r\n";

#[test]
fn args_reports_query_and_form_body_with_the_last_value_winning() {
    let server = Server::with(&["tutorial"], &[]);
    let response = post(
        server.addr,
        "/args?a=q&only=1",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "a=b&z=1&z=2",
    );
    assert_eq!(
        response.json(),
        json!({
            "query": {"a": ["q"], "only": ["1"]},
            "body": {"a": ["b"], "z": ["1", "2"]},
            "arguments": {"a": ["q", "b"], "only": ["1"], "z": ["1", "2"]},
        })
    );
    let greet = post(
        server.addr,
        "/greet?name=query",
        "application/x-www-form-urlencoded",
        "name=body",
    );
    assert_eq!(greet.text(), "hello body");
}

#[test]
fn multipart_fields_and_files_arrive_as_in_tornado() {
    let server = Server::with(&["tutorial"], &[]);
    let content_type = "multipart/form-data; boundary=XyZ";
    let upload = post(server.addr, "/upload", content_type, MULTIPART).json();
    let files = json!({
        "doc": [
            {"filename": "a.txt", "content_type": "text/plain", "size": 10},
            {"filename": "raw.bin", "content_type": "application/unknown", "size": 3},
        ],
        "intl": [{"filename": "\u{20ac} rates.txt", "content_type": "application/unknown", "size": 4}],
        "utf8": [{"filename": "na\u{ef}ve r\u{e9}sum\u{e9}.txt", "content_type": "application/unknown", "size": 5}],
    });
    assert_eq!(upload, files);
    let args = post(server.addr, "/args", content_type, MULTIPART).json();
    assert_eq!(args["body"], json!({"title": ["h\u{e9}llo", "second"]}));
    if let Some(tornado) = Tornado::start("s") {
        let reference = post(tornado.addr, "/args", content_type, MULTIPART).json();
        assert_eq!(
            reference["files"], files,
            "Tornado reads the files differently"
        );
        assert_eq!(reference["body"], args["body"]);
    }
}

#[test]
fn malformed_multipart_bodies_are_400_before_the_handler() {
    let server = Server::with(&["tutorial"], &[]);
    let unfinished = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
    for (content_type, body) in [
        ("multipart/form-data; boundary=XyZ", unfinished),
        ("multipart/form-data", "a=1"),
    ] {
        let response = post(server.addr, "/args", content_type, body);
        assert_eq!(response.status, 400, "{content_type} {body:?}");
        assert_eq!(
            response.text(),
            "<html><title>400: Bad Request</title><body>400: Bad Request</body></html>"
        );
    }
    server.wait_for_log("Invalid multipart/form-data");
}

#[test]
fn a_json_body_is_not_parsed_into_arguments() {
    let server = Server::with(&["tutorial"], &[]);
    let response = post(server.addr, "/args", "application/json", r#"{"a": 1}"#);
    assert_eq!(response.json()["body"], json!({}));
}

#[test]
fn invalid_utf8_in_a_body_argument_is_400() {
    let server = Server::with(&["tutorial"], &[]);
    let response = post(
        server.addr,
        "/greet",
        "application/x-www-form-urlencoded",
        "name=%FF",
    );
    assert_eq!(response.status, 400);
    server.wait_for_log("Invalid unicode in name");
}
