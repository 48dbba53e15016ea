//! A Redis server of the test's own (Debian's `redis-server`) on a free loopback port, with
//! nothing saved to disk; it can be stopped and started again on the same port.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::installed;

const REDIS: &str = "/usr/bin/redis-server";

/// A running (or stopped) Redis; stopped when dropped.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    /// What it is started with beyond its port: a password, TLS.
    options: Vec<String>,
    /// `redis` or `rediss`.
    scheme: &'static str,
    password: Option<String>,
}

impl Redis {
    /// A Redis on a free port, or `None` (SKIPPED) when it is not installed; with
    /// `GALE_REQUIRE_REDIS` set (as .ci/run does), its absence fails the test.
    pub fn start() -> Option<Redis> {
        Self::start_with(None, None)
    }

    /// A Redis that asks for `password` (when given) and speaks only TLS with the
    /// certificate `tls` (a certificate and key PEM file, when given).
    pub fn start_with(password: Option<&str>, tls: Option<(&Path, &Path)>) -> Option<Redis> {
        let tests = "the cross-server topic tests";
        if !installed(REDIS, "GALE_REQUIRE_REDIS", tests, "redis-server") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let mut options = Vec::new();
        if let Some(password) = password {
            options.extend(["--requirepass".into(), password.into()]);
        }
        let scheme = match tls {
            Some((cert, key)) => {
                options.extend([
                    "--port".into(),
                    "0".into(),
                    "--tls-port".into(),
                    port.to_string(),
                ]);
                options.extend(["--tls-cert-file".into(), cert.display().to_string()]);
                options.extend(["--tls-key-file".into(), key.display().to_string()]);
                options.extend(["--tls-auth-clients".into(), "no".into()]);
                "rediss"
            }
            None => {
                options.extend(["--port".into(), port.to_string()]);
                "redis"
            }
        };
        let password = password.map(str::to_owned);
        let mut redis = Redis {
            child: None,
            port,
            options,
            scheme,
            password,
        };
        redis.resume();
        Some(redis)
    }

    /// Its URL, for `--pubsub`.
    pub fn url(&self) -> String {
        let credentials = self
            .password
            .as_ref()
            .map(|password| format!(":{password}@"))
            .unwrap_or_default();
        format!("{}://{credentials}127.0.0.1:{}", self.scheme, self.port)
    }

    /// Sends one command in Redis's wire format (RESP) over plain TCP and returns the
    /// reply's first line: what another client of the same Redis could do.
    pub fn command(&self, args: &[&str]) -> String {
        use std::io::{BufRead, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut reply = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut reply)
            .unwrap();
        reply.trim_end().to_owned()
    }

    /// Kills it (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on its port, and waits until it accepts connections.
    pub fn resume(&mut self) {
        let child = Command::new(REDIS)
            .args(&self.options)
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
