//! The account store under attack: password guessing is throttled per account and address,
//! a flood of logins beyond the hashing queue is refused at once, and during an outage every
//! call answers within `--database-timeout`, however many wait.

use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::support::{Connection, Server, TestStore, Visitor, get, report};

#[test]
fn five_failed_logins_close_that_account_to_that_address_for_a_minute() {
    let store = TestStore::sqlite();
    let server = store.serve(&["accounts"], &["--xheaders"]);
    let visitor = || Visitor::new(&server).coming_from("203.0.113.9");
    assert_eq!(
        visitor().register("grace", "the right password").status,
        201
    );
    for _ in 0..5 {
        assert_eq!(visitor().login("grace", "a wrong password").status, 401);
    }
    let closed = visitor().login("grace", "the right password");
    assert_eq!(closed.status, 429, "{}", closed.text());
    assert_eq!(closed.header("retry-after"), Some("60"));
    let elsewhere = Visitor::new(&server)
        .coming_from("198.51.100.7")
        .login("grace", "the right password");
    assert_eq!(elsewhere.status, 302, "another address is not throttled");
    assert_eq!(
        visitor().login("someone", "a wrong password").status,
        401,
        "another account from that address is not throttled"
    );
}

#[test]
fn logins_beyond_the_hashing_queue_are_refused_at_once_and_other_routes_serve() {
    let store = TestStore::sqlite();
    let server = store.serve(&["accounts", "hello"], &["--xheaders"]);
    // More logins at once than the queue admits (9 a core: one hashing, 8 waiting).
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let total = cores * 9 + 60;
    let answers: Vec<(u16, Option<String>, Duration)> = std::thread::scope(|scope| {
        let logins: Vec<_> = (0..total)
            .map(|at| {
                let server = &server;
                scope.spawn(move || {
                    // Distinct accounts and addresses: no throttling, only the queue.
                    let address = format!("198.51.{}.{}", at / 250, at % 250);
                    let started = Instant::now();
                    let response = Visitor::new(server)
                        .coming_from(&address)
                        .login(&format!("nobody{at}"), "a wrong password");
                    let retry = response.header("retry-after").map(str::to_owned);
                    (response.status, retry, started.elapsed())
                })
            })
            .collect();
        for _ in 0..20 {
            let started = Instant::now();
            assert_eq!(get(server.addr, "/hello/world").status, 200);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "/hello/world stalled"
            );
        }
        logins
            .into_iter()
            .map(|login| login.join().unwrap())
            .collect()
    });
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == 503)
        .collect();
    let checked = answers
        .iter()
        .filter(|(status, _, _)| *status == 401)
        .count();
    report(&format!(
        "{total} logins at once: {checked} checked (401), {} refused (503)",
        refused.len()
    ));
    assert_eq!(checked + refused.len(), total, "{answers:?}");
    assert!(!refused.is_empty(), "the queue is bounded");
    for (_, retry, took) in &refused {
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(*took < Duration::from_secs(2), "a refusal took {took:?}");
    }
}

#[test]
fn during_an_outage_every_account_call_answers_within_the_database_timeout() {
    // A "database" that accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("mysql://root@{}/gale", silent.local_addr().unwrap());
    let secret = "outage secret";
    let server = Server::with(
        &["probe"],
        &[
            "--database",
            &url,
            "--database-timeout",
            "1s",
            "--cookie-secret",
            secret,
        ],
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let session =
        gale_host::__private::signed::create(secret.as_bytes(), "gale_session", b"f00d", now);
    let raw = format!(
        "GET /private HTTP/1.1\r\nHost: x\r\nCookie: gale_session=\"{session}\"\r\nConnection: close\r\n\r\n"
    );
    let took: Vec<(u16, Duration)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..100)
            .map(|_| {
                scope.spawn(|| {
                    let started = Instant::now();
                    let mut connection = Connection::open(server.addr);
                    connection.set_timeout(Duration::from_secs(30));
                    let status = connection.send(&raw).status;
                    (status, started.elapsed())
                })
            })
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    let slowest = took.iter().map(|(_, took)| *took).max().unwrap();
    report(&format!(
        "100 account calls during an outage: slowest answer {slowest:?}"
    ));
    assert!(took.iter().all(|(status, _)| *status == 503), "{took:?}");
    assert!(slowest < Duration::from_millis(2500), "slowest {slowest:?}");
}

#[test]
fn logins_with_names_no_account_can_have_hold_no_memory() {
    let store = TestStore::sqlite();
    let server = store.serve(&["accounts"], &[]);
    let password = "p".repeat(1025);
    let name = |at: usize| format!("{at}{}", "n".repeat(1 << 20));
    // Warm the allocator with one, then measure what the next hundred keep: each a new
    // name, so no throttle closes on them.
    assert_eq!(Visitor::new(&server).login(&name(0), &password).status, 401);
    let before = server.rss_kib();
    for at in 1..=100 {
        assert_eq!(
            Visitor::new(&server).login(&name(at), &password).status,
            401
        );
    }
    let kept = server.rss_kib().saturating_sub(before) / 1024;
    report(&format!(
        "100 logins with a 1 MiB name: RSS grew {kept} MiB"
    ));
    assert!(kept < 40, "100 logins with a 1 MiB name kept {kept} MiB");
}

#[test]
fn guesses_sent_at_once_are_checked_five_at_a_time_and_the_rest_refused() {
    let store = TestStore::sqlite();
    let server = store.serve(&["accounts"], &["--xheaders"]);
    let visitor = || Visitor::new(&server).coming_from("203.0.113.20");
    assert_eq!(visitor().register("ada", "the right password").status, 201);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| visitor().login("ada", "a wrong guess").status))
            .collect();
        guesses
            .into_iter()
            .map(|guess| guess.join().unwrap())
            .collect()
    });
    let checked = statuses.iter().filter(|status| **status == 401).count();
    report(&format!("20 guesses at once: {checked} checked"));
    assert!(checked <= 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|status| matches!(status, 401 | 429)),
        "{statuses:?}"
    );
}

#[test]
fn an_account_guessed_at_from_many_addresses_closes_for_all_of_them() {
    let store = TestStore::sqlite();
    let server = store.serve(&["accounts"], &["--xheaders"]);
    let from = |address: &str| Visitor::new(&server).coming_from(address);
    assert_eq!(
        from("203.0.113.1")
            .register("lin", "the right password")
            .status,
        201
    );
    for at in 0..50 {
        let guess = from(&format!("198.18.0.{at}")).login("lin", "a wrong guess");
        assert_eq!(guess.status, 401, "guess {at}");
    }
    let closed = from("198.18.1.1").login("lin", "the right password");
    assert_eq!(
        closed.status,
        429,
        "from a fresh address: {}",
        closed.text()
    );
    let other = from("198.18.1.1").login("someone", "a wrong guess");
    assert_eq!(other.status, 401, "another account is not throttled");
}
