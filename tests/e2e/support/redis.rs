//! A Redis server of the test's own (Debian's `redis-server`) on a free loopback port, with
//! nothing saved to disk; it can be stopped and started again on the same port.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::installed;

const REDIS: &str = "/usr/bin/redis-server";

/// A running (or stopped) Redis; stopped when dropped.
pub struct Redis {
    child: Option<Child>,
    port: u16,
}

impl Redis {
    /// A Redis on a free port, or `None` (SKIPPED) when it is not installed; with
    /// `GALE_REQUIRE_REDIS` set (as .ci/run does), its absence fails the test.
    pub fn start() -> Option<Redis> {
        let tests = "the cross-server topic tests";
        if !installed(REDIS, "GALE_REQUIRE_REDIS", tests, "redis-server") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let mut redis = Redis { child: None, port };
        redis.resume();
        Some(redis)
    }

    /// Its URL, for `--pubsub`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
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
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
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
