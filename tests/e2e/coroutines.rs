//! Coroutines that wait on the world, in Python: every case of `plugins-py/coroutines`
//! (`tornado.httpclient`, `tornado.gen`, `asyncio`, `IOLoop`) runs on real Tornado and on
//! gale against the same real upstream (`tests/tornado/upstream.py`), and the answers are
//! compared; then what only gale promises (an abandoned fetch is dropped).

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use crate::support::{Connection, Server, Tornado, get, root, wait_until};

/// A loopback port nothing listens on: a fetch there is refused.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The upstream, Tornado running the test app, and gale serving it allowed to fetch the
/// upstream and the closed port; `None` when Python or Tornado are missing (skipped).
fn servers() -> Option<(Tornado, Tornado, Server, u16)> {
    servers_with(&[])
}

/// [`servers`], gale with `flags` besides.
fn servers_with(flags: &[&str]) -> Option<(Tornado, Tornado, Server, u16)> {
    let upstream = Tornado::upstream()?;
    let tornado = Tornado::running(&root().join("plugins-py/coroutines/app.py"))?;
    let closed = closed_port();
    let allowed = format!("coroutines={},http://127.0.0.1:{closed}", upstream.url());
    let gale = Server::python(
        "coroutines",
        &[&["--allow-outbound", &allowed], flags].concat(),
    )?;
    Some((upstream, tornado, gale, closed))
}

/// `path` with the upstream named in `u`.
fn with_upstream(path: &str, upstream: &Tornado) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}u={}", upstream.url())
}

#[test]
fn every_coroutine_case_answers_as_real_tornado_does_against_the_same_upstream() {
    let Some((upstream, tornado, gale, closed)) = servers() else {
        return;
    };
    let refused = format!("/refused?port={closed}");
    let cases = [
        "/fetch",
        "/multi",
        "/post",
        "/status",
        "/timeout",
        &refused,
        "/redirects",
        "/gzip",
        "/sleeps",
        "/legacy",
    ];
    for case in cases {
        let path = with_upstream(case, &upstream);
        let (ours, theirs) = (get(gale.addr, &path), get(tornado.addr, &path));
        assert_eq!(ours.status, theirs.status, "{case}: {}", ours.text());
        assert_eq!(ours.json(), theirs.json(), "{case}");
    }
}

#[test]
fn a_flushed_first_part_reaches_the_client_before_the_fetch_it_then_awaits() {
    let Some((upstream, tornado, gale, _)) = servers() else {
        return;
    };
    for addr in [gale.addr, tornado.addr] {
        let mut connection = Connection::open(addr);
        let path = with_upstream("/streams", &upstream);
        connection.write(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        let first = connection.read_some();
        assert!(first.contains("first part"), "{addr}: {first}");
        assert!(
            !first.contains("slow 300"),
            "{addr}: sent before the upstream answered"
        );
        let rest = connection.read_until("slow 300");
        assert!(rest.contains("slow 300"), "{addr}: {rest}");
    }
}

#[test]
fn a_request_waiting_on_an_event_is_woken_by_another_request_that_sets_it() {
    let Some((upstream, tornado, gale, _)) = servers() else {
        return;
    };
    for addr in [gale.addr, tornado.addr] {
        let path = with_upstream("/wait-for-signal", &upstream);
        let waiter = std::thread::spawn(move || get(addr, &path));
        let signal = with_upstream("/signal", &upstream);
        wait_until("the waiter waits", || get(addr, &signal).text() == "set");
        let answer = waiter.join().expect("the waiter");
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (200, "signalled"),
            "{addr}"
        );
    }
}

#[test]
fn a_client_that_leaves_while_its_handler_waits_cancels_it_and_drops_the_upstream_request() {
    let Some((upstream, tornado, gale, _)) = servers() else {
        return;
    };
    let left_upstream = || {
        get(upstream.addr, "/left").json()["count"]
            .as_u64()
            .unwrap()
    };
    let closed = |addr: SocketAddr| {
        get(addr, &with_upstream("/closed", &upstream)).json()["count"]
            .as_u64()
            .unwrap()
    };
    for (addr, drops_upstream) in [(gale.addr, true), (tornado.addr, false)] {
        let before = left_upstream();
        let mut connection = Connection::open(addr);
        let path = with_upstream("/abandoned", &upstream);
        connection.write(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::thread::sleep(Duration::from_millis(300));
        drop(connection);
        // Both run `on_connection_close`...
        wait_until("on_connection_close ran", || closed(addr) == 1);
        // ...but only gale cancels the coroutine, whose fetch Tornado keeps waiting on.
        if drops_upstream {
            wait_until("the upstream saw its client leave", || {
                left_upstream() == before + 1
            });
        }
    }
}

#[test]
fn a_shared_instance_is_replaced_after_its_lifetime_while_the_request_waiting_in_it_finishes() {
    let Some((upstream, _, gale, _)) = servers_with(&["--reuse-instances", "coroutines=3"]) else {
        return;
    };
    let served = || get(gale.addr, "/served").json()["count"].as_u64().unwrap();
    // The first request waits on a 300 ms fetch in the first instance...
    let mut waiting = Connection::open(gale.addr);
    let path = with_upstream("/streams", &upstream);
    waiting.write(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(waiting.read_some().contains("first part"));
    // ...two more spend that instance's three places, and the fourth is a new instance's
    // first, its module state new...
    assert_eq!([served(), served(), served(), served()], [1, 2, 1, 2]);
    // ...while the waiting request finishes in the old one.
    let rest = waiting.read_until("slow 300");
    assert!(rest.contains("slow 300"), "{rest}");
}
