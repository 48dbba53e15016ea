//! The request as the host keeps it while a handler runs: parsed once, read on demand.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Version};

use super::args::{Arguments, TooManyArguments, count_pairs};
use super::cookies::parse_cookie;
use super::form::{self, BodyError, Files, Form};
use super::site::Site;
use super::xheaders::{Client, Scheme};
use crate::router::{PathArgs, ReverseUrl, RouteTable};

/// Bodies larger than this are parsed on the blocking pool: a 1 MiB form of short pairs
/// takes about a millisecond to parse, past which it would delay the loop's other requests.
pub const PARSE_OFF_LOOP: usize = 1 << 20;

/// Where an argument is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSource {
    /// The query string.
    Query,
    /// A form-encoded or multipart body.
    Body,
    /// Both, query first.
    All,
}

/// One request: head, body, captures, and the route table it was routed with. Once parsed it
/// is shared (`Arc`): a WebSocket connection hands its upgrade request to each event.
pub struct RequestData {
    /// The method.
    pub method: Method,
    /// The request target as sent.
    pub uri: hyper::Uri,
    /// The protocol version.
    pub version: Version,
    /// The headers as received.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The client as handlers see it: the peer, or what a proxy says with `--xheaders`.
    pub client: Client,
    /// The captures of the matched route.
    pub path_args: PathArgs,
    /// The table the request was routed with, for `reverse_url` (holding it also keeps the
    /// plugin version serving the request loaded until the request ends).
    pub routes: Arc<dyn ReverseUrl>,
    /// The server's settings: cookie secret, static directory.
    pub site: Arc<Site>,
    form: Form,
    query_arguments: OnceLock<Arguments>,
    all_arguments: OnceLock<Arguments>,
    cookies: OnceLock<Vec<(String, String)>>,
}

/// Copies the request's URI and header values out of hyper's read buffer. As parsed they
/// are slices of it: kept while the request waits for its handler, they would pin that
/// buffer, and hyper, reading on before the handler has answered, would allocate another
/// for every connection with a request in flight (40 MiB more RSS under 10,000 of them:
/// bench/c10k, docs/performance-log.md).
pub fn own_head<B>(request: &mut hyper::Request<B>) {
    if let Ok(uri) = hyper::Uri::try_from(request.uri().to_string()) {
        *request.uri_mut() = uri;
    }
    for value in request.headers_mut().values_mut() {
        if let Ok(mut owned) = HeaderValue::from_bytes(value.as_bytes()) {
            owned.set_sensitive(value.is_sensitive());
            *value = owned;
        }
    }
}

impl RequestData {
    /// A request from its parts, body, client (the peer, or whom its proxy names: see
    /// [`Site::client`]) and routing.
    pub fn new(
        parts: Parts,
        body: Bytes,
        client: Client,
        path_args: PathArgs,
        routes: Arc<dyn ReverseUrl>,
        site: Arc<Site>,
    ) -> Self {
        Self {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            body,
            client,
            path_args,
            routes,
            site,
            form: Form::default(),
            query_arguments: OnceLock::new(),
            all_arguments: OnceLock::new(),
            cookies: OnceLock::new(),
        }
    }

    /// Parses a form-encoded or multipart body into arguments and files, as Tornado does
    /// before the handler runs, refusing more than `max_arguments` with the query's; the
    /// error says why the body is refused (HTTP 400). A body over [`PARSE_OFF_LOOP`] is
    /// parsed on the blocking pool, so it never holds up the loop's other requests.
    pub async fn parse_body(&mut self, max_arguments: usize) -> Result<(), BodyError> {
        let in_query = count_pairs(self.query().as_bytes());
        let limit = max_arguments
            .checked_sub(in_query)
            .ok_or(TooManyArguments(max_arguments))?;
        let content_type = self
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        self.form = if self.body.len() > PARSE_OFF_LOOP {
            let body = self.body.clone();
            tokio::task::spawn_blocking(move || form::parse(content_type.as_deref(), &body, limit))
                .await
                .map_err(|error| BodyError::Malformed(format!("the parser failed: {error}")))??
        } else {
            form::parse(content_type.as_deref(), &self.body, limit)?
        };
        Ok(())
    }

    /// The uploaded files.
    pub fn files(&self) -> &Files {
        &self.form.files
    }

    /// The request's cookies, as Tornado's `request.cookies`, parsed on first use.
    pub fn cookies(&self) -> &[(String, String)] {
        self.cookies.get_or_init(|| {
            self.header("Cookie")
                .map_or_else(Vec::new, |header| parse_cookie(&header))
        })
    }

    /// One cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies()
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path, still percent-encoded.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The query string, `""` when there is none.
    pub fn query(&self) -> &str {
        self.uri.query().unwrap_or("")
    }

    /// `HTTP/1.0` or `HTTP/1.1`, as Tornado writes `request.version`.
    pub fn version_str(&self) -> &'static str {
        match self.version {
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_2 => "HTTP/2.0",
            _ => "HTTP/1.1",
        }
    }

    /// A header's values joined by `,`, as Tornado's `HTTPHeaders.get`.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()));
        let first = values.next()?;
        Some(values.fold(first.into_owned(), |joined, value| joined + "," + &value))
    }

    /// The `Host` header, else the URI's authority, else `127.0.0.1`.
    pub fn host(&self) -> String {
        self.header("Host")
            .or_else(|| self.uri.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "127.0.0.1".into())
    }

    /// The raw values of argument `name` in `source` (for `All`, the query's then the
    /// body's), without merging the two sets: a body of a million names stays untouched.
    pub fn argument(&self, source: ArgSource, name: &str) -> impl Iterator<Item = &Vec<u8>> {
        let (query, body) = match source {
            ArgSource::Query => (self.arguments(ArgSource::Query).get(name), &[][..]),
            ArgSource::Body => (&[][..], self.form.arguments.get(name)),
            ArgSource::All => (
                self.arguments(ArgSource::Query).get(name),
                self.form.arguments.get(name),
            ),
        };
        query.iter().chain(body)
    }

    /// The arguments of `source`, parsed on first use.
    pub fn arguments(&self, source: ArgSource) -> &Arguments {
        match source {
            ArgSource::Query => self
                .query_arguments
                .get_or_init(|| Arguments::parse(self.query().as_bytes())),
            ArgSource::Body => &self.form.arguments,
            ArgSource::All => self.all_arguments.get_or_init(|| {
                self.arguments(ArgSource::Query)
                    .merged(self.arguments(ArgSource::Body))
            }),
        }
    }
}

impl RequestData {
    /// An empty `GET /`, for the instance that reads a plugin's routes at load time, and
    /// in place of the request an idle reused instance has served. Its route table and site
    /// are made once per process: a fresh `Site` draws a random secret (a `getrandom` call),
    /// which cost a reused instance 3.4% of its time when made for every request.
    pub fn placeholder() -> Arc<Self> {
        static EMPTY: std::sync::LazyLock<Arc<RequestData>> = std::sync::LazyLock::new(|| {
            let (parts, ()) = hyper::Request::new(()).into_parts();
            let table: Arc<RouteTable<()>> = Arc::default();
            Arc::new(RequestData::new(
                parts,
                Bytes::new(),
                Client::direct([127, 0, 0, 1].into(), Scheme::Http),
                PathArgs::default(),
                table,
                Arc::default(),
            ))
        });
        EMPTY.clone()
    }
}
