//! A plugin with `xsrf_cookies` on (every POST, PUT, PATCH and DELETE needs the token), a
//! StaticFileHandler route of its own (over `site-assets/` beside it), and pages from templates.

use gale_sdk::{
    Namespace, PathArgs, Request, RequestHandler, Result, StaticFileHandler, Template, json,
};

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

/// The page `/page` renders: the `who` argument, escaped, and Tornado's namespace.
#[derive(Template)]
#[template(path = "page.html")]
struct Page {
    who: String,
    items: [&'static str; 3],
    ns: Namespace,
}

/// A template naming a route that does not exist.
#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<a href="{{ ns.reverse_url("nowhere", [])? }}">x</a>"#
)]
struct Broken {
    ns: Namespace,
}

/// `/page`: the page; `/page/broken`: a template that fails, so a 500.
#[derive(Default)]
struct PageHandler;

impl RequestHandler for PageHandler {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let ns = req.namespace();
        if args.get(0) == Some("/broken") {
            return req.render(&Broken { ns });
        }
        let who = req.get_argument_or("who", "nobody")?;
        let items = ["<one>", "two & three", "'four'"];
        req.render(&Page { who, items, ns })
    }
}

gale_sdk::routes![
    settings = json!({"xsrf_cookies": true});
    url(r"/form", Form, name = "form"),
    (r"/page(/broken)?", PageHandler),
    (r"/assets/(.*)", StaticFileHandler, json!({"path": "site-assets"})),
];
