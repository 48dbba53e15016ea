//! bench/views.py's page in Rust, as `bench/views-py/app.py` writes it in Python: a template
//! extending a base, a 100-row table of escaped user text.

use gale_sdk::{PathArgs, Request, RequestHandler, Result, Template};

/// One row of the table.
struct Row {
    id: usize,
    name: String,
    note: String,
}

/// The page.
#[derive(Template)]
#[template(path = "table.html")]
struct Table<'a> {
    title: &'a str,
    rows: &'a [Row],
}

/// `/table`: the page, its rows made per request as the Python handler's are made once.
#[derive(Default)]
struct TableHandler;

impl RequestHandler for TableHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let rows: Vec<Row> = (0..100)
            .map(|id| Row {
                id,
                name: format!("<b>O'Brien & co #{id}</b>"),
                note: format!("café \"quoted\" {id}"),
            })
            .collect();
        req.render(&Table {
            title: "A table & its <rows>",
            rows: &rows,
        })
    }
}

gale_sdk::routes![(r"/table", TableHandler)];
