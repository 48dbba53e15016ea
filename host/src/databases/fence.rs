//! What keeps a plugin's SQL inside its own file: SQLite's authorizer and limits on every
//! connection, and a check of each statement before it runs (one statement, nothing the
//! sandbox refuses, its columns and parameters read off SQLite's own parse).
//!
//! sqlx has no authorizer, so this is the one place gale calls SQLite's C API itself, on the
//! handle sqlx lends (`lock_handle`), with the `libsqlite3-sys` sqlx links.

use std::cell::RefCell;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::{NonNull, null, null_mut};
use std::time::Instant;

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use super::{Column, DatabaseError, MAX_PARAMETERS, MAX_STATEMENT_BYTES, MAX_VALUE_BYTES};

/// SQLite virtual-machine steps between two looks at the clock: a few microseconds.
const STEPS_PER_CLOCK_CHECK: i32 = 1_000;

/// Pragmas a plugin may use: they read its own schema, whatever their argument. Every other
/// pragma changes the connection (which the pool shares), names a file, or reads the host's
/// settings.
const SCHEMA_PRAGMAS: &[&str] = &[
    "foreign_key_check",
    "foreign_key_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
];

thread_local! {
    /// Set while a plugin's statement is checked on this thread: what the authorizer
    /// refused, and whether transaction statements are the plugin's (refused) rather
    /// than sqlx's `begin`/`commit` (which run on sqlx's own thread).
    static CHECKING: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

/// Fences in a new connection: the authorizer, no attached databases (which also stops
/// `VACUUM INTO`, SQLite attaches its target), no extensions, defensive mode (no writing
/// the schema table by hand), and D1's limits on parameters, statements and values.
pub(super) async fn fence(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let limits = [
        (ffi::SQLITE_LIMIT_ATTACHED, 0),
        (ffi::SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMETERS as c_int),
        (ffi::SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES as c_int),
        (ffi::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES as c_int),
    ];
    // SAFETY: `db` is the connection's open handle, held locked by `handle` meanwhile;
    // each call takes it and plain integers (the null pointer is the optional out-value).
    unsafe {
        for (limit, value) in limits {
            ffi::sqlite3_limit(db, limit, value);
        }
        let off: c_int = 0;
        let on: c_int = 1;
        let no_out = null_mut::<c_int>();
        ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off, no_out);
        ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_DEFENSIVE, on, no_out);
        ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, no_out);
        ffi::sqlite3_set_authorizer(db, Some(authorize), null_mut());
    }
    Ok(())
}

/// What a checked statement is: its columns, and how many parameters it binds.
pub(super) struct Checked {
    pub(super) columns: Vec<Column>,
    pub(super) parameters: usize,
}

/// Checks `sql` on `conn` before sqlx runs it: one statement, that SQLite parses and the
/// sandbox allows; and stops it (SQLite's progress handler) once `deadline` has passed, so
/// a query outliving its handler does not hold the connection.
pub(super) async fn check(
    conn: &mut SqliteConnection,
    sql: &str,
    deadline: Instant,
) -> Result<Checked, DatabaseError> {
    if sql.len() > MAX_STATEMENT_BYTES {
        return Err(DatabaseError::Refused(format!(
            "the statement has {} bytes, over the limit of {MAX_STATEMENT_BYTES}",
            sql.len()
        )));
    }
    refuse_nul(sql)?;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: the handle is locked for this thread until `handle` drops.
    let checked = checking(|| unsafe { prepare_one(db, sql) });
    handle.set_progress_handler(STEPS_PER_CLOCK_CHECK, move || Instant::now() < deadline);
    checked
}

/// The length of `sql`'s first statement (with the spaces and comments before it), checked
/// as a handler's statement is; `None` when `sql` holds nothing else. For a script, whose
/// next statement may name what this one makes, so it is checked only once this one ran.
pub(super) async fn statement_length(
    conn: &mut SqliteConnection,
    sql: &str,
) -> Result<Option<usize>, DatabaseError> {
    refuse_nul(sql)?;
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: the handle is locked for this thread until `handle` drops.
    checking(|| match unsafe { prepare(db, sql) }? {
        (statement, _) if statement.0.is_null() => Ok(None),
        (_, length) => Ok(Some(length)),
    })
}

/// Refuses SQL with a NUL character: SQLite stops reading there, and what follows would
/// pass unchecked.
fn refuse_nul(sql: &str) -> Result<(), DatabaseError> {
    match sql.contains('\0') {
        true => Err(DatabaseError::Invalid(
            "the SQL holds a NUL character".into(),
        )),
        false => Ok(()),
    }
}

/// Runs `parse` (a prepare on this thread) as a plugin's statement: the authorizer refuses
/// transaction statements too, and its reason replaces SQLite's "not authorized".
fn checking<T>(parse: impl FnOnce() -> Result<T, DatabaseError>) -> Result<T, DatabaseError> {
    CHECKING.with(|checking| *checking.borrow_mut() = Some(None));
    let parsed = parse();
    let refused = CHECKING.with(|checking| checking.borrow_mut().take().flatten());
    match (parsed, refused) {
        (Err(_), Some(why)) => Err(DatabaseError::Refused(why)),
        (outcome, _) => outcome,
    }
}

/// A prepared statement, finalized when dropped.
struct Prepared(*mut ffi::sqlite3_stmt);

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: a statement of a live connection, finalized once; null is a no-op.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

/// Prepares the first statement of `sql`, and what follows it to be sure it holds none.
///
/// # Safety
/// `db` is an open connection that no other thread uses meanwhile.
unsafe fn prepare_one(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Checked, DatabaseError> {
    let db = db.as_ptr();
    // SAFETY: as the caller promises; `prepare` reads `sql` within its length.
    unsafe {
        let (first, tail) = prepare(db, sql)?;
        if first.0.is_null() {
            return Err(DatabaseError::Invalid("the SQL holds no statement".into()));
        }
        let rest = &sql[tail..];
        // What follows the first statement must be nothing but spaces and comments, which
        // SQLite prepares to no statement.
        match prepare(db, rest) {
            Ok((second, _)) if second.0.is_null() => {}
            _ => {
                return Err(DatabaseError::Refused(format!(
                    "one statement per call: this SQL goes on after its first statement \
                     with `{}`",
                    excerpt(rest.trim_start())
                )));
            }
        }
        let count = ffi::sqlite3_column_count(first.0);
        let columns = (0..count)
            .map(|at| Column {
                name: text(ffi::sqlite3_column_name(first.0, at)).unwrap_or_default(),
                declared_type: text(ffi::sqlite3_column_decltype(first.0, at)),
            })
            .collect();
        let parameters = ffi::sqlite3_bind_parameter_count(first.0) as usize;
        Ok(Checked {
            columns,
            parameters,
        })
    }
}

/// Prepares `sql`'s first statement (null when it holds none) and where the rest begins.
///
/// # Safety
/// As [`prepare_one`].
unsafe fn prepare(db: *mut ffi::sqlite3, sql: &str) -> Result<(Prepared, usize), DatabaseError> {
    let (mut statement, mut tail) = (null_mut(), null::<c_char>());
    let start = sql.as_ptr().cast::<c_char>();
    // SAFETY: `sql` is valid for its length, which the limits keep far below `c_int::MAX`.
    let code = unsafe {
        ffi::sqlite3_prepare_v3(db, start, sql.len() as c_int, 0, &mut statement, &mut tail)
    };
    let prepared = Prepared(statement);
    if code != ffi::SQLITE_OK {
        // SAFETY: the connection's message, read before anything else runs on it.
        let message = unsafe { text(ffi::sqlite3_errmsg(db)) }.unwrap_or_default();
        return Err(DatabaseError::from_code(code, message));
    }
    // SQLite's tail points into `sql`, at most at its end.
    let consumed = (tail as usize)
        .saturating_sub(start as usize)
        .min(sql.len());
    Ok((prepared, consumed))
}

/// A C string of SQLite's, when there is one.
///
/// # Safety
/// `text` is null or a NUL-terminated string alive for the call.
unsafe fn text(text: *const c_char) -> Option<String> {
    // SAFETY: as the caller promises.
    (!text.is_null()).then(|| {
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned()
    })
}

/// The start of `sql`, for a message.
fn excerpt(sql: &str) -> String {
    sql.chars().take(60).collect()
}

/// SQLite's authorizer: refuses what would reach past the plugin's file or change the
/// shared connection, and notes why when a plugin's statement is being checked.
extern "C" fn authorize(
    _: *mut c_void,
    action: c_int,
    first: *const c_char,
    second: *const c_char,
    _database: *const c_char,
    _trigger: *const c_char,
) -> c_int {
    // SAFETY: SQLite passes null or NUL-terminated strings alive for the call.
    let (first, second) = unsafe { (text(first), text(second)) };
    let checking = CHECKING
        .try_with(|checking| checking.borrow().is_some())
        .unwrap_or(false);
    let Some(why) = refusal(action, first, second, checking) else {
        return ffi::SQLITE_OK;
    };
    let _ = CHECKING.try_with(|checking| {
        if let Some(noted) = checking.borrow_mut().as_mut() {
            noted.get_or_insert(why);
        }
    });
    ffi::SQLITE_DENY
}

/// Why the sandbox refuses `action`, if it does.
fn refusal(
    action: c_int,
    first: Option<String>,
    second: Option<String>,
    checking: bool,
) -> Option<String> {
    let own = "a plugin reaches only its own database";
    match action {
        ffi::SQLITE_ATTACH | ffi::SQLITE_DETACH => Some(format!("ATTACH and DETACH: {own}")),
        ffi::SQLITE_PRAGMA => {
            // Their argument is a table's or an index's name, or a count.
            let name = first.unwrap_or_default().to_ascii_lowercase();
            (!SCHEMA_PRAGMAS.contains(&name.as_str()))
                .then(|| format!("PRAGMA {name}: a plugin may read its schema's pragmas only"))
        }
        ffi::SQLITE_FUNCTION => {
            let name = second.unwrap_or_default();
            name.eq_ignore_ascii_case("load_extension")
                .then(|| format!("load_extension(): {own}, without extensions"))
        }
        ffi::SQLITE_TRANSACTION | ffi::SQLITE_SAVEPOINT if checking => Some(
            "transaction statements: use begin, commit and rollback, which the host ends \
             with the request"
                .into(),
        ),
        _ => None,
    }
}
