//! The end-to-end tests' probe: each route exposes one edge of the handler API so that a
//! test can observe it over HTTP. Not an example; the examples are under `plugins/`.

mod finish;
mod output;
mod private;
mod socket;
mod state;

use gale_sdk::{
    ArgSource, HttpError, PathArgs, RedirectHandler, Request, RequestHandler, Result, Value, json,
};

/// `/echo/...`: the positional captures as JSON.
#[derive(Default)]
struct Echo;

impl RequestHandler for Echo {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        req.write(json!({"args": args.args, "kwargs": args.kwargs}));
        Ok(())
    }
}

/// `/arguments`: every argument getter, as JSON.
#[derive(Default)]
struct Args;

impl RequestHandler for Args {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let facts = json!({
            "a": req.get_argument_or("a", "default")?,
            "all_a": req.get_arguments("a")?,
            "query_a": req.get_query_arguments("a")?,
            "unstripped_a": req.arguments_with(ArgSource::All, "a", false)?,
            "query": req.query_arguments(),
        });
        req.write(facts);
        Ok(())
    }

    fn post(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let body = json!({"body_a": req.get_body_arguments("a")?, "a": req.get_argument("a")?});
        req.write(body);
        self.get(req, args).map(|_| ())
    }
}

/// `/status?code=N&reason=R`: `set_status` as asked.
#[derive(Default)]
struct Status;

impl RequestHandler for Status {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let code: u16 = req.get_argument("code")?.parse()?;
        match req.get_argument_or("reason", "")?.as_str() {
            "" => req.set_status(code)?,
            reason => req.set_status_reason(code, reason)?,
        }
        req.write(format!("status {}", req.get_status()));
        Ok(())
    }
}

/// `/header?value=V`: `set_header("X-Probe", V)` (unstripped, so control characters arrive).
#[derive(Default)]
struct Header;

impl RequestHandler for Header {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = req.argument(ArgSource::Query, "value", None, false)?;
        req.set_header("X-Probe", value)?;
        req.write("header set");
        Ok(())
    }
}

/// `/error/N?reason=R`: returns `HttpError(N, reason=R)`; the default `write_error` renders it.
#[derive(Default)]
struct Error;

impl RequestHandler for Error {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        req.write("this is cleared by the error");
        let mut error =
            HttpError::new(args[0].parse()?).with_message("the probe was asked to fail");
        if let Some(reason) = req.get_arguments("reason")?.pop() {
            error = error.with_reason(reason);
        }
        Err(error)
    }
}

/// `/stages`: every stage appends its name to the `X-Stages` header.
#[derive(Default)]
struct Stages;

impl RequestHandler for Stages {
    fn set_default_headers(&mut self, req: &mut Request) -> Result {
        req.add_header("X-Stages", "set_default_headers")
    }

    fn initialize(&mut self, args: &Value) -> Result {
        assert_eq!(
            args["marker"], "init",
            "initialize receives the route's init args"
        );
        Ok(())
    }

    fn prepare(&mut self, req: &mut Request) -> Result {
        req.add_header("X-Stages", "prepare")?;
        if req.get_argument_or("finish_in_prepare", "")? == "1" {
            req.finish_with("finished in prepare");
        }
        Ok(())
    }

    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.add_header("X-Stages", "get")?;
        if req.get_argument_or("fail", "")? == "1" {
            return Err(HttpError::new(418));
        }
        req.write("method ran");
        Ok(())
    }

    fn write_error(&mut self, req: &mut Request, status: u16, _error: &HttpError) -> Result {
        req.add_header("X-Stages", "write_error")?;
        req.finish_with(format!("write_error {status}"));
        Ok(())
    }
}

/// `/panic`: a handler that panics.
#[derive(Default)]
struct Panic;

impl RequestHandler for Panic {
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        panic!("the probe panics on purpose");
    }
}

/// `/spin`: a handler that never returns.
#[derive(Default)]
struct Spin;

impl RequestHandler for Spin {
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        gale_sdk::log::info("spin started");
        spin_forever()
    }
}

/// Computes forever; only the host's time limit ends it.
fn spin_forever() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// `/busy?ms=N`: computes for N milliseconds (yielding the loop at every epoch), then answers.
#[derive(Default)]
struct Busy;

impl RequestHandler for Busy {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let ms: u64 = req.get_argument("ms")?.parse()?;
        gale_sdk::log::info("busy started");
        spin_for(ms);
        req.write(format!("busy for {ms} ms"));
        Ok(())
    }
}

/// Keeps the CPU busy for `ms` milliseconds.
fn spin_for(ms: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Which build of the probe answers `/version`. The hot-swap tests make a second version by
/// rewriting these bytes in the component, so the text must appear in it exactly once.
static VERSION: &str = "probe-version:original";

/// `/version`: [`VERSION`]; `?ms=N` spins N ms first (logging "version busy started"),
/// `?kib=N` repeats it, a line at a time, to about N KiB.
#[derive(Default)]
struct Version;

impl RequestHandler for Version {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let ms: u64 = req.get_argument_or("ms", "0")?.parse()?;
        let kib: usize = req.get_argument_or("kib", "0")?.parse()?;
        if ms > 0 {
            gale_sdk::log::info("version busy started");
            spin_for(ms);
        }
        let line = format!("{VERSION}\n");
        match kib {
            0 => req.write(VERSION),
            _ => req.write(line.repeat((kib * 1024).div_ceil(line.len()))),
        }
        Ok(())
    }
}

/// `/client`: `remote_ip protocol`, as `--xheaders` decides them.
#[derive(Default)]
struct Client;

impl RequestHandler for Client {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let client = format!("{} {}", req.remote_ip(), req.protocol());
        req.write(client);
        Ok(())
    }
}

/// `/fresh`: increments a static and writes it: always 1, since every request gets a
/// fresh instance whose memory starts from the component's image.
#[derive(Default)]
struct Fresh;

static REQUESTS_SEEN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl RequestHandler for Fresh {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let seen = REQUESTS_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        req.write(seen.to_string());
        Ok(())
    }
}

/// `/facts`: every request property Tornado's `HTTPServerRequest` has, as JSON.
#[derive(Default)]
struct Facts;

impl Facts {
    fn report(req: &mut Request) -> Result {
        let headers: Vec<Value> = req
            .headers()
            .into_iter()
            .map(|(name, value)| json!([name, value]))
            .collect();
        let facts = json!({
            "method": req.method(),
            "uri": req.uri(),
            "path": req.path(),
            "query": req.query(),
            "version": req.version(),
            "host": req.host(),
            "protocol": req.protocol(),
            "body": String::from_utf8_lossy(&req.body()),
            "headers": headers,
            "x_multi": req.header("x-multi"),
        });
        req.write(facts);
        Ok(())
    }
}

impl RequestHandler for Facts {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::report(req)
    }

    fn put(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::report(req)
    }
}

/// `/time/...`: overlaps the tutorial's `/time/(\d+)/(\d+)/(\d+)` without being identical, so
/// which answers shows the route order across plugins.
#[derive(Default)]
struct Time;

impl RequestHandler for Time {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("probe");
        Ok(())
    }
}

/// `/slow-finish`: answers at once; its `on_finish` never returns, which delays nothing
/// only if `on_finish` runs after the response has been sent.
#[derive(Default)]
struct SlowFinish;

impl RequestHandler for SlowFinish {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("sent before on_finish");
        Ok(())
    }

    fn on_finish(&mut self, _req: &mut Request) {
        spin_forever()
    }
}

/// `/write-after-finish`: Tornado raises on a write after `finish`; gale traps the handler
/// but the finished response stands.
#[derive(Default)]
struct WriteAfterFinish;

impl RequestHandler for WriteAfterFinish {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.finish_with("finished");
        req.write("too late");
        Ok(())
    }
}

/// `/reverse/NAME?arg=..`: `reverse_url(NAME, args)`.
#[derive(Default)]
struct Reverse;

impl RequestHandler for Reverse {
    fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        let values = req.get_arguments("arg")?;
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let url = req.reverse_url(&args[0], &values)?;
        req.write(url);
        Ok(())
    }
}

gale_sdk::routes![
    url(r"/echo/([^/]*)/(.*)", Echo, name = "echo"),
    url(
        r"/kw/(?P<first>[^/]*)(?:/(?P<second>.*))?",
        Echo,
        name = "kw"
    ),
    (r"/arguments", Args),
    (r"/status", Status),
    (r"/header", Header),
    (r"/error/(\d+)", Error),
    (r"/stages", Stages, json!({"marker": "init"})),
    (r"/panic", Panic),
    (r"/spin", Spin),
    (r"/busy", Busy),
    (
        r"/go/(.*)",
        RedirectHandler,
        json!({"url": "/{0}/b", "permanent": false})
    ),
    (r"/slow-finish", SlowFinish),
    (r"/write-after-finish", WriteAfterFinish),
    (r"/reverse/(\w+)", Reverse),
    (r"/version", Version),
    (r"/client", Client),
    (r"/facts", Facts),
    (r"/fresh", Fresh),
    (r"/time/.*", Time),
    (r"/cookie/full", output::FullCookie),
    (r"/cookie/bad", output::BadCookie),
    (r"/cookie/clear", output::ClearCookies),
    (r"/cookie/read", output::ReadCookies),
    (r"/signed/get", output::SignedGet),
    (r"/clear", output::Clear),
    (r"/flush/fail", output::FlushThenFail),
    (r"/flush/head", output::FlushHead),
    (r"/static-url", output::StaticUrl),
    (r"/finish/super", finish::CallsSuper),
    (r"/finish/base", finish::InheritsIt),
    (r"/private", private::Private),
    (r"/state", state::State),
    (r"/ws/echo(?:/(\w+))?", socket::Echo),
    (r"/ws/guarded", socket::Guarded),
    (r"/topic/(publish|history|events|poll)", socket::Topic),
];
