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
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("ERROR 2003: Can't connect"),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "the password stays the operator's: {message}"
    );
    assert_eq!(
        sql(&gale, "SELECT 1", &[]),
        json!({"rows": [["1"]]}),
        "SQLite serves"
    );
}

/// `method path` with a form `body` and the `session` cookie, as raw HTTP/1.1.
fn request(method: &str, path: &str, body: &str, session: Option<&str>) -> String {
    let cookie = session.map_or(String::new(), |id| format!("Cookie: session={id}\r\n"));
    format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{cookie}Content-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The `session` cookie a response sets.
fn session_of(response: &crate::support::Response) -> Option<String> {
    let cookie = response.header("set-cookie")?;
    let value = cookie.strip_prefix("session=")?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned(),
    )
}

#[test]
fn the_courses_pymysql_code_answers_as_on_real_tornado_with_real_pymysql() {
    use crate::support::{Tornado, python_plugin, root, send};
    let Some(server) = mysql_server() else {
        return;
    };
    let Some(course) = python_plugin("course") else {
        return;
    };
    let (ours, theirs) = (TestStore::mysql(&server), TestStore::mysql(&server));
    // mysql://USER@HOST:PORT/DATABASE, as the course's constants name it.
    let url = theirs.database_url().strip_prefix("mysql://").unwrap();
    let (user, rest) = url.split_once('@').unwrap();
    let (address, database) = rest.split_once('/').unwrap();
    let (host, port) = address.split_once(':').unwrap_or((address, "3306"));
    let env = [
        ("MYSQL_HOST", host),
        ("MYSQL_PORT", port),
        ("MYSQL_USER", user),
        ("MYSQL_DATABASE", database),
    ];
    let app = root().join("plugins-py/course/app.py");
    let Some(tornado) = Tornado::running_with_pymysql(&app, &env) else {
        return;
    };
    let given = format!("course={}", ours.database_url());
    let our_database = ours.database_url().rsplit('/').next().unwrap();
    let gale = Server::start(&[course], &[], &["--plugin-database", &given], &[]);
    let cases = [
        (
            "POST",
            "/register",
            "account=ann&password=pw&balance=12.50&avatar=xy",
        ),
        ("POST", "/register", "account=ann&password=other"),
        ("POST", "/register", "account=b%E2%98%83b&password=pw"),
        ("GET", "/me", ""),
        ("POST", "/login", "account=ann&password=wrong"),
        (
            "POST",
            "/login",
            "account=%27+OR+%271%27%3D%271&password=pw",
        ),
        ("POST", "/login", "account=ann&password=pw"),
        ("GET", "/me", ""),
        ("POST", "/posts", "titles=a,b,c"),
        ("POST", "/posts", "titles=d,e&undo=1"),
        ("POST", "/posts", "titles=f"),
        ("GET", "/posts?ids=1,2,3,4,5,6&like=%25", ""),
        ("GET", "/posts?ids=1,2&like=%27+OR+%271%27%3D%271", ""),
        ("GET", "/values", ""),
        ("GET", "/errors/syntax", ""),
        ("GET", "/errors/table", ""),
        ("GET", "/errors/column", ""),
    ];
    let (mut our_session, mut their_session) = (None, None);
    for (method, path, body) in cases {
        let ours = send(
            gale.addr,
            &request(method, path, body, our_session.as_deref()),
        );
        let theirs = send(
            tornado.addr,
            &request(method, path, body, their_session.as_deref()),
        );
        assert_eq!(
            ours.status,
            theirs.status,
            "{method} {path}: {}",
            ours.text()
        );
        // The one difference: each server's database has a name of its own.
        let (our_text, their_text) = (
            ours.text().replace(our_database, "DB"),
            theirs.text().replace(database, "DB"),
        );
        assert_eq!(our_text, their_text, "{method} {path}");
        our_session = session_of(&ours).or(our_session);
        their_session = session_of(&theirs).or(their_session);
    }
    assert!(our_session.is_some(), "logged in on gale");
    assert_eq!(
        ours.count("SELECT COUNT(*) FROM users"),
        2,
        "gale's rows on MariaDB"
    );
    assert_eq!(
        ours.count("SELECT COUNT(*) FROM posts"),
        4,
        "the undone ones undone"
    );
}

#[test]
fn pymysql_in_a_plugin_given_no_mysql_database_fails_to_connect_saying_how_to_give_one() {
    let Some(gale) = Server::python("course", &[]) else {
        return;
    };
    assert_eq!(
        get(gale.addr, "/me").status,
        500,
        "Tornado's answer to an exception"
    );
    gale.wait_for_log("OperationalError: (2003, \"Can't connect to MySQL server: gale gives");
}
