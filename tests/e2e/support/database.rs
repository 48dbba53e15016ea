//! Account stores for the tests: an SQLite file of their own always, and a database of
//! their own on MariaDB when `GALE_TEST_MYSQL_URL` is set (dropped afterwards), plus a
//! private MariaDB server a test may stop and start.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use sqlx::AnyConnection;
use sqlx::Connection;

/// The variable that turns the MySQL suite on, with the server's URL.
const MYSQL_VARIABLE: &str = "GALE_TEST_MYSQL_URL";

/// Which database a test store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: an SQLite file in the server's data directory.
    Sqlite,
    /// A database on the MariaDB server of `GALE_TEST_MYSQL_URL`.
    MySql,
}

/// One test's account store, removed when dropped.
pub struct TestStore {
    /// The backend.
    pub backend: Backend,
    /// The URL the test reads the tables through.
    url: String,
    /// The flags that point gale at it.
    flags: Vec<String>,
    /// The data directory (SQLite lives in it).
    _dir: tempfile::TempDir,
    /// The MySQL server's URL and the database made for this test, dropped afterwards.
    made: Option<(String, String)>,
}

impl TestStore {
    /// One store per backend this run can reach: SQLite, and MariaDB when
    /// `GALE_TEST_MYSQL_URL` is set (without it, says once on stderr that the MySQL suite
    /// is skipped).
    pub fn each() -> Vec<TestStore> {
        let mut stores = vec![TestStore::sqlite()];
        stores.extend(mysql_server().map(|server| TestStore::mysql(&server)));
        stores
    }

    /// A fresh SQLite store: the embedded default in a data directory of its own.
    pub fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().expect("a data directory");
        let file = dir.path().join("accounts.sqlite3");
        TestStore {
            backend: Backend::Sqlite,
            url: format!("sqlite://{}?mode=rwc", file.display()),
            flags: vec!["--data-dir".into(), dir.path().display().to_string()],
            _dir: dir,
            made: None,
        }
    }

    /// A fresh database of its own on the MySQL server at `server`.
    pub fn mysql(server: &str) -> TestStore {
        let mut id = [0u8; 6];
        getrandom::fill(&mut id).unwrap();
        let name = format!(
            "gale_test_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        execute(server, &format!("CREATE DATABASE {name}"));
        let url = with_database(server, &name);
        TestStore {
            backend: Backend::MySql,
            flags: vec!["--database".into(), url.clone()],
            url,
            _dir: tempfile::tempdir().unwrap(),
            made: Some((server.to_owned(), name)),
        }
    }

    /// The flags for `gale serve`.
    pub fn flags(&self) -> Vec<&str> {
        self.flags.iter().map(String::as_str).collect()
    }

    /// `gale serve` of the named built plugins on this store, with `more` flags.
    pub fn serve(&self, plugins: &[&str], more: &[&str]) -> crate::support::Server {
        let mut flags = self.flags();
        flags.extend(more);
        crate::support::Server::with(plugins, &flags)
    }

    /// The database's URL.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Runs a statement.
    pub fn execute(&self, sql: &str) {
        execute(&self.url, sql);
    }

    /// Runs a query that returns one integer.
    pub fn count(&self, sql: &str) -> i64 {
        block_on(async {
            let mut connection = AnyConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar(sql)
                .fetch_one(&mut connection)
                .await
                .unwrap()
        })
    }

    /// Runs a query that returns text columns, row by row.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        block_on(async {
            use sqlx::Row;
            let mut connection = AnyConnection::connect(&self.url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut connection).await.unwrap();
            rows.iter()
                .map(|row| (0..row.len()).map(|at| row.get(at)).collect())
                .collect()
        })
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.made {
            execute(server, &format!("DROP DATABASE IF EXISTS {name}"));
        }
    }
}

/// The MySQL server's URL from `GALE_TEST_MYSQL_URL`; without it, says once on stderr
/// (past the harness's capture of `eprintln!`) that the MySQL suite is skipped.
pub fn mysql_server() -> Option<String> {
    let server = std::env::var(MYSQL_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty());
    if server.is_none() {
        static SAID: Once = Once::new();
        SAID.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: the MySQL account-store suite (set {MYSQL_VARIABLE}=\
                 mysql://root@127.0.0.1:3306/test to run it; .ci/run does)\n"
            );
        });
    }
    server
}

/// `server`'s URL with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (scheme, rest) = server.split_once("://").expect("a URL");
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}")
}

/// Runs one statement on `url`.
fn execute(url: &str, sql: &str) {
    block_on(async {
        let mut connection = AnyConnection::connect(url)
            .await
            .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
        sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
    })
}

fn block_on<T>(work: impl Future<Output = T>) -> T {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// A MariaDB server of the test's own, on a free port, that it may stop and start again:
/// the shared server stays up for the other tests.
pub struct PrivateMariaDb {
    dir: tempfile::TempDir,
    /// The port it listens on.
    pub port: u16,
    child: Option<Child>,
}

impl PrivateMariaDb {
    /// Initialises a data directory (not started yet); `None` when MariaDB is not installed.
    pub fn create() -> Option<PrivateMariaDb> {
        let dir = tempfile::tempdir().unwrap();
        let installed = Command::new(sbin("mariadb-install-db"))
            .args(["--no-defaults", "--skip-test-db", "--user=root"])
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Some(PrivateMariaDb {
            dir,
            port,
            child: None,
        })
    }

    /// gale's `--database` URL for database `name` on it.
    pub fn url(&self, name: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{name}", self.port)
    }

    /// Starts the server (no grant tables: a throwaway instance) and waits until it answers.
    pub fn start(&mut self) {
        let data: PathBuf = self.dir.path().join("data");
        let child = Command::new(sbin("mariadbd"))
            .args(["--no-defaults", "--user=root", "--skip-grant-tables"])
            .args(["--bind-address=127.0.0.1", "--skip-name-resolve"])
            .arg(format!("--port={}", self.port))
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                self.dir.path().join("sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                self.dir.path().join("pid").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mariadbd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the private MariaDB did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Makes database `name` on it.
    pub fn create_database(&self, name: &str) {
        let server = format!("mysql://root@127.0.0.1:{}/mysql", self.port);
        execute(&server, &format!("CREATE DATABASE IF NOT EXISTS {name}"));
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A MariaDB program, from `/usr/sbin` or `/usr/bin` when `PATH` lacks them.
fn sbin(program: &str) -> PathBuf {
    ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|dir| PathBuf::from(dir).join(program))
        .find(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from(program))
}
