//! The smallest HTTP/1.1 client a test needs: one request per connection, the body read to
//! the end (chunked or not), cookies kept by name.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `form` URL-encoded.
pub(crate) fn form(form: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (byte as char).to_string()
                }
                _ => format!("%{byte:02X}"),
            })
            .collect()
    };
    form.iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookies: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        head += &format!("Cookie: {cookie}\r\n");
    }
    if !body.is_empty() || method == "POST" {
        head += "Content-Type: application/x-www-form-urlencoded\r\n";
        head += &format!("Content-Length: {}\r\n", body.len());
    }
    stream.write_all(head.as_bytes())?;
    stream.write_all(b"\r\n")?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> std::io::Result<Response> {
    let malformed = || std::io::Error::other("the server's answer is not HTTP");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(malformed)?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(malformed)?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    if chunked {
        body = dechunk(&body).ok_or_else(malformed)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// Keeps the cookies `response` sets (an empty value, or `Max-Age=0`, removes one).
pub(crate) fn keep_cookies(cookies: &mut Vec<(String, String)>, response: &Response) {
    for (name, value) in &response.headers {
        if name != "set-cookie" {
            continue;
        }
        let mut parts = value.split(';');
        let Some((cookie, text)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            continue;
        };
        let (cookie, text) = (cookie.trim().to_owned(), text.trim().to_owned());
        let expired = parts.any(|part| part.trim().eq_ignore_ascii_case("max-age=0"));
        cookies.retain(|(name, _)| *name != cookie);
        if !expired && !text.is_empty() && text != "\"\"" {
            cookies.push((cookie, text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_answer_is_read_whole_and_its_cookies_kept() {
        let raw = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let response = parse(raw).unwrap();
        assert_eq!(
            (response.status, response.text()),
            (200, "abcde".to_owned())
        );
        let mut cookies = vec![("b".to_owned(), "2".to_owned())];
        keep_cookies(&mut cookies, &response);
        assert_eq!(
            cookies,
            [("b".into(), "2".into()), ("a".into(), "1".into())]
        );
        let cleared = parse(b"HTTP/1.1 302 Found\r\nSet-Cookie: a=; Max-Age=0\r\n\r\n").unwrap();
        keep_cookies(&mut cookies, &cleared);
        assert_eq!(cookies, [("b".to_owned(), "2".to_owned())]);
        assert_eq!(form(&[("name", "a b&c")]), "name=a%20b%26c");
    }
}
