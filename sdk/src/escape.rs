//! Tornado's `tornado.escape` helpers a handler needs to write HTML by hand.

/// `xhtml_escape`: `&`, `<`, `>`, `"` and `'` as entities.
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
