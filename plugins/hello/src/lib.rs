//! The smallest gale plugin: `GET /` answers `Hello, world`.

use gale_sdk::{PathArgs, Request, RequestHandler, Result};

/// Answers the index page.
#[derive(Default)]
struct IndexHandler;

impl RequestHandler for IndexHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("Hello, world");
        Ok(())
    }
}

gale_sdk::routes![(r"/", IndexHandler)];
