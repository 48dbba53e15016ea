//! The end-to-end harness: the example plugins built once per run, the real `gale` binary
//! started on a free loopback port, and a small HTTP/1.x client over real sockets that shows
//! exactly what came over the wire.

mod client;
mod database;
mod files;
pub mod h2raw;
mod nginx;
mod redis;
mod server;
mod tls;
mod tornado;
mod unit;
mod visitor;

pub use client::{Connection, Response, get, send};
pub use database::{PrivateMariaDb, TestStore, mysql_server};
pub use files::{deploy, patched, wait_until};
pub use nginx::Nginx;
pub use redis::Redis;
pub use server::{Server, binary, plugin, python_plugin, root};
pub use tls::TestCa;
pub use tornado::Tornado;
pub use unit::{Swaps, Unit};
pub use visitor::Visitor;

/// Whether the tool at `path` (a Debian package's binary) is here. When it is not, the test
/// says SKIPPED with what `tests` need and the `package` to install, or fails when the
/// variable `require` is set (as .ci/run sets it).
pub fn installed(path: &str, require: &str, tests: &str, package: &str) -> bool {
    if std::path::Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var_os(require).is_none(),
        "{tests} need {path} (apt-get install {package})"
    );
    report(&format!(
        "SKIPPED: {tests} (needs apt-get install {package})"
    ));
    false
}

/// Writes a measurement to stderr as the run goes, past the test harness's capture, so the
/// numbers reach the log of a passing run.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
