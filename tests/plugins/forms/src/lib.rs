//! A plugin with `xsrf_cookies` on (every POST, PUT, PATCH and DELETE needs the token) and
//! a StaticFileHandler route of its own.

use gale_sdk::{PathArgs, Request, RequestHandler, Result, StaticFileHandler, json};

/// `/form`: GET renders a form with the token; POST and DELETE answer only with it.
#[derive(Default)]
struct Form;

impl RequestHandler for Form {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let field = req.xsrf_form_html();
        // Twice in one request: Tornado hands out the same token.
        let again = req.xsrf_token();
        req.write(json!({"field": field, "token": again}));
        Ok(())
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("accepted");
        Ok(())
    }

    fn delete(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("deleted");
        Ok(())
    }

    fn prepare(&mut self, req: &mut Request) -> Result {
        // The xsrf check runs before prepare: a refused request never gets here.
        gale_sdk::log::info(&format!("prepare {}", req.method()));
        Ok(())
    }
}

gale_sdk::routes![
    settings = json!({"xsrf_cookies": true});
    (r"/form", Form),
    (r"/assets/(.*)", StaticFileHandler, json!({"path": "assets"})),
];
