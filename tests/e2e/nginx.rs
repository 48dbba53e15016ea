//! Deployed as the course teaches: three gale servers (127.0.0.1, .2 and .3 are all this
//! machine, so three "machines") sharing one account store and cookie secret behind real
//! nginx running `deploy/nginx.conf`; and `--trusted-proxies`, whose peers alone may name
//! the client.

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{
    Connection, Nginx, Redis, Server, Swaps, TestStore, Unit, Visitor, binary, deploy,
    mysql_server, plugin, report,
};
use crate::swap::{ORIGINAL, REPLACED, probe_as};

const SECRET: &str = "one secret for every backend";

/// The account store the backends share: MariaDB when the run has it, else one SQLite file.
fn shared_store() -> TestStore {
    match mysql_server() {
        Some(server) => TestStore::mysql(&server),
        None => TestStore::sqlite(),
    }
}

/// What the backends of a deployment share: the account store, the site (static files and
/// the cookie secret's file) and, when the run has Redis, the topics' Redis.
struct Shared {
    store: TestStore,
    site: tempfile::TempDir,
    redis: Option<Redis>,
}

impl Shared {
    fn new() -> Shared {
        let site = tempfile::tempdir().unwrap();
        let static_dir = site.path().join("static");
        std::fs::create_dir(&static_dir).unwrap();
        std::fs::write(static_dir.join("app.css"), "body { color: teal }\n").unwrap();
        std::fs::write(site.path().join("cookie-secret"), format!("{SECRET}\n")).unwrap();
        Shared {
            store: shared_store(),
            site,
            redis: Redis::start(),
        }
    }

    fn static_dir(&self) -> String {
        self.site.path().join("static").display().to_string()
    }

    fn secret_file(&self) -> String {
        self.site.path().join("cookie-secret").display().to_string()
    }
}

/// Three servers (on 127.0.0.1, .2 and .3) of the accounts, chat and probe (as `app`)
/// plugins, started as `deploy/` starts them, sharing one store, one cookie secret and
/// Redis, trusting nginx (127.0.0.1) to name the client, behind nginx; `None` when nginx
/// is missing.
struct Deployment {
    nginx: Nginx,
    backends: Vec<Server>,
    shared: Shared,
    /// Flags every backend gets besides the deployment's own.
    more: Vec<String>,
}

impl Deployment {
    fn up() -> Option<Deployment> {
        Self::with(&[], &[])
    }

    /// Backends with `more` flags, and `changes` made to the site.
    fn with(more: &[&str], changes: &[(&str, &str)]) -> Option<Deployment> {
        let more: Vec<String> = more.iter().map(|flag| flag.to_string()).collect();
        let shared = Shared::new();
        let backends: Vec<Server> = ["127.0.0.1:0", "127.0.0.2:0", "127.0.0.3:0"]
            .iter()
            .map(|listen| backend(listen, &shared, &more))
            .collect();
        let addrs: Vec<SocketAddr> = backends.iter().map(|server| server.addr).collect();
        let nginx = Nginx::fronting_with(&addrs, shared.site.path(), changes)?;
        Some(Deployment {
            nginx,
            backends,
            shared,
            more,
        })
    }

    /// Kills backend `index` with SIGKILL, and starts it again on its address.
    fn kill_and_restart(&mut self, index: usize, down_for: Duration) {
        let addr = self.backends[index].addr.to_string();
        self.backends[index].signal("KILL");
        std::thread::sleep(down_for);
        self.backends[index] = backend(&addr, &self.shared, &self.more);
    }
}

/// A backend listening on `listen` as `deploy/gale@.service` and `deploy/gale.env` start
/// one (its store, its static directory, the secret's file and Redis the test's own), with
/// `more` flags.
fn backend(listen: &str, deployment: &Shared, more: &[String]) -> Server {
    let (static_dir, secret) = (deployment.static_dir(), deployment.secret_file());
    let pubsub = deployment.redis.as_ref().map(|redis| redis.url());
    let unit = Unit::read(&Swaps {
        listen,
        static_dir: &static_dir,
        secret_file: &secret,
        database: None,
        pubsub: pubsub.as_deref(),
    });
    let mut flags: Vec<&str> = unit.flags.iter().map(String::as_str).collect();
    flags.extend(deployment.store.flags());
    flags.extend(more.iter().map(String::as_str));
    let env: Vec<(&str, &str)> = unit
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let read = |name| std::fs::read(plugin(name)).unwrap();
    let files = [
        ("accounts.wasm", read("accounts")),
        ("chat.wasm", read("chat")),
        ("app.wasm", probe_as(ORIGINAL)),
    ];
    Server::start(&[], &files, &flags, &env)
}

/// Clients that `GET /version` through nginx, each on a keep-alive connection of its own,
/// until told to stop; what they were answered.
struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<std::thread::JoinHandle<Vec<(u16, String)>>>,
}

impl Load {
    fn start(addr: SocketAddr, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..clients)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut connection = Connection::open(addr);
                    let mut answers = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let response =
                            connection.send("GET /version HTTP/1.1\r\nHost: gale.example\r\n\r\n");
                        // nginx ends a client's connection after 1,000 requests.
                        if response.header("connection") == Some("close") {
                            connection = Connection::open(addr);
                        }
                        answers.push((response.status, response.text()));
                    }
                    answers
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Every answer, once the clients have stopped.
    fn answers(self) -> Vec<(u16, String)> {
        self.stop.store(true, Ordering::Relaxed);
        self.clients
            .into_iter()
            .flat_map(|client| client.join().expect("a client's connection failed"))
            .collect()
    }
}

#[test]
fn three_servers_behind_nginx_share_sessions_see_the_client_and_leave_static_files_to_it() {
    let Some(deployment) = Deployment::up() else {
        return;
    };
    let (nginx, backends) = (&deployment.nginx, &deployment.backends);

    // One session, every backend: registered and logged in through nginx, then `/me` six
    // times, round-robin over the three.
    let mut visitor = Visitor::at(nginx.addr);
    assert_eq!(
        visitor.register("nginx user", "a long password").status,
        201
    );
    assert_eq!(visitor.login("nginx user", "a long password").status, 302);
    for _ in 0..6 {
        let me = visitor.get("/me");
        assert_eq!(me.status, 200, "{}", nginx.errors());
        assert!(me.text().contains("nginx user"));
    }
    for server in backends {
        server.wait_for_log("200 GET /me");
    }
    assert_eq!(visitor.post("/logout", &[]).status, 302);
    for _ in 0..3 {
        let me = visitor.get("/me");
        assert_eq!(me.status, 302, "logged out on every backend");
    }

    // The handler sees the client's address, not nginx's, even when the client lies.
    let lying = "X-Real-Ip: 203.0.113.66\r\nX-Forwarded-For: 203.0.113.66\r\n";
    for headers in ["", lying] {
        let client = nginx.get_from("127.0.0.9", "/client", headers);
        assert_eq!(client.text(), "127.0.0.9 http", "{headers:?}");
    }

    // A versioned static URL (gale's `static_url` hash) is nginx's to serve, for ever.
    let url = visitor.get("/static-url?path=app.css").text();
    assert!(url.starts_with("/static/app.css?v="), "{url}");
    let css = nginx.get_from("127.0.0.1", &url, "");
    assert_eq!(css.status, 200);
    assert_eq!(css.text(), "body { color: teal }\n");
    assert_eq!(css.header("cache-control"), Some("max-age=315360000"));
    assert!(css.header("expires").is_some_and(|at| at.contains("2037")));
    std::thread::sleep(Duration::from_millis(200));
    for server in backends {
        assert!(
            !server.log().contains("/static/app.css"),
            "{}",
            server.log()
        );
    }

    // A WebSocket chat through nginx's upgrade.
    let mut socket = crate::websocket::connect(nginx.addr, "/chat/socket");
    socket
        .send(tungstenite::Message::text(r#"{"body": "through nginx"}"#))
        .unwrap();
    let echoed: serde_json::Value =
        serde_json::from_str(&crate::websocket::text(&mut socket)).unwrap();
    assert_eq!(echoed["body"], "through nginx");
}

#[test]
fn a_backend_killed_under_load_loses_no_get_and_no_registration_and_rejoins() {
    let Some(mut deployment) = Deployment::up() else {
        return;
    };
    let nginx = deployment.nginx.addr;
    let load = Load::start(nginx, 3);
    let registering = std::thread::spawn(move || {
        let started = Instant::now();
        let mut outcomes = Vec::new();
        for n in 0.. {
            if started.elapsed() > Duration::from_secs(4) {
                break;
            }
            let account = format!("user {n}");
            let status = Visitor::at(nginx)
                .register(&account, "a long password")
                .status;
            outcomes.push((account, status));
        }
        outcomes
    });
    std::thread::sleep(Duration::from_millis(1000));
    deployment.kill_and_restart(1, Duration::from_millis(1500));
    let outcomes = registering.join().unwrap();
    // nginx tries the restarted server again once its fail_timeout (10 s) has passed.
    let restarted = &deployment.backends[1];
    let deadline = Instant::now() + Duration::from_secs(30);
    while !restarted.log().contains("200 GET /version") {
        assert!(
            Instant::now() < deadline,
            "the restarted backend was never used again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let answers = load.answers();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} GETs failed: {failed:?}",
        failed.len(),
        answers.len()
    );

    let rows: Vec<String> = deployment
        .shared
        .store
        .rows("SELECT account FROM users")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    for (account, status) in &outcomes {
        match status {
            201 => assert!(
                rows.contains(account),
                "{account} was answered 201 but not stored"
            ),
            409 => panic!("{account} was registered twice (409): a retried POST"),
            _ => assert!(*status >= 500, "{account}: {status}"),
        }
    }
    for row in &rows {
        let answered = outcomes.iter().find(|(account, _)| account == row);
        assert!(
            answered.is_some_and(|(_, status)| *status == 201 || *status >= 500),
            "{row} is stored but its client saw {answered:?}"
        );
    }
    let refused = outcomes.iter().filter(|(_, status)| *status != 201).count();
    report(&format!(
        "nginx: {} GETs, 0 failed; {} registrations, {refused} refused while a backend died",
        answers.len(),
        outcomes.len()
    ));
}

#[test]
fn a_rolling_plugin_upgrade_under_load_fails_no_request() {
    let Some(deployment) = Deployment::up() else {
        return;
    };
    let load = Load::start(deployment.nginx.addr, 4);
    std::thread::sleep(Duration::from_millis(300));
    for server in &deployment.backends {
        deploy(server.plugin_dir(), "app.wasm", &probe_as(REPLACED));
        server.wait_for_log("swapped app");
        std::thread::sleep(Duration::from_millis(300));
    }
    let answers = load.answers();
    for (status, text) in &answers {
        assert_eq!(*status, 200);
        assert!(text == ORIGINAL || text == REPLACED, "{text}");
    }
    let last = &answers.iter().filter(|(_, text)| text == REPLACED).count();
    assert!(*last > 0);
    for _ in 0..6 {
        let version = deployment.nginx.get_from("127.0.0.1", "/version", "");
        assert_eq!(version.text(), REPLACED);
    }
}

#[test]
fn clients_on_different_backends_chat_through_nginx_with_topics_shared_by_redis() {
    let Some(deployment) = Deployment::up() else {
        return;
    };
    if deployment.shared.redis.is_none() {
        return;
    }
    for server in &deployment.backends {
        server.wait_for_log("topics are shared with other servers through Redis");
    }
    // Round-robin: three sockets, three backends.
    let mut sockets: Vec<_> = (0..3)
        .map(|_| crate::websocket::connect(deployment.nginx.addr, "/chat/socket"))
        .collect();
    for server in &deployment.backends {
        server.wait_for_log("101 GET /chat/socket");
    }
    sockets[0]
        .send(tungstenite::Message::text(
            r#"{"body": "hello, other servers"}"#,
        ))
        .unwrap();
    for socket in &mut sockets {
        let heard: serde_json::Value =
            serde_json::from_str(&crate::websocket::text(socket)).unwrap();
        assert_eq!(heard["body"], "hello, other servers");
    }
}

#[test]
fn only_a_trusted_proxy_names_the_client_and_the_chain_is_walked_past_trusted_ones() {
    let flags = ["--xheaders", "--trusted-proxies", "127.0.0.1,10.0.0.0/8"];
    let server = Server::with(&["probe"], &flags);
    let client = |from: &str, forwarded: &str| {
        let from: IpAddr = from.parse().unwrap();
        let response = Connection::open_from(from, server.addr).send(&format!(
            "GET /client HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {forwarded}\r\n\r\n"
        ));
        response.text().split(' ').next().unwrap().to_owned()
    };
    assert_eq!(client("127.0.0.1", "203.0.113.5, 10.1.2.3"), "203.0.113.5");
    assert_eq!(client("127.0.0.1", "203.0.113.5, 127.0.0.7"), "127.0.0.7");
    assert_eq!(client("127.0.0.9", "203.0.113.5"), "127.0.0.9");

    let bad = Command::new(binary())
        .args(["serve", "--plugins", ".", "--trusted-proxies", "127.0.0.1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && stderr.contains("--xheaders"),
        "{stderr}"
    );
    let bad = Command::new(binary())
        .args([
            "serve",
            "--plugins",
            ".",
            "--xheaders",
            "--trusted-proxies",
            "10.0.0.0/40",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("neither an address nor a network"),
        "{stderr}"
    );
}

/// The number of seconds in a setting such as `75s` or `30s`.
fn seconds(setting: &str) -> u64 {
    setting
        .trim()
        .trim_end_matches(';')
        .trim_end_matches('s')
        .parse()
        .unwrap()
}

#[test]
fn an_idle_websocket_through_nginx_is_pinged_before_nginx_would_cut_it() {
    // The files' own numbers: gale pings more often than nginx gives up on a quiet socket.
    let root = crate::support::root();
    let site = std::fs::read_to_string(root.join("deploy/nginx.conf")).unwrap();
    let timeout = site.split("proxy_read_timeout").nth(1).unwrap();
    let env = std::fs::read_to_string(root.join("deploy/gale.env")).unwrap();
    let ping = env.split("GALE_WEBSOCKET_PING_INTERVAL=").nth(1).unwrap();
    let (timeout, ping) = (
        seconds(timeout.lines().next().unwrap()),
        seconds(ping.lines().next().unwrap()),
    );
    assert!(
        ping < timeout,
        "a {ping} s ping against nginx's {timeout} s"
    );
    // The same, 25 times faster: a ping each 1.2 s against nginx's 3 s, for 7 s of silence.
    let more = ["--websocket-ping-interval", "1200ms"];
    let Some(deployment) = Deployment::with(
        &more,
        &[("proxy_read_timeout 75s", "proxy_read_timeout 3s")],
    ) else {
        return;
    };
    let mut socket = crate::websocket::connect(deployment.nginx.addr, "/chat/socket");
    // Quiet for 7 s but for the pongs to gale's pings, as a browser answers them.
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let (quiet, mut pings) = (Instant::now(), 0);
    while quiet.elapsed() < Duration::from_secs(7) {
        match socket.read() {
            Ok(tungstenite::Message::Ping(_)) => pings += 1,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::Io(error))
                if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) => panic!("cut while quiet: {error}"),
        }
    }
    assert!(pings >= 4, "{pings} pings in 7 s");
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
        .send(tungstenite::Message::text(r#"{"body": "still here"}"#))
        .unwrap();
    let heard = loop {
        match socket.read().unwrap() {
            tungstenite::Message::Text(text) => break text.to_string(),
            _ => continue,
        }
    };
    assert!(heard.contains("still here"), "{heard}");
}
