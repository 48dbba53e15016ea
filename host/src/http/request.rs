//! The request as the host keeps it while a handler runs: parsed once, read on demand.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Version};

use super::args::Arguments;
use super::xheaders::Client;
use crate::router::{PathArgs, RouteTable};

/// Where an argument is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSource {
    /// The query string.
    Query,
    /// A form-encoded body.
    Body,
    /// Both, query first.
    All,
}

/// One request: head, body, captures, and the route table it was routed with.
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
    /// The peer.
    pub remote: SocketAddr,
    /// The client as handlers see it: the peer, or what a proxy says with `--xheaders`.
    pub client: Client,
    /// The captures of the matched route.
    pub path_args: PathArgs,
    /// The table the request was routed with, for `reverse_url`.
    pub routes: Arc<RouteTable>,
    query_arguments: OnceLock<Arguments>,
    body_arguments: OnceLock<Arguments>,
    all_arguments: OnceLock<Arguments>,
}

impl RequestData {
    /// A request from its parts, body and routing.
    pub fn new(
        parts: Parts,
        body: Bytes,
        remote: SocketAddr,
        path_args: PathArgs,
        routes: Arc<RouteTable>,
        xheaders: bool,
    ) -> Self {
        let client = if xheaders {
            Client::behind_proxy(remote.ip(), &parts.headers)
        } else {
            Client::direct(remote.ip())
        };
        Self {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            body,
            remote,
            client,
            path_args,
            routes,
            query_arguments: OnceLock::new(),
            body_arguments: OnceLock::new(),
            all_arguments: OnceLock::new(),
        }
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

    /// The arguments of `source`, parsed on first use.
    pub fn arguments(&self, source: ArgSource) -> &Arguments {
        match source {
            ArgSource::Query => self
                .query_arguments
                .get_or_init(|| Arguments::parse(self.query().as_bytes())),
            ArgSource::Body => self
                .body_arguments
                .get_or_init(|| self.parse_body_arguments()),
            ArgSource::All => self.all_arguments.get_or_init(|| {
                self.arguments(ArgSource::Query)
                    .merged(self.arguments(ArgSource::Body))
            }),
        }
    }

    /// A form-encoded body's arguments; other bodies have none.
    fn parse_body_arguments(&self) -> Arguments {
        let form = self
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                mime.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if form {
            Arguments::parse(&self.body)
        } else {
            Arguments::default()
        }
    }
}

impl RequestData {
    /// An empty `GET /`, for the instance that reads a plugin's routes at load time.
    pub fn placeholder() -> Self {
        let (parts, ()) = hyper::Request::new(()).into_parts();
        Self::new(
            parts,
            Bytes::new(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
            PathArgs::default(),
            Arc::default(),
            false,
        )
    }
}
