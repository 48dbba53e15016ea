//! The handler's view of the request and the response: Tornado's `self` in a handler.

use std::borrow::Cow;

use crate::bindings::gale::web::application as host_application;
use crate::bindings::gale::web::request::{self as host_request, ArgSource, UploadedFile};
use crate::bindings::gale::web::response as host_response;
use crate::{HttpError, Result, Value};

/// The current request and the response being built. The names are Tornado's:
/// `req.get_argument("name")`, `req.write(...)`, `req.set_status(404)`, `req.redirect("/")`.
/// The data lives on the host and is read on demand.
pub struct Request {
    _private: (),
}

/// Something `write` accepts: text, bytes, or a JSON object (which also sets
/// `Content-Type: application/json; charset=UTF-8`, as Tornado's `write(dict)`).
pub enum Chunk<'a> {
    /// Raw bytes or UTF-8 text.
    Bytes(Cow<'a, [u8]>),
    /// A JSON value; only objects are accepted, as in Tornado.
    Json(Value),
}

impl<'a> From<&'a str> for Chunk<'a> {
    fn from(text: &'a str) -> Self {
        Chunk::Bytes(Cow::Borrowed(text.as_bytes()))
    }
}

impl<'a> From<&'a String> for Chunk<'a> {
    fn from(text: &'a String) -> Self {
        Chunk::Bytes(Cow::Borrowed(text.as_bytes()))
    }
}

impl From<String> for Chunk<'_> {
    fn from(text: String) -> Self {
        Chunk::Bytes(Cow::Owned(text.into_bytes()))
    }
}

impl<'a> From<&'a [u8]> for Chunk<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Chunk::Bytes(Cow::Borrowed(bytes))
    }
}

impl From<Vec<u8>> for Chunk<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Chunk::Bytes(Cow::Owned(bytes))
    }
}

impl From<Value> for Chunk<'_> {
    fn from(value: Value) -> Self {
        Chunk::Json(value)
    }
}

/// Generates Tornado's three getters for one argument source.
macro_rules! argument_getters {
    ($source:expr, $one:ident, $one_or:ident, $all:ident, $dict:ident, $what:literal) => {
        #[doc = concat!("The last value of ", $what, " argument `name`, stripped; missing is HTTP 400.")]
        pub fn $one(&self, name: &str) -> Result<String> {
            self.argument($source, name, None, true)
        }

        #[doc = concat!("The last value of ", $what, " argument `name`, stripped, or `default`.")]
        pub fn $one_or(&self, name: &str, default: &str) -> Result<String> {
            self.argument($source, name, Some(default), true)
        }

        #[doc = concat!("Every value of ", $what, " argument `name`, stripped.")]
        pub fn $all(&self, name: &str) -> Result<Vec<String>> {
            self.arguments_with($source, name, true)
        }

        #[doc = concat!("Every ", $what, " argument with all its values, in order of appearance.")]
        pub fn $dict(&self) -> Vec<(String, Vec<String>)> {
            host_request::arguments($source)
        }
    };
}

impl Request {
    /// The handle the runtime passes to each stage.
    pub(crate) fn new() -> Self {
        Self { _private: () }
    }

    /// The HTTP method, e.g. `GET`.
    pub fn method(&self) -> String {
        host_request::method()
    }

    /// The request target as sent: path and query.
    pub fn uri(&self) -> String {
        host_request::uri()
    }

    /// The path, still percent-encoded.
    pub fn path(&self) -> String {
        host_request::path()
    }

    /// The query string without the `?`.
    pub fn query(&self) -> String {
        host_request::query()
    }

    /// `HTTP/1.0` or `HTTP/1.1`.
    pub fn version(&self) -> String {
        host_request::version()
    }

    /// The `Host` the client asked for.
    pub fn host(&self) -> String {
        host_request::host()
    }

    /// `http` or `https`.
    pub fn protocol(&self) -> String {
        host_request::protocol()
    }

    /// The client's address.
    pub fn remote_ip(&self) -> String {
        host_request::remote_ip()
    }

    /// A request header (case-insensitive); several values are joined by `,`.
    pub fn header(&self, name: &str) -> Option<String> {
        host_request::header(name)
    }

    /// Every request header, in the order received.
    pub fn headers(&self) -> Vec<(String, String)> {
        host_request::headers()
    }

    /// The raw request body.
    pub fn body(&self) -> Vec<u8> {
        host_request::body()
    }

    /// Every uploaded file field with its files, as `request.files`.
    pub fn files(&self) -> Vec<(String, Vec<UploadedFile>)> {
        host_request::files()
    }

    /// The files uploaded in one field, as `request.files[field]` (empty when none).
    pub fn files_in(&self, field: &str) -> Vec<UploadedFile> {
        self.files()
            .into_iter()
            .find(|(name, _)| name == field)
            .map(|(_, files)| files)
            .unwrap_or_default()
    }

    /// The plugin's settings (`routes![settings = json!({...}); ...]`), as
    /// `self.settings`.
    pub fn settings(&self) -> Value {
        crate::runtime::settings()
    }

    argument_getters!(
        ArgSource::All,
        get_argument,
        get_argument_or,
        get_arguments,
        arguments,
        "a query or body"
    );
    argument_getters!(
        ArgSource::Query,
        get_query_argument,
        get_query_argument_or,
        get_query_arguments,
        query_arguments,
        "a query"
    );
    argument_getters!(
        ArgSource::Body,
        get_body_argument,
        get_body_argument_or,
        get_body_arguments,
        body_arguments,
        "a body"
    );

    /// Every value of an argument from `source`, trimmed when `strip` (Tornado's
    /// `get_arguments(name, strip)` for any source). Invalid UTF-8 is HTTP 400.
    pub fn arguments_with(
        &self,
        source: ArgSource,
        name: &str,
        strip: bool,
    ) -> Result<Vec<String>> {
        host_request::argument(source, name, strip)
            .map_err(|message| HttpError::new(400).with_message(message))
    }

    /// The last value of an argument, or `default`; missing with no default is HTTP 400
    /// (Tornado's `MissingArgumentError`).
    pub fn argument(
        &self,
        source: ArgSource,
        name: &str,
        default: Option<&str>,
        strip: bool,
    ) -> Result<String> {
        match self.arguments_with(source, name, strip)?.pop() {
            Some(value) => Ok(value),
            None => default.map(str::to_owned).ok_or_else(|| {
                HttpError::new(400).with_message(format!("Missing argument {name}"))
            }),
        }
    }

    /// Appends to the response body. A JSON object is encoded as Tornado's `write(dict)`
    /// does; any other JSON value is refused, as Tornado refuses it.
    pub fn write<'a>(&mut self, chunk: impl Into<Chunk<'a>>) {
        match chunk.into() {
            Chunk::Bytes(bytes) => host_response::write(&bytes),
            Chunk::Json(value) => {
                assert!(
                    value.is_object(),
                    "write() only accepts JSON objects, as Tornado (wrap a list in an object)"
                );
                // The content type is valid, so this cannot fail.
                let _ =
                    host_response::set_header("Content-Type", "application/json; charset=UTF-8");
                host_response::write(crate::json::encode(&value).as_bytes());
            }
        }
    }

    /// Sends what has been written so far, the head first (then the body is chunked and
    /// gets no `Etag`); waits while the client is slow to read, so memory stays bounded.
    pub fn flush(&mut self) {
        host_response::flush();
    }

    /// Tornado's `clear()`: status 200, the default headers, an empty body.
    pub fn clear(&mut self) {
        host_response::clear();
    }

    /// `/static/PATH?v=HASH` for a file of the server's `--static` directory.
    pub fn static_url(&self, path: &str) -> Result<String> {
        host_application::static_url(path).map_err(HttpError::internal)
    }

    /// Ends the response.
    pub fn finish(&mut self) {
        host_response::finish();
    }

    /// Writes `chunk`, then ends the response.
    pub fn finish_with<'a>(&mut self, chunk: impl Into<Chunk<'a>>) {
        self.write(chunk);
        self.finish();
    }

    /// Writes Tornado's default error page for the current status and finishes.
    pub fn finish_with_error_page(&mut self) {
        host_response::finish_with_error_page();
    }

    /// Whether the response has been finished.
    pub fn finished(&self) -> bool {
        host_response::finished()
    }

    /// Sets the status with its standard reason phrase; a code without one needs
    /// [`Request::set_status_reason`].
    pub fn set_status(&mut self, code: u16) -> Result {
        host_response::set_status(code, None).map_err(HttpError::internal)
    }

    /// Sets the status and the reason phrase.
    pub fn set_status_reason(&mut self, code: u16, reason: &str) -> Result {
        host_response::set_status(code, Some(reason)).map_err(HttpError::internal)
    }

    /// The status set so far.
    pub fn get_status(&self) -> u16 {
        host_response::get_status()
    }

    /// The reason phrase that goes with the status.
    pub fn reason(&self) -> String {
        host_response::get_reason()
    }

    /// Replaces a response header. An invalid name or value (a control character), and the
    /// headers the host keeps (`Content-Length`, `Transfer-Encoding`, `Connection`,
    /// `Upgrade`, a `Set-Cookie` for `gale_session`), are an error (500); more than 1,000
    /// values, or a response past `--max-response-buffer`, stop the handler.
    pub fn set_header(&mut self, name: &str, value: impl ToString) -> Result {
        host_response::set_header(name, &value.to_string()).map_err(HttpError::internal)
    }

    /// Adds another value for a response header; refused as [`Request::set_header`] is.
    pub fn add_header(&mut self, name: &str, value: impl ToString) -> Result {
        host_response::add_header(name, &value.to_string()).map_err(HttpError::internal)
    }

    /// Removes a response header.
    pub fn clear_header(&mut self, name: &str) {
        host_response::clear_header(name);
    }

    /// Redirects with 302 and finishes.
    pub fn redirect(&mut self, url: &str) -> Result {
        self.redirect_with(url, false, None)
    }

    /// Redirects with 301 and finishes.
    pub fn redirect_permanent(&mut self, url: &str) -> Result {
        self.redirect_with(url, true, None)
    }

    /// Tornado's `redirect(url, permanent, status)`: `status` (a 3xx) wins over `permanent`.
    pub fn redirect_with(&mut self, url: &str, permanent: bool, status: Option<u16>) -> Result {
        host_response::redirect(url, permanent, status).map_err(HttpError::internal)
    }

    /// The path of the route named `name` with `args` filled in and URL-escaped.
    pub fn reverse_url(&self, name: &str, args: &[&str]) -> Result<String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        host_application::reverse_url(name, &args).map_err(HttpError::internal)
    }
}
