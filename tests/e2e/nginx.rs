//! Deployed as the course teaches: three gale servers (127.0.0.1, .2 and .3 are all this
//! machine, so three "machines") sharing one account store and cookie secret behind real
//! nginx running `deploy/nginx.conf`; and `--trusted-proxies`, whose peers alone may name
//! the client.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    Connection, Response, Server, TestStore, Visitor, binary, mysql_server, plugin, report, root,
};

const NGINX: &str = "/usr/sbin/nginx";
const SECRET: &str = "one secret for every backend";

/// nginx running `deploy/nginx.conf` in front of `backends`, its static root `static_root`;
/// stopped when dropped.
struct Nginx {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// `None` (SKIPPED) when nginx is not installed; with `GALE_REQUIRE_NGINX` set (as
    /// .ci/run does), its absence fails the test.
    fn fronting(backends: &[SocketAddr], static_root: &Path) -> Option<Nginx> {
        if !Path::new(NGINX).exists() {
            assert!(
                std::env::var_os("GALE_REQUIRE_NGINX").is_none(),
                "the deployment tests need nginx (apt-get install nginx)"
            );
            report("SKIPPED: the nginx deployment tests (needs apt-get install nginx)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap();
        let site = std::fs::read_to_string(root().join("deploy/nginx.conf")).unwrap();
        let servers: String = backends
            .iter()
            .map(|backend| format!("    server {backend};\n"))
            .collect();
        let upstream = site.split("upstream gale {\n").nth(1).unwrap();
        let listed = &upstream[..upstream.find("    keepalive").unwrap()];
        let site = site
            .replace(listed, &servers)
            .replace("listen 80;", &format!("listen {addr};"))
            .replace(
                "root /srv/gale;",
                &format!("root {};", static_root.display()),
            );
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(path("gale.conf"), site).unwrap();
        let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|kind| format!("  {kind}_temp_path {};\n", path(kind)))
            .collect();
        let main = format!(
            "daemon off;\nmaster_process off;\npid {};\nerror_log {};\nevents {{}}\n\
             http {{\n  access_log {};\n{temp}  types {{ text/css css; }}\n  include {};\n}}\n",
            path("nginx.pid"),
            path("error.log"),
            path("access.log"),
            path("gale.conf"),
        );
        std::fs::write(path("nginx.conf"), main).unwrap();
        let child = Command::new(NGINX)
            .args([
                "-p",
                &path(""),
                "-e",
                &path("error.log"),
                "-c",
                &path("nginx.conf"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting nginx");
        let nginx = Nginx { child, addr, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                nginx.errors()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(nginx)
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// `GET path` through nginx from the loopback address `from`.
    fn get_from(&self, from: &str, path: &str, headers: &str) -> Response {
        let from: IpAddr = from.parse().unwrap();
        Connection::open_from(from, self.addr).send(&format!(
            "GET {path} HTTP/1.1\r\nHost: gale.example\r\nConnection: close\r\n{headers}\r\n"
        ))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The account store the backends share: MariaDB when the run has it, else one SQLite file.
fn shared_store() -> TestStore {
    match mysql_server() {
        Some(server) => TestStore::mysql(&server),
        None => TestStore::sqlite(),
    }
}

/// A backend on `ip`, trusting nginx's address (127.0.0.1) to name the client.
fn backend(ip: &str, store: &TestStore, static_dir: &Path) -> Server {
    let listen = format!("{ip}:0");
    let static_dir = static_dir.display().to_string();
    let mut flags = store.flags();
    flags.extend([
        "--listen",
        &listen,
        "--xheaders",
        "--trusted-proxies",
        "127.0.0.1",
        "--cookie-secret",
        SECRET,
        "--static",
        &static_dir,
    ]);
    let plugins = [plugin("accounts"), plugin("probe")];
    Server::start(&plugins, &[], &flags, &[])
}

#[test]
fn three_servers_behind_nginx_share_sessions_see_the_client_and_leave_static_files_to_it() {
    let site = tempfile::tempdir().unwrap();
    let static_dir = site.path().join("static");
    std::fs::create_dir(&static_dir).unwrap();
    std::fs::write(static_dir.join("app.css"), "body { color: teal }\n").unwrap();
    let store = shared_store();
    let backends: Vec<Server> = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| backend(ip, &store, &static_dir))
        .collect();
    let addrs: Vec<SocketAddr> = backends.iter().map(|server| server.addr).collect();
    let Some(nginx) = Nginx::fronting(&addrs, site.path()) else {
        return;
    };

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
    for server in &backends {
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
    for server in &backends {
        assert!(
            !server.log().contains("/static/app.css"),
            "{}",
            server.log()
        );
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
