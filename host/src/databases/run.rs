//! A handler's statements: checked, bound, run on the request's transaction or a pooled
//! connection, their rows read within the result's limit, counted and timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Decode, Row, Sqlite, SqliteConnection, TypeInfo, ValueRef};

use super::fence::{Checked, check};
use super::{DatabaseError, Databases, Executed, MAX_PARAMETERS, OpenTransactions, Rows, Value};

/// A statement slower than this is logged (its first characters, never its parameters).
const SLOW: Duration = Duration::from_secs(1);

/// One statement a handler runs.
pub struct Call {
    /// The plugin whose database it is.
    pub plugin: Arc<str>,
    /// The database's name.
    pub database: String,
    /// The statement.
    pub sql: String,
    /// Its parameters, in order.
    pub params: Vec<Value>,
    /// When the handler's time runs out: SQLite stops the statement there.
    pub deadline: Instant,
    /// The bytes its rows may hold.
    pub result_limit: usize,
}

impl Databases {
    /// Runs a statement that returns no rows.
    pub async fn execute(
        &self,
        call: Call,
        open: &mut OpenTransactions,
    ) -> Result<Executed, DatabaseError> {
        measured(&call, async {
            let mut pooled = None;
            let (conn, checked) = self.prepared(&call, open, &mut pooled).await?;
            let done = bound(&call, checked.parameters)?.execute(conn).await?;
            Ok(Executed {
                rows_affected: done.rows_affected(),
                last_insert_id: done.last_insert_rowid(),
            })
        })
        .await
    }

    /// Runs a query and reads all its rows.
    pub async fn query(
        &self,
        call: Call,
        open: &mut OpenTransactions,
    ) -> Result<Rows, DatabaseError> {
        measured(&call, async {
            let mut pooled = None;
            let (conn, checked) = self.prepared(&call, open, &mut pooled).await?;
            let mut rows = Rows {
                columns: checked.columns,
                rows: Vec::new(),
            };
            let query = bound(&call, checked.parameters)?;
            let (mut stream, mut held) = (query.fetch(conn), 0);
            while let Some(row) = stream.try_next().await? {
                let row = values(&row, &mut held)?;
                if held > call.result_limit {
                    return Err(DatabaseError::Refused(format!(
                        "the result passed {} bytes, the most a query may return here",
                        call.result_limit
                    )));
                }
                rows.rows.push(row);
            }
            Ok(rows)
        })
        .await
    }

    /// Starts the request's transaction on `plugin`'s database `name`.
    pub async fn begin(
        &self,
        plugin: &Arc<str>,
        name: &str,
        open: &mut OpenTransactions,
    ) -> Result<(), DatabaseError> {
        if open.0.iter().any(|(open, _)| open == name) {
            return Err(DatabaseError::Invalid(format!(
                "a transaction is open on `{name}` already"
            )));
        }
        let transaction = self.pool(plugin, name)?.begin().await?;
        open.0.push((name.to_owned(), transaction));
        Ok(())
    }

    /// The connection `call` runs on, and its statement as the fence checked it.
    async fn prepared<'a>(
        &self,
        call: &Call,
        open: &'a mut OpenTransactions,
        pooled: &'a mut Option<PoolConnection<Sqlite>>,
    ) -> Result<(&'a mut SqliteConnection, Checked), DatabaseError> {
        let conn = self.connection(call, open, pooled).await?;
        let checked = check(conn, &call.sql, call.deadline).await?;
        Ok((conn, checked))
    }

    /// The connection `call` runs on: its transaction's, or one from the pool (kept in
    /// `pooled` for the call).
    async fn connection<'a>(
        &self,
        call: &Call,
        open: &'a mut OpenTransactions,
        pooled: &'a mut Option<PoolConnection<Sqlite>>,
    ) -> Result<&'a mut SqliteConnection, DatabaseError> {
        if let Some((_, transaction)) = open.0.iter_mut().find(|(name, _)| *name == call.database) {
            return Ok(&mut **transaction);
        }
        let pool = self.pool(&call.plugin, &call.database)?;
        Ok(&mut **pooled.insert(pool.acquire().await?))
    }
}

impl OpenTransactions {
    /// Commits (or rolls back) the transaction on `name`; nothing open is nothing to do, as
    /// PEP 249's `commit` outside a transaction.
    pub async fn end(&mut self, name: &str, commit: bool) -> Result<(), DatabaseError> {
        let Some(at) = self.0.iter().position(|(open, _)| open == name) else {
            return Ok(());
        };
        let (_, transaction) = self.0.swap_remove(at);
        match commit {
            true => transaction.commit().await?,
            false => transaction.rollback().await?,
        }
        Ok(())
    }
}

/// `call`'s statement bound, once checked to take `parameters`.
fn bound(call: &Call, parameters: usize) -> Result<Statement<'_>, DatabaseError> {
    let given = call.params.len();
    if given > MAX_PARAMETERS {
        return Err(DatabaseError::Refused(format!(
            "a statement may bind {MAX_PARAMETERS} parameters; {given} were given"
        )));
    }
    if given != parameters {
        // Python's `sqlite3` words, which its module maps to `ProgrammingError`.
        return Err(DatabaseError::Invalid(format!(
            "Incorrect number of bindings supplied. The current statement uses {parameters}, \
             and there are {given} supplied."
        )));
    }
    Ok(call.params.iter().fold(sqlx::query(&call.sql), bind))
}

/// A statement to run, as sqlx binds it.
type Statement<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// `query` with `value` bound to its next parameter.
fn bind<'q>(query: Statement<'q>, value: &Value) -> Statement<'q> {
    match value.clone() {
        Value::Null => query.bind(None::<i64>),
        Value::Integer(value) => query.bind(value),
        Value::Real(value) => query.bind(value),
        Value::Text(value) => query.bind(value),
        Value::Blob(value) => query.bind(value),
    }
}

/// A row's values, adding their bytes to `held`.
fn values(row: &SqliteRow, held: &mut usize) -> Result<Vec<Value>, DatabaseError> {
    (0..row.len())
        .map(|at| {
            let raw = row.try_get_raw(at)?;
            let decoding = |error| DatabaseError::Invalid(format!("column {at}: {error}"));
            let value = match raw.type_info().name() {
                _ if raw.is_null() => Value::Null,
                "INTEGER" => Value::Integer(Decode::<Sqlite>::decode(raw).map_err(decoding)?),
                "REAL" => Value::Real(Decode::<Sqlite>::decode(raw).map_err(decoding)?),
                "TEXT" => {
                    let bytes: Vec<u8> = Decode::<Sqlite>::decode(raw).map_err(decoding)?;
                    Value::Text(
                        String::from_utf8(bytes)
                            .unwrap_or_else(|bad| String::from_utf8_lossy(bad.as_bytes()).into()),
                    )
                }
                _ => Value::Blob(Decode::<Sqlite>::decode(raw).map_err(decoding)?),
            };
            *held += match &value {
                Value::Text(text) => text.len(),
                Value::Blob(bytes) => bytes.len(),
                _ => 0,
            } + std::mem::size_of::<Value>();
            Ok(value)
        })
        .collect()
}

/// `run`'s outcome, counted and timed, and logged when slow.
async fn measured<T>(
    call: &Call,
    run: impl Future<Output = Result<T, DatabaseError>>,
) -> Result<T, DatabaseError> {
    let started = Instant::now();
    let outcome = run.await;
    let took = started.elapsed();
    let label = outcome.as_ref().map_or_else(DatabaseError::label, |_| "ok");
    crate::metrics::record(|metrics| {
        metrics.database_query(&call.plugin, &call.database, label, took)
    });
    if took > SLOW {
        let statement: String = call.sql.chars().take(200).collect();
        tracing::warn!(
            plugin = &*call.plugin,
            database = call.database,
            "a statement took {took:?}: {statement}"
        );
    }
    outcome
}
