//! Rows read into a plugin's own types with serde: a struct whose fields are named as the
//! query's columns, `#[derive(serde::Deserialize)]`.

use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value as Json};

use super::{DatabaseError, Row, Rows, Value};

impl Row<'_> {
    /// The row as a `T` whose fields are named as its columns: integers into integer fields,
    /// reals into floats, text into `String` (MySQL's `DECIMAL` and dates among them), blobs
    /// into `Vec<u8>`, and `NULL` into an `Option`'s `None`.
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// #[derive(serde::Deserialize)]
    /// struct Note {
    ///     id: i64,
    ///     body: String,
    /// }
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// if let Some(row) = db.query("SELECT id, body FROM notes WHERE id = ?", params![1])?.first() {
    ///     let note: Note = row.decode()?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DatabaseError> {
        let object: Map<String, Json> = (self.columns.iter().zip(self.values))
            .map(|(column, value)| (column.name.clone(), json(value)))
            .collect();
        serde_json::from_value(Json::Object(object))
            .map_err(|error| DatabaseError::Invalid(format!("a row does not decode: {error}")))
    }
}

impl Rows {
    /// Every row as a `T` (see [`Row::decode`]).
    ///
    /// ```no_run
    /// # use gale_sdk::db::*;
    /// #[derive(serde::Deserialize)]
    /// struct Note {
    ///     id: i64,
    ///     body: Option<String>,
    /// }
    /// # fn demo() -> Result<(), DatabaseError> {
    /// # let db = Database::open("default");
    /// let notes: Vec<Note> = db.query("SELECT id, body FROM notes", params![])?.decode()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Vec<T>, DatabaseError> {
        self.iter().map(|row| row.decode()).collect()
    }
}

/// A value as serde reads it.
fn json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Integer(value) => Json::from(*value),
        Value::Real(value) => Number::from_f64(*value).map_or(Json::Null, Json::Number),
        Value::Text(value) => Json::from(value.as_str()),
        Value::Blob(bytes) => Json::from(bytes.as_slice()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Column, Rows, Value};

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        id: i64,
        price: String,
        weight: f64,
        data: Vec<u8>,
        note: Option<String>,
    }

    #[test]
    fn rows_decode_into_a_struct_by_column_name() {
        let column = |name: &str| Column {
            name: name.into(),
            declared_type: None,
        };
        let rows = Rows {
            columns: ["id", "price", "weight", "data", "note"]
                .map(column)
                .to_vec(),
            rows: vec![vec![
                Value::Integer(7),
                Value::Text("9.99".into()),
                Value::Real(1.5),
                Value::Blob(vec![0, 255]),
                Value::Null,
            ]],
        };
        let items: Vec<Item> = rows.decode().unwrap();
        let expected = Item {
            id: 7,
            price: "9.99".into(),
            weight: 1.5,
            data: vec![0, 255],
            note: None,
        };
        assert_eq!(items, [expected]);
        let wrong = rows.decode::<(String,)>().unwrap_err().to_string();
        assert!(wrong.starts_with("a row does not decode"), "{wrong}");
    }
}
