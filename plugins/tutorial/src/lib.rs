//! The tutorial app: the course notes gale grew from, one handler per lesson. The routes and
//! the answers are those of TORNADO.md, so a client can check them.

use gale_sdk::{
    BaseHandler, HttpError, PathArgs, RedirectHandler, Request, RequestHandler, Result, Value, json,
};

/// `/`: the first lesson.
#[derive(Default)]
struct IndexHandler;

impl RequestHandler for IndexHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("hello world");
        Ok(())
    }
}

/// `/time/Y/M/D`: positional captures.
#[derive(Default)]
struct TimeHandler;

impl RequestHandler for TimeHandler {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        req.write(format!("{}-{}-{}", &args[0], &args[1], &args[2]));
        Ok(())
    }
}

/// `/date/M/Y/D`: named captures, which arrive by name.
#[derive(Default)]
struct DateHandler;

impl RequestHandler for DateHandler {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        req.write(format!(
            "{}-{}-{}",
            &args["year"], &args["month"], &args["day"]
        ));
        Ok(())
    }
}

/// `/greet`: an argument from the query or the body; missing is 400.
#[derive(Default)]
struct GreetHandler;

impl GreetHandler {
    fn greet(req: &mut Request) -> Result {
        let name = req.get_argument("name")?;
        req.write(format!("hello {name}"));
        Ok(())
    }
}

impl RequestHandler for GreetHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::greet(req)
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::greet(req)
    }
}

/// `/request`: facts about the request, as JSON.
#[derive(Default)]
struct RequestInfoHandler;

impl RequestHandler for RequestInfoHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let facts = json!({
            "method": req.method(),
            "path": req.path(),
            "query": req.query(),
            "user_agent": req.header("User-Agent"),
            "remote_ip": req.remote_ip(),
        });
        req.write(facts);
        Ok(())
    }
}

/// `/redirect/custom`: a redirect written by hand, with a custom reason phrase.
#[derive(Default)]
struct CustomRedirectHandler;

impl RequestHandler for CustomRedirectHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.set_status_reason(302, "FOUND")?;
        req.add_header("Location", "/")
    }
}

/// `/redirect/temporary` and `/redirect/permanent`: `redirect`, permanent or not, per the
/// route's init args.
#[derive(Default)]
struct RedirectToIndexHandler {
    permanent: bool,
}

impl RequestHandler for RedirectToIndexHandler {
    fn initialize(&mut self, args: &Value) -> Result {
        self.permanent = args["permanent"].as_bool().unwrap_or(false);
        Ok(())
    }

    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.redirect_with("/", self.permanent, None)
    }
}

/// `/lifecycle`: every stage leaves a mark.
#[derive(Default)]
struct LifecycleHandler {
    greeting: String,
}

impl RequestHandler for LifecycleHandler {
    fn initialize(&mut self, args: &Value) -> Result {
        self.greeting = args["greeting"].as_str().unwrap_or_default().to_owned();
        Ok(())
    }

    fn prepare(&mut self, req: &mut Request) -> Result {
        req.set_header("X-Prepared", 1)
    }

    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write(&self.greeting);
        Ok(())
    }

    fn on_finish(&mut self, req: &mut Request) {
        gale_sdk::log::info(&format!(
            "on_finish: {} {} finished",
            req.method(),
            req.path()
        ));
    }
}

/// The tutorial's base handler: an `X-App` header on every response and errors as JSON.
struct TutorialBase;

impl BaseHandler for TutorialBase {
    fn set_default_headers(&self, req: &mut Request) -> Result {
        req.set_header("X-App", "tutorial")
    }

    fn write_error(&self, req: &mut Request, status: u16, _error: &HttpError) -> Result {
        let reason = req.reason();
        req.finish_with(json!({"status": status, "reason": reason}));
        Ok(())
    }
}

/// `/boom`: an error, rendered by the base handler's `write_error`.
#[derive(Default)]
struct BoomHandler;

impl RequestHandler for BoomHandler {
    const BASE: &'static dyn BaseHandler = &TutorialBase;

    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(500).with_message("boom, as the lesson on errors asks"))
    }
}

/// `/reverse`: a URL built from a route name.
#[derive(Default)]
struct ReverseHandler;

impl RequestHandler for ReverseHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = req.reverse_url("time", &["2026", "11", "27"])?;
        req.write(url);
        Ok(())
    }
}

gale_sdk::routes![
    (r"/", IndexHandler),
    url(r"/time/(\d+)/(\d+)/(\d+)", TimeHandler, name = "time"),
    url(
        r"/date/(?P<month>\d+)/(?P<year>\d+)/(?P<day>\d+)",
        DateHandler,
        name = "date"
    ),
    (r"/greet", GreetHandler),
    (r"/request", RequestInfoHandler),
    (r"/redirect/custom", CustomRedirectHandler),
    (r"/redirect/temporary", RedirectToIndexHandler),
    (
        r"/redirect/permanent",
        RedirectToIndexHandler,
        json!({"permanent": true})
    ),
    (r"/hello", RedirectHandler, json!({"url": "/"})),
    (r"/lifecycle", LifecycleHandler, json!({"greeting": "hi"})),
    (r"/boom", BoomHandler),
    (r"/reverse", ReverseHandler),
];
