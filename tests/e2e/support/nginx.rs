//! Real nginx (Debian's package) running `deploy/nginx.conf` in front of test servers, in a
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

impl Nginx {
    /// `None` (SKIPPED) when nginx is not installed; with `GALE_REQUIRE_NGINX` set (as
    /// .ci/run does), its absence fails the test.
    pub fn fronting(backends: &[SocketAddr], static_root: &Path) -> Option<Nginx> {
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
