//! Python plugins written as Tornado code: the sandbox holds for CPython, exceptions map as
//! Tornado's do, a Tornado script's own server start is accepted and explained, and `gale
//! build` says what to install when componentize-py is missing.

use crate::support::{Server, get, python_plugin};

#[test]
fn python_faults_answer_their_errors_and_the_host_stays_up() {
    let (Some(faults), Some(tutorial)) = (python_plugin("faults"), python_plugin("tutorial"))
    else {
        return;
    };
    let flags = ["--handler-timeout", "1s", "--max-instances", "4"];
    let server = Server::start(&[faults, tutorial], &[], &flags, &[]);
    // The loop is stopped at the time limit; the memory bomb meets the cap as MemoryError;
    // the recursion as RecursionError; an ordinary exception is a 500 with its traceback, one
    // in `initialize` too (Tornado's page, as no handler was made to render another).
    let faults = [
        ("/loop", 503, 3),
        ("/memory", 500, 5),
        ("/recursion", 500, 5),
        ("/uncaught", 500, 5),
        ("/bad-init", 500, 5),
    ];
    crate::isolation::each_fault_answers(&server, &faults);
    for needle in [
        "handler exceeded its time limit",
        "MemoryError",
        "RecursionError: maximum recursion depth exceeded",
        "Uncaught exception GET /uncaught (127.0.0.1)",
        "KeyError: 'missing key'",
        "ValueError: initialize fails on purpose",
    ] {
        server.wait_for_log(needle);
    }
}

#[test]
fn python_exceptions_answer_as_tornados_do() {
    let Some(faults) = python_plugin("faults") else {
        return;
    };
    let server = Server::start(&[faults], &[], &[], &[]);
    // HTTPError: its status, its reason, its log message in the log only, and the handler's
    // own write_error with exc_info.
    let forbidden = get(server.addr, "/forbidden");
    assert_eq!(
        (forbidden.status, forbidden.reason.as_str()),
        (403, "Keep Out")
    );
    assert_eq!(
        forbidden.text(),
        r#"{"status": 403, "reason": "Keep Out", "exception": "HTTPError"}"#
    );
    server.wait_for_log("403 GET /forbidden: no entry for you");
    // Tornado's refusal of a list, as a 500 with its message logged.
    assert_eq!(get(server.addr, "/write-list").status, 500);
    server.wait_for_log("Lists not accepted for security reasons");
}

#[test]
fn a_tornado_scripts_listen_and_ioloop_are_accepted_and_explained_once_per_load() {
    let Some(faults) = python_plugin("faults") else {
        return;
    };
    let server = Server::start(&[faults], &[], &[], &[]);
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/forbidden").status, 403);
    }
    for needle in [
        "listen(8888) is not used: gale listens where its --listen says",
        "IOLoop.start() is not used: gale runs the loop",
        "setting cookie_secret: the cookie secret is gale's (--cookie-secret)",
    ] {
        server.wait_for_log(needle);
        assert_eq!(server.log().matches(needle).count(), 1, "{needle}");
    }
}

#[test]
fn gale_build_copies_a_python_plugins_static_path_beside_its_component() {
    if python_plugin("tutorial").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("site");
    std::fs::create_dir_all(plugin.join("static/img")).unwrap();
    std::fs::write(plugin.join("static/img/logo.svg"), "<svg/>").unwrap();
    std::fs::write(
        plugin.join("app.py"),
        "import os\nimport tornado.web\n\napplication = tornado.web.Application([], \
         static_path=os.path.join(os.path.dirname(__file__), 'static'))\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    // From the temporary directory: the build's own output goes under it.
    let built = std::process::Command::new(crate::support::binary())
        .current_dir(dir.path())
        .args(["build", &plugin.display().to_string(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&built.stderr);
    assert!(built.status.success(), "{said}");
    assert_eq!(
        std::fs::read_to_string(out.join("static/img/logo.svg")).unwrap(),
        "<svg/>"
    );
    assert!(!said.contains("does not exist"), "{said}");
}

#[test]
fn building_python_without_componentize_py_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("greeter");
    std::fs::create_dir(&plugin).unwrap();
    std::fs::write(plugin.join("app.py"), "import tornado.web\n").unwrap();
    let built = std::process::Command::new(crate::support::binary())
        .args(["build", &plugin.display().to_string(), "--out"])
        .arg(dir.path().join("out"))
        .env("GALE_COMPONENTIZE_PY", dir.path().join("no-such-program"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&built.stderr);
    assert!(!built.status.success());
    assert!(
        said.contains("pip install componentize-py==0.25.1"),
        "{said}"
    );
}

#[test]
fn dev_serves_edited_code_and_templates_at_the_next_request_and_keeps_the_old_version_on_an_error()
{
    // Only with componentize-py (the same check the other Python tests make).
    if python_plugin("tutorial").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("lesson");
    std::fs::create_dir(&plugin).unwrap();
    let lesson = "import tornado.web\n\n\nclass IndexHandler(tornado.web.RequestHandler):\n    \
                  def get(self):\n        self.write('hello world')\n\n\n\
                  application = tornado.web.Application([(r'/', IndexHandler)])\n";
    std::fs::write(plugin.join("app.py"), lesson).unwrap();
    // From a directory of its own: `gale dev` serves target/gale/dev-plugins under it, which
    // another test's `gale dev` in the checkout would empty.
    let mut command = std::process::Command::new(crate::support::binary());
    command
        .current_dir(dir.path())
        .arg("dev")
        .arg(&plugin)
        .args(["--listen", "127.0.0.1:0"]);
    let server = Server::spawn(command);
    let answer = || get(server.addr, "/").text();
    assert_eq!(answer(), "hello world");

    // An edit of the code is served as edited at the next request (its build follows).
    let changed = lesson.replace("hello world", "hello again");
    std::fs::write(plugin.join("app.py"), &changed).unwrap();
    crate::support::wait_until("the edited version answers", || answer() == "hello again");
    // The log arrives through a reader thread, maybe after the answer: wait for it too.
    crate::support::wait_until("the edit is said to be served", || {
        server.log().contains("changed: served as edited")
    });

    // The page from a template, then an edit of the template alone: both reach the client.
    std::fs::create_dir(plugin.join("templates")).unwrap();
    std::fs::write(plugin.join("templates/index.html"), "<p>{{ who }}</p>\n").unwrap();
    let rendered = format!(
        "import os\n{}",
        changed
            .replace(
                "self.write('hello again')",
                "self.render('index.html', who='<you>')"
            )
            .replace(
                "[(r'/', IndexHandler)]",
                "[(r'/', IndexHandler)], template_path=os.path.join(os.path.dirname(__file__), \
                 'templates')"
            )
    );
    std::fs::write(plugin.join("app.py"), &rendered).unwrap();
    crate::support::wait_until("the page is rendered", || {
        answer() == "<p>&lt;you&gt;</p>\n"
    });
    // The template is read as it is at each request: served with no build, nor a swap.
    let builds = || server.log().matches("changed, rebuilding").count();
    crate::support::wait_until("the builds the code's edits started are done", || {
        builds() > 0 && builds() == server.log().matches("swapping it in").count()
    });
    let built = builds();
    std::fs::write(plugin.join("templates/index.html"), "<h1>{{ who }}</h1>\n").unwrap();
    crate::support::wait_until("the edited template is rendered", || {
        answer() == "<h1>&lt;you&gt;</h1>\n"
    });
    crate::support::wait_until("the edit is said to need no build", || {
        server
            .log()
            .contains("it is read as it is now, no build needed")
    });
    assert_eq!(builds(), built, "{}", server.log());

    // Static files from the sources: the new routes are served once the build is swapped in.
    std::fs::create_dir(plugin.join("static")).unwrap();
    std::fs::write(plugin.join("static/site.css"), "p { }\n").unwrap();
    let with_static = rendered.replace(
        "'templates')",
        "'templates'), static_path=os.path.join(os.path.dirname(__file__), 'static')",
    );
    std::fs::write(plugin.join("app.py"), with_static).unwrap();
    crate::support::wait_until("the change of routes is said", || {
        answer();
        server.log().contains("changes the routes")
    });
    crate::support::wait_until("the static file is served from the sources", || {
        get(server.addr, "/static/site.css").text() == "p { }\n"
    });

    std::fs::write(plugin.join("app.py"), "this is not Python").unwrap();
    crate::support::wait_until("the failed build is reported", || {
        server.log().contains("the previous version keeps serving")
    });
    assert_eq!(answer(), "<h1>&lt;you&gt;</h1>\n");
}

#[test]
fn the_python_tutorial_answers_as_real_tornado_running_the_same_file() {
    use crate::support::{Tornado, root, send};
    let Some(gale) = Server::python("tutorial", &[]) else {
        return;
    };
    let Some(tornado) = Tornado::running(&root().join("plugins-py/tutorial/app.py")) else {
        return;
    };
    let form = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let get = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: probe/1\r\nConnection: close\r\n\r\n"
        )
    };
    let requests = [
        get("/"),
        get("/time/2026/11/27"),
        get("/date/11/2026/27"),
        get("/greet?name=%20Ada+L%20"),
        get("/greet"),
        form("/greet", "name=Bob+"),
        get("/args?a=1&a=2&b="),
        form("/args?q=1", "a=x&a=y"),
        get("/request?a=1"),
        get("/redirect/custom"),
        get("/redirect/temporary"),
        get("/redirect/permanent"),
        get("/hello?b=+&c=%2f%20x&d"),
        form("/hello", ""),
        get("/lifecycle"),
        get("/boom"),
        get("/reverse"),
        // (Not /cookie/signed/get: gale's secret is the server's, so it answers; Tornado
        // without a cookie_secret setting is a 500.)
        get("/cookie/get"),
        get("/big?size=70000"),
        get("/big?size=many"),
        get("/nowhere"),
    ];
    for request in requests {
        let (ours, theirs) = (send(gale.addr, &request), send(tornado.addr, &request));
        let line = request.lines().next().unwrap();
        assert_eq!(
            (ours.status, &ours.reason),
            (theirs.status, &theirs.reason),
            "{line}"
        );
        for header in ["content-type", "location", "etag", "x-prepared", "x-app"] {
            assert_eq!(
                ours.header(header),
                theirs.header(header),
                "{line}: {header}"
            );
        }
        assert_eq!(ours.text(), theirs.text(), "{line}");
    }
}

#[test]
fn a_python_plugin_is_compiled_once_then_loaded_from_the_compiled_code_cache() {
    let Some(faults) = python_plugin("faults") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().display().to_string();
    let env = [("GALE_CACHE_DIR", cache.as_str())];
    let first = Server::start(std::slice::from_ref(&faults), &[], &[], &env);
    first.wait_for_log("compiled in");
    drop(first);
    let second = Server::start(&[faults], &[], &[], &env);
    second.wait_for_log("from the compiled-code cache");
}

#[test]
fn a_plugins_build_code_cannot_change_the_sdk_a_later_build_embeds() {
    if python_plugin("tutorial").is_none() {
        return;
    }
    let (root, out) = (crate::support::root(), tempfile::tempdir().unwrap());
    let wasm_target = root.join(gale_host::__private::build::WASM_TARGET_DIR);
    // The tamperer's module body appends to the SDK's web.py as it is built.
    for plugin in ["tests/plugins-py/tamper", "plugins-py/tutorial"] {
        gale_host::__private::build::build_plugins(&[root.join(plugin)], &wasm_target, out.path())
            .unwrap_or_else(|error| panic!("building {plugin}: {error:#}"));
    }
    let server = Server::start(&[out.path().join("tutorial.wasm")], &[], &[], &[]);
    assert_eq!(get(server.addr, "/").text(), "hello world");
}
