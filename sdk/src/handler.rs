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
///
/// ```no_run
/// # use gale_sdk::*;
/// #[derive(Default)]
/// struct MainHandler;
///
/// impl RequestHandler for MainHandler {
///     fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
///         req.write("Hello, world");
///         Ok(())
///     }
/// }
/// ```
pub trait RequestHandler {
    /// The base whose `set_default_headers`, `prepare`, `write_error` and `on_finish` this
    /// handler inherits unless it writes its own.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// struct Site;
    /// impl BaseHandler for Site {
    ///     fn set_default_headers(&self, req: &mut Request) -> Result {
    ///         req.set_header("X-Frame-Options", "DENY")
    ///     }
    /// }
    ///
    /// #[derive(Default)]
    /// struct AboutHandler;
    /// impl RequestHandler for AboutHandler {
    ///     const BASE: &'static dyn BaseHandler = &Site;
    ///     fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///         req.write("about us");
    ///         Ok(())
    ///     }
    /// }
    /// ```
    const BASE: &'static dyn BaseHandler = &DefaultBase;

    /// Called at the start of every request and again when an error clears the response.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn set_default_headers(&mut self, req: &mut Request) -> Result {
    ///     req.set_header("Server", "gale") // also on error pages
    /// }
    /// # }
    /// ```
    fn set_default_headers(&mut self, req: &mut Request) -> Result {
        Self::BASE.set_default_headers(req)
    }

    /// Receives the route's init arguments (a JSON object).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// // (r"/greet", GreetHandler, json!({"greeting": "Ahoy"})); the handler keeps it in a field
    /// fn initialize(&mut self, args: &Value) -> Result {
    ///     let greeting = args["greeting"].as_str().unwrap_or("Hello");
    ///     gale_sdk::log::debug(greeting);
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn initialize(&mut self, _args: &Value) -> Result {
        Ok(())
    }

    /// Runs before the method; finishing the response here (`finish`, `redirect`) skips it.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn prepare(&mut self, req: &mut Request) -> Result {
    ///     if req.header("X-Maintenance").is_some() {
    ///         req.set_status(503)?;
    ///         req.finish(); // the method does not run
    ///     }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn prepare(&mut self, req: &mut Request) -> Result {
        Self::BASE.prepare(req)
    }

    /// Answers GET.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
    ///     req.write(format!("item {}", &args[0]));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers HEAD.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn head(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     req.set_header("X-Item-Count", 3) // headers only: HEAD has no body
    /// }
    /// # }
    /// ```
    fn head(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers POST.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let text = req.get_body_argument("text")?;
    ///     req.publish("notes", &text.len().to_string(), &text)?;
    ///     req.redirect_with("/notes", false, Some(303))
    /// }
    /// # }
    /// ```
    fn post(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers PUT.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn put(&mut self, req: &mut Request, args: PathArgs) -> Result {
    ///     let stored = req.body().len();
    ///     req.set_status(201)?;
    ///     req.write(json!({"id": &args[0], "bytes": stored}));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn put(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers DELETE.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn delete(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     req.set_status(204)?;
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn delete(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers PATCH.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn patch(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let changes: Value = gale_sdk::serde_json::from_slice(&req.body())?;
    ///     req.write(json!({"changed": changes}));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn patch(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Answers OPTIONS.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn options(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     req.set_header("Allow", "GET, POST, OPTIONS")?;
    ///     req.set_status(204)
    /// }
    /// # }
    /// ```
    fn options(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(405))
    }

    /// Renders an error response; the response has been cleared and its status set.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn write_error(&mut self, req: &mut Request, status: u16, _error: &HttpError) -> Result {
    ///     req.write(json!({"error": status, "reason": req.reason()}));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn write_error(&mut self, req: &mut Request, status: u16, error: &HttpError) -> Result {
        Self::BASE.write_error(req, status, error)
    }

    /// Runs after the response has been sent; nothing it does reaches the client.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn on_finish(&mut self, req: &mut Request) {
    ///     gale_sdk::log::info(&format!("{} answered {}", req.uri(), req.get_status()));
    /// }
    /// # }
    /// ```
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

    /// Called when the client closes the connection while the handler waits (an
    /// [`crate::AsyncRequestHandler`] awaiting a fetch or a timer), as Tornado's: the wait is
    /// then cancelled, and nothing more is sent.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn on_connection_close(&mut self, req: &mut Request) {
    ///     gale_sdk::log::info(&format!("{} left early", req.remote_ip()));
    /// }
    /// # }
    /// ```
    fn on_connection_close(&mut self, _req: &mut Request) {}

    /// Long polling: the topic's new messages for a request this handler parked with
    /// [`Request::wait_for_messages`] (none at its time limit), in a fresh handler after
    /// `initialize`, on the response as it was left; write the answer here.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {
    /// fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let cursor = req.get_cookie("cursor");
    ///     req.wait_for_messages("news", cursor.as_deref(), std::time::Duration::from_secs(30))
    /// }
    ///
    /// fn on_messages(&mut self, req: &mut Request, messages: Vec<Published>) -> Result {
    ///     let texts: Vec<String> = messages.into_iter().map(|m| m.data).collect();
    ///     req.write(json!({"messages": texts})); // an empty list at the time limit
    ///     Ok(())
    /// }
    /// # }
    /// ```
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
///
/// ```no_run
/// # use gale_sdk::*;
/// /// Tornado's `class BaseHandler(RequestHandler)` with a JSON error page.
/// struct Api;
///
/// impl BaseHandler for Api {
///     fn write_error(&self, req: &mut Request, status: u16, _error: &HttpError) -> Result {
///         req.write(json!({"error": status}));
///         Ok(())
///     }
/// }
/// ```
pub trait BaseHandler {
    /// See [`RequestHandler::set_default_headers`].
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # struct Site;
    /// # impl BaseHandler for Site {
    /// fn set_default_headers(&self, req: &mut Request) -> Result {
    ///     req.set_header("Access-Control-Allow-Origin", "*")
    /// }
    /// # }
    /// ```
    fn set_default_headers(&self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// See [`RequestHandler::prepare`].
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # struct Site;
    /// # impl BaseHandler for Site {
    /// fn prepare(&self, req: &mut Request) -> Result {
    ///     if req.current_user()?.is_none() {
    ///         return Err(HttpError::new(401));
    ///     }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn prepare(&self, _req: &mut Request) -> Result {
        Ok(())
    }

    /// See [`RequestHandler::write_error`]; the default is Tornado's error page.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # struct Site;
    /// # impl BaseHandler for Site {
    /// fn write_error(&self, req: &mut Request, status: u16, _error: &HttpError) -> Result {
    ///     req.write(format!("<h1>{status}</h1><p>Sorry about that.</p>"));
    ///     Ok(())
    /// }
    /// # }
    /// ```
    fn write_error(&self, req: &mut Request, _status: u16, _error: &HttpError) -> Result {
        req.finish_with_error_page();
        Ok(())
    }

    /// See [`RequestHandler::on_finish`].
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # struct Site;
    /// # impl BaseHandler for Site {
    /// fn on_finish(&self, req: &mut Request) {
    ///     if req.get_status() >= 500 {
    ///         gale_sdk::log::error(&format!("{} failed", req.uri()));
    ///     }
    /// }
    /// # }
    /// ```
    fn on_finish(&self, _req: &mut Request) {}

    /// Whether this is [`DefaultBase`], whose methods are all the defaults.
    #[doc(hidden)]
    fn is_default_base(&self) -> bool {
        false
    }
}

/// The base every handler has unless it names another: Tornado's `RequestHandler` itself.
///
/// ```no_run
/// # use gale_sdk::*;
/// // what `const BASE` is when a handler names none
/// #[derive(Default)]
/// struct Plain;
/// impl RequestHandler for Plain {
///     const BASE: &'static dyn BaseHandler = &DefaultBase;
/// }
/// ```
pub struct DefaultBase;

impl BaseHandler for DefaultBase {
    fn is_default_base(&self) -> bool {
        true
    }
}
