//! Real nginx (Debian's package) running `deploy/nginx.conf` inside Debian's own
//! `/etc/nginx/nginx.conf`, as a reader installs it, in front of test servers: in a
//! directory of its own, as one process that stops with the test.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Connection, Response, installed, root};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx running `deploy/nginx.conf` in front of `backends`, its static root `static_root`;
/// stopped when dropped.
pub struct Nginx {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

/// Debian's `/etc/nginx/nginx.conf` as it wraps an enabled site, run by the test's user as
/// one process: its own pid, logs, temporary files and `sites-enabled` under `path("")`.
fn debian_main(path: &dyn Fn(&str) -> String) -> String {
    let debian = std::fs::read_to_string("/etc/nginx/nginx.conf")
        .expect("Debian's /etc/nginx/nginx.conf, installed with nginx");
    let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|kind| format!("\t{kind}_temp_path {};\n", path(kind)))
        .collect();
    let swaps = [
        ("pid /run/nginx.pid;", format!("pid {};", path("nginx.pid"))),
        (
            "error_log /var/log/nginx/error.log;",
            format!("error_log {};", path("error.log")),
        ),
        (
            "access_log /var/log/nginx/access.log;",
            format!("access_log {};", path("access.log")),
        ),
        (
            "include /etc/nginx/sites-enabled/*;",
            format!("include {};", path("sites-enabled/*")),
        ),
        ("http {\n", format!("http {{\n{temp}")),
    ];
    let mut main = String::from("daemon off;\nmaster_process off;\n");
    main.push_str(
        &debian
            .lines()
            .filter(|line| !line.trim_start().starts_with("user "))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    main.push('\n');
    for (text, replacement) in swaps {
        assert!(main.contains(text), "Debian's nginx.conf has no {text:?}");
        main = main.replacen(text, &replacement, 1);
    }
    main
}

impl Nginx {
    /// nginx serving HTTPS (HTTP/2 offered by ALPN) with a certificate of `ca`: `/protocol`
    /// answers the protocol the client spoke, everything else goes to `backend`. `None`
    /// (SKIPPED) as [`Nginx::fronting_with`].
    pub fn tls_in_front_of(ca: &super::TestCa, backend: SocketAddr) -> Option<Nginx> {
        if !installed(
            NGINX,
            "GALE_REQUIRE_NGINX",
            "the HTTPS fetch tests",
            "nginx",
        ) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap();
        let (cert, key) = ca.issue("upstream");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|kind| format!("  {kind}_temp_path {};\n", path(kind)))
            .collect();
        let config = format!(
            "daemon off;\nmaster_process off;\npid {pid};\nerror_log {errors};\nevents {{}}\n\
             http {{\n{temp}  access_log off;\n  server {{\n    listen {addr} ssl http2;\n\
                 ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
                 location = /protocol {{ return 200 \"$server_protocol\"; }}\n\
                 location / {{ proxy_pass http://{backend}; }}\n  }}\n}}\n",
            pid = path("nginx.pid"),
            errors = path("error.log"),
            cert = cert.display(),
            key = key.display(),
        );
        std::fs::write(path("nginx.conf"), config).unwrap();
        Some(Self::spawned(dir, addr))
    }

    /// `None` (SKIPPED) when nginx is not installed; with `GALE_REQUIRE_NGINX` set (as
    /// .ci/run does), its absence fails the test.
    /// `changes` (text, replacement) are made to the site first.
    pub fn fronting_with(
        backends: &[SocketAddr],
        static_root: &Path,
        changes: &[(&str, &str)],
    ) -> Option<Nginx> {
        if !installed(NGINX, "GALE_REQUIRE_NGINX", "the deployment tests", "nginx") {
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
        let mut site = site
            .replace(listed, &servers)
            .replace("listen 80;", &format!("listen {addr};"))
            .replace(
                "root /srv/gale;",
                &format!("root {};", static_root.display()),
            );
        for (text, replacement) in changes {
            assert!(site.contains(text), "deploy/nginx.conf has no {text:?}");
            site = site.replace(text, replacement);
        }
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::create_dir(path("sites-enabled")).unwrap();
        std::fs::write(path("sites-enabled/gale.conf"), site).unwrap();
        std::fs::write(path("nginx.conf"), debian_main(&path)).unwrap();
        Some(Self::spawned(dir, addr))
    }

    /// Starts nginx on `dir`'s `nginx.conf`, listening on `addr`, and waits until it answers.
    fn spawned(dir: tempfile::TempDir, addr: SocketAddr) -> Nginx {
        let path = |name: &str| dir.path().join(name).display().to_string();
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
        nginx
    }

    /// Its error log so far.
    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// `GET path` through nginx from the loopback address `from`.
    pub fn get_from(&self, from: &str, path: &str, headers: &str) -> Response {
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
