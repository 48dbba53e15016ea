//! A plugin's migrations: `migrations/NNNN_name.sql` beside its source, embedded by `gale
//! build` in a custom section of the component, and applied at load, in order, to the
//! plugin's `default` database, each once. On SQLite the whole set runs in one `BEGIN
//! IMMEDIATE` transaction, so servers loading the same version at once apply it once between
//! them, and a failing migration changes nothing: the version is refused and the one before
//! keeps serving. (On MySQL, `mysql.rs`, a lock stands for the transaction, and a failing
//! migration keeps what DDL it did, which MySQL cannot undo.)

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::DatabasesSettings;
use super::fence::{self, statement_length};

/// The custom section of a component that holds its migrations.
pub const SECTION: &str = "gale:migrations";

/// The table gale keeps in the database: what was applied, with its checksum.
const APPLIED: &str = "CREATE TABLE IF NOT EXISTS _gale_migrations (name TEXT PRIMARY KEY, \
                       sha256 TEXT NOT NULL, applied INTEGER NOT NULL DEFAULT (unixepoch()))";

/// How long a load waits for another server's migration (or a long write) to end.
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(30);

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its file name, `NNNN_name.sql`.
    pub name: String,
    /// Its statements.
    pub sql: String,
}

/// The migrations of the plugin source in `dir` (its `migrations/*.sql`), by name.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    let dir = dir.join("migrations");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut migrations = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".sql") {
            continue;
        }
        let numbered = name.split_once('_').is_some_and(|(number, _)| {
            !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
        });
        if !numbered {
            bail!(
                "{}: a migration is named NNNN_what.sql (0001_notes.sql)",
                path.display()
            );
        }
        let sql = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the migration {}", path.display()))?;
        migrations.push(Migration { name, sql });
    }
    migrations.sort_by(|one, other| one.name.cmp(&other.name));
    Ok(migrations)
}

/// Appends `migrations` to `component` as its custom section [`SECTION`].
pub fn embed(component: &mut Vec<u8>, migrations: &[Migration]) {
    let pairs: Vec<(&str, &str)> = (migrations.iter())
        .map(|migration| (migration.name.as_str(), migration.sql.as_str()))
        .collect();
    let data = serde_json::to_vec(&pairs).expect("strings serialise");
    let mut payload = leb128(SECTION.len());
    payload.extend_from_slice(SECTION.as_bytes());
    payload.extend_from_slice(&data);
    component.push(0); // a custom section
    component.extend(leb128(payload.len()));
    component.extend(payload);
}

/// The migrations embedded in `component` (the last [`SECTION`], when there are several),
/// none without one. Sections are read only as far as they are whole: a broken component
/// is the compiler's to refuse, with its own words.
pub fn embedded(component: &[u8]) -> anyhow::Result<Vec<Migration>> {
    let mut found = None;
    let mut at = 8; // the preamble
    while at < component.len() {
        let id = component[at];
        let Some((size, header)) = read_leb128(&component[at + 1..]) else {
            break;
        };
        let start = at + 1 + header;
        let Some(payload) = component.get(start..start + size) else {
            break;
        };
        if id == 0
            && let Some((length, header)) = read_leb128(payload)
            && payload.get(header..header + length) == Some(SECTION.as_bytes())
        {
            found = Some(&payload[header + length..]);
        }
        at = start + size;
    }
    let Some(data) = found else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> =
        serde_json::from_slice(data).context("its migrations section is broken")?;
    Ok(pairs
        .into_iter()
        .map(|(name, sql)| Migration { name, sql })
        .collect())
}

/// Applies what of `migrations` the `default` database of `plugin` has not had, in order;
/// returns the names of those it applied. A migration applied before with other contents,
/// or one that fails, refuses the set.
pub async fn apply(
    databases: &DatabasesSettings,
    plugin: &str,
    migrations: &[Migration],
) -> anyhow::Result<Vec<String>> {
    let given =
        (databases.given.iter()).find(|given| given.plugin == plugin && given.name == "default");
    if let Some(given) = given {
        return super::mysql::migrate(given, migrations).await;
    }
    let file = super::create_file(&databases.data_dir.join("plugins"), plugin, "default")?;
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(LOCK_WAIT)
        .connect()
        .await
        .context("cannot open the plugin's database")?;
    fence::fence(&mut conn).await?;
    // One transaction: servers loading the same version at once apply it once between them.
    sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
    let applied = apply_in(&mut conn, migrations).await;
    let end = if applied.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    sqlx::query(end).execute(&mut conn).await?;
    conn.close().await?;
    applied
}

async fn apply_in(
    conn: &mut SqliteConnection,
    migrations: &[Migration],
) -> anyhow::Result<Vec<String>> {
    sqlx::query(APPLIED).execute(&mut *conn).await?;
    let done = sqlx::query_as("SELECT name, sha256 FROM _gale_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut applied = Vec::new();
    for (migration, sha256) in pending(migrations, &done)? {
        run_script(conn, &migration.sql)
            .await
            .map_err(|(line, error)| anyhow::anyhow!("{}, line {line}: {error}", migration.name))?;
        sqlx::query("INSERT INTO _gale_migrations (name, sha256) VALUES (?, ?)")
            .bind(&migration.name)
            .bind(sha256)
            .execute(&mut *conn)
            .await?;
        applied.push(migration.name.clone());
    }
    Ok(applied)
}

/// What of `migrations` is not in `done` (name, SHA-256 of what was applied), each with its
/// checksum; refuses the set when one in `done` was edited since.
pub(super) fn pending<'m>(
    migrations: &'m [Migration],
    done: &[(String, String)],
) -> anyhow::Result<Vec<(&'m Migration, String)>> {
    let mut pending = Vec::new();
    for migration in migrations {
        let sha256 = hex(&Sha256::digest(migration.sql.as_bytes()));
        match done.iter().find(|(name, _)| *name == migration.name) {
            Some((_, before)) if *before != sha256 => bail!(
                "the migration {} was applied with other contents: a migration is never \
                 edited once deployed (add a new one)",
                migration.name
            ),
            Some(_) => {}
            None => pending.push((migration, sha256)),
        }
    }
    Ok(pending)
}

/// Runs each statement of `sql` in turn (each checked by the fence as a handler's is, since
/// the next may name what the one before made); a failure gives its line.
async fn run_script(conn: &mut SqliteConnection, sql: &str) -> Result<(), (usize, String)> {
    let mut at = 0;
    loop {
        let rest = &sql[at..];
        let line = 1 + sql[..at + first_word(rest)].matches('\n').count();
        let length = match statement_length(conn, rest).await {
            Ok(Some(length)) => length,
            Ok(None) => return Ok(()),
            Err(error) => return Err((line, error.to_string())),
        };
        if let Err(error) = sqlx::query(&rest[..length]).execute(&mut *conn).await {
            return Err((line, super::DatabaseError::from(error).to_string()));
        }
        at += length;
    }
}

/// Where the first word of `sql` is: past spaces and comments.
fn first_word(sql: &str) -> usize {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        let (comment, end) = match (trimmed.strip_prefix("--"), trimmed.strip_prefix("/*")) {
            (Some(comment), _) => (comment, "\n"),
            (_, Some(comment)) => (comment, "*/"),
            _ => return sql.len() - trimmed.len(),
        };
        rest = comment.split_once(end).map_or("", |(_, after)| after);
    }
}

/// Bytes as lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `value` as unsigned LEB128.
fn leb128(mut value: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            bytes.push(byte);
            return bytes;
        }
        bytes.push(byte | 0x80);
    }
}

/// The unsigned LEB128 at the start of `bytes`, and its length.
fn read_leb128(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (at, byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * at);
        if byte & 0x80 == 0 {
            return Some((value, at + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(name: &str, sql: &str) -> Migration {
        Migration {
            name: name.into(),
            sql: sql.into(),
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        runtime.unwrap().block_on(future)
    }

    #[test]
    fn migrations_ride_in_a_custom_section_the_last_of_which_counts() {
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        component.extend([0, 4, 3, b'a', b'b', b'c']); // another custom section
        assert_eq!(embedded(&component).unwrap(), vec![]);
        let first = vec![migration("0001_a.sql", "CREATE TABLE a (x)")];
        embed(&mut component, &first);
        assert_eq!(embedded(&component).unwrap(), first);
        let long = vec![
            migration("0001_a.sql", &"-- x\n".repeat(40_000)),
            first[0].clone(),
        ];
        embed(&mut component, &long);
        assert_eq!(embedded(&component).unwrap(), long);
        // A cut component: what is whole is read, the rest left to the compiler.
        let cut = &component[..component.len() - 10];
        assert_eq!(embedded(cut).unwrap(), first);
        let mut broken = component.clone();
        embed(&mut broken, &[]);
        let end = broken.len() - 2;
        broken[end] = b'{';
        assert!(
            embedded(&broken).is_err(),
            "a broken migrations section is refused"
        );
    }

    /// The plugins' databases as SQLite files in `dir`.
    fn in_dir(dir: &tempfile::TempDir) -> DatabasesSettings {
        DatabasesSettings {
            data_dir: dir.path().to_owned(),
            ..DatabasesSettings::default()
        }
    }

    #[test]
    fn a_set_is_applied_once_in_order_and_an_edited_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let set = vec![
            migration(
                "0001_notes.sql",
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, body);\n",
            ),
            migration(
                "0002_index.sql",
                "-- by body\nCREATE INDEX by_body ON notes (body);\n\nINSERT INTO notes (body) VALUES ('first');",
            ),
        ];
        block_on(async {
            assert_eq!(apply(&in_dir(&dir), "notes", &set).await.unwrap().len(), 2);
            assert!(
                apply(&in_dir(&dir), "notes", &set)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let mut edited = set.clone();
            edited[0].sql.push_str("-- edited\n");
            let error = apply(&in_dir(&dir), "notes", &edited)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("0001_notes.sql was applied with other contents"),
                "{error}"
            );
        });
    }

    #[test]
    fn a_failing_migration_names_its_line_and_leaves_nothing_applied() {
        let dir = tempfile::tempdir().unwrap();
        let set = vec![
            migration("0001_ok.sql", "CREATE TABLE kept (x);"),
            migration(
                "0002_bad.sql",
                "CREATE TABLE t (x);\n\n-- then\nINSERT INTO missing VALUES (1);",
            ),
        ];
        block_on(async {
            let error = apply(&in_dir(&dir), "p", &set)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("0002_bad.sql, line 4: no such table: missing"),
                "{error}"
            );
            let attach = vec![migration("0001_x.sql", "ATTACH 'x.db' AS x;")];
            let error = apply(&in_dir(&dir), "p", &attach)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains("line 1: ATTACH"), "{error}");
            let commit = vec![migration("0001_x.sql", "CREATE TABLE y (x);\nCOMMIT;")];
            let error = apply(&in_dir(&dir), "p", &commit)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.contains("line 2: transaction statements"), "{error}");
            // Nothing of the failed sets stayed: the first set applies whole.
            assert_eq!(
                apply(&in_dir(&dir), "p", &set[..1]).await.unwrap(),
                ["0001_ok.sql"]
            );
        });
    }

    #[test]
    fn a_source_directorys_migrations_are_read_in_order_and_misnamed_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_dir(dir.path()).unwrap(), vec![]);
        let migrations = dir.path().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        std::fs::write(migrations.join("0002_b.sql"), "B").unwrap();
        std::fs::write(migrations.join("0001_a.sql"), "A").unwrap();
        std::fs::write(migrations.join("README.md"), "not a migration").unwrap();
        let names: Vec<_> = read_dir(dir.path())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["0001_a.sql", "0002_b.sql"]);
        std::fs::write(migrations.join("init.sql"), "C").unwrap();
        let error = read_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("NNNN_what.sql"), "{error}");
    }
}
