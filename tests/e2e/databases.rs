//! A plugin's own SQL (`gale_sdk::db`): the notes example keeps each account's notes in its
//! own SQLite file, and a hostile plugin's SQL cannot reach past its own.

use std::path::Path;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::support::{Server, Visitor, get};

/// The hostile plugin's answer to `sql` with `params`: its rows, or its error's kind and
/// message.
pub(crate) fn sql(server: &Server, sql: &str, params: &[&str]) -> serde_json::Value {
    sql_on(server, "default", sql, params)
}

/// [`sql`] on the hostile plugin's database `db`.
pub(crate) fn sql_on(server: &Server, db: &str, sql: &str, params: &[&str]) -> serde_json::Value {
    let sql = utf8_percent_encode(sql, NON_ALPHANUMERIC);
    let mut path = format!("/sql?db={db}&sql={sql}");
    for param in params {
        path.push_str(&format!(
            "&param={}",
            utf8_percent_encode(param, NON_ALPHANUMERIC)
        ));
    }
    let response = get(server.addr, &path);
    assert_eq!(response.status, 200, "{sql}: {}", response.text());
    response.json()
}

/// Asserts the hostile plugin's `sql` was refused by the sandbox, saying `why`.
fn assert_refused(server: &Server, statement: &str, why: &str) {
    let answer = sql(server, statement, &[]);
    assert_eq!(answer["error"], "refused", "{statement}: {answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains(why), "{statement}: {message}");
}

/// A visitor registered and logged in as `account`.
fn logged_in(server: &Server, account: &str) -> Visitor {
    let mut visitor = Visitor::new(server);
    assert_eq!(
        visitor.register(account, "correct horse battery").status,
        201
    );
    assert_eq!(visitor.login(account, "correct horse battery").status, 302);
    visitor
}

/// The file mode's permission bits.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn each_account_keeps_its_own_notes_in_the_plugins_database_across_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let plugins = [
        crate::support::plugin("accounts"),
        crate::support::plugin("notes"),
    ];
    let flags = ["--admin", "127.0.0.1:0"];
    let serve = || Server::start(&plugins, &[], &flags, &[("GALE_DATA_DIR", data_dir)]);
    let server = serve();
    let mut ann = logged_in(&server, "ann");
    let mut bob = logged_in(&server, "bob");
    assert_eq!(
        Visitor::new(&server).get("/notes").status,
        302,
        "@authenticated"
    );
    let hostile = "<script>x</script>' OR '1'='1";
    assert_eq!(ann.post("/notes", &[("body", "buy milk")]).status, 302);
    assert_eq!(ann.post("/notes", &[("body", hostile)]).status, 302);
    assert_eq!(bob.post("/notes", &[("body", "call ann")]).status, 302);
    assert_eq!(
        ann.post("/notes", &[("body", "")]).status,
        400,
        "CHECK refuses it"
    );
    let page = ann.get("/notes").text();
    assert!(page.contains("buy milk"), "{page}");
    assert!(
        page.contains("&#60;script&#62;x&#60;/script&#62;&#39; OR &#39;1&#39;=&#39;1"),
        "{page}"
    );
    assert!(
        !page.contains("call ann"),
        "bob's note on ann's page: {page}"
    );
    assert_eq!(
        bob.post("/notes/1/delete", &[]).status,
        404,
        "ann's note is not bob's"
    );
    assert_eq!(bob.post("/notes/3/delete", &[]).status, 302);
    assert!(!bob.get("/notes").text().contains("call ann"));
    let file = data.path().join("plugins/notes/default.sqlite3");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let metrics = get(server.admin_addr(), "/metrics").text();
    let count = |outcome: &str| {
        let series = format!(
            "gale_db_queries_total{{plugin=\"notes\",database=\"default\",outcome=\"{outcome}\"}} "
        );
        let line = metrics.lines().find(|line| line.starts_with(&series));
        line.map_or(0.0, |line| line[series.len()..].parse::<f64>().unwrap())
    };
    // Three notes added, two pages read, two deletes tried (the table is a migration's).
    assert_eq!(count("ok"), 7.0, "{metrics}");
    assert_eq!(count("constraint"), 1.0, "the empty note: {metrics}");
    assert!(metrics.contains("gale_db_query_duration_seconds_count{plugin=\"notes\"}"));
    let open = (metrics.lines())
        .find_map(|line| line.strip_prefix("gale_db_connections{plugin=\"notes\"} "))
        .map(|value| value.parse::<f64>().unwrap());
    assert!(
        open.is_some_and(|open| (1.0..=8.0).contains(&open)),
        "{metrics}"
    );
    drop(server);
    let server = serve();
    let mut ann = Visitor::new(&server);
    assert_eq!(ann.login("ann", "correct horse battery").status, 302);
    let page = ann.get("/notes").text();
    assert!(
        page.contains("buy milk") && page.contains("&#60;script&#62;"),
        "{page}"
    );
}

#[test]
fn a_plugins_sql_cannot_reach_another_plugins_database_or_the_account_store() {
    let server = Server::with(&["accounts", "notes", "hostile"], &[]);
    let mut ann = logged_in(&server, "ann");
    assert_eq!(
        ann.post("/notes", &[("body", "a secret of ann")]).status,
        302
    );
    let data = server.data_dir();
    let notes = data.join("plugins/notes/default.sqlite3");
    let accounts = data.join("accounts.sqlite3");
    for file in [&notes, &accounts] {
        let path = file.to_str().unwrap();
        assert_refused(
            &server,
            &format!("ATTACH DATABASE '{path}' AS stolen"),
            "ATTACH",
        );
        let answer = sql(&server, "ATTACH DATABASE ? AS stolen", &[path]);
        assert_eq!(answer["error"], "refused", "{answer}");
        let uri = format!("ATTACH DATABASE 'file:{path}?mode=ro' AS stolen");
        assert_refused(&server, &uri, "ATTACH");
    }
    let copy = data.join("plugins/hostile/copy.sqlite3");
    let answer = sql(&server, &format!("VACUUM INTO '{}'", copy.display()), &[]);
    assert!(answer["error"].is_string(), "{answer}");
    assert!(!copy.exists(), "VACUUM INTO wrote a file");
    assert_refused(
        &server,
        "SELECT load_extension('libm.so.6')",
        "load_extension",
    );
    assert_refused(&server, "PRAGMA database_list", "PRAGMA database_list");
    assert_refused(
        &server,
        "PRAGMA writable_schema = ON",
        "PRAGMA writable_schema",
    );
    assert_refused(&server, "SELECT 1; DROP TABLE users", "one statement");
    assert_refused(&server, "BEGIN", "transaction");
    let own = sql(&server, "SELECT name FROM sqlite_schema", &[]);
    assert_eq!(
        own["rows"],
        serde_json::json!([]),
        "another plugin's tables: {own}"
    );
    let injected = sql(&server, "SELECT ?", &["x' OR '1'='1"]);
    assert_eq!(injected["rows"], serde_json::json!([["x' OR '1'='1"]]));
    let many = get(server.addr, "/sql/many").json();
    assert_eq!(many["ran"], 1000, "{many}");
    assert_eq!(many["error"], "refused");
    assert!(
        ann.get("/notes").text().contains("a secret of ann"),
        "notes serve on"
    );
}

#[test]
fn a_statement_that_outruns_its_handler_is_stopped_and_the_worker_serves_on() {
    let flags = ["--handler-timeout", "500ms", "--workers", "1"];
    let server = Server::with(&["hostile"], &flags);
    let forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                   SELECT count(*) FROM n";
    let started = std::time::Instant::now();
    let path = format!(
        "/sql?sql={}",
        utf8_percent_encode(forever, NON_ALPHANUMERIC)
    );
    let stopped = get(server.addr, &path);
    let text = stopped.text();
    assert!(
        stopped.status == 503 || text.contains("time limit"),
        "{text}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let own = sql(&server, "SELECT 40 + 2", &[]);
    assert_eq!(
        own["rows"],
        serde_json::json!([["42"]]),
        "its connection is free again"
    );
}

#[test]
fn python_code_written_for_sqlite3_answers_as_on_real_tornado() {
    use crate::support::{Tornado, root, send};
    let Some(gale) = Server::python("guestbook", &[]) else {
        return;
    };
    let Some(tornado) = Tornado::running(&root().join("plugins-py/guestbook/app.py")) else {
        return;
    };
    let request = |method: &str, path: &str, body: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\
             \r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let cases = [
        request(
            "POST",
            "/entries",
            "name=ann&message=hi+%E2%9C%93&stars=4.5&avatar=xy",
        ),
        request("POST", "/entries", "name=ann"),
        request("POST", "/entries", "name=%27+OR+%271%27%3D%271&stars=3"),
        request("GET", "/entries", ""),
        request("GET", "/entries?q=a%25", ""),
        request("POST", "/entries/batch", "names=b,c,d&undo=1"),
        request("POST", "/entries/batch", "names=b,c,d"),
        request("POST", "/entries/batch", "names=e,b"),
        request("POST", "/entries/uncommitted", ""),
        request("GET", "/entries", ""),
        request("GET", "/fetch", ""),
        request("GET", "/errors/syntax", ""),
        request("GET", "/errors/table", ""),
        request("GET", "/errors/bindings", ""),
        request("GET", "/errors/type", ""),
        request("GET", "/errors/closed", ""),
    ];
    for case in cases {
        let (ours, theirs) = (send(gale.addr, &case), send(tornado.addr, &case));
        let line = case.lines().next().unwrap();
        assert_eq!(ours.status, theirs.status, "{line}: {}", ours.text());
        assert_eq!(ours.text(), theirs.text(), "{line}");
    }
}

#[test]
fn a_version_whose_migration_fails_or_was_edited_is_refused_and_the_one_before_serves() {
    use gale_host::__private::migrations::{Migration, embed, embedded};
    let server = Server::with(&["accounts", "notes"], &[]);
    let mut ann = logged_in(&server, "ann");
    assert_eq!(ann.post("/notes", &[("body", "before")]).status, 302);
    let built = std::fs::read(crate::support::plugin("notes")).unwrap();
    let first = embedded(&built).unwrap();
    assert_eq!(
        first.len(),
        1,
        "gale build embedded migrations/0001_notes.sql"
    );
    let with = |extra: &[(&str, &str)], edit_first: bool| {
        let mut set = first.clone();
        if edit_first {
            set[0].sql.push_str("\n-- edited\n");
        }
        set.extend(extra.iter().map(|(name, sql)| Migration {
            name: (*name).into(),
            sql: (*sql).into(),
        }));
        let mut component = built.clone();
        embed(&mut component, &set);
        component
    };
    let failing = [(
        "0002_pinned.sql",
        "ALTER TABLE notes ADD pinned INTEGER;\n\nUPDATE nowhere SET x = 1;",
    )];
    crate::support::deploy(server.plugin_dir(), "notes.wasm", &with(&failing, false));
    let line = server.wait_for_log("0002_pinned.sql, line 3: no such table: nowhere");
    assert!(line.contains("refused"), "{line}");
    crate::support::deploy(server.plugin_dir(), "notes.wasm", &with(&[], true));
    server.wait_for_log("0001_notes.sql was applied with other contents");
    assert!(
        ann.get("/notes").text().contains("before"),
        "the version before serves"
    );
    let good = [("0002_pinned.sql", "ALTER TABLE notes ADD pinned INTEGER;")];
    crate::support::deploy(server.plugin_dir(), "notes.wasm", &with(&good, false));
    server.wait_for_log("applied 0002_pinned.sql to its database");
    assert!(ann.get("/notes").text().contains("before"));
    assert_eq!(ann.post("/notes", &[("body", "after")]).status, 302);
}
