//! The response a handler builds, with Tornado's rules for headers, status, Etag and finish.

use bytes::{Bytes, BytesMut};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, StatusCode};
use sha1::{Digest, Sha1};

use super::body::{BodySender, ResponseBody};
use super::error_page::error_page;
use super::response_error::{Misuse, Refused, ResponseError};
use super::set_cookies::SetCookies;
use super::status::{is_valid_reason, reason_phrase};

/// The `Server` header every response carries.
pub const SERVER: &str = concat!("gale/", env!("CARGO_PKG_VERSION"));

/// The default content type, as Tornado's.
const HTML: &str = "text/html; charset=UTF-8";

/// Header values a response may carry. `HeaderMap` panics past 32,768 distinct names, and
/// every value is host memory a handler could otherwise grow without bound.
pub const MAX_HEADERS: usize = 1000;

/// Headers whose value only the host may choose: they frame the message, and a handler that
/// could set them could make one response read as two (response splitting) behind a proxy
/// that reuses connections.
const HOST_OWNED: [HeaderName; 4] = [
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
    header::UPGRADE,
];

/// A response being built: status, headers and the buffered body.
#[derive(Debug)]
pub struct ResponseState {
    status: u16,
    reason: String,
    headers: HeaderMap,
    body: BytesMut,
    finished: bool,
    /// The cookies set; `clear()` keeps them, as Tornado's.
    cookies: SetCookies,
    /// Whether the head has gone out with a first `flush`.
    streaming: bool,
}

impl Default for ResponseState {
    fn default() -> Self {
        let mut response = Self::empty(false);
        response.clear();
        response
    }
}

impl ResponseState {
    /// Tornado's `clear()`: status 200 and the default headers, no body.
    pub fn clear(&mut self) {
        self.status = 200;
        self.reason = "OK".into();
        self.headers.clear();
        self.headers
            .insert(header::SERVER, HeaderValue::from_static(SERVER));
        self.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
        self.headers.insert(header::DATE, super::date::now());
        self.body.clear();
    }

    /// The bytes of the headers' names and values.
    fn header_bytes(&self) -> usize {
        self.headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    }

    /// How many bytes of the host's memory this response holds: body, headers, cookies and
    /// reason. The handler's budget (`--max-response-buffer`) bounds it.
    pub fn held(&self) -> usize {
        self.body.len() + self.header_bytes() + self.reason.len() + self.cookies.bytes()
    }

    /// Sets the status. A code with no standard phrase needs `reason`; an invalid reason is
    /// refused.
    pub fn set_status(&mut self, code: u16, reason: Option<&str>) -> Result<(), ResponseError> {
        if !(100..=999).contains(&code) {
            return Err(Refused::UnknownStatus(code).into());
        }
        let reason = match reason {
            Some(reason) if is_valid_reason(reason) => reason,
            Some(reason) => {
                return Err(Refused::InvalidValue(format!(
                    "invalid reason phrase {reason:?}: visible text only, no '<'"
                ))
                .into());
            }
            None => reason_phrase(code).ok_or(Refused::UnknownStatus(code))?,
        };
        self.status = code;
        self.reason = reason.to_owned();
        Ok(())
    }

    /// Sets the status of an error response, as Tornado's `send_error`: an unknown code or a
    /// bad reason reads `Unknown`, and a code HTTP cannot carry becomes 500.
    pub fn set_error_status(&mut self, code: u16, reason: Option<&str>) {
        if self.set_status(code, reason).is_err() {
            let code = if StatusCode::from_u16(code).is_ok() {
                code
            } else {
                500
            };
            let reason = reason_phrase(code).unwrap_or("Unknown");
            self.status = code;
            self.reason = reason.to_owned();
        }
    }

    /// Makes the response a 101 Switching Protocols with no body type: what an accepted
    /// WebSocket upgrade answers (the handshake headers are added when it is sent).
    pub fn switch_protocols(&mut self) {
        self.status = 101;
        self.reason = "Switching Protocols".to_owned();
        self.clear_header("Content-Type");
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Replaces a header.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), ResponseError> {
        let (name, value) = header_pair(name, value)?;
        self.headers.remove(&name);
        self.append(name, value)
    }

    /// Adds a value for a header.
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<(), ResponseError> {
        let (name, value) = header_pair(name, value)?;
        self.append(name, value)
    }

    /// Removes a header (all its values).
    pub fn clear_header(&mut self, name: &str) {
        self.headers.remove(name);
    }

    /// Appends a value within the header cap.
    fn append(&mut self, name: HeaderName, value: HeaderValue) -> Result<(), ResponseError> {
        if self.headers.len() >= MAX_HEADERS {
            return Err(ResponseError::OverCap(format!(
                "more than {MAX_HEADERS} response header values"
            )));
        }
        self.headers.append(name, value);
        Ok(())
    }

    /// The host's own `Content-Length`, for a response whose body is not in the buffer (a
    /// static file, streamed or answered to HEAD).
    pub fn set_content_length(&mut self, length: u64) {
        self.headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }

    /// Appends to the body; an error after `finish`.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), Misuse> {
        if self.finished {
            return Err(Misuse::WriteAfterFinish);
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// Adds a cookie's `Set-Cookie` value, replacing an earlier one of the same name (which
    /// moves to the end); a new name past `MAX_COOKIES` is refused.
    pub fn set_cookie(&mut self, name: &str, header: String) -> Result<(), ResponseError> {
        self.cookies
            .set(name, header)
            .map_err(|error| ResponseError::OverCap(error.to_string()))
    }

    /// Takes what has been written since the last flush.
    pub fn take_body(&mut self) -> Bytes {
        self.body.split().freeze()
    }

    /// Whether the head has been sent by a `flush`.
    pub fn streaming(&self) -> bool {
        self.streaming
    }

    /// The head of a streamed response (no `Content-Length`: chunked on HTTP/1.1) and the
    /// sender for its body; headers set later are not sent, as in Tornado after a flush.
    pub fn start_stream(&mut self) -> (hyper::Response<ResponseBody>, BodySender) {
        self.streaming = true;
        let (body, sender) = ResponseBody::stream();
        let headers = std::mem::take(&mut self.headers);
        let head = with_head(self.status, &self.reason, headers, &self.cookies, body);
        (head, sender)
    }

    /// Ends the response; an error the second time.
    pub fn finish(&mut self) -> Result<(), Misuse> {
        if std::mem::replace(&mut self.finished, true) {
            return Err(Misuse::FinishTwice);
        }
        Ok(())
    }

    /// Drops what has been written, keeping status and headers.
    pub fn clear_body(&mut self) {
        self.body.clear();
        self.finished = false;
    }

    /// Writes the default error page for the current status and finishes.
    pub fn finish_with_error_page(&mut self) -> Result<(), Misuse> {
        let page = error_page(self.status, &self.reason);
        self.write(page.as_bytes())?;
        self.finish()
    }

    /// Hands the response over for sending, leaving a finished, empty one in its place: what
    /// `on_finish` writes is never sent, and writing then is an error, as in Tornado.
    pub fn take_for_sending(&mut self) -> ResponseState {
        std::mem::replace(self, Self::empty(true))
    }

    /// A response with no headers and no body; allocates nothing.
    fn empty(finished: bool) -> Self {
        Self {
            status: 200,
            reason: String::new(),
            headers: HeaderMap::new(),
            body: BytesMut::new(),
            finished,
            cookies: SetCookies::default(),
            streaming: false,
        }
    }

    /// Whether the response is finished.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Tornado's `redirect`: the status (301, 302 or a given 3xx), `Location`, then finish.
    pub fn redirect(
        &mut self,
        url: &str,
        permanent: bool,
        status: Option<u16>,
    ) -> Result<(), ResponseError> {
        if self.finished {
            let why = "Cannot redirect after finish()".into();
            return Err(Refused::InvalidValue(why).into());
        }
        let status = match status {
            None if permanent => 301,
            None => 302,
            Some(status @ 300..=399) => status,
            Some(status) => {
                let why = format!("a redirect status must be 3xx, not {status}");
                return Err(Refused::InvalidValue(why).into());
            }
        };
        self.set_header("Location", url)?;
        self.set_status(status, None)?;
        self.finished = true;
        Ok(())
    }

    /// Tornado's `finish()` on the wire: Etag and 304 for a GET, no body or content headers
    /// for 1xx, 204 and 304, `Content-Length` otherwise.
    pub fn into_response(
        mut self,
        method: &Method,
        if_none_match: Option<&HeaderValue>,
    ) -> hyper::Response<ResponseBody> {
        if self.status == 200
            && matches!(*method, Method::GET | Method::HEAD)
            && !self.headers.contains_key(header::ETAG)
        {
            let etag = format!("\"{}\"", super::hex::encode(&Sha1::digest(&self.body)));
            if if_none_match
                .is_some_and(|wanted| super::etag::matches(wanted.as_bytes(), etag.as_bytes()))
            {
                self.body.clear();
                self.status = 304;
                self.reason = "Not Modified".into();
            }
            self.headers.insert(
                header::ETAG,
                HeaderValue::from_str(&etag).expect("a hex Etag is a valid header"),
            );
        }
        if matches!(self.status, 100..=199 | 204 | 304) {
            for name in [
                header::CONTENT_ENCODING,
                header::CONTENT_LANGUAGE,
                header::CONTENT_TYPE,
            ] {
                self.headers.remove(name);
            }
            self.body.clear();
        } else if !self.headers.contains_key(header::CONTENT_LENGTH) {
            // Handlers cannot set it (`HOST_OWNED`); only the host's static files do.
            self.headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        }
        let body = ResponseBody::new(self.body.freeze());
        with_head(self.status, &self.reason, self.headers, &self.cookies, body)
    }
}

/// A hyper response of this status, reason, headers and cookies around `body`.
fn with_head(
    status: u16,
    reason: &str,
    mut headers: HeaderMap,
    cookies: &SetCookies,
    body: ResponseBody,
) -> hyper::Response<ResponseBody> {
    for cookie in cookies.values() {
        // The value was validated when the cookie was set.
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = hyper::Response::new(body);
    *response.status_mut() = code;
    *response.headers_mut() = headers;
    if code.canonical_reason() != Some(reason)
        && let Ok(reason) = hyper::ext::ReasonPhrase::try_from(reason.as_bytes().to_vec())
    {
        response.extensions_mut().insert(reason);
    }
    response
}

/// A validated header name and value; values may hold tabs and visible text only, as
/// Tornado's `_convert_header_value`; the framing headers are the host's.
fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Refused> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Refused::InvalidValue(format!("invalid header name {name:?}")))?;
    if HOST_OWNED.contains(&name) {
        return Err(Refused::HostOwned(format!(
            "the {name} header is set by the host, which frames every response"
        )));
    }
    let unsafe_value = || Refused::InvalidValue(format!("Unsafe header value {value:?}"));
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(Refused::InvalidValue(format!(
            "Unsafe header value {value:?}: control characters are not allowed"
        )));
    }
    let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| unsafe_value())?;
    Ok((name, value))
}

/// A finished response with Tornado's default error page.
pub fn error_response(status: u16, method: &Method) -> hyper::Response<ResponseBody> {
    let mut response = ResponseState::default();
    response.set_error_status(status, None);
    // A fresh response is unfinished, so this cannot fail.
    let _ = response.finish_with_error_page();
    response.into_response(method, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_needs_a_reason() {
        let mut response = ResponseState::default();
        assert!(response.set_status(599, None).is_err());
        response.set_status(599, Some("Custom")).unwrap();
        assert_eq!((response.status(), response.reason()), (599, "Custom"));
        assert!(response.set_status(200, Some("<b>")).is_err());
        assert!(response.set_status(42, Some("x")).is_err());
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let mut response = ResponseState::default();
        assert!(response.set_header("X-A", "a\r\nSet-Cookie: x=y").is_err());
        assert!(response.set_header("X A", "a").is_err());
        response.set_header("X-A", "tab\tok").unwrap();
    }

    #[test]
    fn error_status_falls_back_as_send_error_does() {
        let mut response = ResponseState::default();
        response.set_error_status(599, None);
        assert_eq!((response.status(), response.reason()), (599, "Unknown"));
        response.set_error_status(1000, None);
        assert_eq!(
            (response.status(), response.reason()),
            (500, "Internal Server Error")
        );
    }
}
