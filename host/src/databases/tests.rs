//! The fence, tried from inside: each attack a plugin's SQL could make, on a real SQLite file.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// A worker's databases in a new data directory, and a call maker for plugin `notes`.
fn databases() -> (tempfile::TempDir, Databases) {
    let dir = tempfile::tempdir().unwrap();
    let databases = Databases::new(Arc::new(DatabasesSettings {
        data_dir: dir.path().to_owned(),
        ..DatabasesSettings::default()
    }));
    (dir, databases)
}

fn call(sql: &str, params: Vec<Value>) -> Call {
    Call {
        plugin: Arc::from("notes"),
        database: "default".into(),
        sql: sql.into(),
        params,
        deadline: Instant::now() + Duration::from_secs(5),
        time_limit: Duration::from_secs(5),
        result_limit: MAX_RESULT_BYTES,
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn refused(outcome: Result<impl std::fmt::Debug, DatabaseError>, says: &str) {
    match outcome {
        Err(DatabaseError::Refused(why)) => assert!(why.contains(says), "{why}"),
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn a_plugin_cannot_attach_another_file_nor_copy_its_own_out() {
    let (dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let other = dir.path().join("accounts.sqlite3");
        std::fs::write(&other, b"").unwrap();
        let attach = format!("ATTACH DATABASE '{}' AS stolen", other.display());
        refused(
            databases.execute(call(&attach, vec![]), &mut open).await,
            "ATTACH",
        );
        let attach = "ATTACH DATABASE ? AS stolen";
        let path = Value::Text(other.display().to_string());
        refused(
            databases.execute(call(attach, vec![path]), &mut open).await,
            "ATTACH",
        );
        let copy = dir.path().join("copy.sqlite3");
        let vacuum = format!("VACUUM INTO '{}'", copy.display());
        let outcome = databases.execute(call(&vacuum, vec![]), &mut open).await;
        assert!(outcome.is_err(), "{outcome:?}");
        assert!(!copy.exists(), "VACUUM INTO wrote {}", copy.display());
    });
}

#[test]
fn a_plugin_cannot_load_an_extension_or_change_the_connection_with_a_pragma() {
    let (_dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let load = "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libz.so')";
        refused(
            databases.query(call(load, vec![]), &mut open).await,
            "load_extension",
        );
        for pragma in [
            "PRAGMA writable_schema = ON",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA temp_store_directory = '/tmp'",
            "PRAGMA database_list",
        ] {
            refused(
                databases.execute(call(pragma, vec![]), &mut open).await,
                "PRAGMA",
            );
        }
        let create = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)";
        databases
            .execute(call(create, vec![]), &mut open)
            .await
            .unwrap();
        let info = databases
            .query(call("PRAGMA table_info(notes)", vec![]), &mut open)
            .await
            .unwrap();
        assert_eq!(info.rows.len(), 2);
    });
}

#[test]
fn one_statement_per_call_and_parameters_are_bound_never_spliced() {
    let (_dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let create = "CREATE TABLE users (name TEXT UNIQUE, secret TEXT)";
        databases
            .execute(call(create, vec![]), &mut open)
            .await
            .unwrap();
        let insert = "INSERT INTO users VALUES (?, ?)";
        let row = vec![Value::Text("ann".into()), Value::Text("s3cret".into())];
        databases
            .execute(call(insert, row), &mut open)
            .await
            .unwrap();
        let stacked = "SELECT 1; DROP TABLE users";
        refused(
            databases.query(call(stacked, vec![]), &mut open).await,
            "one statement",
        );
        let trailing = "SELECT 1; -- a comment is not a statement\n ";
        databases
            .query(call(trailing, vec![]), &mut open)
            .await
            .unwrap();
        let lookup = "SELECT secret FROM users WHERE name = ?";
        let injection = vec![Value::Text("' OR '1'='1".into())];
        let found = databases
            .query(call(lookup, injection), &mut open)
            .await
            .unwrap();
        assert!(found.rows.is_empty());
        let left = databases
            .query(call("SELECT count(*) FROM users", vec![]), &mut open)
            .await
            .unwrap();
        assert_eq!(left.rows, vec![vec![Value::Integer(1)]]);
    });
}

#[test]
fn errors_say_which_kind_of_failure_they_are() {
    let (_dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let create = "CREATE TABLE t (name TEXT UNIQUE NOT NULL)";
        databases
            .execute(call(create, vec![]), &mut open)
            .await
            .unwrap();
        let insert = || call("INSERT INTO t VALUES (?)", vec![Value::Text("a".into())]);
        databases.execute(insert(), &mut open).await.unwrap();
        let twice = databases.execute(insert(), &mut open).await;
        assert!(
            matches!(twice, Err(DatabaseError::Constraint(_))),
            "{twice:?}"
        );
        let typo = databases.query(call("SELEC 1", vec![]), &mut open).await;
        assert!(matches!(typo, Err(DatabaseError::Invalid(_))), "{typo:?}");
        let missing = databases.query(call("SELECT ?", vec![]), &mut open).await;
        assert!(
            matches!(missing, Err(DatabaseError::Invalid(_))),
            "{missing:?}"
        );
        let many = vec![Value::Null; MAX_PARAMETERS + 1];
        let placeholders = vec!["?"; MAX_PARAMETERS + 1].join(",");
        let wide = call(&format!("SELECT {placeholders}"), many);
        refused(databases.query(wide, &mut open).await, "parameters");
        let long = format!("SELECT '{}'", "x".repeat(MAX_STATEMENT_BYTES));
        refused(
            databases.query(call(&long, vec![]), &mut open).await,
            "100000",
        );
        let mut bad_name = call("SELECT 1", vec![]);
        bad_name.database = "../accounts".into();
        let outcome = databases.query(bad_name, &mut open).await;
        assert!(
            matches!(outcome, Err(DatabaseError::Invalid(_))),
            "{outcome:?}"
        );
    });
}

#[test]
fn limits_stop_a_long_query_a_huge_value_and_a_huge_result() {
    let (_dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n";
        let mut short = call(forever, vec![]);
        short.deadline = Instant::now() + Duration::from_millis(200);
        let started = Instant::now();
        refused(databases.query(short, &mut open).await, "time limit");
        assert!(started.elapsed() < Duration::from_secs(3));
        let huge = call("SELECT zeroblob(1000000000)", vec![]);
        refused(databases.query(huge, &mut open).await, "MiB");
        let rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 100) \
                    SELECT randomblob(100000) FROM n";
        let mut small = call(rows, vec![]);
        small.result_limit = 1_000_000;
        refused(databases.query(small, &mut open).await, "1000000 bytes");
    });
}

#[test]
fn a_transaction_is_the_requests_and_is_rolled_back_when_dropped_open() {
    let (_dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        let create = "CREATE TABLE t (v INTEGER)";
        databases
            .execute(call(create, vec![]), &mut open)
            .await
            .unwrap();
        refused(
            databases.execute(call("BEGIN", vec![]), &mut open).await,
            "transaction",
        );
        databases.begin(&call("", vec![]), &mut open).await.unwrap();
        let insert = || call("INSERT INTO t VALUES (1)", vec![]);
        databases.execute(insert(), &mut open).await.unwrap();
        drop(open);
        let mut open = OpenTransactions::default();
        let count = || call("SELECT count(*) FROM t", vec![]);
        let rows = databases.query(count(), &mut open).await.unwrap();
        assert_eq!(rows.rows, vec![vec![Value::Integer(0)]]);
        databases.begin(&call("", vec![]), &mut open).await.unwrap();
        databases.execute(insert(), &mut open).await.unwrap();
        open.end("default", true).await.unwrap();
        let rows = databases.query(count(), &mut open).await.unwrap();
        assert_eq!(rows.rows, vec![vec![Value::Integer(1)]]);
    });
}

#[test]
fn each_database_is_a_file_of_its_plugins_readable_by_the_server_alone() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, databases) = databases();
    block_on(async {
        let mut open = OpenTransactions::default();
        databases
            .execute(call("CREATE TABLE t (v)", vec![]), &mut open)
            .await
            .unwrap();
    });
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let file = dir.path().join("plugins/notes/default.sqlite3");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
}
