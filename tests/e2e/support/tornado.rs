//! Real Tornado 6.6.1 (tests/tornado/app.py) on a free loopback port, for the tests that
//! compare gale with it. `.ci/run` installs Tornado and sets `GALE_REQUIRE_TORNADO`, so CI
//! never skips these; elsewhere they say they were skipped when Tornado is missing.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::root;

/// A running Tornado app, killed when dropped.
pub struct Tornado {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    /// Its working directory (where an app's own files go), removed when dropped.
    _dir: tempfile::TempDir,
}

impl Tornado {
    /// Starts the reference app with `secret` as its `cookie_secret`, or `None` (with a
    /// note on stderr) when Python or Tornado 6.6.1 is not installed and CI does not
    /// require it.
    pub fn start(secret: &str) -> Option<Tornado> {
        Self::serving(secret, None)
    }

    /// [`Tornado::start`], also serving `static_path` at `/static/`.
    pub fn serving(secret: &str, static_path: Option<&Path>) -> Option<Tornado> {
        if !Self::installed() {
            return None;
        }
        let mut command = Command::new("python3");
        command
            .arg(root().join("tests/tornado/app.py"))
            .arg(secret)
            .args(static_path);
        Some(Self::spawn(command))
    }

    /// Real Tornado serving the app module at `app_py` unchanged (a Python plugin's source),
    /// in a working directory of its own, or `None` as [`Tornado::start`].
    pub fn running(app_py: &Path) -> Option<Tornado> {
        Self::installed().then(|| {
            let mut command = Command::new("python3");
            command
                .arg(root().join("tests/tornado/run_app.py"))
                .arg(app_py);
            Self::spawn(command)
        })
    }

    /// [`Tornado::running`] with `env` set and real PyMySQL 1.1.1 importable (or `None`, as
    /// [`Tornado::start`]).
    pub fn running_with_pymysql(app_py: &Path, env: &[(&str, &str)]) -> Option<Tornado> {
        let check = "import pymysql, sys; sys.exit(pymysql.VERSION_STRING != '1.1.1')";
        (Self::installed() && Self::imports(check, "pip install pymysql==1.1.1")).then(|| {
            let mut command = Command::new("python3");
            command
                .arg(root().join("tests/tornado/run_app.py"))
                .arg(app_py)
                .envs(env.iter().copied());
            Self::spawn(command)
        })
    }

    /// Real Tornado serving `tests/tornado/upstream.py`: the service the outbound tests
    /// fetch from; `None` as [`Tornado::start`].
    pub fn upstream() -> Option<Tornado> {
        Self::installed().then(|| {
            let mut command = Command::new("python3");
            command.arg(root().join("tests/tornado/upstream.py"));
            Self::spawn(command)
        })
    }

    /// Its origin, as a URL: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts `command`, which prints its port (or an address ending in it) first.
    fn spawn(mut command: Command) -> Tornado {
        let dir = tempfile::tempdir().expect("a working directory for Tornado");
        let mut child = command
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Tornado");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the Tornado app's port");
        let port = line.trim().rsplit(':').next().unwrap_or_default();
        let port: u16 = port.parse().expect("a port number");
        Tornado {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            _dir: dir,
        }
    }

    /// Whether python3 imports Tornado 6.6.1; when not, a SKIPPED line (or a failure under
    /// `GALE_REQUIRE_TORNADO`).
    fn installed() -> bool {
        let check = "import tornado, sys; sys.exit(tornado.version != '6.6.1')";
        Self::imports(check, "pip install tornado==6.6.1")
    }

    /// Whether python3 runs `check` (an import) without error; when not, a SKIPPED line
    /// saying to `install` (or a failure under `GALE_REQUIRE_TORNADO`).
    fn imports(check: &str, install: &str) -> bool {
        let imported = Command::new("python3")
            .args(["-c", check])
            .status()
            .is_ok_and(|status| status.success());
        if !imported {
            assert!(
                std::env::var_os("GALE_REQUIRE_TORNADO").is_none(),
                "GALE_REQUIRE_TORNADO is set but python3 cannot run `{check}` ({install})"
            );
            eprintln!("SKIPPED: the comparison with real Tornado ({install})");
        }
        imported
    }
}

impl Drop for Tornado {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
