//! Views: in Python, Tornado's templates render on gale byte for byte as on real Tornado 6.6.1
//! from the same files (`tests/tornado/views`: every directive, three levels of `extends`,
//! both whitespace modes, UI modules), and their failures are Tornado's; in Rust, templates
//! compiled with the plugin render escaped, with Tornado's namespace.

use crate::support::{Server, Tornado, get, root};

#[test]
fn every_page_of_the_template_corpus_renders_byte_for_byte_as_on_tornado() {
    let Some(gale) = Server::python("views", &[]) else {
        return;
    };
    let Some(tornado) = Tornado::running(&root().join("tests/tornado/views/app.py")) else {
        return;
    };
    // The static directory beside the component, as `gale build` puts it.
    copy_dir(
        &root().join("tests/tornado/views/static"),
        &gale.plugin_dir().join("static"),
    );
    let paths = [
        "/page/page.html",
        "/page/static.html",
        "/static/site.css",
        "/static/js/app.js",
        "/robots.txt",
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
    // Without a template path, gale also finds a template in `templates/` beside the file.
    assert_eq!(
        get(gale.addr, "/beside").body,
        get(tornado.addr, "/default").body
    );
}

#[test]
fn templates_are_compiled_into_the_snapshot_at_build_not_per_request() {
    let Some(gale) = Server::python("views", &["--instances", "views=fresh"]) else {
        return;
    };
    // A fresh instance, before it renders anything, has every template that compiles.
    let compiled = get(gale.addr, "/compiled").json();
    let names: Vec<&str> = compiled["compiled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    for name in [
        "base.html",
        "layout.html",
        "page.html",
        "plain.txt",
        "partials/card.html",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(!names.contains(&"broken.html"), "{names:?}");
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

/// Copies the files of `from` (one level of directories) into `to`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
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

#[test]
fn a_rust_page_renders_its_compiled_template_escaped_with_tornados_namespace() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.css"), "body {}").unwrap();
    let statics = dir.path().display().to_string();
    let server = Server::with(&["forms"], &["--static", &statics]);
    let page = get(server.addr, "/page?who=%3Cb%3EAda%20%26%20co%3C/b%3E");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // Extended from base.html, every value escaped, Tornado's names at hand.
    for part in [
        "<title>&#60;b&#62;Ada &#38; co&#60;/b&#62;</title>",
        r#"<link href="/static/site.css?v="#,
        r#"<form method="post" action="/form"><input type="hidden" name="_xsrf" value="2|"#,
        "<li>&#60;one&#62;</li><li>two &#38; three</li><li>&#39;four&#39;</li>",
        r#"<p id="user">guest</p>"#,
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    assert!(
        page.header("set-cookie")
            .is_some_and(|cookie| cookie.starts_with("_xsrf=")),
        "the field's token is the cookie's"
    );
    // A refusal inside a template (an unknown route name) is Tornado's 500, its reason logged.
    assert_eq!(get(server.addr, "/page/broken").status, 500);
    server.wait_for_log("rendering forms::Broken");
    server.wait_for_log("nowhere");
    // And without --static, static_url's refusal.
    let bare = Server::with(&["forms"], &[]);
    assert_eq!(get(bare.addr, "/page").status, 500);
    bare.wait_for_log("static_url needs a static directory");
}
