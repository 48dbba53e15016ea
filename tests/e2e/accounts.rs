//! The account store through the accounts plugin: registration, login, `current_user`,
//! logout and sessions, each test run against SQLite and (with `GALE_TEST_MYSQL_URL`)
//! against MariaDB, each in a database of its own.

use std::time::{Duration, Instant};

use crate::support::{PrivateMariaDb, Server, TestStore, Visitor, mysql_server, wait_until};

/// gale with the accounts and hello plugins on `store`.
fn serve(store: &TestStore) -> Server {
    Server::with(&["accounts", "hello"], &store.flags())
}

/// The text of the element with `id` in a page.
fn element(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        + id.len()
        + 6;
    page[start..].split('<').next().unwrap().to_owned()
}

#[test]
fn injection_shaped_accounts_and_passwords_are_stored_and_matched_literally() {
    let accounts = [
        "x' OR '1'='1",
        "\"; DROP TABLE users; --",
        "robert'); DELETE FROM sessions;--",
        "Alice",
        "alice",
        "ALICE ",
    ];
    for store in TestStore::each() {
        let server = serve(&store);
        let mut visitor = Visitor::new(&server);
        for account in accounts {
            let expected = if account.ends_with(' ') { 400 } else { 201 };
            let password = format!("' OR ''='{account}");
            assert_eq!(
                visitor.register(account, &password).status,
                expected,
                "{account:?}"
            );
        }
        let mut stored: Vec<String> = store
            .rows("SELECT account FROM users")
            .into_iter()
            .map(|row| row[0].clone())
            .collect();
        stored.sort();
        let mut expected: Vec<&str> = accounts[..5].to_vec();
        expected.sort();
        assert_eq!(stored, expected, "{:?}", store.backend);
        for account in &accounts[..5] {
            let password = format!("' OR ''='{account}");
            let mut visitor = Visitor::new(&server);
            assert_eq!(visitor.login(account, &password).status, 302, "{account:?}");
            assert_eq!(
                element(&visitor.get("/me").text(), "account"),
                xhtml(account)
            );
            assert_eq!(visitor.login(account, "' OR ''='").status, 401);
        }
        assert_eq!(
            visitor.login("x' OR '1'='1' --", "anything at all").status,
            401
        );
    }
}

/// What the page (an askama template) shows for `text`: its HTML escaping, by numeric
/// character references.
fn xhtml(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[test]
fn the_stored_hash_is_argon2id_with_owasp_parameters_never_the_password() {
    for store in TestStore::each() {
        let server = serve(&store);
        let mut visitor = Visitor::new(&server);
        assert_eq!(visitor.register("dave", "hunter2hunter2").status, 201);
        let rows = store.rows("SELECT password_hash FROM users WHERE account = 'dave'");
        let hash = &rows[0][0];
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("hunter2"));
    }
}

#[test]
fn a_hundred_concurrent_registrations_of_one_account_make_exactly_one() {
    for store in TestStore::each() {
        let server = serve(&store);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..100)
                .map(|n| {
                    let server = &server;
                    scope.spawn(move || {
                        let mut visitor = Visitor::new(server);
                        visitor.register("eve", &format!("password {n}")).status
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let count = |status: u16| statuses.iter().filter(|&&s| s == status).count();
        // Those beyond the hashing queue are refused at once (503); of the rest, the unique
        // key lets exactly one through.
        let (created, taken, busy) = (count(201), count(409), count(503));
        assert_eq!(
            (created, taken + busy),
            (1, 99),
            "{:?}: {statuses:?}",
            store.backend
        );
        assert_eq!(
            store.count("SELECT COUNT(*) FROM users WHERE account = 'eve'"),
            1
        );
    }
}

#[test]
fn a_login_being_hashed_does_not_stall_other_requests() {
    let store = TestStore::sqlite();
    let server = serve(&store);
    let mut visitor = Visitor::new(&server);
    assert_eq!(visitor.register("frank", "a long password").status, 201);
    let timed = |mut request: Box<dyn FnMut() -> u16>| {
        let started = Instant::now();
        assert!(matches!(request(), 200 | 302));
        started.elapsed()
    };
    let mut logins: Vec<Duration> = (0..5)
        .map(|_| {
            timed(Box::new(|| {
                Visitor::new(&server)
                    .login("frank", "a long password")
                    .status
            }))
        })
        .collect();
    logins.sort();
    let login = logins[2];
    let hello = || {
        timed(Box::new(|| {
            crate::support::get(server.addr, "/hello/world").status
        }))
    };
    let mut idle: Vec<Duration> = (0..100).map(|_| hello()).collect();
    idle.sort();
    // Logins back to back in other threads while `/hello/world` is timed on the loop.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut stalls: Vec<Duration> = std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    Visitor::new(&server).login("frank", "a long password");
                }
            });
        }
        std::thread::sleep(login);
        let stalls = (0..100).map(|_| hello()).collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        stalls
    });
    stalls.sort();
    let (median, p90) = (stalls[50], stalls[90]);
    crate::support::report(&format!(
        "login (argon2id verify) median {login:?}; GET /hello/world idle: median {:?}, \
         p90 {:?}; while logins hash: median {median:?}, p90 {p90:?}, max {:?}",
        idle[50], idle[90], stalls[99]
    ));
    assert!(median < login / 4, "median {median:?} vs login {login:?}");
}

#[test]
fn authenticated_without_a_login_url_is_500_and_refuses_a_post_with_403() {
    // As Tornado's decorator: a GET needs the login_url setting (the probe has none) to
    // redirect to; any other method is refused outright.
    let server = Server::with(&["probe"], &[]);
    assert_eq!(crate::support::get(server.addr, "/private").status, 500);
    server.wait_for_log("You must define the 'login_url' setting in your application");
    let post = crate::support::send(
        server.addr,
        "POST /private HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(post.status, 403);
}

#[test]
fn sessions_expire_in_the_store_and_slide_forward_when_used() {
    for store in TestStore::each() {
        let server = serve(&store);
        let mut visitor = Visitor::new(&server);
        assert_eq!(visitor.register("heidi", "a long password").status, 201);
        assert_eq!(visitor.login("heidi", "a long password").status, 302);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        // Ten minutes into the session: using it slides the expiry back to 30 minutes.
        store.execute(&format!("UPDATE sessions SET expires = {}", now + 1200));
        let me = visitor.get("/me");
        assert_eq!(me.status, 200);
        assert!(
            me.header("set-cookie")
                .is_some_and(|c| c.contains("Max-Age=1800"))
        );
        let expires = store.count("SELECT MAX(expires) FROM sessions");
        assert!(expires >= now + 1800, "{expires} vs {now}");
        // Past its expiry it is gone, whatever the cookie says.
        store.execute(&format!("UPDATE sessions SET expires = {}", now - 1));
        assert_eq!(visitor.get("/me").status, 302);
    }
}

#[test]
fn a_session_is_honoured_by_every_server_and_worker_sharing_the_database() {
    for store in TestStore::each() {
        let secret = ["--cookie-secret", "shared by both servers"];
        let flags: Vec<&str> = store.flags().into_iter().chain(secret).collect();
        // The second with two workers: three pools on one database.
        let two_workers: Vec<&str> = flags.iter().copied().chain(["--workers", "2"]).collect();
        let (first, second) = (
            Server::with(&["accounts"], &flags),
            Server::with(&["accounts"], &two_workers),
        );
        let mut visitor = Visitor::new(&first);
        let registered = visitor.register("ivan", "a long password");
        assert_eq!(
            registered.status,
            201,
            "{:?}: {}\n{}",
            store.backend,
            first.log(),
            second.log()
        );
        assert_eq!(visitor.login("ivan", "a long password").status, 302);
        visitor.addr = second.addr;
        assert_eq!(visitor.get("/me").status, 200, "{:?}", store.backend);
        let cookie = visitor.session.clone();
        assert_eq!(visitor.post("/logout", &[]).status, 302);
        visitor.addr = first.addr;
        visitor.session = cookie;
        assert_eq!(visitor.get("/me").status, 302);
    }
}

#[test]
fn servers_started_together_on_a_new_database_migrate_it_once_and_all_serve() {
    // Four processes migrating one new database at once. sqlx's own migration lock does not
    // hold on MariaDB (it asks GET_LOCK for a negative timeout), and the loser of the race
    // left the schema marked partially applied: 503 for good.
    for store in TestStore::each() {
        let flags = store.flags();
        let servers: Vec<Server> = std::thread::scope(|scope| {
            let starting: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| Server::with(&["accounts"], &flags)))
                .collect();
            starting.into_iter().map(|s| s.join().unwrap()).collect()
        });
        for (n, server) in servers.iter().enumerate() {
            let registered = Visitor::new(server).register(&format!("user{n}"), "a long password");
            assert_eq!(
                registered.status,
                201,
                "{:?}: {}",
                store.backend,
                server.log()
            );
        }
        assert_eq!(store.count("SELECT COUNT(*) FROM users"), 4);
    }
}

#[test]
fn the_database_going_away_is_503_for_account_routes_only_and_it_recovers() {
    if mysql_server().is_none() {
        return;
    }
    let mut database = PrivateMariaDb::create().expect("MariaDB is installed");
    let url = database.url("gale");
    let server = Server::with(
        &["accounts", "hello"],
        &["--database", &url, "--database-timeout", "1s"],
    );
    let mut visitor = Visitor::new(&server);
    // Down from the start: the server serves anyway.
    assert_eq!(visitor.register("judy", "a long password").status, 503);
    assert_eq!(crate::support::get(server.addr, "/hello/world").status, 200);
    server.wait_for_log("is unavailable");

    database.start();
    database.create_database("gale");
    wait_until("registration once the database is up", || {
        visitor.register("judy", "a long password").status == 201
    });
    server.wait_for_log("is back");
    assert_eq!(visitor.login("judy", "a long password").status, 302);
    assert_eq!(visitor.get("/me").status, 200);

    database.kill();
    assert_eq!(visitor.get("/me").status, 503);
    assert_eq!(visitor.login("judy", "a long password").status, 503);
    assert_eq!(crate::support::get(server.addr, "/hello/world").status, 200);

    database.start();
    wait_until("the session once the database is back", || {
        visitor.get("/me").status == 200
    });
}

#[test]
fn an_sqlite_file_that_cannot_be_opened_is_503_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not yet");
    let url = format!("sqlite://{}/accounts.db", missing.display()).replace(' ', "%20");
    let server = Server::with(&["accounts", "hello"], &["--database", &url]);
    let mut visitor = Visitor::new(&server);
    assert_eq!(visitor.register("kim", "a long password").status, 503);
    assert_eq!(crate::support::get(server.addr, "/hello/world").status, 200);
    server.wait_for_log("is unavailable");
    std::fs::create_dir(&missing).unwrap();
    assert_eq!(visitor.register("kim", "a long password").status, 201);
    server.wait_for_log("is back");
    assert!(missing.join("accounts.db").exists());
}

/// The suite both accounts plugins pass: the Rust one and the same app written as Tornado
/// code in Python (`plugins-py/accounts`), each beside the hello plugin.
macro_rules! account_suite {
    ($accounts:expr) => {
        use crate::support::{Response, Server, TestStore, Tornado, Visitor};

        use super::element;

        /// gale with the accounts plugin `$accounts` gives and hello on `store`.
        fn serve(store: &TestStore) -> Option<Server> {
            let plugins = [$accounts?, crate::support::plugin("hello")];
            Some(Server::start(&plugins, &[], &store.flags(), &[]))
        }

        #[test]
        fn register_login_me_and_logout_work_and_logout_ends_the_session_in_the_store() {
            for store in TestStore::each() {
                let Some(server) = serve(&store) else { return };
                let mut visitor = Visitor::new(&server);
                let form = visitor.get("/register");
                assert_eq!(form.status, 200);
                assert!(form.text().contains("name=\"_xsrf\""), "{}", form.text());

                let registered = visitor.register("alice", "correct horse");
                assert_eq!(
                    registered.status,
                    201,
                    "{:?}: {}",
                    store.backend,
                    registered.text()
                );
                assert_eq!(element(&registered.text(), "account"), "alice");

                let login = visitor.login("alice", "correct horse");
                assert_eq!(login.status, 302, "{}", login.text());
                assert_eq!(login.header("location"), Some("/me"));
                let cookie = login
                    .header_all("set-cookie")
                    .into_iter()
                    .find(|c| c.starts_with("gale_session="))
                    .expect("a session cookie")
                    .to_owned();
                for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1800"] {
                    assert!(cookie.contains(attribute), "{cookie}");
                }

                let me = visitor.get("/me");
                assert_eq!(me.status, 200);
                let uuid = element(&me.text(), "uuid");
                assert_eq!(element(&me.text(), "account"), "alice");
                let stored = store.rows("SELECT uuid FROM users WHERE account = 'alice'");
                assert_eq!(stored, vec![vec![uuid]]);
                assert_eq!(store.count("SELECT COUNT(*) FROM sessions"), 1);

                let stolen = visitor.session.clone();
                let logout = visitor.post("/logout", &[]);
                assert_eq!(logout.status, 302);
                assert_eq!(logout.header("location"), Some("/login"));
                assert!(visitor.session.is_none(), "the cookie is cleared");
                assert_eq!(store.count("SELECT COUNT(*) FROM sessions"), 0);

                // The old cookie, replayed, opens nothing: the session is gone from the store.
                visitor.session = stolen;
                let me = visitor.get("/me");
                assert_eq!(me.status, 302);
                assert_eq!(me.header("location"), Some("/login?next=%2Fme"));
            }
        }

        #[test]
        fn a_taken_account_is_409_and_every_failed_login_is_one_401_message() {
            for store in TestStore::each() {
                let Some(server) = serve(&store) else { return };
                let mut visitor = Visitor::new(&server);
                assert_eq!(visitor.register("bob", "password one").status, 201);
                let again = visitor.register("bob", "password two");
                assert_eq!(again.status, 409);
                assert!(again.text().contains("That account name is taken."));

                let wrong_password = visitor.login("bob", "password two");
                let unknown_account = visitor.login("nobody", "password one");
                let malformed_account = visitor.login(" bob", "password one");
                for failed in [&wrong_password, &unknown_account, &malformed_account] {
                    assert_eq!(failed.status, 401);
                    assert!(failed.text().contains("Wrong account or password."));
                    assert!(
                        failed
                            .header("set-cookie")
                            .is_none_or(|c| !c.contains("gale_session"))
                    );
                }
                let message = |page: &Response| {
                    page.text()
                        .split("class=\"message\">")
                        .nth(1)
                        .and_then(|rest| rest.split('<').next())
                        .map(str::to_owned)
                };
                assert_eq!(message(&wrong_password), message(&unknown_account));
                assert_eq!(store.count("SELECT COUNT(*) FROM sessions"), 0);
                assert_eq!(visitor.login("bob", "password one").status, 302);
            }
        }

        #[test]
        fn unacceptable_accounts_and_passwords_are_400_with_the_reason() {
            let store = TestStore::sqlite();
            let Some(server) = serve(&store) else { return };
            let mut visitor = Visitor::new(&server);
            assert_eq!(visitor.register("carol", "long enough").status, 201);
            let cases = [
                ("carol2", "short", "at least 8 characters"),
                ("", "long enough", "1 to 64 characters"),
                (&"x".repeat(65), "long enough", "1 to 64 characters"),
                ("tab\there", "long enough", "control characters"),
                (" carol", "long enough", "start or end with a space"),
            ];
            for (account, password, reason) in cases {
                let response = visitor.register(account, password);
                assert_eq!(response.status, 400, "{account:?}");
                assert!(response.text().contains(reason), "{}", response.text());
            }
            let missing = visitor.post("/register", &[("account", "carol3")]);
            assert_eq!(missing.status, 400);
            assert_eq!(store.count("SELECT COUNT(*) FROM users"), 1);
        }

        #[test]
        fn authenticated_sends_a_visitor_to_login_and_back_to_where_they_were_going() {
            let store = TestStore::sqlite();
            let Some(server) = serve(&store) else { return };
            let mut visitor = Visitor::new(&server);
            let me = visitor.get("/me?tab=1");
            assert_eq!(me.status, 302);
            assert_eq!(me.header("location"), Some("/login?next=%2Fme%3Ftab%3D1"));
            if let Some(tornado) = Tornado::start("s") {
                for path in ["/me", "/me?tab=1", "/me?a=b&c=d%20e+f/~"] {
                    let theirs = crate::support::get(tornado.addr, path);
                    let ours = visitor.get(path);
                    assert_eq!(
                        (ours.status, ours.header("location")),
                        (theirs.status, theirs.header("location")),
                        "{path}"
                    );
                }
            }
            let form = visitor.get("/login?next=%2Fme%3Ftab%3D1");
            assert!(
                form.text().contains("value=\"/me?tab=1\""),
                "{}",
                form.text()
            );
            assert_eq!(visitor.register("grace", "a long password").status, 201);
            let login = visitor.post(
                "/login",
                &[
                    ("account", "grace"),
                    ("password", "a long password"),
                    ("next", "/me?tab=1"),
                ],
            );
            assert_eq!(login.header("location"), Some("/me?tab=1"));
            // Never to another site.
            for next in [
                "//evil.example/",
                "https://evil.example/",
                "/\\evil.example",
                // A browser drops tabs and line breaks: `//evil.example/`.
                "/\t/evil.example/",
                "/\n/evil.example/",
            ] {
                let login = visitor.post(
                    "/login",
                    &[
                        ("account", "grace"),
                        ("password", "a long password"),
                        ("next", next),
                    ],
                );
                assert_eq!(login.header("location"), Some("/me"), "{next}");
            }
        }
    };
}

mod rust {
    account_suite!(Some(crate::support::plugin("accounts")));
}

mod python {
    account_suite!(crate::support::python_plugin("accounts"));
}
