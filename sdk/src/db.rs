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

mod decode;
mod value;

use std::fmt;

use crate::HttpError;
use crate::bindings::gale::web::database::{self as host, DatabaseError as HostError};

/// A column of a query's result: its name, and the type its table declares.
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// for column in db.query("SELECT * FROM notes", params![])?.columns() {
///     println!("{} {:?}", column.name, column.declared_type);
/// }
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::database::Column;
/// What a statement changed: `rows_affected`, and the `last_insert_id` (SQLite's rowid).
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let done = db.execute("DELETE FROM notes WHERE owner = ?", params!["ann"])?;
/// println!("{} deleted; last rowid {}", done.rows_affected, done.last_insert_id);
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::database::Executed;
/// A parameter or a cell: `Null`, `Integer`, `Real`, `Text` or `Blob`. [`params!`] makes them
/// from Rust values.
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let cells = [Value::Null, Value::Integer(1), Value::Real(1.5), Value::Text("a".into())];
/// db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", &cells)?;
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::database::Value;
pub use value::{ColumnIndex, FromValue};

/// Parameters for a statement, each converted with `Value::from`: `params![id, "text",
/// None::<i64>]`.
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// db.execute("INSERT INTO notes (owner, body) VALUES (?, ?)", params!["ann", None::<String>])?;
/// # Ok(())
/// # }
/// ```
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::db::Value::from($value)),*][..]
    };
}
pub use params;

/// Why a statement failed. `?` makes it a 500 (503 when the database cannot answer), with
/// SQLite's message in the log.
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// match db.execute("INSERT INTO notes (owner, body) VALUES (?, ?)", params!["ann", ""]) {
///     Err(DatabaseError::Constraint(why)) => println!("refused: {why}"),
///     other => {
///         other?;
///     }
/// }
/// # Ok(())
/// # }
/// ```
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
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(DatabaseError::Unavailable("locked".into()).status(), 503);
    /// # Ok(())
    /// # }
    /// ```
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
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let notes = Database::open("notes");
/// notes.execute("DELETE FROM notes", params![])?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Database {
    name: String,
}

impl Database {
    /// The plugin's database `name`; its file is made at its first statement.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let archive = Database::open("archive");
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// Runs a statement that returns no rows: `CREATE`, `INSERT`, `UPDATE`, `DELETE`.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// db.execute("UPDATE notes SET body = ? WHERE id = ?", params!["new text", 7])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<Executed, DatabaseError> {
        host::execute(&self.name, sql, params).map_err(Into::into)
    }

    /// Runs a query and returns all its rows.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let rows = db.query("SELECT body FROM notes WHERE owner = ?", params!["ann"])?;
    /// # Ok(())
    /// # }
    /// ```
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
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let open = db.transaction()?;
/// open.execute("DELETE FROM notes WHERE owner = ?", params!["ann"])?;
/// open.commit()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Transaction<'a> {
    database: &'a Database,
    open: bool,
}

impl Transaction<'_> {
    /// Makes its changes last.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let open = db.transaction()?;
    /// open.execute("INSERT INTO notes (owner, body) VALUES (?, ?)", params!["ann", "hi"])?;
    /// open.commit()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn commit(mut self) -> Result<(), DatabaseError> {
        self.open = false;
        host::commit(&self.database.name).map_err(Into::into)
    }

    /// Undoes its changes.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let open = db.transaction()?;
    /// open.execute("DELETE FROM notes", params![])?;
    /// open.rollback()?;
    /// # Ok(())
    /// # }
    /// ```
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
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let rows = db.query("SELECT id FROM notes", params![])?;
/// println!("{} notes", rows.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Rows {
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Its columns, in order.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let names: Vec<_> = db.query("SELECT * FROM notes", params![])?.columns().iter().map(|c| c.name.clone()).collect();
    /// # Ok(())
    /// # }
    /// ```
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How many rows it has.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let count = db.query("SELECT id FROM notes", params![])?.len();
    /// # Ok(())
    /// # }
    /// ```
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it has no row.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let none = db.query("SELECT id FROM notes WHERE owner = ?", params!["nobody"])?.is_empty();
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Its rows, in order.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let ids: Vec<i64> = db.query("SELECT id FROM notes", params![])?.iter().map(|row| row.get(0)).collect::<Result<_, _>>()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|values| Row {
            columns: &self.columns,
            values,
        })
    }

    /// Its first row, if any: for a query of one row.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let newest: Option<String> = match db.query("SELECT body FROM notes ORDER BY id DESC LIMIT 1", params![])?.first() {
    ///     Some(row) => Some(row.get("body")?),
    ///     None => None,
    /// };
    /// # Ok(())
    /// # }
    /// ```
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
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// for row in &db.query("SELECT id, body FROM notes", params![])? {
///     let body: Option<String> = row.get("body")?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [Column],
    values: &'a [Value],
}

impl Row<'_> {
    /// The value of a column, by name or by index, as a Rust type: `i64`, `f64`, `bool`,
    /// `String`, `Vec<u8>`, or an `Option` of one for a column that may be `NULL`.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// for row in &db.query("SELECT id, body FROM notes", params![])? {
    ///     let (id, body): (i64, String) = (row.get("id")?, row.get(1)?);
    /// }
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// for row in &db.query("SELECT * FROM notes", params![])? {
    ///     println!("{:?}", row.values());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn values(&self) -> &[Value] {
        self.values
    }
}
