//! The handler trait, with Tornado's method names and default behaviour.

use crate::bindings::exports::gale::web::app::SocketEvent;
use crate::{HttpError, PathArgs, Published, Request, Result, Value};

/// Tornado's `RequestHandler`: implement the methods your handler answers.
///
/// A method you do not implement answers 405, as in Tornado. The lifecycle for each request
/// is `set_default_headers` → `initialize` → `prepare` → the method → (`write_error` on
/// failure) → the response is sent → `on_finish`.
///
/// Shared behaviour for a family of handlers (Tornado's `class BaseHandler(RequestHandler)`)
/// lives in a [`BaseHandler`]; a handler picks its base with `const BASE`.
pub trait RequestHandler {
    /// The base whose `set_default_headers`, `prepare`, `write_error` and `on_finish` this
    /// handler inherits unless it writes its own.
    const BASE: &'static dyn BaseHandler = &DefaultBase;

    /// Called at the start of every request and again when an error clears the response.
    fn set_default_headers(&mut self, req: &mut Request) -> Result {
        Self::BASE.set_default_headers(req)
    }

    /// Receives the route's init arguments (a JSON object).
    fn initialize(&mut self, _args: &Value) -> Result {
        Ok(())
    }

    /// Runs before the method; finishing the response here (`finish`, `redirect`) skips it.
    fn prepare(&mut self, req: &mut Request) -> Result {
        Self::BASE.prepare(req)
    }

    /// Answers GET.
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers HEAD.
    fn head(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers POST.
    fn post(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers PUT.
    fn put(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers DELETE.
    fn delete(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers PATCH.
    fn patch(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers OPTIONS.
    fn options(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Renders an error response; the response has been cleared and its status set.
    fn write_error(&mut self, req: &mut Request, status: u16, error: &HttpError) -> Result {
        Self::BASE.write_error(req, status, error)
    }

    /// Runs after the response has been sent; nothing it does reaches the client.
    fn on_finish(&mut self, req: &mut Request) {
        if Self::BASE.is_default_base() {
            // Neither this handler nor its base has an `on_finish`: tell the host, which
            // then skips this stage for the handler (one call into the plugin fewer, and the
            // instance freed as soon as the response is handed over).
            crate::bindings::gale::web::response::on_finish_unused();
        } else {
            Self::BASE.on_finish(req)
        }
    }

    /// Long polling: the topic's new messages for a request this handler parked with
    /// [`Request::wait_for_messages`] (none at its time limit), in a fresh handler after
    /// `initialize`, on the response as it was left; write the answer here.
    fn on_messages(&mut self, _req: &mut Request, _messages: Vec<Published>) -> Result {
        Err(HttpError::new(500)
            .with_message("the handler waited for messages but has no on_messages"))
    }

    /// An event on a WebSocket connection: only a [`crate::WebSocketHandler`] has them.
    #[doc(hidden)]
    fn socket_event(&mut self, _req: &mut Request, _event: SocketEvent) -> Result {
        Err(HttpError::new(500).with_message("this handler is not a WebSocketHandler"))
    }
}

/// Behaviour shared by several handlers, as a Tornado base handler class. Every method has
/// Tornado's default.
pub trait BaseHandler {
    /// See [`RequestHandler::set_default_headers`].
    fn set_default_headers(&self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// See [`RequestHandler::prepare`].
    fn prepare(&self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// See [`RequestHandler::write_error`]; the default is Tornado's error page.
    fn write_error(&self, req: &mut Request, _status: u16, _error: &HttpError) -> Result {
        req.finish_with_error_page();
        Ok(())
    }

    /// See [`RequestHandler::on_finish`].
    fn on_finish(&self, _req: &mut Request) {}

    /// Whether this is [`DefaultBase`], whose methods are all the defaults.
    #[doc(hidden)]
    fn is_default_base(&self) -> bool {
        false
    }
}

/// The base every handler has unless it names another: Tornado's `RequestHandler` itself.
pub struct DefaultBase;

impl BaseHandler for DefaultBase {
    fn is_default_base(&self) -> bool {
        true
    }
}
