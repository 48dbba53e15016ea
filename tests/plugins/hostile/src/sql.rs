//! Attacks through the plugin's own database: whatever SQL a test names, run as the plugin,
//! to reach another plugin's file or the account store, to change the shared connection, or
//! to outrun the limits.

use gale_sdk::db::{Database, DatabaseError, Value, params};
use gale_sdk::{PathArgs, Request, RequestHandler, Result, json};

/// `/sql?sql=SQL&param=P…[&db=NAME]`: the rows as JSON, or the error's kind and message.
#[derive(Default)]
pub struct AnySql;

impl RequestHandler for AnySql {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let db = Database::open(req.get_argument_or("db", "default")?);
        let sql = req.get_argument("sql")?;
        let params: Vec<Value> = (req.get_arguments("param")?.into_iter())
            .map(Value::from)
            .collect();
        let answer = match db.query(&sql, &params) {
            Ok(rows) => {
                let rows: Vec<Vec<String>> = (rows.iter())
                    .map(|row| row.values().iter().map(shown).collect())
                    .collect();
                json!({"rows": rows})
            }
            Err(error) => json!({"error": kind(&error), "message": error.to_string()}),
        };
        req.write(answer);
        Ok(())
    }
}

/// `/sql/many`: runs statements until the host refuses one, and says after how many.
#[derive(Default)]
pub struct ManyStatements;

impl RequestHandler for ManyStatements {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let db = Database::open("default");
        for ran in 0..100_000 {
            if let Err(error) = db.query("SELECT 1", params![]) {
                req.write(json!({"ran": ran, "error": kind(&error), "message": error.to_string()}));
                return Ok(());
            }
        }
        req.write(json!({"ran": 100_000}));
        Ok(())
    }
}

/// A cell as text.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(v) => v.to_string(),
        Value::Real(v) => v.to_string(),
        Value::Text(v) => v.clone(),
        Value::Blob(v) => format!("<{} bytes>", v.len()),
    }
}

/// An error's kind, for the test.
fn kind(error: &DatabaseError) -> &'static str {
    match error {
        DatabaseError::Invalid(_) => "invalid",
        DatabaseError::Constraint(_) => "constraint",
        DatabaseError::Refused(_) => "refused",
        DatabaseError::Unavailable(_) => "unavailable",
    }
}
