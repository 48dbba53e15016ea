//! The handler lifecycle and its containment: stage order, errors, panics, time limits.

use crate::support::{Server, get};

#[test]
fn stages_run_in_tornados_order() {
    let server = Server::with(&["probe"], &[]);
    let response = get(server.addr, "/stages");
    assert_eq!(
        response.header_all("x-stages"),
        ["set_default_headers", "prepare", "get"]
    );
    assert_eq!(response.text(), "method ran");
}

#[test]
fn finishing_in_prepare_skips_the_method() {
    let server = Server::with(&["probe"], &[]);
    let response = get(server.addr, "/stages?finish_in_prepare=1");
    assert_eq!(
        response.header_all("x-stages"),
        ["set_default_headers", "prepare"]
    );
    assert_eq!(response.text(), "finished in prepare");
}

#[test]
fn an_error_clears_the_response_then_set_default_headers_and_write_error_run() {
    let server = Server::with(&["probe"], &[]);
    let response = get(server.addr, "/stages?fail=1");
    assert_eq!(response.status, 418);
    // The cleared response keeps none of the earlier headers; set_default_headers runs again.
    assert_eq!(
        response.header_all("x-stages"),
        ["set_default_headers", "write_error"]
    );
    assert_eq!(response.text(), "write_error 418");
}

#[test]
fn on_finish_runs_after_the_response_is_sent() {
    // The probe's on_finish never returns: the response arrives only if it was sent first.
    let server = Server::with(&["probe", "tutorial"], &["--handler-timeout", "60s"]);
    assert_eq!(
        get(server.addr, "/slow-finish").text(),
        "sent before on_finish"
    );
    // The spinning on_finish yields the loop: other requests are served meanwhile.
    assert_eq!(get(server.addr, "/").text(), "hello world");
}

#[test]
fn an_on_finish_of_the_handler_or_of_its_base_runs_after_every_request() {
    // The host skips `finish` only for a handler whose on_finish is the SDK's default; one
    // that calls its base's (as Python's super()) or inherits a base's is not such a one.
    let server = Server::with(&["probe"], &[]);
    for n in 1..=3 {
        for (path, whose) in [("/finish/super", "handler"), ("/finish/base", "base")] {
            assert_eq!(
                get(server.addr, &format!("{path}?n={n}")).text(),
                "answered"
            );
            server.wait_for_log(&format!("{whose} on_finish {n}"));
        }
    }
}

#[test]
fn a_panicking_handler_is_a_500_and_the_next_request_succeeds() {
    let server = Server::with(&["probe", "tutorial"], &[]);
    for _ in 0..20 {
        let response = get(server.addr, "/panic");
        assert_eq!(response.status, 500);
        assert_eq!(
            response.text(),
            "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>"
        );
        assert_eq!(get(server.addr, "/").text(), "hello world");
    }
    server.wait_for_log("the probe panics on purpose");
    server.wait_for_log("handler trapped");
}

#[test]
fn a_write_after_finish_traps_but_the_finished_response_stands() {
    let server = Server::with(&["probe"], &[]);
    let response = get(server.addr, "/write-after-finish");
    assert_eq!(
        (response.status, response.text().as_str()),
        (200, "finished")
    );
    server.wait_for_log("Cannot write() after finish()");
}

#[test]
fn a_handler_past_its_time_limit_is_stopped_with_503_while_others_are_served() {
    let server = Server::with(&["probe", "tutorial"], &["--handler-timeout", "2s"]);
    let addr = server.addr;
    let spinning = std::thread::spawn(move || get(addr, "/spin"));
    server.wait_for_log("spin started");
    assert_eq!(
        get(server.addr, "/").text(),
        "hello world",
        "the loop answers while a handler spins"
    );
    let stopped = spinning.join().unwrap();
    assert_eq!(stopped.status, 503);
    server.wait_for_log("exceeded its time limit");
}
