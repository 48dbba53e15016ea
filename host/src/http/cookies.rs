//! Cookies as Tornado reads and writes them: `parse_cookie` into a `SimpleCookie` for the
//! request, `Morsel.OutputString` for `Set-Cookie`. By hand rather than with the `cookie`
//! crate because the rules are Python's (its quoting with octal escapes, its lenient
//! splitting, its attribute order), and a cookie must read the same in gale and in
//! Tornado. Free of gale's types, so the fuzz targets include it as it is.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Characters Python's `http.cookies` allows unquoted in a name or value.
const LEGAL: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~:";

/// Characters a quoted value carries as they are; the rest are octal escapes.
const UNESCAPED: &[u8] = b" ()/<=>?@[]{}";

/// The cookies of a `Cookie` header, as Tornado's `request.cookies`: split on `;`, a chunk
/// without `=` has an empty name, surrounding spaces trimmed, quoted values unquoted, the
/// last of a repeated name wins (keeping the first's place), and names Python's
/// `SimpleCookie` refuses are dropped.
pub fn parse_cookie(header: &str) -> Vec<(String, String)> {
    let mut cookies: Vec<(String, String)> = Vec::new();
    // Each name's place in `cookies`: a header of 64 KiB holds 16,000 names, too many to
    // look each up among the others.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for chunk in header.split(';') {
        let (name, value) = chunk.split_once('=').unwrap_or(("", chunk));
        let (name, value) = (name.trim(), value.trim());
        if !is_legal_name(name) {
            continue;
        }
        let value = unquote(value);
        match index.get(name) {
            Some(&at) => cookies[at].1 = value,
            None => {
                index.insert(name, cookies.len());
                cookies.push((name.to_owned(), value));
            }
        }
    }
    cookies
}

/// Whether `name` can be a cookie name: non-empty, legal characters only.
pub fn is_legal_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| LEGAL.contains(&b))
}

/// Python's `http.cookies._unquote`: a value in double quotes loses them, and inside,
/// `\ooo` (octal, first digit 0-3) is that character and `\x` is `x`.
pub fn unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|_| value.len() >= 2)
    else {
        return value.to_owned();
    };
    let chars: Vec<char> = inner.chars().collect();
    let (mut out, mut at) = (String::with_capacity(inner.len()), 0);
    while at < chars.len() {
        let c = chars[at];
        if c != '\\' || at + 1 == chars.len() {
            out.push(c);
            at += 1;
        } else if let Some(code) = octal(&chars[at + 1..]) {
            out.push(code);
            at += 4;
        } else {
            out.push(chars[at + 1]);
            at += 2;
        }
    }
    out
}

/// The character of a three-digit octal escape `[0-3][0-7][0-7]`.
fn octal(digits: &[char]) -> Option<char> {
    let [a @ '0'..='3', b @ '0'..='7', c @ '0'..='7', ..] = digits else {
        return None;
    };
    let code = [a, b, c]
        .iter()
        .fold(0, |n, d| n * 8 + (**d as u32 - '0' as u32));
    char::from_u32(code)
}

/// Python's `http.cookies._quote`: a value of legal characters as it is, else in double
/// quotes with `"` and `\` escaped and other characters below 256 outside the safe set as
/// octal escapes. `None` for a character above U+00FF, which a header cannot carry.
pub fn quote(value: &str) -> Option<String> {
    if is_legal_name(value) {
        return Some(value.to_owned());
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        let code = c as u32;
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ if code > 0xff => return None,
            _ if code < 0x80
                && (LEGAL.contains(&(code as u8)) || UNESCAPED.contains(&(code as u8))) =>
            {
                out.push(c)
            }
            _ => out.push_str(&format!("\\{code:03o}")),
        }
    }
    out.push('"');
    Some(out)
}

/// The attributes of `set_cookie`, as Tornado's keyword arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CookieOptions {
    /// `Domain`.
    pub domain: Option<String>,
    /// `expires`, absolute; wins over `expires_days`.
    pub expires: Option<SystemTime>,
    /// `Path`; Tornado's default is `/`.
    pub path: Option<String>,
    /// `expires` as days from now.
    pub expires_days: Option<f64>,
    /// `Max-Age` in seconds; 0 is not written, as Tornado's `if max_age:`.
    pub max_age: Option<u64>,
    /// `HttpOnly`.
    pub httponly: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`.
    pub samesite: Option<String>,
}

/// Why a cookie cannot be set, as Tornado 6.6 refuses it (a `ValueError` there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieError {
    /// The value has a control character or a space.
    Value {
        /// The cookie.
        name: String,
        /// Its value.
        value: String,
    },
    /// An attribute (or the name) has a control character, a space or `;`.
    Attribute {
        /// Which attribute.
        attribute: &'static str,
        /// Its text.
        text: String,
        /// The cookie.
        name: String,
    },
    /// A name Python's `SimpleCookie` refuses.
    Name(String),
    /// A character above U+00FF, which a header cannot carry.
    NotLatin1(String),
}

impl std::fmt::Display for CookieError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value { name, value } => write!(f, "Invalid cookie {name:?}: {value:?}"),
            Self::Attribute {
                attribute,
                text,
                name,
            } => write!(
                f,
                "Invalid cookie attribute {attribute}={text:?} for cookie {name:?}"
            ),
            Self::Name(name) => write!(f, "Illegal cookie name {name:?}"),
            Self::NotLatin1(name) => write!(
                f,
                "Invalid cookie {name:?}: a header cannot carry characters above U+00FF"
            ),
        }
    }
}

impl std::error::Error for CookieError {}

/// A `Set-Cookie` value as Tornado writes it (`Morsel.OutputString`: attributes in sorted
/// order), or why the cookie is refused: a control character or space in the value, a
/// name Python refuses, or a control character or `;` in an attribute.
pub fn set_cookie_header(
    name: &str,
    value: &str,
    options: &CookieOptions,
    now: SystemTime,
) -> Result<String, CookieError> {
    if value.chars().any(|c| c <= ' ') {
        return Err(CookieError::Value {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    let attributes = [
        ("name", Some(name)),
        ("domain", options.domain.as_deref()),
        ("path", options.path.as_deref()),
        ("samesite", options.samesite.as_deref()),
    ];
    for (attribute, text) in attributes {
        if let Some(text) = text
            && text.chars().any(|c| c <= ' ' || c == ';' || c == '\x7f')
        {
            return Err(CookieError::Attribute {
                attribute,
                text: text.to_owned(),
                name: name.to_owned(),
            });
        }
    }
    if !is_legal_name(name) {
        return Err(CookieError::Name(name.to_owned()));
    }
    let coded = quote(value).ok_or_else(|| CookieError::NotLatin1(name.to_owned()))?;
    let mut header = format!("{name}={coded}");
    let expires = options
        .expires
        .or_else(|| Some(super::date::days_after(now, options.expires_days?)));
    let non_empty = |text: &Option<String>| text.clone().filter(|text| !text.is_empty());
    if let Some(domain) = non_empty(&options.domain) {
        header += &format!("; Domain={domain}");
    }
    if let Some(expires) = expires {
        header += &format!("; expires={}", super::date::format(expires));
    }
    if options.httponly {
        header += "; HttpOnly";
    }
    if let Some(max_age) = options.max_age.filter(|age| *age > 0) {
        header += &format!("; Max-Age={max_age}");
    }
    if let Some(path) = non_empty(&options.path) {
        header += &format!("; Path={path}");
    }
    if let Some(samesite) = non_empty(&options.samesite) {
        header += &format!("; SameSite={samesite}");
    }
    if options.secure {
        header += "; Secure";
    }
    Ok(header)
}

/// Tornado's `clear_cookie`: an empty value that expired a year ago, with the same path
/// and domain.
pub fn clear_cookie_header(
    name: &str,
    path: Option<&str>,
    domain: Option<&str>,
    now: SystemTime,
) -> Result<String, CookieError> {
    let options = CookieOptions {
        domain: domain.map(str::to_owned),
        expires: Some(now - Duration::from_secs(365 * 86400)),
        path: path.map(str::to_owned),
        ..CookieOptions::default()
    };
    set_cookie_header(name, "", &options, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_tornado_parse_cookie_and_simple_cookie() {
        let cookies = parse_cookie(r#"a=1; b; c="x\054y"; d=2; a=3; bad key=4; e="q\"\\""#);
        let expected = [("a", "3"), ("c", "x,y"), ("d", "2"), ("e", "q\"\\")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(cookies, expected);
    }

    #[test]
    fn set_cookie_writes_attributes_as_morsel_output_string() {
        let now = httpdate::parse_http_date("Sat, 28 Nov 2026 05:49:43 GMT").unwrap();
        let options = CookieOptions {
            domain: Some("ex.com".into()),
            path: Some("/p".into()),
            expires_days: Some(1.0),
            max_age: Some(10),
            httponly: true,
            secure: true,
            samesite: Some("Lax".into()),
            ..CookieOptions::default()
        };
        assert_eq!(
            set_cookie_header("b", "v", &options, now).unwrap(),
            "b=v; Domain=ex.com; expires=Sun, 29 Nov 2026 05:49:43 GMT; HttpOnly; Max-Age=10; Path=/p; SameSite=Lax; Secure"
        );
        let plain = CookieOptions {
            path: Some("/".into()),
            ..CookieOptions::default()
        };
        assert_eq!(
            set_cookie_header("a", "x,y", &plain, now).unwrap(),
            r#"a="x\054y"; Path=/"#
        );
        assert_eq!(
            clear_cookie_header("c", Some("/"), None, now).unwrap(),
            r#"c=""; expires=Fri, 28 Nov 2025 05:49:43 GMT; Path=/"#
        );
    }

    #[test]
    fn bad_cookies_are_refused() {
        let now = SystemTime::now();
        let options = CookieOptions::default();
        assert!(set_cookie_header("a", "x y", &options, now).is_err());
        assert!(set_cookie_header("a b", "x", &options, now).is_err());
        assert!(set_cookie_header("a", "\u{263a}", &options, now).is_err());
        let injected = CookieOptions {
            path: Some("/; Secure".into()),
            ..CookieOptions::default()
        };
        assert!(set_cookie_header("a", "x", &injected, now).is_err());
    }
}
