//! The glue between the exported `app` interface and the handlers of [`crate::routes!`].

use std::cell::RefCell;

use crate::bindings::exports::gale::web::app::{self, Builtin, SocketEvent, Stage};
use crate::bindings::gale::web::request as host_request;
use crate::{HttpError, PathArgs, Published, Request, RequestHandler, Value};

/// One entry of the route table, as written in [`crate::routes!`].
pub struct Entry {
    /// The Python-style regex.
    pub pattern: &'static str,
    /// What the route runs.
    pub target: Target,
    /// Builds the init arguments (a JSON object).
    pub init_args: fn() -> Value,
    /// The name `reverse_url` knows the route by.
    pub name: Option<&'static str>,
}

/// What a route runs: one of the plugin's handlers, or a host built-in.
pub enum Target {
    /// Makes a fresh handler for a request.
    Handler(fn() -> Box<dyn Lifecycle>),
    /// A handler the host provides.
    Builtin(Builtin),
}

/// A type that can stand in a route: any [`RequestHandler`] with `Default`, or a built-in.
pub trait Routable {
    /// How the route runs it.
    const TARGET: Target;
}

impl<H: RequestHandler + Default + 'static> Routable for H {
    const TARGET: Target = Target::Handler(|| Box::new(H::default()));
}

/// The stages of one handler object, independent of its concrete type.
pub trait Lifecycle {
    /// `set_default_headers`, `initialize`, `prepare` and the method.
    fn request(&mut self, req: &mut Request, init_args: &Value) -> crate::Result;
    /// `set_default_headers` on the cleared response, then `write_error`.
    fn error(&mut self, req: &mut Request, error: &HttpError) -> crate::Result;
    /// `on_finish`.
    fn finish(&mut self, req: &mut Request);
    /// `initialize`, then a WebSocket event's method.
    fn socket(&mut self, req: &mut Request, init_args: &Value, event: SocketEvent)
    -> crate::Result;
    /// `initialize`, then `on_messages` for a parked request.
    fn woken(
        &mut self,
        req: &mut Request,
        init_args: &Value,
        messages: Vec<Published>,
    ) -> crate::Result;
}

impl<H: RequestHandler> Lifecycle for H {
    fn request(&mut self, req: &mut Request, init_args: &Value) -> crate::Result {
        let method = req.method();
        if !matches!(
            method.as_str(),
            "GET" | "HEAD" | "POST" | "DELETE" | "PATCH" | "PUT" | "OPTIONS"
        ) {
            return Err(HttpError::new(405));
        }
        self.set_default_headers(req)?;
        self.initialize(init_args)?;
        let xsrf_cookies = settings()["xsrf_cookies"].as_bool().unwrap_or(false);
        if xsrf_cookies && !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
            req.check_xsrf_cookie()?;
        }
        self.prepare(req)?;
        if req.finished() {
            return Ok(());
        }
        let args = PathArgs {
            args: host_request::path_args(),
            kwargs: host_request::path_kwargs(),
        };
        match method.as_str() {
            "GET" => self.get(req, args),
            "HEAD" => self.head(req, args),
            "POST" => self.post(req, args),
            "DELETE" => self.delete(req, args),
            "PATCH" => self.patch(req, args),
            "PUT" => self.put(req, args),
            _ => self.options(req, args),
        }
    }

    fn error(&mut self, req: &mut Request, error: &HttpError) -> crate::Result {
        self.set_default_headers(req)?;
        let status = req.get_status();
        self.write_error(req, status, error)
    }

    fn finish(&mut self, req: &mut Request) {
        self.on_finish(req);
    }

    fn socket(
        &mut self,
        req: &mut Request,
        init_args: &Value,
        event: SocketEvent,
    ) -> crate::Result {
        self.initialize(init_args)?;
        self.socket_event(req, event)
    }

    fn woken(
        &mut self,
        req: &mut Request,
        init_args: &Value,
        messages: Vec<Published>,
    ) -> crate::Result {
        self.initialize(init_args)?;
        self.on_messages(req, messages)
    }
}

thread_local! {
    /// The handler of the request this instance serves (one at a time: an instance may serve several in turn under `--reuse-instances`).
    static CURRENT: RefCell<Option<Box<dyn Lifecycle>>> = const { RefCell::new(None) };
    /// The plugin's settings, set by `dispatch`.
    static SETTINGS: RefCell<Value> = const { RefCell::new(Value::Null) };
}

/// The plugin's settings (a JSON object; `{}` when it declares none).
pub fn settings() -> Value {
    SETTINGS.with(|settings| settings.borrow().clone())
}

/// The `routes` export: the table as the host reads it.
pub fn describe(entries: &[Entry]) -> Vec<app::Route> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| app::Route {
            pattern: entry.pattern.to_owned(),
            target: match entry.target {
                Target::Handler(_) => app::Target::Handler(index as u32),
                Target::Builtin(builtin) => app::Target::Builtin(builtin),
            },
            init_args: (entry.init_args)().to_string(),
            name: entry.name.map(str::to_owned),
        })
        .collect()
}

/// The `dispatch` export: runs one stage of the current request's handler.
pub fn dispatch(
    entries: &[Entry],
    settings: fn() -> Value,
    stage: Stage,
) -> Result<(), app::HttpError> {
    SETTINGS.with(|current| {
        if current.borrow().is_null() {
            *current.borrow_mut() = settings();
        }
    });
    let mut req = Request::new();
    let result = match stage {
        Stage::Request(index) => fresh(entries, index, |handler, args| {
            handler.request(&mut req, args)
        })?,
        Stage::Socket((index, event)) => fresh(entries, index, |handler, args| {
            handler.socket(&mut req, args, event)
        })?,
        Stage::Woken((index, messages)) => fresh(entries, index, |handler, args| {
            handler.woken(&mut req, args, messages)
        })?,
        Stage::Error(error) => {
            let error = HttpError {
                status: error.status,
                reason: error.reason,
                message: error.message,
            };
            with_current(|handler| handler.error(&mut req, &error))
        }
        Stage::Finish => with_current(|handler| {
            handler.finish(&mut req);
            Ok(())
        }),
    };
    result.map_err(Into::into)
}

/// Runs `stage` on a fresh handler of route `index` with the route's init args, then keeps
/// the handler as the current one (for `error` and `finish`). The outer error is a stage
/// for a route the plugin has no handler for: the host's mistake.
fn fresh(
    entries: &[Entry],
    index: u32,
    stage: impl FnOnce(&mut dyn Lifecycle, &Value) -> crate::Result,
) -> Result<crate::Result, HttpError> {
    let entry = entries
        .get(index as usize)
        .ok_or_else(|| HttpError::new(500).with_message(format!("no handler {index}")))?;
    let Target::Handler(make) = entry.target else {
        return Err(HttpError::new(500).with_message(format!("route {index} is a host built-in")));
    };
    let mut handler = make();
    let result = stage(&mut *handler, &(entry.init_args)());
    CURRENT.with(|current| *current.borrow_mut() = Some(handler));
    Ok(result)
}

/// Runs `stage` on the current handler; a stage before `request` is the host's mistake.
fn with_current(stage: impl FnOnce(&mut dyn Lifecycle) -> crate::Result) -> crate::Result {
    CURRENT.with(|current| match current.borrow_mut().as_deref_mut() {
        Some(handler) => stage(handler),
        None => Err(HttpError::new(500).with_message("no request is being handled")),
    })
}

impl From<HttpError> for app::HttpError {
    fn from(error: HttpError) -> Self {
        Self {
            status: error.status,
            reason: error.reason,
            message: error.message,
        }
    }
}
