//! The handler's view of the request and the response: Tornado's `self` in a handler, and
//! its input methods (the request line, headers, arguments, body and files).

use crate::bindings::gale::web::application as host_application;
use crate::bindings::gale::web::request::{self as host_request, ArgSource, UploadedFile};
use crate::{HttpError, Result, Value};

/// The current request and the response being built. The names are Tornado's:
/// `req.get_argument("name")`, `req.write(...)`, `req.set_status(404)`, `req.redirect("/")`.
/// The data lives on the host and is read on demand.
///
/// ```no_run
/// # use gale_sdk::*;
/// # #[derive(Default)]
/// # struct Handler;
/// # impl RequestHandler for Handler {
/// fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
///     let name = req.get_argument_or("name", "world")?;
///     req.set_header("Cache-Control", "no-cache")?;
///     req.write(format!("Hello, {name}"));
///     Ok(())
/// }
/// # }
/// ```
pub struct Request {
    _private: (),
}

/// Generates Tornado's three getters for one argument source, each with its example.
macro_rules! argument_getters {
    ($source:expr, $one:ident, $one_or:ident, $all:ident, $dict:ident, $what:literal) => {
        #[doc = concat!("The last value of ", $what, " argument `name`, stripped; missing is HTTP 400.")]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {"]
        #[doc = concat!("let name = req.", stringify!($one), "(\"name\")?; // 400 when missing")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn $one(&self, name: &str) -> Result<String> {
            self.argument($source, name, None, true)
        }

        #[doc = concat!("The last value of ", $what, " argument `name`, stripped, or `default`.")]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {"]
        #[doc = concat!("let page: u32 = req.", stringify!($one_or), "(\"page\", \"1\")?.parse()?;")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn $one_or(&self, name: &str, default: &str) -> Result<String> {
            self.argument($source, name, Some(default), true)
        }

        #[doc = concat!("Every value of ", $what, " argument `name`, stripped.")]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {"]
        #[doc = concat!("let tags: Vec<String> = req.", stringify!($all), "(\"tag\")?; // ?tag=a&tag=b")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn $all(&self, name: &str) -> Result<Vec<String>> {
            self.arguments_with($source, name, true)
        }

        #[doc = concat!("Every ", $what, " argument with all its values, in order of appearance.")]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# fn handler(req: &mut gale_sdk::Request) -> gale_sdk::Result {"]
        #[doc = concat!("for (name, values) in req.", stringify!($dict), "() {")]
        #[doc = "    req.write(format!(\"{name} = {values:?}\\n\"));"]
        #[doc = "}"]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
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
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// if req.method() == "HEAD" {
    ///     return Ok(());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn method(&self) -> String {
        host_request::method()
    }

    /// The request target as sent: path and query.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let target = req.uri(); // "/search?q=gale"
    /// # Ok(())
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        host_request::uri()
    }

    /// The path, still percent-encoded.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// if req.path().ends_with('/') {
    ///     req.redirect_permanent(req.path().trim_end_matches('/'))?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn path(&self) -> String {
        host_request::path()
    }

    /// The query string without the `?`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let query = req.query(); // "q=gale&page=2"
    /// # Ok(())
    /// # }
    /// ```
    pub fn query(&self) -> String {
        host_request::query()
    }

    /// `HTTP/1.0` or `HTTP/1.1`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let keep_alive = req.version() == "HTTP/1.1";
    /// # Ok(())
    /// # }
    /// ```
    pub fn version(&self) -> String {
        host_request::version()
    }

    /// The `Host` the client asked for.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let canonical = format!("{}://{}{}", req.protocol(), req.host(), req.uri());
    /// # Ok(())
    /// # }
    /// ```
    pub fn host(&self) -> String {
        host_request::host()
    }

    /// `http` or `https`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// if req.protocol() == "http" {
    ///     let secure = format!("https://{}{}", req.host(), req.uri());
    ///     req.redirect(&secure)?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn protocol(&self) -> String {
        host_request::protocol()
    }

    /// The client's address.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// gale_sdk::log::info(&format!("visit from {}", req.remote_ip()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn remote_ip(&self) -> String {
        host_request::remote_ip()
    }

    /// A request header (case-insensitive); several values are joined by `,`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let agent = req.header("user-agent").unwrap_or_default();
    /// # Ok(())
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        host_request::header(name)
    }

    /// Every request header, in the order received.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// for (name, value) in req.headers() {
    ///     req.write(format!("{name}: {value}\n"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn headers(&self) -> Vec<(String, String)> {
        host_request::headers()
    }

    /// The raw request body.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let order: Value = gale_sdk::serde_json::from_slice(&req.body())?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn body(&self) -> Vec<u8> {
        host_request::body()
    }

    /// Every uploaded file field with its files, as `request.files`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// for (field, files) in req.files() {
    ///     req.write(format!("{field}: {} files\n", files.len()));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn files(&self) -> Vec<(String, Vec<UploadedFile>)> {
        host_request::files()
    }

    /// The files uploaded in one field, as `request.files[field]` (empty when none).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// for photo in req.files_in("photo") {
    ///     req.write(format!("{} ({} bytes)\n", photo.filename, photo.body.len()));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn files_in(&self, field: &str) -> Vec<UploadedFile> {
        self.files()
            .into_iter()
            .find(|(name, _)| name == field)
            .map(|(_, files)| files)
            .unwrap_or_default()
    }

    /// The plugin's settings (`routes![settings = json!({...}); ...]`), as
    /// `self.settings`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let debug = req.settings()["debug"].as_bool().unwrap_or(false);
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let raw = req.arguments_with(ArgSource::Query, "tag", false)?; // spaces kept
    /// # Ok(())
    /// # }
    /// ```
    pub fn arguments_with(
        &self,
        source: ArgSource,
        name: &str,
        strip: bool,
    ) -> Result<Vec<String>> {
        host_request::argument(source, name, strip).map_err(crate::refused::refused)
    }

    /// The last value of an argument, or `default`; missing with no default is HTTP 400
    /// (Tornado's `MissingArgumentError`).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let page = req.argument(ArgSource::Body, "page", Some("1"), true)?;
    /// # Ok(())
    /// # }
    /// ```
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

    /// `/static/PATH?v=HASH` for a file of the server's `--static` directory.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let css = req.static_url("site.css")?; // "/static/site.css?v=0c4d…"
    /// req.write(format!(r#"<link rel="stylesheet" href="{css}">"#));
    /// # Ok(())
    /// # }
    /// ```
    pub fn static_url(&self, path: &str) -> Result<String> {
        host_application::static_url(path).map_err(crate::refused::refused)
    }

    /// The path of the route named `name` with `args` filled in and URL-escaped.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// // with url(r"/story/([0-9]+)", StoryHandler, name = "story") in routes!
    /// let link = req.reverse_url("story", &["42"])?; // "/story/42"
    /// # Ok(())
    /// # }
    /// ```
    pub fn reverse_url(&self, name: &str, args: &[&str]) -> Result<String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        host_application::reverse_url(name, &args).map_err(crate::refused::refused)
    }
}
