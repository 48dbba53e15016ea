//! Outbound HTTP, as Tornado's `tornado.httpclient`: [`AsyncHTTPClient::fetch`] starts a
//! request at once on the host and returns a future of its [`HTTPResponse`]. The operator
//! decides who a plugin may call (`--allow-outbound`); a denied origin is an
//! [`HTTPClientError`] whose message names the flag to add.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::bindings::gale::web::http_client::{self as host, FetchError};
use crate::{HttpError, Value};

/// Tornado's `HTTPRequest`: what to fetch, with Tornado's defaults (20 s to connect and for
/// the whole request, redirects followed up to 5, gzip decompressed).
///
/// ```no_run
/// # use gale_sdk::*;
/// let request = HTTPRequest::new("https://api.example.com/orders")
///     .method("POST")
///     .header("Content-Type", "application/json")
///     .body(json!({"item": 42}).to_string())
///     .request_timeout(2.0);
/// ```
#[derive(Debug, Clone)]
pub struct HTTPRequest {
    /// An absolute `http` or `https` URL.
    pub url: String,
    /// `GET` unless set.
    pub method: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// Seconds to connect.
    pub connect_timeout: f64,
    /// Seconds for the whole request.
    pub request_timeout: f64,
    /// Whether a 3xx's `Location` is followed.
    pub follow_redirects: bool,
    /// At most this many redirects.
    pub max_redirects: u32,
    /// The `User-Agent` (else `gale/VERSION`).
    pub user_agent: Option<String>,
    /// Whether a gzip body is decompressed.
    pub decompress_response: bool,
}

/// Generates a builder method setting one field, with its example.
macro_rules! setter {
    ($name:ident: $type:ty, $doc:literal, $example:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = concat!("let request = gale_sdk::HTTPRequest::new(\"https://api.example.com/\").", $example, ";")]
        #[doc = "```"]
        pub fn $name(mut self, $name: $type) -> Self {
            self.$name = $name.into();
            self
        }
    };
}

impl HTTPRequest {
    /// A GET of `url` with Tornado's defaults.
    ///
    /// ```no_run
    /// let request = gale_sdk::HTTPRequest::new("https://api.example.com/status");
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            connect_timeout: 20.0,
            request_timeout: 20.0,
            follow_redirects: true,
            max_redirects: 5,
            user_agent: None,
            decompress_response: true,
        }
    }

    setter!(method: &str, "The method.", "method(\"PUT\")");
    setter!(connect_timeout: f64, "Seconds to connect.", "connect_timeout(1.5)");
    setter!(request_timeout: f64, "Seconds for the whole request.", "request_timeout(3.0)");
    setter!(follow_redirects: bool, "Whether redirects are followed.", "follow_redirects(false)");
    setter!(max_redirects: u32, "At most this many redirects.", "max_redirects(2)");
    setter!(decompress_response: bool, "Whether a gzip body is decompressed.", "decompress_response(false)");

    /// The body.
    ///
    /// ```no_run
    /// let request = gale_sdk::HTTPRequest::new("https://api.example.com/").method("POST").body("a=1");
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The `User-Agent`.
    ///
    /// ```no_run
    /// let request = gale_sdk::HTTPRequest::new("https://api.example.com/").user_agent("shop/1.0");
    /// ```
    pub fn user_agent(mut self, agent: &str) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Adds a header.
    ///
    /// ```no_run
    /// let request = gale_sdk::HTTPRequest::new("https://api.example.com/")
    ///     .header("Authorization", "Bearer 123");
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request as the host takes it, with Tornado's additions: its `User-Agent`, and a
    /// POST's body sent as a form unless it says otherwise; a body where the method takes
    /// none (or none where it needs one) is refused, as Tornado refuses it.
    fn for_host(&self) -> Result<host::HttpRequest, HTTPClientError> {
        let method = self.method.to_ascii_uppercase();
        let needs_body = matches!(method.as_str(), "POST" | "PATCH" | "PUT");
        if needs_body != self.body.is_some() {
            let must = if needs_body { "must not" } else { "must" };
            let message = format!("Body {must} be None for method {method}");
            return Err(HTTPClientError::new(599, message, None));
        }
        let mut headers = self.headers.clone();
        let has = |headers: &[(String, String)], name: &str| {
            headers
                .iter()
                .any(|(given, _)| given.eq_ignore_ascii_case(name))
        };
        if let Some(agent) = &self.user_agent {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("user-agent"));
            headers.push(("User-Agent".into(), agent.clone()));
        } else if !has(&headers, "user-agent") {
            let agent = concat!("gale/", env!("CARGO_PKG_VERSION"));
            headers.push(("User-Agent".into(), agent.into()));
        }
        if method == "POST" && !has(&headers, "content-type") {
            let form = "application/x-www-form-urlencoded";
            headers.push(("Content-Type".into(), form.into()));
        }
        Ok(host::HttpRequest {
            url: self.url.clone(),
            method,
            headers,
            body: self.body.clone(),
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            follow_redirects: self.follow_redirects,
            max_redirects: self.max_redirects,
            decompress_response: self.decompress_response,
        })
    }
}

impl From<&str> for HTTPRequest {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for HTTPRequest {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

/// Tornado's `HTTPResponse`.
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// let answer = AsyncHTTPClient::new().fetch("https://api.example.com/now").await?;
/// let kind = answer.header("Content-Type").unwrap_or("?");
/// req.write(format!("{} {kind} in {:.3}s", answer.code, answer.request_time));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HTTPResponse {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// The headers, in order, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL that answered last, after redirects.
    pub effective_url: String,
    /// Seconds from the fetch's start to its end.
    pub request_time: f64,
}

impl HTTPResponse {
    /// The first value of header `name`, whatever its case.
    ///
    /// ```no_run
    /// # fn show(answer: &gale_sdk::HTTPResponse) {
    /// let etag = answer.header("ETag");
    /// # }
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(given, _)| given.eq_ignore_ascii_case(name));
        found.map(|(_, value)| value.as_str())
    }

    /// The body as JSON; a body that is not JSON is HTTP 500.
    ///
    /// ```no_run
    /// # fn show(answer: &gale_sdk::HTTPResponse) -> gale_sdk::Result {
    /// let temperature = answer.json()?["celsius"].as_f64();
    /// # Ok(())
    /// # }
    /// ```
    pub fn json(&self) -> crate::Result<Value> {
        serde_json::from_slice(&self.body).map_err(|error| {
            HttpError::new(500)
                .with_message(format!("{} answered no JSON: {error}", self.effective_url))
        })
    }
}

impl From<host::HttpResponse> for HTTPResponse {
    fn from(answer: host::HttpResponse) -> Self {
        Self {
            code: answer.code,
            reason: answer.reason,
            headers: answer.headers,
            body: answer.body,
            effective_url: answer.effective_url,
            request_time: answer.request_time,
        }
    }
}

/// Tornado's `HTTPClientError`: an answer outside 2xx (with its `response`), or code 599
/// when none arrived (a timeout, a refused or broken connection, a denied origin).
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// match AsyncHTTPClient::new().fetch("https://api.example.com/missing").await {
///     Ok(answer) => req.write(answer.body),
///     Err(error) if error.code == 404 => req.write("not there"),
///     Err(error) => return Err(error.into()), // 500, logged with its message
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HTTPClientError {
    /// The status, 599 without an answer.
    pub code: u16,
    /// What went wrong: the reason phrase, or why no answer came.
    pub message: String,
    /// The answer, when one came.
    pub response: Option<Box<HTTPResponse>>,
    timed_out: bool,
}

impl HTTPClientError {
    fn new(code: u16, message: String, response: Option<HTTPResponse>) -> Self {
        Self {
            code,
            message,
            response: response.map(Box::new),
            timed_out: false,
        }
    }

    /// Whether no answer came in time (Tornado's `HTTPTimeoutError`).
    ///
    /// ```no_run
    /// # fn show(error: &gale_sdk::HTTPClientError) {
    /// if error.is_timeout() { /* try the mirror */ }
    /// # }
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }
}

impl std::fmt::Display for HTTPClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.code, self.message)
    }
}

impl std::error::Error for HTTPClientError {}

impl From<FetchError> for HTTPClientError {
    fn from(error: FetchError) -> Self {
        let timed_out = matches!(error, FetchError::Timeout(_));
        let message = match error {
            FetchError::Denied(why)
            | FetchError::ForbiddenAddress(why)
            | FetchError::Timeout(why)
            | FetchError::Refused(why)
            | FetchError::Connection(why)
            | FetchError::InvalidRequest(why)
            | FetchError::TooLarge(why)
            | FetchError::TooMany(why) => why,
        };
        Self {
            timed_out,
            ..Self::new(599, message, None)
        }
    }
}

/// Tornado's `AsyncHTTPClient`: fetches on the host's loop, the handler waiting with its
/// instance free.
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler(req: &mut Request) -> Result {
/// let client = AsyncHTTPClient::new();
/// let answer = client.fetch("https://api.example.com/now").await?;
/// req.write(answer.body);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncHTTPClient;

impl AsyncHTTPClient {
    /// The client (one per plugin; it holds nothing).
    ///
    /// ```no_run
    /// let client = gale_sdk::AsyncHTTPClient::new();
    /// ```
    pub fn new() -> Self {
        Self
    }

    /// Starts fetching `request` (a URL or an [`HTTPRequest`]) now; the future gives the
    /// answer, an [`HTTPClientError`] for one outside 2xx unless
    /// [`Fetch::raise_error`]`(false)`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # async fn handler(req: &mut Request) -> Result {
    /// let answer = AsyncHTTPClient::new()
    ///     .fetch(HTTPRequest::new("https://api.example.com/items").request_timeout(2.0))
    ///     .raise_error(false)
    ///     .await?; // a 404 is an answer here
    /// req.write(format!("{}", answer.code));
    /// # Ok(())
    /// # }
    /// ```
    pub fn fetch(&self, request: impl Into<HTTPRequest>) -> Fetch {
        let started = request
            .into()
            .for_host()
            .and_then(|request| host::fetch(&request).map_err(HTTPClientError::from));
        Fetch {
            started,
            raise_error: true,
            settled: false,
        }
    }
}

/// A fetch in flight: a future of its answer. Dropped before it settles, the fetch stops.
///
/// ```no_run
/// # use gale_sdk::*;
/// # async fn handler() -> Result {
/// let fetch: Fetch = AsyncHTTPClient::new().fetch("https://api.example.com/");
/// let answer = fetch.await?;
/// # Ok(())
/// # }
/// ```
pub struct Fetch {
    started: Result<u32, HTTPClientError>,
    raise_error: bool,
    settled: bool,
}

impl Fetch {
    /// Whether an answer outside 2xx is an error (Tornado's `raise_error`, true by default).
    /// Without an answer, it is an error either way.
    ///
    /// ```no_run
    /// # async fn handler() -> gale_sdk::Result {
    /// let answer = gale_sdk::AsyncHTTPClient::new()
    ///     .fetch("https://api.example.com/maybe")
    ///     .raise_error(false)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn raise_error(mut self, raise_error: bool) -> Self {
        self.raise_error = raise_error;
        self
    }
}

impl Future for Fetch {
    type Output = Result<HTTPResponse, HTTPClientError>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = match &self.started {
            Err(error) => return Poll::Ready(Err(error.clone())),
            Ok(handle) => *handle,
        };
        crate::coroutine::take_done(handle);
        let Some(outcome) = host::outcome(handle) else {
            return Poll::Pending;
        };
        self.settled = true;
        let answer = HTTPResponse::from(outcome.map_err(HTTPClientError::from)?);
        if self.raise_error && !(200..300).contains(&answer.code) {
            let message = answer.reason.clone();
            return Poll::Ready(Err(HTTPClientError::new(
                answer.code,
                message,
                Some(answer),
            )));
        }
        Poll::Ready(Ok(answer))
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        if let (Ok(handle), false) = (&self.started, self.settled) {
            crate::bindings::gale::web::timers::cancel(*handle);
        }
    }
}
