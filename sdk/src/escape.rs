//! Tornado's `tornado.escape` helpers a handler needs to write HTML by hand.
//!
//! ```no_run
//! # use gale_sdk::*;
//! use gale_sdk::escape::{url_escape, xhtml_escape};
//! # fn handler(req: &mut Request) -> Result {
//! let query = req.get_argument("q")?;
//! let next = format!("/search?q={}", url_escape(&query));
//! req.write(format!(r#"<a href="{}">{}</a>"#, xhtml_escape(&next), xhtml_escape(&query)));
//! # Ok(())
//! # }
//! ```

/// `xhtml_escape`: `&`, `<`, `>`, `"` and `'` as entities.
///
/// ```
/// # use gale_sdk::*;
/// use gale_sdk::escape::xhtml_escape;
/// assert_eq!(xhtml_escape(r#"<a href="x">Tom & Jerry's</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/a&gt;");
/// ```
pub fn xhtml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// `url_escape(value, plus=True)`: Python's `quote_plus`, as `urlencode` writes a query
/// value: letters, digits and `_.-~` kept, a space as `+`, everything else `%XX`.
///
/// ```
/// # use gale_sdk::*;
/// use gale_sdk::escape::url_escape;
/// assert_eq!(url_escape("fish & chips/2"), "fish+%26+chips%2F2");
/// ```
pub fn url_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
