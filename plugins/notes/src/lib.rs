//! The notes app: each logged-in account keeps notes in the plugin's own SQLite database,
//! which no other plugin can read; its table is a migration (`migrations/0001_notes.sql`),
//! applied when the plugin is loaded. Log in through the accounts plugin (`/login`); the
//! session is the host's, so any plugin knows the user.

use gale_sdk::db::{Database, params};
use gale_sdk::{HttpError, Namespace, PathArgs, Request, RequestHandler, Result, Template, json};

/// A note as the page shows it.
struct Note {
    id: i64,
    body: String,
}

/// The account's notes and the form to add one.
#[derive(Template)]
#[template(path = "notes.html")]
struct Notes<'a> {
    account: &'a str,
    notes: Vec<Note>,
    ns: Namespace,
}

/// The plugin's database; `migrations/` made its table when this version was loaded.
fn database() -> Database {
    Database::open("default")
}

/// `/notes`: GET the account's notes, oldest first; POST `body` to add one. `@authenticated`.
#[derive(Default)]
struct NotesHandler;

impl RequestHandler for NotesHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let Some(user) = req.authenticated()? else {
            return Ok(());
        };
        let rows = database().query(
            "SELECT id, body FROM notes WHERE owner = ? ORDER BY id",
            params![&user.uuid],
        )?;
        let notes = rows
            .iter()
            .map(|row| {
                Ok(Note {
                    id: row.get("id")?,
                    body: row.get("body")?,
                })
            })
            .collect::<Result<_>>()?;
        let ns = req.namespace();
        req.render(&Notes {
            account: &user.account,
            notes,
            ns,
        })
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let Some(user) = req.authenticated()? else {
            return Ok(());
        };
        let body = req.get_argument("body")?;
        let added = database().execute(
            "INSERT INTO notes (owner, body) VALUES (?, ?)",
            params![&user.uuid, body],
        );
        match added {
            Ok(_) => req.redirect("/notes"),
            Err(gale_sdk::db::DatabaseError::Constraint(_)) => {
                Err(HttpError::new(400).with_message("a note has 1 to 10,000 characters"))
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// `/notes/ID/delete` (POST): deletes the account's note ID (another account's is not found).
#[derive(Default)]
struct DeleteHandler;

impl RequestHandler for DeleteHandler {
    fn post(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let Some(user) = req.authenticated()? else {
            return Ok(());
        };
        let id: i64 = args
            .get(0)
            .and_then(|id| id.parse().ok())
            .ok_or(HttpError::new(404))?;
        let deleted = database().execute(
            "DELETE FROM notes WHERE id = ? AND owner = ?",
            params![id, &user.uuid],
        )?;
        if deleted.rows_affected == 0 {
            return Err(HttpError::new(404));
        }
        req.redirect("/notes")
    }
}

gale_sdk::routes![
    settings = json!({"xsrf_cookies": true, "login_url": "/login"});
    url(r"/notes", NotesHandler, name = "notes"),
    url(r"/notes/([0-9]+)/delete", DeleteHandler, name = "delete"),
];
