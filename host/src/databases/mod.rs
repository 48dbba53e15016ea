//! A plugin's own SQL: SQLite files of its own under `--data-dir`
//! (`plugins/PLUGIN/NAME.sqlite3`, 0600 in 0700 directories), which no other plugin reaches,
//! or a MySQL database the operator gives it (`--plugin-database`, `mysql.rs`). Each worker
//! keeps a small pool per (plugin, name); every SQLite connection is fenced in (`fence.rs`)
//! and every statement checked before sqlx runs it.

mod error;
mod fence;
pub mod migrations;
mod mysql;
mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{MySql, Sqlite, Transaction};

pub use error::DatabaseError;
pub use mysql::{GivenDatabase, parse_given};
pub use run::Call;

/// Parameters a statement may bind (Cloudflare D1's limit).
pub const MAX_PARAMETERS: usize = 100;
/// A statement's length in bytes (D1's limit).
pub const MAX_STATEMENT_BYTES: usize = 100_000;
/// A string's or blob's length, and a row's: what one value can make the host hold.
pub const MAX_VALUE_BYTES: usize = 16 << 20;
/// A query's rows, in bytes, at most (less when the plugin's memory is smaller).
pub const MAX_RESULT_BYTES: usize = 50 << 20;
/// Statements a request may run.
pub const MAX_CALLS_PER_REQUEST: u32 = 1_000;
/// Databases a plugin may name (each a file, a pool per worker and metrics' labels).
const MAX_DATABASES_PER_PLUGIN: usize = 16;
/// Connections a worker keeps to one of a plugin's databases.
const CONNECTIONS: u32 = 4;
/// How long a writer waits for another's lock before the call fails as unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Rows sqlx's reading thread may run ahead of the request by (each up to a row's limit).
const ROWS_AHEAD: usize = 2;

/// A value of a parameter or of a result's cell: SQLite's storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A column of a query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// The type its table declares, when it is a table's column.
    pub declared_type: Option<String>,
}

/// A query's result.
#[derive(Debug, Default)]
pub struct Rows {
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Its rows, a value per column.
    pub rows: Vec<Vec<Value>>,
}

/// What a statement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The connection's last inserted rowid.
    pub last_insert_id: i64,
}

/// The transactions a request holds open, by database name; dropped with the request, which
/// rolls each back.
#[derive(Default)]
pub struct OpenTransactions(Vec<(String, Open)>);

/// A transaction open on one of a plugin's databases.
enum Open {
    Sqlite(Transaction<'static, Sqlite>),
    MySql(Transaction<'static, MySql>),
}

/// The pool of one of a plugin's databases.
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    MySql(MySqlPool),
}

/// Where the plugins' databases are: the embedded ones' directory, and the ones the operator
/// gives.
#[derive(Debug, Clone, Default)]
pub struct DatabasesSettings {
    /// `--data-dir`: the embedded databases are in its `plugins/`.
    pub data_dir: PathBuf,
    /// `--plugin-database`.
    pub given: Vec<GivenDatabase>,
    /// How long a call waits for a connection to a given database (`--database-timeout`).
    pub acquire_timeout: Duration,
}

/// Every worker's databases, for the gauge of connections open.
#[derive(Default)]
pub struct WorkersDatabases(Mutex<Vec<std::sync::Weak<Databases>>>);

impl WorkersDatabases {
    /// Counts a worker's `databases` in.
    pub fn add(&self, databases: &Arc<Databases>) {
        let mut all = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        all.retain(|databases| databases.strong_count() > 0);
        all.push(Arc::downgrade(databases));
    }

    /// Connections open to each plugin's databases, across workers, by plugin name.
    pub fn connections(&self) -> Vec<(Arc<str>, usize)> {
        let mut by_plugin = std::collections::BTreeMap::<Arc<str>, usize>::new();
        let all = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        for databases in all.iter().filter_map(std::sync::Weak::upgrade) {
            let pools = databases
                .pools
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            for (plugin, own) in pools.iter() {
                *by_plugin.entry(plugin.clone()).or_default() +=
                    own.values().map(Pool::size).sum::<usize>();
            }
        }
        by_plugin.into_iter().collect()
    }
}

impl Pool {
    /// Its connections open, idle or lent.
    fn size(&self) -> usize {
        match self {
            Self::Sqlite(pool) => pool.size() as usize,
            Self::MySql(pool) => pool.size() as usize,
        }
    }
}

/// A worker's databases of every plugin, opened when first named.
pub struct Databases {
    /// `DATA_DIR/plugins`.
    root: PathBuf,
    settings: Arc<DatabasesSettings>,
    pools: Mutex<HashMap<Arc<str>, HashMap<String, Pool>>>,
}

impl Databases {
    /// The databases of `settings`, none opened yet.
    pub fn new(settings: Arc<DatabasesSettings>) -> Self {
        Self {
            root: settings.data_dir.join("plugins"),
            settings,
            pools: Mutex::new(HashMap::new()),
        }
    }

    /// The pool of `plugin`'s database `name`: the operator's MySQL database, or else its
    /// SQLite file, created on first use. A MySQL session's statements stop at `time_limit`.
    fn pool(
        &self,
        plugin: &Arc<str>,
        name: &str,
        time_limit: Duration,
    ) -> Result<Pool, DatabaseError> {
        check_name(name)?;
        let mut pools = self
            .pools
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let own = pools.entry(plugin.clone()).or_default();
        if let Some(pool) = own.get(name) {
            return Ok(pool.clone());
        }
        if own.len() >= MAX_DATABASES_PER_PLUGIN {
            return Err(DatabaseError::Refused(format!(
                "a plugin may use {MAX_DATABASES_PER_PLUGIN} databases; `{name}` would be one more"
            )));
        }
        let given = (self.settings.given.iter())
            .find(|given| *given.plugin == **plugin && given.name == name);
        if let Some(given) = given {
            let pool = mysql::pool(given, time_limit, self.settings.acquire_timeout);
            own.insert(name.to_owned(), Pool::MySql(pool.clone()));
            return Ok(Pool::MySql(pool));
        }
        let file = create_file(&self.root, plugin, name)?;
        let options = SqliteConnectOptions::new()
            .filename(file)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .row_buffer_size(ROWS_AHEAD);
        let pool = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            // A ping before each statement is a round trip to sqlx's thread for a file that
            // cannot have gone away.
            .test_before_acquire(false)
            .after_connect(|conn, _| Box::pin(fence::fence(conn)))
            .connect_lazy_with(options);
        own.insert(name.to_owned(), Pool::Sqlite(pool.clone()));
        Ok(Pool::Sqlite(pool))
    }
}

/// `ROOT/PLUGIN/NAME.sqlite3`, made 0600 in 0700 directories if new (SQLite gives its WAL
/// and shared-memory files the same mode).
fn create_file(root: &Path, plugin: &str, name: &str) -> Result<PathBuf, DatabaseError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = root.join(plugin);
    let file = dir.join(format!("{name}.sqlite3"));
    let created = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .and_then(|()| {
            let mut options = std::fs::OpenOptions::new();
            options.append(true).create(true).mode(0o600).open(&file)
        });
    if let Err(error) = created {
        tracing::error!(
            plugin,
            "cannot create the database file {}: {error} (check --data-dir)",
            file.display()
        );
        return Err(DatabaseError::Unavailable(format!(
            "the database `{name}` cannot be created; the host's log says why"
        )));
    }
    Ok(file)
}

/// Refuses a database name that is not `default` or letters, digits and `_` (it names a
/// file).
fn check_name(name: &str) -> Result<(), DatabaseError> {
    let fits = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match fits {
        true => Ok(()),
        false => Err(DatabaseError::Invalid(format!(
            "`{}` is not a database name: use letters, digits and _ (at most 64)",
            name.chars().take(70).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests;
