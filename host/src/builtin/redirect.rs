//! Tornado's `RedirectHandler`: `{"url": ..., "permanent": true}`, with `{0}`, `{1}`… (and
//! `{name}`) replaced by the captures and the query string carried over.

use hyper::Method;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

use crate::http::args::Arguments;
use crate::http::body::ResponseBody;
use crate::http::request::{ArgSource, RequestData};
use crate::http::response::ResponseState;
use crate::http::response::error_response;
use crate::router::PathArgs;

/// A configured redirect route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    url: String,
    permanent: bool,
}

impl Redirect {
    /// A redirect to `url` (with `{0}`, `{name}`… for the captures), permanent or not.
    pub fn new(url: &str, permanent: bool) -> Self {
        Self {
            url: url.to_owned(),
            permanent,
        }
    }

    /// Answers a request: GET redirects, any other method is 405.
    pub fn respond(&self, request: &RequestData) -> hyper::Response<ResponseBody> {
        if request.method != Method::GET {
            return error_response(405, &request.method);
        }
        let mut url = substitute(&self.url, &request.path_args);
        let query = request.arguments(ArgSource::Query);
        if !query.is_empty() {
            url = url_concat(&url, query);
        }
        // As Tornado 6.6: captures must not move the redirect to another scheme or host.
        let (prefix, substituted) = literal_prefix(&self.url);
        let target = scheme_and_netloc(&url);
        let unchanged = match (scheme_and_netloc(&prefix), &target) {
            (Some(expected), Some(actual)) => {
                expected == *actual
                    && !(substituted
                        && matches!(actual.0.as_str(), "http" | "https")
                        && actual.1.is_empty())
            }
            _ => false,
        };
        let mut response = ResponseState::default();
        let refused = if unchanged {
            response
                .redirect(&url, self.permanent, None)
                .err()
                .map(|error| error.to_string())
        } else {
            Some("Redirect URL cannot change the scheme or netloc".to_owned())
        };
        match refused {
            None => response.into_response(&request.method, None),
            Some(error) => {
                tracing::warn!(url, "400 {} {}: {error}", request.method, request.uri);
                error_response(400, &request.method)
            }
        }
    }
}

/// What Python's `urllib.parse.quote_plus` leaves alone (and a space becomes `+`).
const QUOTE_PLUS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Tornado's `url_concat(url, qs_to_qsl(query_arguments))`: the URL's own query and the
/// arguments, each pair re-encoded as `urlencode` does (`quote_plus`: a space is `+`).
fn url_concat(url: &str, arguments: &Arguments) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (url, None),
    };
    let (path, own_query) = url.split_once('?').unwrap_or((url, ""));
    let own = Arguments::parse(own_query.as_bytes());
    let quote_plus = |raw: &[u8]| -> String {
        raw.split(|&b| b == b' ')
            .map(|piece| percent_encode(piece, QUOTE_PLUS).to_string())
            .collect::<Vec<_>>()
            .join("+")
    };
    let pairs: Vec<String> = own
        .iter()
        .chain(arguments.iter())
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| format!("{}={}", quote_plus(name.as_bytes()), quote_plus(value)))
        })
        .collect();
    let mut joined = format!("{path}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        joined = joined + "#" + fragment;
    }
    joined
}

/// The template's text before its first substitution, and whether it has one.
fn literal_prefix(template: &str) -> (String, bool) {
    let mut prefix = String::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        prefix.push_str(&rest[..at]);
        let doubled = rest[at..].len() > 1 && rest.as_bytes()[at + 1] == rest.as_bytes()[at];
        if !doubled {
            return (prefix, true);
        }
        prefix.push_str(&rest[at..at + 1]);
        rest = &rest[at + 2..];
    }
    prefix.push_str(rest);
    (prefix, false)
}

/// The scheme and host a browser would see in `url` (Tornado's `_scheme_and_netloc`), both
/// lower-cased and empty for a relative URL; `None` for a malformed one.
fn scheme_and_netloc(url: &str) -> Option<(String, String)> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    let mut url: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    url = url.replace('\\', "/");
    let slashes = url.len() - url.trim_start_matches('/').len();
    if slashes > 2 {
        url.replace_range(..slashes, "//");
    }
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest))
            if scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (scheme.to_ascii_lowercase(), rest)
        }
        _ => (String::new(), url.as_str()),
    };
    let netloc = match rest.strip_prefix("//") {
        Some(after) => {
            after[..after.find(['/', '?', '#']).unwrap_or(after.len())].to_ascii_lowercase()
        }
        None => String::new(),
    };
    // Python's urlsplit refuses unbalanced IPv6 brackets.
    (netloc.contains('[') == netloc.contains(']')).then_some((scheme, netloc))
}

/// Python's `str.format(*args, **kwargs)` for plain `{0}` and `{name}` fields; `{{` and `}}`
/// are literal braces, and a field with no value is left as written.
fn substitute(template: &str, captures: &PathArgs) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let field = tail
            .strip_prefix('{')
            .and_then(|t| t.find('}').map(|close| &t[..close]));
        let value = field.and_then(|field| match field.parse::<usize>() {
            Ok(index) => captures.args.get(index).cloned().flatten(),
            Err(_) => captures
                .kwargs
                .iter()
                .find(|(name, _)| name == field)
                .and_then(|(_, value)| value.clone()),
        });
        match (field, value) {
            (Some(field), Some(value)) => {
                out.push_str(&value);
                rest = &tail[field.len() + 2..];
            }
            _ => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_substitute_by_position_and_name() {
        let captures = PathArgs {
            args: vec![Some("a".into()), Some("b".into())],
            kwargs: vec![("id".into(), Some("7".into()))],
        };
        assert_eq!(
            substitute("/x/{1}/{0}/{id}/{{lit}}", &captures),
            "/x/b/a/7/{lit}"
        );
        assert_eq!(substitute("/x/{9}", &captures), "/x/{9}");
    }

    #[test]
    fn the_scheme_and_host_are_found_as_a_browser_finds_them() {
        let pair = |s: &str, n: &str| Some((s.to_owned(), n.to_owned()));
        assert_eq!(scheme_and_netloc("/a/b"), pair("", ""));
        assert_eq!(scheme_and_netloc("//Evil.com/b"), pair("", "evil.com"));
        assert_eq!(scheme_and_netloc("/\\\\evil.com"), pair("", "evil.com"));
        assert_eq!(scheme_and_netloc(" ///evil.com"), pair("", "evil.com"));
        assert_eq!(
            scheme_and_netloc("HTTPS://x.org:8/p"),
            pair("https", "x.org:8")
        );
        assert_eq!(scheme_and_netloc("//[::1/"), None);
    }

    #[test]
    fn the_literal_prefix_stops_at_the_first_substitution() {
        assert_eq!(literal_prefix("/a/{0}/b"), ("/a/".to_owned(), true));
        assert_eq!(literal_prefix("/{{x}}/{0}"), ("/{x}/".to_owned(), true));
        assert_eq!(
            literal_prefix("https://h/"),
            ("https://h/".to_owned(), false)
        );
    }

    #[test]
    fn the_query_is_carried_over_as_tornados_url_concat_encodes_it() {
        let query = Arguments::parse(b"b=+&c=%2F%20x&d");
        assert_eq!(url_concat("/", &query), "/?b=+&c=%2F+x&d=");
        assert_eq!(
            url_concat("/p?a=1#top", &query),
            "/p?a=1&b=+&c=%2F+x&d=#top"
        );
    }

    #[test]
    fn a_redirect_is_permanent_unless_its_init_args_say_otherwise() {
        let redirect = Redirect::from_init_args(&serde_json::json!({"url": "/"})).unwrap();
        assert!(redirect.permanent);
        let args = serde_json::json!({"url": "/", "permanent": false});
        assert!(!Redirect::from_init_args(&args).unwrap().permanent);
    }
}
