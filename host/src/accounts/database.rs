//! Which database holds the accounts, how to connect to it, and its schema, migrated once
//! however many workers open it.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool};

use super::AccountStore;

/// The SQLite file the embedded default keeps under the data directory.
pub const DEFAULT_FILE: &str = "accounts.sqlite3";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static MYSQL_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/mysql");

/// The database behind the account store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// MySQL or MariaDB, given by `--database mysql://...`.
    MySql,
    /// An SQLite file: the default, or `--database sqlite://...`.
    Sqlite,
}

/// What a [`Database`] is made from: `--database`, `--data-dir`, `--database-connections`
/// and `--database-timeout`.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// The database URL; `None` for the embedded SQLite file.
    pub url: Option<String>,
    /// Where the embedded file lives.
    pub data_dir: PathBuf,
    /// Connections each worker keeps at most.
    pub connections: u32,
    /// How long an operation may wait for the database.
    pub timeout: Duration,
}

/// The account store's settings, shared by the workers; each worker opens its own
/// connection pool on its own loop with [`Database::open`].
pub struct Database {
    url: String,
    /// The URL without its password, for log lines.
    shown: String,
    backend: Backend,
    connections: u32,
    timeout: Duration,
    /// Held while the schema is migrated, so that workers do it one at a time.
    migrating: tokio::sync::Mutex<()>,
    migrated: AtomicBool,
    /// Whether the last operation failed for want of the database (logged once per outage).
    down: AtomicBool,
}

impl Database {
    /// The database at `url` (`mysql://`, `mariadb://` or `sqlite://`), or by default an
    /// SQLite file in `data_dir`, created on first run. Each worker keeps up to
    /// `connections` connections and waits at most `timeout` for one.
    pub fn new(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (backend, url) = match &settings.url {
            Some(url) => resolve(url)?,
            None => (Backend::Sqlite, default_sqlite(&settings.data_dir)?),
        };
        let (connections, timeout) = (settings.connections, settings.timeout);
        Ok(Self {
            shown: redact(&url),
            url,
            backend,
            connections,
            timeout,
            migrating: tokio::sync::Mutex::new(()),
            migrated: AtomicBool::new(false),
            down: AtomicBool::new(false),
        })
    }

    /// How long an account operation may wait for the database (`--database-timeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The URL with any password hidden, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A store with its own pool, which lives on the calling worker's loop. Connections
    /// are made when first needed, so the server starts (and serves the routes that need
    /// no accounts) while the database is down.
    pub fn open(self: &std::sync::Arc<Self>) -> anyhow::Result<AccountStore> {
        let pool = AnyPoolOptions::new()
            .max_connections(self.connections)
            .acquire_timeout(self.timeout)
            .connect_lazy(&self.url)
            .with_context(|| format!("bad --database URL {}", self.shown))?;
        Ok(AccountStore::new(pool, self.clone()))
    }

    /// Migrates the schema unless this process has done it already. Other processes may be
    /// migrating the same database at the same moment (servers started together).
    pub(super) async fn migrate(&self, pool: &AnyPool) -> Result<(), sqlx::Error> {
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let _one_at_a_time = self.migrating.lock().await;
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut conn = pool.acquire().await?;
        match self.backend {
            Backend::MySql => migrate_mysql(&mut conn).await?,
            Backend::Sqlite => migrate_sqlite(&mut conn).await?,
        }
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    /// Whether the last operation reached the database (true before the first).
    pub fn is_up(&self) -> bool {
        !self.down.load(Ordering::Acquire)
    }

    /// Notes the outcome of an operation: the first failure of an outage is logged as an
    /// error with what to check, the first success after it as the recovery.
    pub(super) fn note(&self, failure: Option<&sqlx::Error>) {
        match failure {
            Some(error) => {
                if !self.down.swap(true, Ordering::AcqRel) {
                    tracing::error!(
                        "the account store at {} is unavailable: {error}; requests that need \
                         accounts answer 503 until it is back (check --database and that the \
                         database is running)",
                        self.shown
                    );
                } else {
                    tracing::debug!("the account store is still unavailable: {error}");
                }
            }
            None => {
                if self.down.swap(false, Ordering::AcqRel) {
                    tracing::info!("the account store at {} is back", self.shown);
                }
            }
        }
    }
}

/// The lock that serialises gale's migrations of one MySQL database across processes.
const MYSQL_LOCK: &str = "CONCAT('gale-migrations:', DATABASE())";

/// MySQL's migrations, under a lock of gale's own. sqlx takes `GET_LOCK(name, -1)`, which
/// MariaDB refuses (it returns NULL for a negative timeout): two servers starting on a new
/// database then both applied the schema, and the loser left it marked partially applied.
async fn migrate_mysql(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let lock = format!("SELECT GET_LOCK({MYSQL_LOCK}, 60)");
    let locked: Option<i64> = sqlx::query_scalar(&lock).fetch_one(&mut *conn).await?;
    if locked != Some(1) {
        return Err(sqlx::Error::Protocol(
            "another server has been migrating the account store for over 60 s".into(),
        ));
    }
    // `run_direct`: `run` on a connection trips the compiler (sqlx's note on it says so).
    let migrated = MYSQL_MIGRATIONS.run_direct(&mut *conn).await;
    let unlock = format!("SELECT RELEASE_LOCK({MYSQL_LOCK})");
    sqlx::query(&unlock).execute(&mut *conn).await?;
    Ok(migrated?)
}

/// SQLite's migrations. Each runs in a transaction, but which to apply is read before it
/// starts: a second server migrating the same new file at the same moment finds the tables
/// made when it gets the write lock, and rolls back. A later pass finds them applied.
async fn migrate_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    const PASSES: u32 = 3;
    let mut pass = 1;
    loop {
        match migrate_sqlite_once(conn).await {
            Err(_) if pass < PASSES => pass += 1,
            outcome => return outcome,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn migrate_sqlite_once(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    // Readers need not wait for a writer; the mode stays with the file.
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut *conn)
        .await?;
    Ok(SQLITE_MIGRATIONS.run_direct(conn).await?)
}

/// The backend of a `--database` URL, and the URL sqlx should open.
fn resolve(url: &str) -> anyhow::Result<(Backend, String)> {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    match scheme.to_ascii_lowercase().as_str() {
        "mysql" => Ok((Backend::MySql, url.to_owned())),
        "mariadb" => Ok((Backend::MySql, format!("mysql{}", &url[scheme.len()..]))),
        // gale creates the file, as it does its default one.
        "sqlite" if url.contains("mode=") => Ok((Backend::Sqlite, url.to_owned())),
        "sqlite" => {
            let separator = if url.contains('?') { '&' } else { '?' };
            Ok((Backend::Sqlite, format!("{url}{separator}mode=rwc")))
        }
        _ => bail!(
            "--database {} is not a database URL gale knows: use \
             mysql://USER:PASSWORD@HOST:PORT/DATABASE or sqlite://PATH",
            redact(url)
        ),
    }
}

/// `sqlite://DATA_DIR/accounts.sqlite3?mode=rwc`, creating the directory (0700) and the
/// file (0600: it holds password hashes; SQLite gives its journal files the same mode).
fn default_sqlite(data_dir: &Path) -> anyhow::Result<String> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let cannot = |what: &str| {
        format!(
            "cannot create the {what} {} for the embedded account store \
             (set --data-dir, or --database for MySQL)",
            data_dir.display()
        )
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .with_context(|| cannot("data directory"))?;
    let path = std::path::absolute(data_dir.join(DEFAULT_FILE))?;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| cannot("account file in"))?;
    let path = path
        .to_str()
        .context("the data directory's path is not UTF-8: set --data-dir")?;
    // Percent-encoded: sqlx decodes the path, so `?` or `#` in it stay part of the name.
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'?')
        .add(b'#')
        .add(b'%');
    let path = percent_encoding::utf8_percent_encode(path, PATH);
    Ok(format!("sqlite://{path}?mode=rwc"))
}

/// The URL with the password of its user part replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_backend_and_hide_their_password() {
        assert_eq!(
            resolve("mysql://root@127.0.0.1/test").unwrap(),
            (Backend::MySql, "mysql://root@127.0.0.1/test".into())
        );
        assert_eq!(
            resolve("mariadb://u:p@h/db").unwrap().1,
            "mysql://u:p@h/db".to_owned()
        );
        assert_eq!(
            resolve("sqlite:///tmp/a.db").unwrap(),
            (Backend::Sqlite, "sqlite:///tmp/a.db?mode=rwc".into())
        );
        let error = resolve("postgres://u:secret@h/db").unwrap_err().to_string();
        assert!(error.contains("postgres://u:***@h/db"), "{error}");
        assert!(!error.contains("secret"));
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("mysql://a:b@c@h/db"), "mysql://a:***@h/db");
    }

    #[test]
    fn the_default_store_is_created_readable_by_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("new/gale");
        default_sqlite(&data).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(DEFAULT_FILE)), 0o600);
    }

    #[test]
    fn the_default_store_is_a_file_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a dir?#");
        let url = default_sqlite(&data).unwrap();
        assert!(data.is_dir());
        assert!(url.starts_with("sqlite:///"), "{url}");
        assert!(
            url.ends_with("/a%20dir%3F%23/accounts.sqlite3?mode=rwc"),
            "{url}"
        );
    }
}
