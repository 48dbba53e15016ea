//! A plugin's database on MariaDB, given by the operator (`--plugin-database`): the rows are
//! the server's, its parameters bound by it, its types and error numbers kept; a runaway
//! statement is stopped on the server, and a database that is down fails the call, not the
//! server.

use serde_json::json;

use crate::databases::{sql, sql_on};
use crate::support::{Server, TestStore, get, mysql_server};

/// The hostile plugin (whatever SQL a test names) given a fresh database on the test
/// MariaDB, with `more` flags; `None` without `GALE_TEST_MYSQL_URL`.
fn given_mariadb(more: &[&str]) -> Option<(TestStore, Server)> {
    let store = TestStore::mysql(&mysql_server()?);
    let given = format!("hostile={}", store.database_url());
    let mut flags = vec!["--plugin-database", given.as_str()];
    flags.extend(more);
    let server = Server::with(&["hostile"], &flags);
    Some((store, server))
}

#[test]
fn a_plugin_given_a_mariadb_database_keeps_its_rows_there_with_their_types() {
    let Some((store, gale)) = given_mariadb(&[]) else {
        return;
    };
    let create = "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, \
                  name VARCHAR(40) UNIQUE NOT NULL, price DECIMAL(10,2), born DATE, \
                  seen DATETIME(6), data VARBINARY(10), n BIGINT UNSIGNED, ok BOOLEAN)";
    assert_eq!(sql(&gale, create, &[]), json!({"rows": []}));
    let insert = "INSERT INTO items (name, price, born, seen, data, n, ok) \
                  VALUES (?, ?, ?, ?, ?, ?, ?)";
    let row = [
        "ann ☃",
        "9.99",
        "2026-12-05",
        "2026-12-05 17:03:09.5",
        "xy",
        "18446744073709551615",
        "1",
    ];
    assert_eq!(sql(&gale, insert, &row), json!({"rows": []}));
    assert_eq!(store.count("SELECT COUNT(*) FROM items"), 1, "on MariaDB");
    let read = "SELECT name, price, born, seen, data, n, ok, id FROM items";
    let expected = [
        "ann ☃",
        "9.99",
        "2026-12-05",
        "2026-12-05 17:03:09.500000",
        "<2 bytes>",
        "18446744073709551615",
        "1",
        "1",
    ];
    assert_eq!(sql(&gale, read, &[]), json!({"rows": [expected]}));

    let twice = sql(&gale, insert, &row);
    assert_eq!(twice["error"], "constraint", "{twice}");
    assert!(
        twice["message"]
            .as_str()
            .unwrap()
            .starts_with("ERROR 1062: Duplicate entry")
    );
    let typo = sql(&gale, "SELEC 1", &[]);
    assert_eq!(typo["error"], "invalid", "{typo}");
    assert!(typo["message"].as_str().unwrap().starts_with("ERROR 1064"));
    let stacked = sql(&gale, "SELECT 1; DROP TABLE items", &[]);
    assert_eq!(stacked["error"], "invalid", "{stacked}");
    let injected = "SELECT id FROM items WHERE name = ?";
    assert_eq!(sql(&gale, injected, &["' OR '1'='1"]), json!({"rows": []}));
    assert_eq!(
        store.count("SELECT COUNT(*) FROM items"),
        1,
        "nothing dropped"
    );
    let unbound = sql(&gale, "SELECT ?", &[]);
    assert_eq!(unbound["error"], "invalid", "{unbound}");
}

#[test]
fn a_runaway_statement_on_mariadb_is_stopped_on_the_server_at_the_handlers_time_limit() {
    let Some((store, gale)) = given_mariadb(&["--handler-timeout", "2s"]) else {
        return;
    };
    let sleeping = "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
                    WHERE INFO LIKE 'SELECT SLEEP(100)%'";
    let answer = get(gale.addr, "/sql?sql=SELECT%20SLEEP(100)");
    assert_ne!(answer.status, 200, "{}", answer.text());
    // Stopped by the session's max_statement_time, not left sleeping for 100 s.
    crate::support::wait_until("the sleep stopped on the server", || {
        store.count(sleeping) == 0
    });
    assert_eq!(
        sql(&gale, "SELECT 7", &[]),
        json!({"rows": [["7"]]}),
        "the plugin's connections serve on"
    );
}

#[test]
fn a_plugins_database_that_is_down_fails_its_calls_and_the_rest_serves() {
    // Port 1 on loopback: nothing listens, as when the database is down.
    let down = "hostile:down=mysql://app:secret@127.0.0.1:1/shop";
    let gale = Server::with(
        &["hostile"],
        &["--plugin-database", down, "--database-timeout", "1s"],
    );
    let answer = sql_on(&gale, "down", "SELECT 1", &[]);
    assert_eq!(answer["error"], "unavailable", "{answer}");
    assert!(
        !answer["message"].as_str().unwrap().contains("secret"),
        "the password stays the operator's: {answer}"
    );
    assert_eq!(
        sql(&gale, "SELECT 1", &[]),
        json!({"rows": [["1"]]}),
        "SQLite serves"
    );
}
