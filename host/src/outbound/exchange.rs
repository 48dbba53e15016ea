//! One fetch, as Tornado's simple client makes it: its request written as Tornado writes it
//! (`Host`, `Content-Length`, `Accept-Encoding: gzip` when it decompresses), redirects
//! followed with Tornado's rules (each hop's origin checked again), the whole within the
//! request timeout, the body within the handler's budget.

use std::io::Read;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{self, HeaderName, HeaderValue};
use url::Url;

use super::connect::Sender;
use super::origins::origin_of;
use super::{FetchError, Outbound, Request, Response};

/// The methods a fetch may use, as Tornado's client.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// Fetches `request` for `plugin`: within its request timeout, following redirects.
pub(super) async fn fetch(
    outbound: &Outbound,
    plugin: &str,
    mut request: Request,
) -> Result<Response, FetchError> {
    let started = Instant::now();
    let deadline = started + request.request_timeout;
    let original = parse(&request.url)?;
    let mut url = original.clone();
    let exchange = async {
        loop {
            outbound.check(plugin, &url)?;
            let (answer, kept) = Box::pin(send(outbound, &url, &request)).await?;
            match next_hop(&request, &url, &answer)? {
                Some(hop) => {
                    hop.apply(&mut request, origin_of(&hop.url) != origin_of(&original));
                    url = hop.url;
                }
                None => {
                    let response = Box::pin(read(outbound, &request, url, answer, started)).await?;
                    // Its answer read whole, an HTTP/1.1 connection takes the next request.
                    if let Some((key, sender)) = kept {
                        outbound.pool.checkin(key, sender);
                    }
                    return Ok(response);
                }
            }
        }
    };
    match tokio::time::timeout_at(deadline.into(), exchange).await {
        Ok(outcome) => outcome,
        Err(_) => Err(FetchError::Timeout("Timeout during request".into())),
    }
}

/// `text` as a URL a fetch may have: absolute, `http` or `https`.
fn parse(text: &str) -> Result<Url, FetchError> {
    let url = Url::parse(text)
        .map_err(|error| FetchError::InvalidRequest(format!("{text:?}: {error}")))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(FetchError::InvalidRequest(format!(
            "{text:?}: only http and https URLs can be fetched"
        ))),
    }
}

/// An HTTP/1.1 connection to give back once its answer is read.
type Kept = Option<(super::connect::Key, Sender)>;

/// Sends one hop and returns its answer's head (the body still to read).
async fn send(
    outbound: &Outbound,
    url: &Url,
    request: &Request,
) -> Result<(hyper::Response<hyper::body::Incoming>, Kept), FetchError> {
    if !METHODS.contains(&request.method.as_str()) {
        let method = &request.method;
        return Err(FetchError::InvalidRequest(format!(
            "unsupported method {method}"
        )));
    }
    let (sender, key) = outbound.pool.checkout(url, request.connect_timeout).await?;
    let http2 = matches!(sender, Sender::Http2(_));
    let hyper_request = build(url, request, http2)?;
    let (answer, kept) = match sender {
        Sender::Http1(mut sender) => {
            let answer = sender.send_request(hyper_request).await;
            (answer, Some((key, Sender::Http1(sender))))
        }
        // Shared by any number of requests: it stays in the pool meanwhile.
        Sender::Http2(mut sender) => (sender.send_request(hyper_request).await, None),
    };
    let answer =
        answer.map_err(|error| FetchError::Connection(format!("{}: {error}", origin_of(url))))?;
    Ok((answer, kept))
}

/// The hop's request as Tornado writes it.
fn build(
    url: &Url,
    request: &Request,
    http2: bool,
) -> Result<hyper::Request<Full<Bytes>>, FetchError> {
    let target = match http2 {
        // HTTP/2 carries the scheme and authority as pseudo-headers, from the full URI.
        true => url.as_str().to_owned(),
        false => match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        },
    };
    let mut built = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(target);
    let headers = built.headers_mut().expect("a fresh builder has headers");
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| FetchError::InvalidRequest(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| FetchError::InvalidRequest(format!("invalid value for {name}")))?;
        headers.append(name, value);
    }
    if !http2 && !headers.contains_key(header::HOST) {
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        headers.insert(
            header::HOST,
            HeaderValue::from_str(host).expect("a URL's host is ASCII"),
        );
    }
    if request.decompress && !headers.contains_key(header::ACCEPT_ENCODING) {
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
    }
    let body = request.body.clone().unwrap_or_default();
    built
        .body(Full::new(Bytes::from(body)))
        .map_err(|error| FetchError::InvalidRequest(error.to_string()))
}

/// A redirect to follow.
struct Hop {
    url: Url,
    /// Whether the request becomes a GET without its body (a POST after 301 or 302, all but
    /// HEAD after 303).
    to_get: bool,
}

impl Hop {
    /// Readies `request` for the hop, as Tornado does: one redirect fewer left, a GET
    /// without the body's headers when turned, and no `Authorization` or `Cookie` to
    /// another origin than the first.
    fn apply(&self, request: &mut Request, cross_origin: bool) {
        request.max_redirects -= 1;
        let mut dropped: Vec<&str> = vec!["host"];
        if self.to_get {
            request.method = "GET".into();
            request.body = None;
            dropped.extend([
                "content-length",
                "content-type",
                "content-encoding",
                "transfer-encoding",
            ]);
        }
        if cross_origin {
            dropped.extend(["authorization", "cookie"]);
        }
        request
            .headers
            .retain(|(name, _)| !dropped.iter().any(|gone| name.eq_ignore_ascii_case(gone)));
    }
}

/// Where a redirect goes, as Tornado follows one; `None` when the answer is final.
fn next_hop(
    request: &Request,
    url: &Url,
    answer: &hyper::Response<hyper::body::Incoming>,
) -> Result<Option<Hop>, FetchError> {
    let code = answer.status().as_u16();
    let location = answer.headers().get(header::LOCATION);
    let follows = request.follow_redirects
        && request.max_redirects > 0
        && matches!(code, 301 | 302 | 303 | 307 | 308);
    let Some(location) = location.filter(|_| follows) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| FetchError::Connection("a Location that is not text".into()))?;
    let next = parse(
        url.join(location)
            .map_err(|error| {
                FetchError::Connection(format!("a redirect to {location:?}: {error}"))
            })?
            .as_str(),
    )?;
    let to_get = (code == 303 && request.method != "HEAD")
        || (matches!(code, 301 | 302) && request.method == "POST");
    Ok(Some(Hop { url: next, to_get }))
}

/// The final answer, its body read within the handler's budget (and decompressed).
async fn read(
    outbound: &Outbound,
    request: &Request,
    url: Url,
    answer: hyper::Response<hyper::body::Incoming>,
    started: Instant,
) -> Result<Response, FetchError> {
    let limit = outbound.settings.max_body;
    let (head, body) = answer.into_parts();
    let body = Limited::new(body, limit)
        .collect()
        .await
        .map_err(
            |error| match error.is::<http_body_util::LengthLimitError>() {
                true => too_large(limit),
                false => FetchError::Connection(format!("{}: {error}", origin_of(&url))),
            },
        )?
        .to_bytes();
    let gzipped = head
        .headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|encoding| encoding.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let mut headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match gzipped && request.decompress {
        true => {
            headers.retain(|(name, _)| name != "content-encoding");
            gunzip(&body, limit)?
        }
        false => body,
    };
    let reason = head
        .extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|reason| String::from_utf8_lossy(reason.as_bytes()).into_owned())
        .or_else(|| head.status.canonical_reason().map(str::to_owned))
        .unwrap_or_else(|| "Unknown".into());
    Ok(Response {
        code: head.status.as_u16(),
        reason,
        headers,
        body,
        effective_url: url.into(),
        request_time: started.elapsed(),
    })
}

/// A gzip body, decompressed within `limit`.
fn gunzip(body: &[u8], limit: usize) -> Result<Bytes, FetchError> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| {
            FetchError::Connection(format!("a gzip body that does not decode: {error}"))
        })?;
    match decoded.len() > limit {
        true => Err(too_large(limit)),
        false => Ok(decoded.into()),
    }
}

fn too_large(limit: usize) -> FetchError {
    FetchError::TooLarge(format!(
        "the response body is over the {limit} bytes a handler may hold \
         (--handler-memory, --max-response-buffer)"
    ))
}
