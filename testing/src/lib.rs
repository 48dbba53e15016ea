//! Test a gale plugin as Tornado's `AsyncHTTPTestCase` tests an application: [`TestApp::start`]
//! builds the plugin crate under test (`gale build`), serves it with a real `gale serve` on
//! a free port (an account store of its own, a fixed cookie secret, its fetches of `self`
//! allowed), and gives a client that keeps cookies, as a browser would.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! let app = gale_testing::TestApp::start()?;
//! let response = app.get("/?name=bob")?;
//! assert_eq!(response.status, 200);
//! assert_eq!(response.text(), "Hello, bob, from greeter");
//! # Ok(())
//! # }
//! ```
//!
//! It runs the `gale` on the `PATH` (or the one `GALE_BINARY` names), and builds the crate
//! whose tests are running (`CARGO_MANIFEST_DIR`) into `target/gale-testing/`.

mod client;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

pub use client::Response;

/// The cookie secret the test server signs with.
pub const COOKIE_SECRET: &str = "gale-testing: not a secret";

/// The plugin under test, served by a real `gale serve`; stopped when dropped.
pub struct TestApp {
    child: Child,
    addr: SocketAddr,
    cookies: Mutex<Vec<(String, String)>>,
}

impl TestApp {
    /// Builds the crate under test and serves it; an error says what is missing (`gale` not
    /// installed, a build that failed, a server that did not start).
    pub fn start() -> std::io::Result<TestApp> {
        let gale = std::env::var_os("GALE_BINARY").unwrap_or_else(|| "gale".into());
        let krate = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
            std::io::Error::other("CARGO_MANIFEST_DIR is not set: run the tests with cargo test")
        })?);
        let work = krate.join("target/gale-testing");
        let plugins = work.join("plugins");
        let data = work.join(format!("data-{}", std::process::id()));
        let not_found = |error: std::io::Error| {
            std::io::Error::other(format!(
                "cannot run {} ({error}): install gale (cargo install --path host, in a \
                 checkout) or set GALE_BINARY",
                gale.to_string_lossy()
            ))
        };
        let built = Command::new(&gale)
            .current_dir(&krate)
            .arg("build")
            .arg(&krate)
            .arg("--out")
            .arg(&plugins)
            .stdout(Stdio::null())
            .status()
            .map_err(not_found)?;
        if !built.success() {
            return Err(std::io::Error::other(
                "gale build failed (its errors are above)",
            ));
        }
        // As `gale dev`, the plugin may fetch this server (`self`).
        let allowances = std::fs::read_dir(&plugins)?
            .filter_map(|entry| entry.ok()?.path().file_stem()?.to_str().map(str::to_owned))
            .map(|name| format!("{name}=self"));
        let mut child = Command::new(&gale)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--cookie-secret",
                COOKIE_SECRET,
            ])
            .args(allowances.flat_map(|allowance| ["--allow-outbound".to_owned(), allowance]))
            .arg("--plugins")
            .arg(&plugins)
            .arg("--data-dir")
            .arg(&data)
            .env("GALE_CACHE_DIR", work.join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(not_found)?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut line)?;
        }
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            return Err(std::io::Error::other(format!(
                "gale serve did not start (it said {line:?}; its log is above)"
            )));
        };
        Ok(TestApp {
            child,
            addr,
            cookies: Mutex::default(),
        })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET path`, with the cookies the app has set so far.
    pub fn get(&self, path: &str) -> std::io::Result<Response> {
        self.fetch("GET", path, &[])
    }

    /// `POST path` of `form` (`application/x-www-form-urlencoded`), with the cookies.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> std::io::Result<Response> {
        let body = client::form(form);
        self.fetch("POST", path, body.as_bytes())
    }

    /// Any request, with the cookies; what it sets is kept for the next.
    pub fn fetch(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        let mut cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        let response = client::request(self.addr, method, path, &cookies, body)?;
        client::keep_cookies(&mut cookies, &response);
        Ok(response)
    }

    /// The value of cookie `name`, if the app has set it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
