//! MySQL's values as the contract's: what a prepared statement binds, and each cell of a
//! row by its column's type.

use sqlx::mysql::{MySqlStatement, MySqlValueRef};
use sqlx::{Decode, MySql, Statement, TypeInfo, ValueRef};

use crate::databases::{DatabaseError, Value};

/// How many parameters the server read in a prepared statement.
pub(super) fn parameters(statement: &MySqlStatement<'_>) -> usize {
    match statement.parameters() {
        Some(sqlx::Either::Left(types)) => types.len(),
        Some(sqlx::Either::Right(count)) => count,
        None => 0,
    }
}

/// A cell as one of the contract's values: integers and floats as themselves, dates and
/// times as MySQL writes them (`2026-12-05 17:00:00`), binary strings as bytes, and the
/// rest (DECIMAL's exact digits among them) as text; the column's type travels beside.
pub(super) fn value(raw: MySqlValueRef<'_>) -> Result<Value, DatabaseError> {
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let name = raw.type_info().name().to_owned();
    let decoding = |error| DatabaseError::Invalid(format!("a {name} value: {error}"));
    Ok(match name.as_str() {
        name if name.ends_with(" UNSIGNED") => {
            let wide: u64 = Decode::<MySql>::decode(raw).map_err(decoding)?;
            i64::try_from(wide).map_or_else(|_| Value::Text(wide.to_string()), Value::Integer)
        }
        "BOOLEAN" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
            Value::Integer(Decode::<MySql>::decode(raw).map_err(decoding)?)
        }
        "FLOAT" => Value::Real(
            <f32 as Decode<MySql>>::decode(raw)
                .map_err(decoding)?
                .into(),
        ),
        "DOUBLE" => Value::Real(Decode::<MySql>::decode(raw).map_err(decoding)?),
        "DATE" | "DATETIME" | "TIMESTAMP" | "TIME" => {
            let bytes: &[u8] = Decode::<MySql>::decode(raw).map_err(decoding)?;
            Value::Text(temporal(&name, bytes).ok_or_else(|| decoding("malformed".into()))?)
        }
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BIT"
        | "GEOMETRY" => Value::Blob(Decode::<MySql>::decode(raw).map_err(decoding)?),
        _ => {
            let bytes: Vec<u8> = Decode::<MySql>::decode(raw).map_err(decoding)?;
            Value::Text(
                String::from_utf8(bytes)
                    .unwrap_or_else(|bad| String::from_utf8_lossy(bad.as_bytes()).into_owned()),
            )
        }
    })
}

/// A DATE, DATETIME, TIMESTAMP or TIME in the binary protocol (a length, then the fields
/// present) as MySQL's own text.
fn temporal(type_name: &str, bytes: &[u8]) -> Option<String> {
    let (&length, fields) = bytes.split_first()?;
    let fields = fields.get(..usize::from(length))?;
    let micros = |at: usize| {
        (fields.get(at..at + 4))
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .filter(|micros| *micros > 0)
            .map_or_else(String::new, |micros| format!(".{micros:06}"))
    };
    let field = |at: usize| fields.get(at).copied().unwrap_or(0);
    if type_name == "TIME" {
        let days = fields
            .get(1..5)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let sign = if field(0) == 1 { "-" } else { "" };
        let hours = days * 24 + u32::from(field(5));
        return Some(format!(
            "{sign}{hours:02}:{:02}:{:02}{}",
            field(6),
            field(7),
            micros(8)
        ));
    }
    let year = fields
        .get(..2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    let date = format!("{year:04}-{:02}-{:02}", field(2), field(3));
    Some(match type_name {
        "DATE" => date,
        _ => format!(
            "{date} {:02}:{:02}:{:02}{}",
            field(4),
            field(5),
            field(6),
            micros(7)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::temporal;

    #[test]
    fn dates_and_times_read_as_mysql_writes_them() {
        let date = [4, 0xea, 0x07, 12, 5];
        assert_eq!(temporal("DATE", &date).unwrap(), "2026-12-05");
        let at = [7, 0xea, 0x07, 12, 5, 17, 3, 9];
        assert_eq!(temporal("DATETIME", &at).unwrap(), "2026-12-05 17:03:09");
        let precise = [11, 0xea, 0x07, 12, 5, 17, 3, 9, 0x40, 0xe2, 0x01, 0];
        assert_eq!(
            temporal("TIMESTAMP", &precise).unwrap(),
            "2026-12-05 17:03:09.123456"
        );
        assert_eq!(temporal("DATETIME", &[0]).unwrap(), "0000-00-00 00:00:00");
        let negative_day_and_a_bit = [8, 1, 1, 0, 0, 0, 2, 30, 0];
        assert_eq!(
            temporal("TIME", &negative_day_and_a_bit).unwrap(),
            "-26:30:00"
        );
        assert!(temporal("DATE", &[4, 0xea]).is_none(), "truncated");
    }
}
