//! A request's intake on a worker: refuse what a proxy could read differently, route, read
//! and parse the body within its limits, then answer from the host (404, redirects, static
//! files) or hand the request to a handler task; and log it, as Tornado's access log does.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio::sync::oneshot;

use crate::builtin::static_files;
use crate::http::body::ResponseBody;
use crate::http::framing::AmbiguousLength;
use crate::http::request::RequestData;
use crate::http::response::error_response;
use crate::http::xheaders::{Client, Scheme};
use crate::metrics::{self, RouteLabel};
use crate::plugins::Target;
use crate::plugins::set::short;
use crate::router::ReverseUrl;
use crate::runtime::driver;
use crate::worker::{ConnectionPermit, Worker};

/// Routes one request and runs its handler; counts it (with `--admin`) and logs it as
/// Tornado's access log does.
pub(crate) async fn serve_request(
    worker: &Worker,
    request: hyper::Request<Incoming>,
    remote: SocketAddr,
    scheme: Scheme,
) -> hyper::Response<ResponseBody> {
    let started = Instant::now();
    let _in_flight = metrics::hold(metrics::Hold::Request);
    let (method, uri) = (request.method().clone(), request.uri().clone());
    // Once per request, for the handler and the access log alike.
    let client = worker
        .shared
        .site
        .client(remote.ip(), scheme, request.headers());
    let mut label = RouteLabel::default();
    // Boxed for its short life: hyper keeps this future per connection, at its largest size,
    // for as long as the connection is open, and routing is the large part of it.
    let response = match Box::pin(route(worker, request, client, &mut label)).await {
        Routed::Now(response) => response,
        // Only a stopping worker drops a handler task before it answers.
        Routed::Later(response) => response
            .await
            .unwrap_or_else(|_| error_response(503, &method)),
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::record(|metrics| metrics.request_answered(&label, &method, status, elapsed));
    if worker.shared.intake.access_log {
        log_access(status, &method, &uri, client.ip, elapsed, &label);
    }
    response
}

/// One line per request in Tornado's shape, `200 GET /path (127.0.0.1) 0.52ms`, at its
/// level (info below 400, warning below 500, else error), with the plugin, its version and
/// the route pattern as fields.
fn log_access(
    status: u16,
    method: &hyper::Method,
    uri: &hyper::Uri,
    client: IpAddr,
    elapsed: Duration,
    label: &RouteLabel,
) {
    let (plugin, version, route) = (&*label.plugin, short(&label.version), &*label.pattern);
    let ms = elapsed.as_secs_f64() * 1000.0;
    macro_rules! access {
        ($level:ident) => {
            tracing::$level!(target: "gale::access", plugin, version, route,
                "{status} {method} {uri} ({client}) {ms:.2}ms")
        };
    }
    match status {
        500.. => access!(error),
        400..500 => access!(warn),
        _ => access!(info),
    }
}

/// Where a request's response comes from.
enum Routed {
    /// Answered by the host.
    Now(hyper::Response<ResponseBody>),
    /// Answered by a handler task, when it has a response.
    Later(oneshot::Receiver<hyper::Response<ResponseBody>>),
}

impl From<hyper::Response<ResponseBody>> for Routed {
    fn from(response: hyper::Response<ResponseBody>) -> Self {
        Routed::Now(response)
    }
}

/// The label of what `--static` answers.
static STATIC_ROUTE: LazyLock<Arc<str>> = LazyLock::new(|| "/static/(.*)".into());

/// Routes `request`, naming in `label` the route that answers it.
async fn route(
    worker: &Worker,
    request: hyper::Request<Incoming>,
    client: Client,
    label: &mut RouteLabel,
) -> Routed {
    let shared = &*worker.shared;
    let table = shared.registry.snapshot();
    let (mut parts, body) = request.into_parts();
    if let Err(why) = check_framing(&parts) {
        tracing::warn!("400 {} {}: {why}", parts.method, parts.uri);
        let mut response = error_response(400, &parts.method);
        // What else a proxy sent on this connection may be read differently: end it.
        let close = hyper::header::HeaderValue::from_static("close");
        response
            .headers_mut()
            .insert(hyper::header::CONNECTION, close);
        return response.into();
    }
    if let Some(files) = &shared.site.static_files
        && let Some(path) = parts.uri.path().strip_prefix(static_files::PREFIX)
    {
        label.pattern = STATIC_ROUTE.clone();
        // Boxed, as the static target below: reading files is large state, seldom needed.
        return Box::pin(serve_static(files, &parts, path)).await.into();
    }
    let Some((route, captures)) = table.find(parts.uri.path()) else {
        return error_response(404, &parts.method).into();
    };
    label.pattern = route.pattern.source().clone();
    if let Target::Plugin { plugin, .. } = &route.target {
        label.plugin = plugin.name.clone();
        label.version = plugin.hash.clone();
    }
    let path_args = match captures {
        Ok(path_args) => path_args,
        Err(error) => {
            tracing::warn!("400 {} {}: {error}", parts.method, parts.uri);
            return error_response(400, &parts.method).into();
        }
    };
    let target = route.target.clone();
    if asks_for_websocket(&parts.headers) && declares_body(&parts.headers) {
        // An upgrade's request lives as long as its connection: it carries nothing more.
        tracing::warn!(
            "400 {} {}: a WebSocket upgrade request carries no body",
            parts.method,
            parts.uri
        );
        return error_response(400, &parts.method).into();
    }
    let (limit, timeout) = (shared.intake.max_body_size, shared.intake.body_timeout);
    let body = match tokio::time::timeout(timeout, read_body(body, limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(status)) => return error_response(status, &parts.method).into(),
        Err(_) => {
            tracing::warn!(
                "408: the request body did not arrive within {timeout:?} (--body-timeout)"
            );
            return error_response(408, &parts.method).into();
        }
    };
    let site = shared.site.clone();
    // The connection itself and its permit, should the handler accept a WebSocket upgrade.
    let (upgrade, permit) = match parts.headers.contains_key(hyper::header::UPGRADE) {
        true => (
            parts.extensions.remove::<hyper::upgrade::OnUpgrade>(),
            parts.extensions.remove::<ConnectionPermit>(),
        ),
        false => (None, None),
    };
    // An upgrade's request may live as long as its connection: it must not pin the table.
    let routes: Arc<dyn ReverseUrl> = match upgrade.is_some() {
        true => shared.registry.live_routes(),
        false => table,
    };
    let mut request = RequestData::new(parts, body, client, path_args, routes, site);
    if let Err(error) = request.parse_body(shared.intake.max_arguments).await {
        tracing::warn!("400 {} {}: {error}", request.method, request.uri);
        return error_response(400, &request.method).into();
    }
    match target {
        Target::Plugin { plugin, handler } => {
            let (runtime, services) = (&shared.runtime, &worker.services);
            let follow = upgrade.is_some().then(|| {
                let path = request.path().to_owned();
                shared.registry.follow(path, plugin.name.clone())
            });
            let lifeline = driver::Lifeline {
                upgrade,
                permit: permit.map(|held| held.0 as _),
                stopping: worker.stopping.clone(),
                follow,
            };
            Routed::Later(driver::start(
                runtime,
                &worker.tasks,
                &plugin,
                handler,
                request,
                lifeline,
                services,
            ))
        }
        Target::Redirect(redirect) => redirect.respond(&request).into(),
        Target::Static(files) => {
            let path = request.path_args.args.first().cloned().flatten();
            let query = request.query();
            let path = path.as_deref().unwrap_or("");
            Box::pin(files.respond(&request.method, &request.headers, query, path))
                .await
                .into()
        }
    }
}

/// Whether the request asks to become a WebSocket (`Upgrade: websocket`, any case).
fn asks_for_websocket(headers: &hyper::HeaderMap) -> bool {
    let upgrade = headers.get_all(hyper::header::UPGRADE).iter();
    upgrade
        .flat_map(|value| value.as_bytes().split(|byte| *byte == b','))
        .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"websocket"))
}

/// Whether the request's head announces a body: a `Content-Length` other than 0, or a
/// `Transfer-Encoding`.
fn declares_body(headers: &hyper::HeaderMap) -> bool {
    let length = headers.get(hyper::header::CONTENT_LENGTH);
    headers.contains_key(hyper::header::TRANSFER_ENCODING)
        || length.is_some_and(|length| length.as_bytes().trim_ascii() != b"0")
}

/// RFC 9112's rules for a request a proxy and gale could read differently: a request must
/// not carry both `Content-Length` and `Transfer-Encoding` (section 6.1, as Tornado), and an
/// HTTP/1.1 request must carry `Host` (section 3.2: "MUST respond with 400").
fn check_framing(parts: &hyper::http::request::Parts) -> Result<(), FramingError> {
    if parts.extensions.get::<AmbiguousLength>().is_some() {
        return Err(FramingError::LengthAndChunked);
    }
    if parts.version == hyper::Version::HTTP_11 && !parts.headers.contains_key(hyper::header::HOST)
    {
        return Err(FramingError::NoHost);
    }
    Ok(())
}

/// A request refused before routing: 400, and the connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FramingError {
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndChunked,
    /// HTTP/1.1 without `Host`.
    NoHost,
}

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LengthAndChunked => {
                "a request must not have both Content-Length and Transfer-Encoding (RFC 9112)"
            }
            Self::NoHost => "an HTTP/1.1 request must have a Host header (RFC 9112)",
        })
    }
}

/// `--static`: the path after `/static/`, URL-unescaped, from the static directory.
async fn serve_static(
    files: &static_files::StaticFiles,
    parts: &hyper::http::request::Parts,
    path: &str,
) -> hyper::Response<ResponseBody> {
    let Ok(path) = percent_encoding::percent_decode_str(path).decode_utf8() else {
        return error_response(400, &parts.method);
    };
    let query = parts.uri.query().unwrap_or("");
    files
        .respond(&parts.method, &parts.headers, query, &path)
        .await
}

/// Reads the whole body, refusing one larger than `limit` with 413 before reading it when
/// `Content-Length` says so.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, u16> {
    if hyper::body::Body::size_hint(&body).lower() > limit as u64 {
        tracing::warn!(
            "413: the request body is larger than the {limit}-byte limit (--max-body-size)"
        );
        return Err(413);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            tracing::warn!(
                "413: the request body exceeded the {limit}-byte limit (--max-body-size)"
            );
            Err(413)
        }
        Err(error) => {
            tracing::warn!("400: the request body could not be read: {error}");
            Err(400)
        }
    }
}
