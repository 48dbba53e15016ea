//! A plugin's database on MySQL or MariaDB, given to it by the operator
//! (`--plugin-database PLUGIN=mysql://…`): who may read what is the server's grants, as for
//! any client. gale runs each call as a server-side prepared statement, so parameters are
//! the server's to bind and a second statement after `;` is a syntax error, and bounds each
//! statement's time on the server, so a runaway query does not hold the connection.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::TryStreamExt;
use sqlx::mysql::{MySqlColumn, MySqlConnectOptions, MySqlConnection, MySqlPool, MySqlPoolOptions};
use sqlx::{Column as _, ConnectOptions, Connection, Executor, Row, Statement, TypeInfo};

use super::migrations::{LOCK_WAIT, Migration, pending};
use super::run::{Call, check_bindings, with_params};
use super::{CONNECTIONS, Column, DatabaseError, Executed, Rows};
use values::{parameters, value};

mod values;

/// One `--plugin-database`: plugin `plugin`'s database `name` is the MySQL database at
/// `options`.
#[derive(Clone)]
pub struct GivenDatabase {
    /// The plugin.
    pub plugin: String,
    /// The name its handlers open it by (`default` unless the flag names one).
    pub name: String,
    /// Where it is, and as whom gale connects.
    pub options: MySqlConnectOptions,
}

impl std::fmt::Debug for GivenDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the options: they hold the password.
        (f.debug_struct("GivenDatabase"))
            .field("plugin", &self.plugin)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Parses `PLUGIN[:NAME]=mysql://USER:PASSWORD@HOST:PORT/DATABASE`.
pub fn parse_given(text: &str) -> Result<GivenDatabase, String> {
    let shape = "PLUGIN[:NAME]=mysql://USER:PASSWORD@HOST:PORT/DATABASE";
    let (who, url) = text
        .split_once('=')
        .ok_or_else(|| format!("a plugin's database is {shape}"))?;
    let (plugin, name) = who
        .trim()
        .split_once(':')
        .unwrap_or((who.trim(), "default"));
    if plugin.is_empty() {
        return Err(format!("no plugin named: write {shape}"));
    }
    super::check_name(name).map_err(|error| error.to_string())?;
    let url = url.trim();
    if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
        return Err(format!(
            "{plugin}'s database must be a mysql:// or mariadb:// URL: write {shape}"
        ));
    }
    let options = MySqlConnectOptions::from_str(&url.replacen("mariadb://", "mysql://", 1))
        .map_err(|error| format!("{plugin}'s database URL: {error}"))?;
    Ok(GivenDatabase {
        plugin: plugin.to_owned(),
        name: name.to_owned(),
        options,
    })
}

/// A worker's pool on `given`, connecting when first used; each session stops a statement
/// past `time_limit` on the server (MariaDB's `max_statement_time`, MySQL's
/// `max_execution_time`, which bounds only `SELECT`).
pub(super) fn pool(given: &GivenDatabase, time_limit: Duration, acquire: Duration) -> MySqlPool {
    MySqlPoolOptions::new()
        .max_connections(CONNECTIONS)
        .acquire_timeout(acquire)
        .after_connect(move |conn, _| Box::pin(limit_statement_time(conn, time_limit)))
        .connect_lazy_with(given.options.clone())
}

/// Sets the session's statement time limit, in MariaDB's words or else MySQL's.
async fn limit_statement_time(conn: &mut MySqlConnection, limit: Duration) -> sqlx::Result<()> {
    let mariadb = format!("SET SESSION max_statement_time = {}", limit.as_secs_f64());
    match conn.execute(mariadb.as_str()).await {
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("HY000") => {
            let mysql = format!("SET SESSION max_execution_time = {}", limit.as_millis());
            conn.execute(mysql.as_str()).await.map(drop)
        }
        other => other.map(drop),
    }
}

/// Applies what of `migrations` `given` has not had, as on SQLite, under MySQL's named lock
/// for the plugin, so servers starting at once apply each migration once between them.
pub(super) async fn migrate(
    given: &GivenDatabase,
    migrations: &[Migration],
) -> anyhow::Result<Vec<String>> {
    let mut conn = (given.options.connect().await)
        .context("cannot connect to the plugin's database (--plugin-database)")?;
    let lock: String = format!("gale_migrations.{}", given.plugin)
        .chars()
        .take(64)
        .collect();
    let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
        .bind(&lock)
        .bind(LOCK_WAIT.as_secs())
        .fetch_one(&mut conn)
        .await?;
    if locked != Some(1) {
        bail!("another server held the lock on its migrations for {LOCK_WAIT:?}");
    }
    let applied = migrate_locked(&mut conn, migrations).await;
    sqlx::query("DO RELEASE_LOCK(?)")
        .bind(&lock)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    applied
}

async fn migrate_locked(
    conn: &mut MySqlConnection,
    migrations: &[Migration],
) -> anyhow::Result<Vec<String>> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _gale_migrations (name VARCHAR(255) PRIMARY KEY, \
         sha256 CHAR(64) NOT NULL, applied TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    )
    .await?;
    let done = sqlx::query_as("SELECT name, sha256 FROM _gale_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut applied = Vec::new();
    for (migration, sha256) in pending(migrations, &done)? {
        // The text protocol runs the file's statements in turn; MySQL's message gives the line.
        if let Err(error) = sqlx::raw_sql(&migration.sql).execute(&mut *conn).await {
            let said = DatabaseError::from(error);
            bail!("{}: {said}", migration.name);
        }
        sqlx::query("INSERT INTO _gale_migrations (name, sha256) VALUES (?, ?)")
            .bind(&migration.name)
            .bind(sha256)
            .execute(&mut *conn)
            .await?;
        applied.push(migration.name.clone());
    }
    Ok(applied)
}

/// Runs a statement that returns no rows.
pub(super) async fn execute(
    conn: &mut MySqlConnection,
    call: &Call,
) -> Result<Executed, DatabaseError> {
    let statement = conn.prepare(&call.sql).await?;
    check_bindings(call, parameters(&statement))?;
    let done = with_params(statement.query(), &call.params)
        .execute(conn)
        .await?;
    Ok(Executed {
        rows_affected: done.rows_affected(),
        last_insert_id: i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX),
    })
}

/// Columns with their names and MySQL's type names.
fn described(columns: &[MySqlColumn]) -> Vec<Column> {
    (columns.iter())
        .map(|column| Column {
            name: column.name().to_owned(),
            declared_type: Some(column.type_info().name().to_owned()),
        })
        .collect()
}

/// Runs a query and reads its rows within the call's result limit.
pub(super) async fn query(conn: &mut MySqlConnection, call: &Call) -> Result<Rows, DatabaseError> {
    let statement = conn.prepare(&call.sql).await?;
    check_bindings(call, parameters(&statement))?;
    let mut rows = Rows {
        columns: described(statement.columns()),
        rows: Vec::new(),
    };
    let (mut stream, mut held) = (with_params(statement.query(), &call.params).fetch(conn), 0);
    while let Some(row) = stream.try_next().await? {
        if rows.rows.is_empty() {
            // The result's own columns: a prepared `? AS u` is described as NULL until a
            // value is bound.
            rows.columns = described(row.columns());
        }
        let row = (0..row.len())
            .map(|at| value(row.try_get_raw(at)?))
            .collect::<Result<Vec<_>, DatabaseError>>()?;
        held += super::run::bytes_of(&row);
        super::run::check_result(call, held)?;
        rows.rows.push(row);
    }
    Ok(rows)
}

/// The error of a connection the pool could not give: MySQL's client error 2003 when none
/// could be made (the server down, or every connection busy) within `--database-timeout`.
pub(super) fn unreachable(error: sqlx::Error) -> DatabaseError {
    match error {
        sqlx::Error::PoolTimedOut => DatabaseError::Unavailable(
            "ERROR 2003: Can't connect to the MySQL server within --database-timeout (it is \
             down, or every connection is busy)"
                .into(),
        ),
        other => DatabaseError::from(other),
    }
}

/// The error of MySQL's error `number` with its `message`, kept in the message as the
/// `mysql` client shows it (`ERROR 1062: Duplicate entry …`), so a PEP 249 driver can give
/// the number back.
pub(super) fn error(number: u16, message: &str) -> DatabaseError {
    let said = format!("ERROR {number}: {message}");
    match number {
        // Duplicate key, NULL in a NOT NULL column, foreign keys, CHECK (MySQL, MariaDB).
        1022 | 1048 | 1062 | 1169 | 1216 | 1217 | 1364 | 1451 | 1452 | 1557 | 1586 | 3819
        | 4025 => DatabaseError::Constraint(said),
        // Access denied: the operator's grants.
        1044 | 1045 | 1142 | 1143 | 1227 | 1370 => DatabaseError::Refused(said),
        // Past the session's statement time (MariaDB, MySQL), or interrupted.
        1317 | 1969 | 3024 => DatabaseError::Refused(format!(
            "ERROR {number}: the statement ran past the handler's time limit ({message})"
        )),
        // Too many connections, lock waits, deadlocks, a server gone.
        1040 | 1203 | 1205 | 1213 | 2002 | 2003 | 2006 | 2013 => DatabaseError::Unavailable(said),
        _ => DatabaseError::Invalid(said),
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, Executor, MySqlConnection};

    use super::{migrate, parse_given};
    use crate::databases::migrations::Migration;

    #[test]
    fn a_plugins_database_flag_names_the_plugin_and_a_mysql_url() {
        let given = parse_given("course=mysql://app:secret@127.0.0.1:3306/shop").unwrap();
        assert_eq!(
            (given.plugin.as_str(), given.name.as_str()),
            ("course", "default")
        );
        assert!(
            !format!("{given:?}").contains("secret"),
            "no password in logs"
        );
        let given = parse_given("course:orders=mariadb://app@db:3307/orders").unwrap();
        assert_eq!(given.name, "orders");
        for bad in [
            "course",
            "=mysql://a@b/c",
            "course=sqlite://x.db",
            "course:../x=mysql://a@b/c",
            "course=mysql://a@b:notaport/c",
        ] {
            assert!(parse_given(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn migrations_on_mariadb_apply_once_between_servers_and_refuse_an_edit() {
        // The MySQL suite's server (.ci/run sets it); without it this test has nothing to do.
        let Ok(server) = std::env::var("GALE_TEST_MYSQL_URL") else {
            return;
        };
        let mut admin = MySqlConnection::connect(&server).await.unwrap();
        let mut id = [0u8; 6];
        getrandom::fill(&mut id).unwrap();
        let name = format!(
            "gale_migrations_{}",
            id.map(|byte| format!("{byte:02x}")).concat()
        );
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let (authority, _) = server.rsplit_once('/').unwrap();
        let given = parse_given(&format!("shop={authority}/{name}")).unwrap();
        let migration = |name: &str, sql: &str| Migration {
            name: name.into(),
            sql: sql.into(),
        };
        let first = migration(
            "0001_a.sql",
            "CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1);",
        );
        let second = migration("0002_b.sql", "CREATE TABLE b (id INT);");
        assert_eq!(
            migrate(&given, std::slice::from_ref(&first)).await.unwrap(),
            ["0001_a.sql"]
        );
        let both = [first.clone(), second];
        let (one, two, three) = tokio::join!(
            migrate(&given, &both),
            migrate(&given, &both),
            migrate(&given, &both)
        );
        let applied: Vec<String> = [one, two, three]
            .into_iter()
            .flat_map(Result::unwrap)
            .collect();
        assert_eq!(
            applied,
            ["0002_b.sql"],
            "three servers at once apply it once"
        );
        let edited = migration("0001_a.sql", "CREATE TABLE a (id BIGINT PRIMARY KEY);");
        let refused = migrate(&given, &[edited]).await.unwrap_err().to_string();
        assert!(refused.contains("other contents"), "{refused}");
        let broken = migration("0003_c.sql", "CREATE TABLE c (id INT);\nSELEC 1;");
        let failed = migrate(&given, &[first, broken])
            .await
            .unwrap_err()
            .to_string();
        assert!(failed.starts_with("0003_c.sql: ERROR 1064"), "{failed}");
        assert!(
            failed.contains("line 1"),
            "MySQL's line of the failing statement: {failed}"
        );
        admin
            .execute(format!("DROP DATABASE {name}").as_str())
            .await
            .unwrap();
    }
}
