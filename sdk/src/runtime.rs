//! The glue between the exported `app` interface and the handlers of [`crate::routes!`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;
use std::task::Poll;

use crate::bindings::exports::gale::web::app::{self, Builtin, SocketEvent, Stage};
use crate::bindings::gale::web::request as host_request;
use crate::coroutine::Task;
use crate::{AsyncRequestHandler, HttpError, PathArgs, Published, Request, RequestHandler, Value};

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

/// A request's handler: the stage running its coroutine holds it, and the stages after
/// (`write_error`, `on_finish`, `on_connection_close`) reach it once that is done.
pub type Held = Rc<RefCell<dyn Lifecycle>>;

/// What a route runs: one of the plugin's handlers, or a host built-in.
pub enum Target {
    /// Makes a fresh handler for a request; its methods run to their end at once.
    Handler(fn() -> Held),
    /// Makes a fresh coroutine handler and its request's lifecycle, to be polled.
    Coroutine(fn(Value) -> (Held, Task<crate::Result>)),
    /// A handler the host provides.
    Builtin(Builtin),
}

/// A type that can stand in a route: any [`RequestHandler`] with `Default`, or a built-in.
pub trait Routable {
    /// How the route runs it.
    const TARGET: Target;
}

impl<H: RequestHandler + Default + 'static> Routable for H {
    const TARGET: Target = Target::Handler(|| Rc::new(RefCell::new(H::default())));
}

/// An [`AsyncRequestHandler`] in a route (`async Handler` in [`crate::routes!`]).
pub struct Coroutine<H>(PhantomData<H>);

impl<H: AsyncRequestHandler + Default + 'static> Routable for Coroutine<H> {
    const TARGET: Target = Target::Coroutine(start::<H>);
}

/// A fresh `H` and its request's lifecycle, which holds it until it settles.
// The coroutine borrows the handler across its awaits on purpose: the stages after it
// (`write_error`, `on_finish`, `on_connection_close`) borrow it only once the coroutine is
// done or dropped, and a plugin has one thread.
#[allow(clippy::await_holding_refcell_ref)]
fn start<H: AsyncRequestHandler + Default + 'static>(
    init_args: Value,
) -> (Held, Task<crate::Result>) {
    let handler = Rc::new(RefCell::new(H::default()));
    let running = handler.clone();
    let task = Box::pin(async move {
        let mut handler = running.borrow_mut();
        let mut req = Request::new();
        let method = begin(&mut *handler, &mut req, &init_args)?;
        AsyncRequestHandler::prepare(&mut *handler, &mut req).await?;
        if req.finished() {
            return Ok(());
        }
        let (handler, args) = (&mut *handler, path_args());
        match method.as_str() {
            "GET" => AsyncRequestHandler::get(handler, &mut req, args).await,
            "HEAD" => AsyncRequestHandler::head(handler, &mut req, args).await,
            "POST" => AsyncRequestHandler::post(handler, &mut req, args).await,
            "DELETE" => AsyncRequestHandler::delete(handler, &mut req, args).await,
            "PATCH" => AsyncRequestHandler::patch(handler, &mut req, args).await,
            "PUT" => AsyncRequestHandler::put(handler, &mut req, args).await,
            _ => AsyncRequestHandler::options(handler, &mut req, args).await,
        }
    });
    (handler, task)
}

/// Tornado's `_execute` up to `prepare`: the method check, `set_default_headers`,
/// `initialize`, the xsrf check. The method to run.
fn begin<H: RequestHandler + ?Sized>(
    handler: &mut H,
    req: &mut Request,
    init_args: &Value,
) -> crate::Result<String> {
    let method = req.method();
    if !matches!(
        method.as_str(),
        "GET" | "HEAD" | "POST" | "DELETE" | "PATCH" | "PUT" | "OPTIONS"
    ) {
        return Err(HttpError::new(405));
    }
    handler.set_default_headers(req)?;
    handler.initialize(init_args)?;
    let xsrf_cookies = settings()["xsrf_cookies"].as_bool().unwrap_or(false);
    if xsrf_cookies && !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        req.check_xsrf_cookie()?;
    }
    Ok(method)
}

/// The request's path arguments.
fn path_args() -> PathArgs {
    PathArgs {
        args: host_request::path_args(),
        kwargs: host_request::path_kwargs(),
    }
}

/// The stages of one handler object, independent of its concrete type.
pub trait Lifecycle {
    /// `set_default_headers`, `initialize`, `prepare` and the method.
    fn request(&mut self, req: &mut Request, init_args: &Value) -> crate::Result;
    /// `set_default_headers` on the cleared response, then `write_error`.
    fn error(&mut self, req: &mut Request, error: &HttpError) -> crate::Result;
    /// `on_finish`.
    fn finish(&mut self, req: &mut Request);
    /// `on_connection_close`.
    fn connection_closed(&mut self, req: &mut Request);
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
        let method = begin(self, req, init_args)?;
        self.prepare(req)?;
        if req.finished() {
            return Ok(());
        }
        let args = path_args();
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

    fn connection_closed(&mut self, req: &mut Request) {
        self.on_connection_close(req);
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
    /// The requests this instance holds, by id: one at a time in a fresh or reused
    /// instance, any number in a shared one.
    static LIVE: RefCell<HashMap<u64, Live>> = RefCell::new(HashMap::new());
    /// The plugin's settings, set by `dispatch`.
    static SETTINGS: RefCell<Value> = const { RefCell::new(Value::Null) };
    /// Set when the running stage parked its request (`wait_for_messages`).
    static PARKED: Cell<bool> = const { Cell::new(false) };
}

/// A request the instance holds: its handler, and its coroutine while that waits.
struct Live {
    handler: Held,
    task: Option<Task<crate::Result>>,
}

/// The plugin's settings (a JSON object; `{}` when it declares none).
pub fn settings() -> Value {
    SETTINGS.with(|settings| settings.borrow().clone())
}

/// Notes that the running stage parked its request: its handler is not kept.
pub(crate) fn note_parked() {
    PARKED.with(|parked| parked.set(true));
}

/// The `routes` export: the table as the host reads it.
pub fn describe(entries: &[Entry]) -> Vec<app::Route> {
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| app::Route {
            pattern: entry.pattern.to_owned(),
            target: match entry.target {
                Target::Handler(_) | Target::Coroutine(_) => app::Target::Handler(index as u32),
                Target::Builtin(builtin) => app::Target::Builtin(builtin),
            },
            init_args: (entry.init_args)().to_string(),
            name: entry.name.map(str::to_owned),
        })
        .collect()
}

/// The `instances` export: fresh instances, unless the settings say `"instances":
/// "shared"` (then one instance per worker serves every request, statics shared).
pub fn instances(settings: fn() -> Value) -> app::InstanceMode {
    match settings()["instances"].as_str() {
        Some("shared") => app::InstanceMode::Shared,
        _ => app::InstanceMode::Fresh,
    }
}

/// Where a stage left its request.
fn progress(waiting: bool) -> app::Progress {
    match waiting {
        true => app::Progress::Waiting,
        false => app::Progress::Done,
    }
}

/// The `dispatch` export: runs one stage of request `request`'s handler.
pub fn dispatch(
    entries: &[Entry],
    settings: fn() -> Value,
    request: u64,
    stage: Stage,
) -> Result<app::Progress, app::HttpError> {
    SETTINGS.with(|current| {
        if current.borrow().is_null() {
            *current.borrow_mut() = settings();
        }
    });
    PARKED.with(|parked| parked.set(false));
    let mut req = Request::new();
    let outcome = match stage {
        Stage::Request(index) => match &route(entries, index)?.target {
            Target::Coroutine(start) => {
                let (handler, task) = start((route(entries, index)?.init_args)());
                return run(request, handler, task, Vec::new());
            }
            _ => fresh(entries, index, request, |handler, args| {
                handler.request(&mut req, args)
            })?,
        },
        Stage::Resume(done) => {
            let live = LIVE.with(|live| live.borrow_mut().remove(&request));
            let Some(Live {
                handler,
                task: Some(task),
            }) = live
            else {
                return Err(HttpError::new(500)
                    .with_message("no coroutine to resume")
                    .into());
            };
            return run(request, handler, task, done);
        }
        Stage::Cancel(reason) => {
            if let Some(live) = forget(request) {
                // Its coroutine first: dropping it lets go of the handler.
                drop(live.task);
                if reason == app::CancelReason::ConnectionClosed {
                    live.handler.borrow_mut().connection_closed(&mut req);
                }
            }
            Ok(())
        }
        Stage::Socket((index, event)) => {
            let outcome = fresh(entries, index, request, |handler, args| {
                handler.socket(&mut req, args, event)
            })?;
            // An event has no stage after it.
            forget(request);
            outcome
        }
        Stage::Woken((index, messages)) => fresh(entries, index, request, |handler, args| {
            handler.woken(&mut req, args, messages)
        })?,
        Stage::Error(error) => {
            let error = HttpError {
                status: error.status,
                reason: error.reason,
                message: error.message,
            };
            with_handler(request, |handler| handler.error(&mut req, &error))
        }
        Stage::Finish => match forget(request) {
            Some(live) => {
                live.handler.borrow_mut().finish(&mut req);
                Ok(())
            }
            None => Err(HttpError::new(500).with_message("no request is being handled")),
        },
    };
    outcome.map(|()| progress(false)).map_err(Into::into)
}

/// Route `index`, or the host's mistake.
fn route(entries: &[Entry], index: u32) -> Result<&Entry, HttpError> {
    entries
        .get(index as usize)
        .ok_or_else(|| HttpError::new(500).with_message(format!("no handler {index}")))
}

/// Runs `stage` on a fresh handler of route `index` with the route's init args, then keeps
/// the handler for request `request` (for `error` and `finish`), unless the stage parked
/// it. The outer error is a stage for a route the plugin has no handler for: the host's
/// mistake.
fn fresh(
    entries: &[Entry],
    index: u32,
    request: u64,
    stage: impl FnOnce(&mut dyn Lifecycle, &Value) -> crate::Result,
) -> Result<crate::Result, HttpError> {
    let entry = route(entries, index)?;
    let Target::Handler(make) = entry.target else {
        return Err(HttpError::new(500).with_message(format!("route {index} is no handler")));
    };
    let handler = make();
    let result = stage(&mut *handler.borrow_mut(), &(entry.init_args)());
    keep(request, handler, None, &result);
    Ok(result)
}

/// Polls request `request`'s coroutine with the handles `done`: settled, or waiting.
fn run(
    request: u64,
    handler: Held,
    mut task: Task<crate::Result>,
    done: Vec<u32>,
) -> Result<app::Progress, app::HttpError> {
    match crate::coroutine::poll(request, &mut task, done) {
        Poll::Ready(result) => {
            keep(request, handler, None, &result);
            result.map(|()| progress(false)).map_err(Into::into)
        }
        Poll::Pending => {
            keep(request, handler, Some(task), &Ok(()));
            Ok(progress(true))
        }
    }
}

/// Keeps request `request`'s handler (and its waiting coroutine) for its next stage; a
/// request its stage parked has none until it is woken.
fn keep(request: u64, handler: Held, task: Option<Task<crate::Result>>, result: &crate::Result) {
    if result.is_ok() && task.is_none() && PARKED.with(Cell::get) {
        forget(request);
        return;
    }
    LIVE.with(|live| live.borrow_mut().insert(request, Live { handler, task }));
}

/// Lets go of request `request`: it has had its last stage.
fn forget(request: u64) -> Option<Live> {
    crate::coroutine::forget(request);
    LIVE.with(|live| live.borrow_mut().remove(&request))
}

/// Runs `stage` on request `request`'s handler; a stage before `request` is the host's
/// mistake.
fn with_handler(
    request: u64,
    stage: impl FnOnce(&mut dyn Lifecycle) -> crate::Result,
) -> crate::Result {
    let handler = LIVE.with(|live| live.borrow().get(&request).map(|live| live.handler.clone()));
    match handler {
        Some(handler) => stage(&mut *handler.borrow_mut()),
        None => Err(HttpError::new(500).with_message("no request is being handled")),
    }
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
