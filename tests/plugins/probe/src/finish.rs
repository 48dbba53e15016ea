//! Routes for the `finish` stage: handlers whose `on_finish` must run after every request,
//! though it calls or is the base's (the host skips the stage only for the SDK's default).

use gale_sdk::{BaseHandler, PathArgs, Request, RequestHandler, Result};

/// `/finish/super?n=K`: its `on_finish` logs "handler on_finish K", then calls its base's
/// (the default), as Python's `super().on_finish()`.
#[derive(Default)]
pub struct CallsSuper;

impl RequestHandler for CallsSuper {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("answered");
        Ok(())
    }

    fn on_finish(&mut self, req: &mut Request) {
        log_finish(req, "handler");
        Self::BASE.on_finish(req)
    }
}

/// A base handler with an `on_finish` of its own, logging "base on_finish K".
pub struct Audited;

impl BaseHandler for Audited {
    fn on_finish(&self, req: &mut Request) {
        log_finish(req, "base");
    }
}

/// `/finish/base?n=K`: inherits [`Audited`]'s `on_finish`.
#[derive(Default)]
pub struct InheritsIt;

impl RequestHandler for InheritsIt {
    const BASE: &'static dyn BaseHandler = &Audited;

    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("answered");
        Ok(())
    }
}

fn log_finish(req: &mut Request, whose: &str) {
    let n = req.get_argument("n").unwrap_or_default();
    gale_sdk::log::info(&format!("{whose} on_finish {n}"));
}
