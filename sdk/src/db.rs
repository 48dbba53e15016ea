//! The plugin's own SQL: SQLite databases that the host keeps for this plugin alone, one file
//! per name, created on first use and kept across versions of the plugin. Tornado leaves the
//! database to the application (and its driver blocks the IOLoop); here the host runs each
//! statement off the loop, within the handler's time.
//!
//! One statement per call; parameters (`?`) are bound by SQLite, never spliced into the SQL.
//! `ATTACH`, extensions and pragmas other than the schema's are refused, as are more than 100
//! parameters, a statement over 100 KB, a result past the handler's memory (at most 50 MB)
//! or more than 1,000 statements in one request.
//!
//! ```no_run
//! use gale_sdk::db::{Database, params};
//! # fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {
//! let db = Database::open("default");
//! db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)", params![])?;
//! let body = req.get_argument("body")?;
//! let added = db.execute("INSERT INTO notes (body) VALUES (?)", params![body])?;
//! req.write(format!("note {} added\n", added.last_insert_id));
//! for row in &db.query("SELECT id, body FROM notes ORDER BY id", params![])? {
//!     let (id, body): (i64, String) = (row.get("id")?, row.get("body")?);
//!     req.write(format!("{id}: {body}\n"));
//! }
//! # Ok(())
//! # }
//! ```

mod value;

use std::fmt;

use crate::HttpError;
use crate::bindings::gale::web::database::{self as host, DatabaseError as HostError};

/// A column of a query's result: its name, and the type its table declares.
pub use crate::bindings::gale::web::database::Column;
/// What a statement changed: `rows_affected`, and the `last_insert_id` (SQLite's rowid).
pub use crate::bindings::gale::web::database::Executed;
/// A parameter or a cell: `Null`, `Integer`, `Real`, `Text` or `Blob`. [`params!`] makes them
/// from Rust values.
pub use crate::bindings::gale::web::database::Value;
pub use value::{ColumnIndex, FromValue};

/// Parameters for a statement, each converted with `Value::from`: `params![id, "text",
/// None::<i64>]`.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::Value::from($value)),*][..]
    };
}
pub use params;

/// Why a statement failed. `?` makes it a 500 (503 when the database cannot answer), with
/// SQLite's message in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseError {
    /// The SQL is not valid, names what does not exist, or its parameters do not match it.
    Invalid(String),
    /// A constraint refused the change: `UNIQUE`, `NOT NULL`, `CHECK`, a foreign key.
    Constraint(String),
    /// The sandbox refuses it (another file, a pragma, a second statement) or a limit passed.
    Refused(String),
    /// The database cannot answer now (locked by a writer too long, its disk full).
    Unavailable(String),
}

impl DatabaseError {
    /// The HTTP status this failure answers with, when the handler lets it through.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unavailable(_) => 503,
            _ => 500,
        }
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(why)
            | Self::Constraint(why)
            | Self::Refused(why)
            | Self::Unavailable(why) => f.write_str(why),
        }
    }
}

impl From<HostError> for DatabaseError {
    fn from(error: HostError) -> Self {
        match error {
            HostError::Invalid(why) => Self::Invalid(why),
            HostError::Constraint(why) => Self::Constraint(why),
            HostError::Refused(why) => Self::Refused(why),
            HostError::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

impl From<DatabaseError> for HttpError {
    fn from(error: DatabaseError) -> Self {
        HttpError::new(error.status()).with_message(error.to_string())
    }
}

/// One of the plugin's databases, by name: `default`, or letters, digits and `_`.
#[derive(Debug, Clone)]
pub struct Database {
    name: String,
}

impl Database {
    /// The plugin's database `name`; its file is made at its first statement.
    pub fn open(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// Runs a statement that returns no rows: `CREATE`, `INSERT`, `UPDATE`, `DELETE`.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<Executed, DatabaseError> {
        host::execute(&self.name, sql, params).map_err(Into::into)
    }

    /// Runs a query and returns all its rows.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, DatabaseError> {
        let host::Rows { columns, rows } = host::query(&self.name, sql, params)?;
        Ok(Rows { columns, rows })
    }

    /// Starts a transaction: the request's statements on this database run in it until it
    /// is committed. Dropped uncommitted (an early `?`), it is rolled back, as it is if the
    /// request ends with it open.
    ///
    /// ```no_run
    /// # use gale_sdk::db::{Database, params};
    /// # fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {
    /// let db = Database::open("default");
    /// let transfer = db.transaction()?;
    /// transfer.execute("UPDATE accounts SET balance = balance - 10 WHERE id = ?", params![1])?;
    /// transfer.execute("UPDATE accounts SET balance = balance + 10 WHERE id = ?", params![2])?;
    /// transfer.commit()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn transaction(&self) -> Result<Transaction<'_>, DatabaseError> {
        host::begin(&self.name)?;
        Ok(Transaction {
            database: self,
            open: true,
        })
    }
}

/// An open transaction; statements run through it (it derefs to its [`Database`]).
#[derive(Debug)]
pub struct Transaction<'a> {
    database: &'a Database,
    open: bool,
}

impl Transaction<'_> {
    /// Makes its changes last.
    pub fn commit(mut self) -> Result<(), DatabaseError> {
        self.open = false;
        host::commit(&self.database.name).map_err(Into::into)
    }

    /// Undoes its changes.
    pub fn rollback(mut self) -> Result<(), DatabaseError> {
        self.open = false;
        host::rollback(&self.database.name).map_err(Into::into)
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Database;

    fn deref(&self) -> &Database {
        self.database
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Its error has nowhere to go; the host rolls back at the request's end anyway.
            let _ = host::rollback(&self.database.name);
        }
    }
}

/// A query's result: its columns and its rows.
#[derive(Debug, Clone)]
pub struct Rows {
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Its columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How many rows it has.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it has no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Its rows, in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }

    /// Its first row, if any: for a query of one row.
    pub fn first(&self) -> Option<Row<'_>> {
        self.iter().next()
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = Row<'a>;
    type IntoIter = Box<dyn Iterator<Item = Row<'a>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// A row of a query's result.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [Column],
    values: &'a [Value],
}

impl Row<'_> {
    /// The value of a column, by name or by index, as a Rust type: `i64`, `f64`, `bool`,
    /// `String`, `Vec<u8>`, or an `Option` of one for a column that may be `NULL`.
    pub fn get<T: FromValue>(&self, column: impl ColumnIndex) -> Result<T, DatabaseError> {
        let Some(at) = column.index(self.columns) else {
            return Err(DatabaseError::Invalid(format!(
                "the result has no column {}",
                column.describe()
            )));
        };
        T::from_value(&self.values[at]).ok_or_else(|| {
            DatabaseError::Invalid(format!(
                "column {} holds {}, not {}",
                column.describe(),
                value::kind(&self.values[at]),
                std::any::type_name::<T>()
            ))
        })
    }

    /// Its values, in the columns' order.
    pub fn values(&self) -> &[Value] {
        self.values
    }
}
