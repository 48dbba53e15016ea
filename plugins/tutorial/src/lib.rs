//! The tutorial app: the course notes gale grew from, one handler per lesson. The routes and
//! the answers are exact (the project's behaviour contract lists them), so a client can check them.

use std::time::{Duration, SystemTime};

use gale_sdk::{
    BaseHandler, CookieOptions, HttpError, PathArgs, RedirectHandler, Request, RequestHandler,
    Result, Value, json,
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

/// `/args`: every argument source, each name with all its values.
#[derive(Default)]
struct ArgsHandler;

impl ArgsHandler {
    fn report(req: &mut Request) -> Result {
        let dict = |pairs: Vec<(String, Vec<String>)>| -> Value {
            pairs
                .into_iter()
                .map(|(name, values)| (name, json!(values)))
                .collect::<gale_sdk::serde_json::Map<_, _>>()
                .into()
        };
        let report = json!({
            "query": dict(req.query_arguments()),
            "body": dict(req.body_arguments()),
            "arguments": dict(req.arguments()),
        });
        req.write(report);
        Ok(())
    }
}

impl RequestHandler for ArgsHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::report(req)
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::report(req)
    }
}

/// `/upload`: what arrived in `request.files`, without the bytes.
#[derive(Default)]
struct UploadHandler;

impl RequestHandler for UploadHandler {
    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let report: gale_sdk::serde_json::Map<String, Value> = req
            .files()
            .into_iter()
            .map(|(field, files)| {
                let files: Vec<Value> = files
                    .iter()
                    .map(|file| {
                        json!({
                            "filename": file.filename,
                            "content_type": file.content_type,
                            "size": file.body.len(),
                        })
                    })
                    .collect();
                (field, json!(files))
            })
            .collect();
        req.write(Value::Object(report));
        Ok(())
    }
}

/// `/cookie/set`: a session-like cookie that expires in 30 minutes.
#[derive(Default)]
struct CookieSetHandler;

impl RequestHandler for CookieSetHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let mut id = [0u8; 16];
        random_uuid4(&mut id);
        let value: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let options = CookieOptions {
            expires: Some(SystemTime::now() + Duration::from_secs(30 * 60)),
            ..CookieOptions::default()
        };
        req.set_cookie_with("sessionid", &value, &options)?;
        req.write(value);
        Ok(())
    }
}

/// 16 random bytes as a uuid4 would have them (the version and variant bits set).
fn random_uuid4(bytes: &mut [u8; 16]) {
    // std seeds its hashers from WASI's random source: no extra dependency.
    use std::hash::{BuildHasher, Hasher};
    for chunk in bytes.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes()[..chunk.len()]);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
}

/// `/cookie/get`: the cookie `/cookie/set` made, or `none`.
#[derive(Default)]
struct CookieGetHandler;

impl RequestHandler for CookieGetHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = req.get_cookie_or("sessionid", "none");
        req.write(value);
        Ok(())
    }
}

/// `/cookie/signed/set?value=V`: a cookie signed by the host.
#[derive(Default)]
struct SignedSetHandler;

impl RequestHandler for SignedSetHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = req.get_argument("value")?;
        req.set_signed_cookie("signed", &value)?;
        req.write(value);
        Ok(())
    }
}

/// `/cookie/signed/get`: the signed cookie's value, or `none` when absent or invalid.
#[derive(Default)]
struct SignedGetHandler;

impl RequestHandler for SignedGetHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = req
            .get_signed_cookie("signed")
            .unwrap_or_else(|| "none".into());
        req.write(value);
        Ok(())
    }
}

/// `/big?size=N`: N bytes of `x` in 64 KiB chunks, each flushed, so the response is never
/// held whole.
#[derive(Default)]
struct BigHandler;

impl RequestHandler for BigHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        const CHUNK: usize = 64 * 1024;
        let size: u64 = req
            .get_argument_or("size", "1048576")?
            .parse()
            .map_err(|_| HttpError::new(400).with_message("size must be a whole number"))?;
        let chunk = vec![b'x'; CHUNK];
        let mut left = size;
        while left > 0 {
            let now = left.min(CHUNK as u64) as usize;
            req.write(&chunk[..now]);
            req.flush();
            left -= now as u64;
        }
        Ok(())
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
    (r"/args", ArgsHandler),
    (r"/upload", UploadHandler),
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
    (r"/cookie/set", CookieSetHandler),
    (r"/cookie/get", CookieGetHandler),
    (r"/cookie/signed/set", SignedSetHandler),
    (r"/cookie/signed/get", SignedGetHandler),
    (r"/big", BigHandler),
];
