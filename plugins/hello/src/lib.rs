//! The smallest gale plugin: `GET /hello/world` answers `Hello, world`. (The tutorial owns `/`:
//! two plugins may not claim the same pattern.)

use gale_sdk::{PathArgs, Request, RequestHandler, Result};

/// Greets the world.
#[derive(Default)]
struct HelloHandler;

impl RequestHandler for HelloHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("Hello, world");
        Ok(())
    }
}

gale_sdk::routes![(r"/hello/world", HelloHandler)];
