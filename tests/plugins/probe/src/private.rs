//! `/private`: Tornado's `@authenticated` in a plugin whose settings have no `login_url`.

use gale_sdk::{PathArgs, Request, RequestHandler, Result};

/// `/private`: the signed-in account, for GET and POST.
#[derive(Default)]
pub struct Private;

impl RequestHandler for Private {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let Some(user) = req.authenticated()? else {
            return Ok(());
        };
        req.write(user.account);
        Ok(())
    }

    fn post(&mut self, req: &mut Request, args: PathArgs) -> Result {
        self.get(req, args)
    }
}
