//! `plugins-py/guestbook`'s `/entries` in Rust, for `bench/db.py`: the same table made on
//! each request, the same query, the same JSON; and `plugins-py/course`'s `/me`, for
//! `bench/db_mysql.py`, on the MySQL database the operator gives it.

use gale_sdk::db::{Database, Value, params};
use gale_sdk::{PathArgs, Request, RequestHandler, Result, json};

/// The guestbook's database, its table made (as the Python app does on each request).
fn connect() -> Result<Database> {
    let db = Database::open("guestbook");
    db.execute(
        "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, \
         message TEXT, stars REAL, avatar BLOB)",
        params![],
    )?;
    Ok(db)
}

/// GET the entries whose name is LIKE `q`; POST `name` to add one.
#[derive(Default)]
struct Entries;

impl RequestHandler for Entries {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let q = req.get_argument_or("q", "%")?;
        let rows = connect()?.query(
            "SELECT id, name, message, stars, avatar FROM entries WHERE name LIKE ? ORDER BY id",
            params![q],
        )?;
        let entries: Vec<_> = (rows.iter())
            .map(|row| {
                let cells: Vec<_> = (row.values().iter())
                    .map(|value| match value {
                        Value::Integer(v) => json!(v),
                        Value::Real(v) => json!(v),
                        Value::Text(v) => json!(v),
                        Value::Blob(v) => json!(v),
                        Value::Null => json!(null),
                    })
                    .collect();
                json!(cells)
            })
            .collect();
        req.write(json!({"entries": entries}));
        Ok(())
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let name = req.get_argument("name")?;
        connect()?.execute("INSERT INTO entries (name) VALUES (?)", params![name])?;
        req.set_status(201)
    }
}

/// GET the logged-in account (by the `session` cookie), as the course's `/me` answers.
#[derive(Default)]
struct Me;

impl RequestHandler for Me {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let session = req.get_cookie_or("session", "");
        let rows = Database::open("default").query(
            "SELECT u.account, u.balance, u.created, u.avatar FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id = ?",
            params![session],
        )?;
        let Some(me) = rows.iter().next() else {
            req.set_status(401)?;
            req.write(json!({"error": "log in first"}));
            return Ok(());
        };
        let avatar: Option<Vec<u8>> = me.get("avatar")?;
        req.write(json!({
            "account": me.get::<String>("account")?,
            "balance": me.get::<String>("balance")?,
            "created": me.get::<String>("created")?.replace(' ', "T"),
            "avatar": avatar.map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        }));
        Ok(())
    }
}

gale_sdk::routes![(r"/entries", Entries), (r"/me", Me)];
