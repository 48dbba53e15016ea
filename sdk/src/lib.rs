#![doc = include_str!("guide.md")]
#![warn(missing_docs)]

mod accounts;
mod async_handler;
mod builtins;
mod cookies;
mod coroutine;
pub mod db;
mod error;
pub mod escape;
mod handler;
mod httpclient;
pub mod json;
pub mod log;
mod path_args;
mod refused;
mod request;
mod response;
#[doc(hidden)]
pub mod runtime;
mod topics;
mod views;
mod websocket;

pub use accounts::{AccountError, User};
pub use async_handler::AsyncRequestHandler;
/// Where an argument is read from, for [`Request::argument`] and [`Request::arguments_with`].
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// let from_the_form = req.argument(ArgSource::Body, "email", None, true)?;
/// # Ok(())
/// # }
/// ```
pub use bindings::gale::web::request::ArgSource;
/// One uploaded file of a `multipart/form-data` body, as Tornado's `HTTPFile`.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// let Some(avatar) = req.files_in("avatar").into_iter().next() else {
///     return Err(HttpError::new(400).with_message("no avatar"));
/// };
/// req.write(format!("{}: {}, {} bytes", avatar.filename, avatar.content_type, avatar.body.len()));
/// # Ok(())
/// # }
/// ```
pub use bindings::gale::web::request::UploadedFile;
pub use builtins::{RedirectHandler, StaticFileHandler};
pub use cookies::CookieOptions;
pub use coroutine::{Multi, Sleep, TimeoutError, loop_time, multi, sleep, with_timeout};
pub use error::{HttpError, Result};
pub use handler::{BaseHandler, DefaultBase, RequestHandler};
pub use httpclient::{AsyncHTTPClient, Fetch, HTTPClientError, HTTPRequest, HTTPResponse};
pub use path_args::PathArgs;
pub use request::Request;
pub use response::Chunk;
pub use serde_json::{self, Value, json};
pub use topics::Published;
pub use views::{Namespace, Template};
pub use websocket::{Message, WebSocket, WebSocketHandler};

/// The bindings generated from `wit/gale.wit`; plugins use them only through the SDK.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "gale_sdk::bindings",
    });
}

/// Declares the plugin's route table, as Tornado's `Application([...])` list, and exports it.
///
/// Entries are tried in order and the first match wins:
/// - `(pattern, Handler)` and `(pattern, Handler, init_args)`;
/// - `async` before the handler for an [`AsyncRequestHandler`]: `(pattern, async Handler)`;
/// - `url(pattern, Handler)`, optionally with `init_args` and `name = "..."` for
///   `reverse_url`.
///
/// `init_args` is a JSON object (use [`json!`]) handed to [`RequestHandler::initialize`], or
/// the configuration of a built-in such as [`RedirectHandler`]. The list may start with
/// `settings = json!({...});`, the plugin's `Application` settings: `"xsrf_cookies": true`
/// makes every POST, PUT, PATCH and DELETE without a valid xsrf token a 403 before `prepare`;
/// `"login_url": "/login"` is where [`Request::authenticated`] sends a visitor to log in.
/// Use it once per plugin.
///
/// ```no_run,standalone_crate
/// use gale_sdk::{PathArgs, RedirectHandler, Request, RequestHandler, Result, json};
///
/// #[derive(Default)]
/// struct TimeHandler;
/// impl RequestHandler for TimeHandler {
///     fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
///         req.write(format!("{}-{}-{}", &args[0], &args[1], &args[2]));
///         Ok(())
///     }
/// }
///
/// gale_sdk::routes![
///     settings = json!({"login_url": "/login"});
///     url(r"/time/(\d+)/(\d+)/(\d+)", TimeHandler, name = "time"),
///     (r"/today", RedirectHandler, json!({"url": "/time/2026/11/29"})),
/// ];
/// ```
#[macro_export]
macro_rules! routes {
    (settings = $settings:expr; $($rest:tt)*) => {
        $crate::__routes!(|| $settings; $($rest)*);
    };
    ($($rest:tt)*) => {
        $crate::__routes!(|| $crate::json!({}); $($rest)*);
    };
}

/// [`routes!`] with its settings.
#[doc(hidden)]
#[macro_export]
macro_rules! __routes {
    ($settings:expr; $($($url:ident)? ($($entry:tt)*)),* $(,)?) => {
        static __GALE_ROUTES: &[$crate::runtime::Entry] = &[$($crate::__route!($($url)? ($($entry)*))),*];
        struct __GalePlugin;
        impl $crate::bindings::exports::gale::web::app::Guest for __GalePlugin {
            fn routes() -> ::std::vec::Vec<$crate::bindings::exports::gale::web::app::Route> {
                $crate::runtime::describe(__GALE_ROUTES)
            }
            fn instances() -> $crate::bindings::exports::gale::web::app::InstanceMode {
                $crate::runtime::instances($settings)
            }
            fn dispatch(
                request: u64,
                stage: $crate::bindings::exports::gale::web::app::Stage,
            ) -> ::std::result::Result<
                $crate::bindings::exports::gale::web::app::Progress,
                $crate::bindings::exports::gale::web::app::HttpError,
            > {
                $crate::runtime::dispatch(__GALE_ROUTES, $settings, request, stage)
            }
        }
        $crate::bindings::__export_plugin!(__GalePlugin with_types_in $crate::bindings);
    };
}

/// One route of [`routes!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __route {
    (($pattern:expr, async $handler:ty)) => {
        $crate::__route!(@ $pattern, $crate::runtime::Coroutine<$handler>, || $crate::json!({}), None)
    };
    (($pattern:expr, async $handler:ty, $init:expr)) => {
        $crate::__route!(@ $pattern, $crate::runtime::Coroutine<$handler>, || $init, None)
    };
    (url($pattern:expr, async $handler:ty)) => {
        $crate::__route!(($pattern, async $handler))
    };
    (url($pattern:expr, async $handler:ty, name = $name:expr)) => {
        $crate::__route!(@ $pattern, $crate::runtime::Coroutine<$handler>, || $crate::json!({}), Some($name))
    };
    (url($pattern:expr, async $handler:ty, $init:expr)) => {
        $crate::__route!(($pattern, async $handler, $init))
    };
    (url($pattern:expr, async $handler:ty, $init:expr, name = $name:expr)) => {
        $crate::__route!(@ $pattern, $crate::runtime::Coroutine<$handler>, || $init, Some($name))
    };
    (($pattern:expr, $handler:ty)) => {
        $crate::__route!(@ $pattern, $handler, || $crate::json!({}), None)
    };
    (($pattern:expr, $handler:ty, $init:expr)) => {
        $crate::__route!(@ $pattern, $handler, || $init, None)
    };
    (url($pattern:expr, $handler:ty)) => {
        $crate::__route!(($pattern, $handler))
    };
    (url($pattern:expr, $handler:ty, name = $name:expr)) => {
        $crate::__route!(@ $pattern, $handler, || $crate::json!({}), Some($name))
    };
    (url($pattern:expr, $handler:ty, $init:expr)) => {
        $crate::__route!(($pattern, $handler, $init))
    };
    (url($pattern:expr, $handler:ty, $init:expr, name = $name:expr)) => {
        $crate::__route!(@ $pattern, $handler, || $init, Some($name))
    };
    (@ $pattern:expr, $handler:ty, $init:expr, $name:expr) => {
        $crate::runtime::Entry {
            pattern: $pattern,
            target: <$handler as $crate::runtime::Routable>::TARGET,
            init_args: $init,
            name: $name,
        }
    };
}
