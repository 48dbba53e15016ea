//! Header parameters as Tornado's `_parse_header` reads them (Python's `email.utils`
//! rules): `form-data; name="a"; filename*=UTF-8''%E2%82%AC.txt`. Free of gale's types, so
//! the fuzz targets include it as it is.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

/// The header's first value, lower-cased, and its parameters by lower-cased name. Quoted
/// values are unquoted; RFC 2231 values (`name*=charset'lang'text`, continuations
/// `name*0*=`, `name*1*=`…) are decoded and win over a plain value of the same name.
pub fn parse_header(line: &str) -> (String, HashMap<String, String>) {
    let mut pieces = split_params(line).into_iter();
    let key = pieces
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut plain = HashMap::new();
    // By name, so that many pieces stay linear: a part's header is bounded only by the body.
    let mut extended: HashMap<String, Vec<Piece>> = HashMap::new();
    for piece in pieces {
        let Some((name, value)) = piece.split_once('=') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match rfc2231_name(&name) {
            Some((base, index, encoded)) => {
                let value = (index, unquote(value), encoded);
                extended.entry(base).or_default().push(value);
            }
            None => {
                plain.insert(name, unquote(value));
            }
        }
    }
    for (name, mut pieces) in extended {
        pieces.sort_by_key(|(index, _, _)| *index);
        plain.insert(name, decode_rfc2231(&pieces));
    }
    (key, plain)
}

/// One piece of an RFC 2231 value: its index, text, and whether it is percent-encoded.
type Piece = (u32, String, bool);

/// Splits on `;` outside double quotes, as Python's `_parseparam`.
fn split_params(line: &str) -> Vec<&str> {
    let (mut pieces, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (at, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                pieces.push(&line[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    pieces.push(&line[start..]);
    pieces
}

/// `filename*` → (`filename`, 0, encoded); `filename*1*` → (`filename`, 1, encoded);
/// `filename*1` → (`filename`, 1, not encoded); other names are not RFC 2231.
fn rfc2231_name(name: &str) -> Option<(String, u32, bool)> {
    let (base, rest) = name.split_once('*')?;
    if base.is_empty() || !base.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let (number, encoded) = match rest.strip_suffix('*') {
        Some(number) => (number, true),
        None => (rest, rest.is_empty()),
    };
    let index = if number.is_empty() {
        0
    } else {
        number.parse().ok()?
    };
    Some((base.to_owned(), index, encoded))
}

/// Python's `email.utils.unquote`: strips one pair of quotes and the backslash escapes.
fn unquote(value: &str) -> String {
    match value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
    {
        Some(inner) => inner.replace("\\\\", "\\").replace("\\\"", "\""),
        None => value.to_owned(),
    }
}

/// Joins RFC 2231 pieces: the first encoded piece names the charset (`utf-8'en'...`), the
/// encoded pieces are percent-decoded, and the bytes are decoded with that charset (an
/// unknown charset leaves the text as sent).
fn decode_rfc2231(pieces: &[Piece]) -> String {
    let mut charset = None;
    let mut bytes = Vec::new();
    for (position, (_, value, encoded)) in pieces.iter().enumerate() {
        let mut text = value.as_str();
        if *encoded && position == 0 {
            let mut fields = value.splitn(3, '\'');
            if let (Some(set), Some(_language), Some(rest)) =
                (fields.next(), fields.next(), fields.next())
            {
                charset = Some(set.to_owned());
                text = rest;
            }
        }
        if *encoded {
            bytes.extend(percent_decode_str(text));
        } else {
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    let encoding = charset
        .as_deref()
        .map(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    match encoding {
        Some(Some(encoding)) => encoding.decode_without_bom_handling(&bytes).0.into_owned(),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_header;

    #[test]
    fn reads_plain_quoted_and_rfc2231_parameters() {
        let (key, params) = parse_header(r#"Form-Data; name="a;b"; filename="x\"y.txt""#);
        assert_eq!(key, "form-data");
        assert_eq!(params["name"], "a;b");
        assert_eq!(params["filename"], "x\"y.txt");
        let (_, params) =
            parse_header("form-data; name=f; filename=\"plain\"; filename*=UTF-8''%E2%82%AC.txt");
        assert_eq!(params["filename"], "€.txt");
        let (_, params) = parse_header("a; filename*=iso-8859-1'en'%A3rates");
        assert_eq!(params["filename"], "£rates");
        let (_, params) = parse_header("a; filename*0*=UTF-8''%E2%82; filename*1*=%AC");
        assert_eq!(params["filename"], "€");
    }
}
