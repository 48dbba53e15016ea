//! Every route of the tutorial plugin, with the exact answers the project's behaviour
//! contract gives them (the routes of the course's tutorial, as Tornado serves them): the
//! Rust plugin, and the same app written as Tornado code in Python (`plugins-py/tutorial`).

/// The suite, for a tutorial `$start` serves (`None` when its tests are skipped).
macro_rules! tutorial_suite {
    ($start:expr) => {
        use crate::support::{get, send};

        fn tutorial() -> Option<crate::support::Server> {
            $start
        }

        #[test]
        fn index_answers_hello_world() {
            let Some(server) = tutorial() else { return };
            let response = get(server.addr, "/");
            assert_eq!(
                (response.status, response.text().as_str()),
                (200, "hello world")
            );
            assert_eq!(
                response.header("content-type"),
                Some("text/html; charset=UTF-8")
            );
            assert!(response.header("date").is_some());
            assert!(
                response
                    .header("server")
                    .is_some_and(|s| s.starts_with("gale/"))
            );
            assert_eq!(response.header("content-length"), Some("11"));
        }

        #[test]
        fn time_writes_its_positional_captures() {
            let Some(server) = tutorial() else { return };
            assert_eq!(get(server.addr, "/time/2026/11/27").text(), "2026-11-27");
            assert_eq!(get(server.addr, "/time/2026/11").status, 404);
            assert_eq!(get(server.addr, "/time/2026/11/27/extra").status, 404);
        }

        #[test]
        fn date_reads_named_captures() {
            let Some(server) = tutorial() else { return };
            assert_eq!(get(server.addr, "/date/11/2026/27").text(), "2026-11-27");
        }

        #[test]
        fn greet_reads_the_name_from_query_or_form_body() {
            let Some(server) = tutorial() else { return };
            assert_eq!(
                get(server.addr, "/greet?name=%20Ada+L%20").text(),
                "hello Ada L"
            );
            let form = "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                        Content-Length: 9\r\nConnection: close\r\n\r\nname=Bob+";
            assert_eq!(send(server.addr, form).text(), "hello Bob");
        }

        #[test]
        fn greet_without_a_name_is_tornados_400_page() {
            let Some(server) = tutorial() else { return };
            let response = get(server.addr, "/greet");
            assert_eq!(response.status, 400);
            assert_eq!(
                response.text(),
                "<html><title>400: Bad Request</title><body>400: Bad Request</body></html>"
            );
            server.wait_for_log("Missing argument name");
        }

        #[test]
        fn request_reports_the_request_as_json() {
            let Some(server) = tutorial() else { return };
            let raw =
                "GET /request?a=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: probe/1\r\nConnection: close\r\n\r\n";
            let response = send(server.addr, raw);
            assert_eq!(
                response.header("content-type"),
                Some("application/json; charset=UTF-8")
            );
            assert_eq!(
                response.json(),
                serde_json::json!({"method": "GET", "path": "/request", "query": "a=1", "user_agent": "probe/1", "remote_ip": "127.0.0.1"})
            );
            // Python's json.dumps layout, as Tornado writes it.
            assert!(
                response
                    .text()
                    .starts_with(r#"{"method": "GET", "path": "/request""#)
            );
        }

        #[test]
        fn redirects_answer_302_301_and_a_custom_reason() {
            let Some(server) = tutorial() else { return };
            let custom = get(server.addr, "/redirect/custom");
            assert_eq!(
                (
                    custom.status,
                    custom.reason.as_str(),
                    custom.header("location")
                ),
                (302, "FOUND", Some("/"))
            );
            let temporary = get(server.addr, "/redirect/temporary");
            assert_eq!(
                (temporary.status, temporary.header("location")),
                (302, Some("/"))
            );
            let permanent = get(server.addr, "/redirect/permanent");
            assert_eq!(
                (permanent.status, permanent.header("location")),
                (301, Some("/"))
            );
        }

        #[test]
        fn hello_is_the_builtin_redirect_handler() {
            let Some(server) = tutorial() else { return };
            let response = get(server.addr, "/hello");
            assert_eq!(
                (response.status, response.header("location")),
                (301, Some("/"))
            );
            assert_eq!(
                get(server.addr, "/hello?x=1&y=2").header("location"),
                Some("/?x=1&y=2")
            );
            // The query is re-encoded as Tornado's url_concat writes it: a space is `+`, blanks kept.
            assert_eq!(
                get(server.addr, "/hello?b=+&c=%2f%20x&d").header("location"),
                Some("/?b=+&c=%2F+x&d=")
            );
            let post = send(
                server.addr,
                "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            assert_eq!(post.status, 405);
        }

        #[test]
        fn lifecycle_runs_every_stage() {
            let Some(server) = tutorial() else { return };
            let response = get(server.addr, "/lifecycle");
            assert_eq!((response.status, response.text().as_str()), (200, "hi"));
            assert_eq!(response.header("x-prepared"), Some("1"));
            server.wait_for_log("on_finish: GET /lifecycle finished");
        }

        #[test]
        fn boom_is_rendered_by_the_base_handlers_write_error() {
            let Some(server) = tutorial() else { return };
            let response = get(server.addr, "/boom");
            assert_eq!(response.status, 500);
            assert_eq!(response.header("x-app"), Some("tutorial"));
            assert_eq!(
                response.header("content-type"),
                Some("application/json; charset=UTF-8")
            );
            assert_eq!(
                response.text(),
                r#"{"status": 500, "reason": "Internal Server Error"}"#
            );
        }

        #[test]
        fn reverse_builds_the_time_url() {
            let Some(server) = tutorial() else { return };
            assert_eq!(get(server.addr, "/reverse").text(), "/time/2026/11/27");
        }

        #[test]
        fn the_automatic_etag_is_tornados() {
            let Some(server) = tutorial() else { return };
            let ours = get(server.addr, "/");
            let etag = ours.header("etag").expect("an Etag").to_owned();
            let raw =
                format!("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n");
            assert_eq!(send(server.addr, &raw).status, 304);
            if let Some(tornado) = crate::support::Tornado::start("s") {
                assert_eq!(
                    get(tornado.addr, "/hello").header("etag"),
                    Some(etag.as_str())
                );
            }
        }
    };
}

mod rust {
    tutorial_suite!(Some(crate::support::Server::with(&["tutorial"], &[])));
}

mod python {
    tutorial_suite!(crate::support::Server::python("tutorial", &[]));
}
