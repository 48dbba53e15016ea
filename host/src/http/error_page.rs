//! Tornado's default error page, which the host sends for what it answers itself (404,
//! 413, a trap) and the SDK's default `write_error` asks for.

/// Tornado's default error page, byte for byte (the reason HTML-escaped as `html.escape`).
pub fn error_page(status: u16, reason: &str) -> String {
    let reason = html_escape(reason);
    format!("<html><title>{status}: {reason}</title><body>{status}: {reason}</body></html>")
}

/// Python's `html.escape`: `&`, `<`, `>`, `"` and `'` as entities.
fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reason_is_escaped_as_pythons_html_escape() {
        assert_eq!(
            super::error_page(599, "<a & 'b' \"c\">"),
            "<html><title>599: &lt;a &amp; &#x27;b&#x27; &quot;c&quot;&gt;</title>\
             <body>599: &lt;a &amp; &#x27;b&#x27; &quot;c&quot;&gt;</body></html>"
        );
    }
}
