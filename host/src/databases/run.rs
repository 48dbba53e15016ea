//! A handler's statements: checked, bound, run on the request's transaction or a pooled
//! connection, their rows read within the result's limit, counted and timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use sqlx::mysql::MySqlConnection;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Encode, Row, Sqlite, SqliteConnection, Type, TypeInfo, ValueRef};

use super::fence::{Checked, check};
use super::{
    DatabaseError, Databases, Executed, MAX_PARAMETERS, Open, OpenTransactions, Pool, Rows, Value,
    mysql,
};

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
    /// The handler's time limit: a MySQL session stops a statement running longer.
    pub time_limit: Duration,
    /// The bytes its rows may hold.
    pub result_limit: usize,
}

/// What a call does, on either kind of database.
trait Work {
    /// What it gives back.
    type Output: Send;
    /// Runs it on an SQLite connection.
    fn sqlite(
        conn: &mut SqliteConnection,
        call: &Call,
    ) -> impl Future<Output = Result<Self::Output, DatabaseError>> + Send;
    /// Runs it on a MySQL connection.
    fn mysql(
        conn: &mut MySqlConnection,
        call: &Call,
    ) -> impl Future<Output = Result<Self::Output, DatabaseError>> + Send;
}

/// A statement that returns no rows.
struct Execute;

impl Work for Execute {
    type Output = Executed;

    async fn sqlite(conn: &mut SqliteConnection, call: &Call) -> Result<Executed, DatabaseError> {
        let Checked { parameters, .. } = check(conn, &call.sql, call.deadline).await?;
        check_bindings(call, parameters)?;
        let done = with_params(sqlx::query(&call.sql), &call.params)
            .execute(conn)
            .await?;
        Ok(Executed {
            rows_affected: done.rows_affected(),
            last_insert_id: done.last_insert_rowid(),
        })
    }

    fn mysql(
        conn: &mut MySqlConnection,
        call: &Call,
    ) -> impl Future<Output = Result<Executed, DatabaseError>> + Send {
        mysql::execute(conn, call)
    }
}

/// A query, all its rows read.
struct Query;

impl Work for Query {
    type Output = Rows;

    async fn sqlite(conn: &mut SqliteConnection, call: &Call) -> Result<Rows, DatabaseError> {
        let checked = check(conn, &call.sql, call.deadline).await?;
        check_bindings(call, checked.parameters)?;
        let mut rows = Rows {
            columns: checked.columns,
            rows: Vec::new(),
        };
        let query = with_params(sqlx::query(&call.sql), &call.params);
        let (mut stream, mut held) = (query.fetch(conn), 0);
        while let Some(row) = stream.try_next().await? {
            let row = values(&row)?;
            held += bytes_of(&row);
            check_result(call, held)?;
            rows.rows.push(row);
        }
        Ok(rows)
    }

    fn mysql(
        conn: &mut MySqlConnection,
        call: &Call,
    ) -> impl Future<Output = Result<Rows, DatabaseError>> + Send {
        mysql::query(conn, call)
    }
}

impl Databases {
    /// Runs a statement that returns no rows.
    pub async fn execute(
        &self,
        call: Call,
        open: &mut OpenTransactions,
    ) -> Result<Executed, DatabaseError> {
        self.run::<Execute>(call, open).await
    }

    /// Runs a query and reads all its rows.
    pub async fn query(
        &self,
        call: Call,
        open: &mut OpenTransactions,
    ) -> Result<Rows, DatabaseError> {
        self.run::<Query>(call, open).await
    }

    /// Runs `W` for `call` on the request's transaction on its database, or else on a
    /// pooled connection; counted, timed, and logged when slow.
    async fn run<W: Work>(
        &self,
        call: Call,
        open: &mut OpenTransactions,
    ) -> Result<W::Output, DatabaseError> {
        measured(&call, async {
            if let Some((_, open)) = open.0.iter_mut().find(|(name, _)| *name == call.database) {
                return match open {
                    Open::Sqlite(transaction) => W::sqlite(transaction, &call).await,
                    Open::MySql(transaction) => W::mysql(transaction, &call).await,
                };
            }
            match self.pool(&call.plugin, &call.database, call.time_limit)? {
                Pool::Sqlite(pool) => W::sqlite(&mut *pool.acquire().await?, &call).await,
                Pool::MySql(pool) => {
                    let mut conn = pool.acquire().await.map_err(mysql::unreachable)?;
                    W::mysql(&mut conn, &call).await
                }
            }
        })
        .await
    }

    /// Starts the request's transaction on `plugin`'s database `name`.
    pub async fn begin(
        &self,
        call: &Call,
        open: &mut OpenTransactions,
    ) -> Result<(), DatabaseError> {
        let name = &call.database;
        if open.0.iter().any(|(open, _)| open == name) {
            return Err(DatabaseError::Invalid(format!(
                "a transaction is open on `{name}` already"
            )));
        }
        let transaction = match self.pool(&call.plugin, name, call.time_limit)? {
            Pool::Sqlite(pool) => Open::Sqlite(pool.begin().await?),
            Pool::MySql(pool) => Open::MySql(pool.begin().await.map_err(mysql::unreachable)?),
        };
        open.0.push((name.to_owned(), transaction));
        Ok(())
    }
}

impl OpenTransactions {
    /// Commits (or rolls back) the transaction on `name`; nothing open is nothing to do, as
    /// PEP 249's `commit` outside a transaction.
    pub async fn end(&mut self, name: &str, commit: bool) -> Result<(), DatabaseError> {
        let Some(at) = self.0.iter().position(|(open, _)| open == name) else {
            return Ok(());
        };
        match (self.0.swap_remove(at).1, commit) {
            (Open::Sqlite(transaction), true) => transaction.commit().await?,
            (Open::Sqlite(transaction), false) => transaction.rollback().await?,
            (Open::MySql(transaction), true) => transaction.commit().await?,
            (Open::MySql(transaction), false) => transaction.rollback().await?,
        }
        Ok(())
    }
}

/// Refuses `call` when it binds more parameters than allowed, or not as many as its
/// statement takes (`expected`, as the database read it).
pub(super) fn check_bindings(call: &Call, expected: usize) -> Result<(), DatabaseError> {
    let given = call.params.len();
    if given > MAX_PARAMETERS {
        return Err(DatabaseError::Refused(format!(
            "a statement may bind {MAX_PARAMETERS} parameters; {given} were given"
        )));
    }
    if given != expected {
        // Python's `sqlite3` words, which its module maps to `ProgrammingError`.
        return Err(DatabaseError::Invalid(format!(
            "Incorrect number of bindings supplied. The current statement uses {expected}, \
             and there are {given} supplied."
        )));
    }
    Ok(())
}

/// Refuses a result past `call`'s limit once it holds `held` bytes.
pub(super) fn check_result(call: &Call, held: usize) -> Result<(), DatabaseError> {
    match held > call.result_limit {
        true => Err(DatabaseError::Refused(format!(
            "the result passed {} bytes, the most a query may return here",
            call.result_limit
        ))),
        false => Ok(()),
    }
}

/// The bytes a row of values holds.
pub(super) fn bytes_of(row: &[Value]) -> usize {
    (row.iter())
        .map(|value| match value {
            Value::Text(text) => text.len(),
            Value::Blob(bytes) => bytes.len(),
            _ => 0,
        } + std::mem::size_of::<Value>())
        .sum()
}

/// `query` with `params` bound in order, on either database.
pub(super) fn with_params<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    params: &[Value],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    Option<i64>: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
{
    params
        .iter()
        .cloned()
        .fold(query, |query, value| match value {
            Value::Null => query.bind(None::<i64>),
            Value::Integer(value) => query.bind(value),
            Value::Real(value) => query.bind(value),
            Value::Text(value) => query.bind(value),
            Value::Blob(value) => query.bind(value),
        })
}

/// A row's values.
fn values(row: &SqliteRow) -> Result<Vec<Value>, DatabaseError> {
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
