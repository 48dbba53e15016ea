//! Building the plugins once and running `gale serve` as a child process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is inside the workspace")
        .to_owned()
}

/// The built component `name` (`hello`, `tutorial`, `accounts`, `chat`, `gateway`, `notes`, `probe`, `faults`, `forms`,
/// `hostile`); all are built on first use, once per test run, in a target directory of
/// their own.
pub fn plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let root = root();
        let crates = [
            root.join("plugins/hello"),
            root.join("plugins/tutorial"),
            root.join("plugins/accounts"),
            root.join("plugins/chat"),
            root.join("plugins/gateway"),
            root.join("plugins/notes"),
            root.join("tests/plugins/probe"),
            root.join("tests/plugins/faults"),
            root.join("tests/plugins/forms"),
            root.join("tests/plugins/hostile"),
        ];
        let out = root.join("target/gale/test-plugins");
        let wasm_target = root.join(gale_host::__private::build::WASM_TARGET_DIR);
        gale_host::__private::build::build_plugins(&crates, &wasm_target, &out)
            .expect("building the test plugins");
        out
    });
    dir.join(format!("{name}.wasm"))
}

/// The built Python plugin `name` (of `plugins-py/`, or `views`: `tests/tornado/views`), all
/// built on first use with componentize-py; `None`, with a SKIPPED line, when componentize-py
/// is missing and `GALE_REQUIRE_COMPONENTIZE_PY` is unset.
pub fn python_plugin(name: &str) -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // The check `gale build` makes, with its message.
        if let Err(missing) = gale_host::__private::python::componentize_py() {
            assert!(
                std::env::var_os("GALE_REQUIRE_COMPONENTIZE_PY").is_none(),
                "the Python plugin tests: {missing}"
            );
            super::report(&format!("SKIPPED: the Python plugin tests ({missing})"));
            return None;
        }
        let root = root();
        // The examples, and the templates corpus real Tornado also serves.
        let dirs = [root.join("plugins-py"), root.join("tests/tornado/views")];
        let sources = gale_host::__private::build::find_crates(&dirs).expect("the Python plugins");
        let out = root.join("target/gale/test-plugins-py");
        let wasm_target = root.join(gale_host::__private::build::WASM_TARGET_DIR);
        gale_host::__private::build::build_plugins(&sources, &wasm_target, &out)
            .expect("building the Python plugins");
        Some(out)
    });
    Some(dir.as_ref()?.join(format!("{name}.wasm")))
}

/// The `gale` binary under test: this build's, or `GALE_TEST_BINARY` (to run today's tests
/// against an older build and see them fail there).
pub fn binary() -> PathBuf {
    std::env::var_os("GALE_TEST_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gale")))
}

/// A running `gale serve`, stopped when dropped.
pub struct Server {
    /// Where it listens (the first address it names).
    pub addr: SocketAddr,
    /// Every address it listens on, with its scheme (`http`, `https`).
    urls: Vec<(String, SocketAddr)>,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// The plugin directory, removed when the server is dropped.
    _dir: Option<tempfile::TempDir>,
    /// The data directory the harness gave it (its own embedded account store).
    _data: Option<tempfile::TempDir>,
}

impl Server {
    /// Serves copies of `plugins` (paths to components) and `files` (made by the test) with
    /// extra flags and environment variables, on a free port of 127.0.0.1 unless the flags
    /// say `--listen`.
    pub fn start(
        plugins: &[PathBuf],
        files: &[(&str, Vec<u8>)],
        flags: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let dir = tempfile::tempdir().expect("a temporary plugin directory");
        for plugin in plugins {
            std::fs::copy(plugin, dir.path().join(plugin.file_name().unwrap()))
                .expect("copying a plugin");
        }
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).expect("writing a test file");
        }
        let mut command = Command::new(binary());
        command.arg("serve").arg("--plugins").arg(dir.path());
        if !flags.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        command.args(flags);
        command.envs(env.iter().copied());
        let mut server = Self::spawn(command);
        server._dir = Some(dir);
        server
    }

    /// Runs `command` (a `gale` that serves) and waits for the line that says where it
    /// listens.
    pub fn spawn(mut command: Command) -> Server {
        // One compiled-code cache for the run, unless the test brings its own.
        if !command.get_envs().any(|(name, _)| name == "GALE_CACHE_DIR") {
            command.env("GALE_CACHE_DIR", root().join("target/gale/test-cache"));
        }
        // Its own embedded account store, unless the test points it at one.
        let data = tempfile::tempdir().expect("a data directory");
        if !command.get_envs().any(|(name, _)| name == "GALE_DATA_DIR") {
            command.env("GALE_DATA_DIR", data.path());
        }
        let mut child = command
            .env("GALE_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting gale");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("reading gale's first line");
        // `gale: listening on https://127.0.0.1:8443, http://127.0.0.1:8080 (...)`.
        let urls: Vec<(String, SocketAddr)> = line
            .split([' ', ','])
            .filter_map(|word| word.split_once("://"))
            .filter_map(|(scheme, addr)| Some((scheme.to_owned(), addr.parse().ok()?)))
            .collect();
        let Some(&(_, addr)) = urls.first() else {
            panic!(
                "gale did not start: {line:?}\n{}",
                log.lock().unwrap().join("\n")
            )
        };
        Server {
            addr,
            urls,
            child,
            log,
            _dir: None,
            _data: Some(data),
        }
    }

    /// Serves the named built plugins with extra flags.
    pub fn with(names: &[&str], flags: &[&str]) -> Server {
        let plugins: Vec<PathBuf> = names.iter().map(|name| plugin(name)).collect();
        Self::start(&plugins, &[], flags, &[])
    }

    /// Serves the named Python plugin (see [`python_plugin`]) with extra flags; `None` when
    /// the Python tests are skipped.
    pub fn python(name: &str, flags: &[&str]) -> Option<Server> {
        Some(Self::start(&[python_plugin(name)?], &[], flags, &[]))
    }

    /// The data directory the harness gave it, unless the test set `GALE_DATA_DIR`.
    pub fn data_dir(&self) -> &Path {
        self._data
            .as_ref()
            .expect("a data directory of the harness")
            .path()
    }

    /// The directory it serves plugins from (when the harness made it).
    pub fn plugin_dir(&self) -> &Path {
        self._dir
            .as_ref()
            .expect("a plugin directory made by Server::start")
            .path()
    }

    /// Sends `signal` (e.g. `HUP`) to the server.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(
            sent.is_ok_and(|status| status.success()),
            "kill -{signal} failed"
        );
    }

    /// The address it serves `scheme` on.
    pub fn addr_of(&self, scheme: &str) -> SocketAddr {
        let found = self.urls.iter().find(|(s, _)| s == scheme);
        found.unwrap_or_else(|| panic!("no {scheme}:// address")).1
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// The server's resident memory now (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// A line of the server's `/proc/PID/status`, in KiB.
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("reading the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("a {field} line"))
    }

    /// Whether the process is still running (it has not aborted).
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("waiting for gale").is_none()
    }

    /// The admin endpoint's address (under `--admin`), from the line the server logs.
    pub fn admin_addr(&self) -> SocketAddr {
        let line = self.wait_for_log("admin endpoint on http://");
        let addr = line.split("http://").nth(1).unwrap();
        addr.split('/').next().unwrap().parse().unwrap()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits up to ten seconds for a log line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find(|line| line.contains(needle))
            {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?} in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for gale") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "gale did not exit after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
