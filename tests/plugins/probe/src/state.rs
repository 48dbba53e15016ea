//! `/state`: the per-request state the host keeps for a handler, as this request finds it;
//! with `?set=1` the handler also changes every piece of it (status, a header, a cookie,
//! the xsrf token, the session's user looked up). Under `--reuse-instances` the next request
//! on the same instance must find none of it.

use std::sync::atomic::{AtomicU32, Ordering};

use gale_sdk::{PathArgs, Request, RequestHandler, Result};

/// Requests this instance has served: 2 on the second proves the instance was reused.
static SERVED: AtomicU32 = AtomicU32::new(0);

/// `/state`.
#[derive(Default)]
pub struct State;

impl RequestHandler for State {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let served = SERVED.fetch_add(1, Ordering::Relaxed) + 1;
        let status = req.get_status();
        let user = req.current_user()?.map(|user| user.account);
        if req.get_query_argument_or("set", "")? == "1" {
            req.set_status_reason(299, "Leaky")?;
            req.set_header("X-Leak", "1")?;
            req.set_cookie("leak", "1")?;
        }
        let xsrf = req.xsrf_token();
        req.write(format!(
            "served={served} status={status} user={user:?} xsrf={}",
            xsrf.len()
        ));
        Ok(())
    }
}
