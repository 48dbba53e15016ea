//! Rust values into parameters, and cells into Rust values.

use super::{Column, Value};

macro_rules! into_value {
    ($($rust:ty => |$v:ident| $make:expr),* $(,)?) => {$(
        impl From<$rust> for Value {
            fn from($v: $rust) -> Self {
                $make
            }
        }
    )*};
}

into_value! {
    i64 => |v| Value::Integer(v),
    i32 => |v| Value::Integer(v.into()),
    u32 => |v| Value::Integer(v.into()),
    f64 => |v| Value::Real(v),
    bool => |v| Value::Integer(v.into()),
    String => |v| Value::Text(v),
    &str => |v| Value::Text(v.to_owned()),
    &String => |v| Value::Text(v.clone()),
    Vec<u8> => |v| Value::Blob(v),
    &[u8] => |v| Value::Blob(v.to_vec()),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A Rust type a cell converts to with [`Row::get`](super::Row::get).
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// let count: i64 = db.query("SELECT count(*) AS n FROM notes", params![])?.first().map_or(Ok(0), |row| row.get("n"))?;
/// # Ok(())
/// # }
/// ```
pub trait FromValue: Sized {
    /// The cell as `Self`, if it is of a kind that converts.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Integer(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    /// A real, or an integer (SQLite stores a whole `REAL` as one).
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Real(v) => Some(*v),
            Value::Integer(v) => Some(*v as f64),
            _ => None,
        }
    }
}

impl FromValue for bool {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        i64::from_value(value).map(|v| v != 0)
    }
}

impl FromValue for String {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Blob(v) => Some(v.clone()),
            Value::Text(v) => Some(v.clone().into_bytes()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for Value {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!(<Option<i64> as FromValue>::from_value(&Value::Null), Some(None));
    /// # Ok(())
    /// # }
    /// ```
    fn from_value(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
}

/// How a column is named for [`Row::get`](super::Row::get): its name, or its index.
///
/// ```no_run
/// # use gale_sdk::db::*;
/// # fn demo() -> Result<(), DatabaseError> {
/// # let db = Database::open("default");
/// for row in &db.query("SELECT id, body FROM notes", params![])? {
///     let (id, body): (i64, String) = (row.get(0)?, row.get("body")?);
/// }
/// # Ok(())
/// # }
/// ```
pub trait ColumnIndex {
    /// Its index among `columns`.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let rows = db.query("SELECT id, body FROM notes", params![])?;
    /// assert_eq!("body".index(rows.columns()), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    fn index(&self, columns: &[Column]) -> Option<usize>;
    /// It, for a message.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!("body".describe(), "`body`");
    /// # Ok(())
    /// # }
    /// ```
    fn describe(&self) -> String;
}

impl ColumnIndex for &str {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let rows = db.query("SELECT id, body FROM notes", params![])?;
    /// assert_eq!("body".index(rows.columns()), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    fn index(&self, columns: &[Column]) -> Option<usize> {
        columns.iter().position(|column| column.name == *self)
    }

    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!("body".describe(), "`body`");
    /// # Ok(())
    /// # }
    /// ```
    fn describe(&self) -> String {
        format!("`{self}`")
    }
}

impl ColumnIndex for usize {
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let rows = db.query("SELECT id, body FROM notes", params![])?;
    /// assert_eq!("body".index(rows.columns()), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    fn index(&self, columns: &[Column]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }

    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// assert_eq!("body".describe(), "`body`");
    /// # Ok(())
    /// # }
    /// ```
    fn describe(&self) -> String {
        self.to_string()
    }
}

/// What kind of value a cell holds, for a message.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a real",
        Value::Text(_) => "text",
        Value::Blob(_) => "a blob",
    }
}
