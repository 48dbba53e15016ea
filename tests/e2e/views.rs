//! Views: Tornado's templates render on gale byte for byte as on real Tornado 6.6.1, from the
//! same files (`tests/tornado/views`: every directive, three levels of `extends`, both
//! whitespace modes, UI modules), and their failures are Tornado's.

use crate::support::{Server, Tornado, get, root};

#[test]
fn every_page_of_the_template_corpus_renders_byte_for_byte_as_on_tornado() {
    let Some(gale) = Server::python("views", &[]) else {
        return;
    };
    let Some(tornado) = Tornado::running(&root().join("tests/tornado/views/app.py")) else {
        return;
    };
    let paths = [
        "/page/page.html",
        "/page/layout.html",
        "/page/base.html",
        "/page/plain.txt",
        "/page/script.js",
        "/page/form.html",
        "/string",
        "/direct",
        "/default",
        // Tornado's 500 page: a missing template, one that does not parse, one that raises.
        "/missing",
        "/page/broken.html",
        "/page/error.html",
    ];
    for path in paths {
        let (ours, theirs) = (get(gale.addr, path), get(tornado.addr, path));
        assert_eq!(ours.status, theirs.status, "{path}");
        assert_eq!(
            ours.header("content-type"),
            theirs.header("content-type"),
            "{path}"
        );
        let (ours, theirs) = (
            without_xsrf_tokens(&ours.text()),
            without_xsrf_tokens(&theirs.text()),
        );
        assert_eq!(ours, theirs, "{path}");
    }
    assert!(
        without_xsrf_tokens(&get(gale.addr, "/page/form.html").text()).contains("value=\"TOKEN\""),
        "the form has its token"
    );
}

#[test]
fn a_template_failure_is_logged_with_the_template_its_line_and_the_reason() {
    let Some(gale) = Server::python("views", &[]) else {
        return;
    };
    // Said at load: compiled into the snapshot, the broken template is found then.
    gale.wait_for_log("template broken.html does not compile");
    assert_eq!(get(gale.addr, "/page/error.html").status, 500);
    gale.wait_for_log("# error.html:3");
    gale.wait_for_log("KeyError: 'missing key in a template'");
    assert_eq!(get(gale.addr, "/page/broken.html").status, 500);
    gale.wait_for_log("Missing {% end %} block for if at broken.html:1");
    assert_eq!(get(gale.addr, "/missing").status, 500);
    gale.wait_for_log("nowhere.html");
}

/// `text` with each xsrf token's random value (`2|mask|token|time`, escaped or not) replaced
/// by `TOKEN`.
fn without_xsrf_tokens(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("2|") {
        out.push_str(&rest[..at]);
        let token_len = rest[at..]
            .find(|c: char| !(c.is_ascii_hexdigit() || c == '|'))
            .unwrap_or(rest.len() - at);
        out.push_str(if token_len > 40 {
            "TOKEN"
        } else {
            &rest[at..at + token_len]
        });
        rest = &rest[at + token_len..];
    }
    out + rest
}
