//! Tornado's `RedirectHandler`: `{"url": ..., "permanent": true}`, with `{0}`, `{1}`… (and
//! `{name}`) replaced by the captures and the query string carried over.

use hyper::Method;

use crate::http::body::ResponseBody;
use crate::http::request::RequestData;
use crate::http::response::{ResponseState, error_response};
use crate::router::PathArgs;

/// A configured redirect route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    url: String,
    permanent: bool,
}

impl Redirect {
    /// Reads the route's init args; `url` is required, `permanent` defaults to true.
    pub fn from_init_args(args: &serde_json::Value) -> Result<Self, String> {
        let url = args
            .get("url")
            .and_then(|url| url.as_str())
            .ok_or("RedirectHandler needs {\"url\": \"...\"}")?;
        let permanent = match args.get("permanent") {
            None => true,
            Some(permanent) => permanent
                .as_bool()
                .ok_or("RedirectHandler's \"permanent\" must be true or false")?,
        };
        Ok(Self {
            url: url.to_owned(),
            permanent,
        })
    }

    /// Answers a request: GET redirects, any other method is 405.
    pub fn respond(&self, request: &RequestData) -> hyper::Response<ResponseBody> {
        if request.method != Method::GET {
            return error_response(405, &request.method);
        }
        let mut url = substitute(&self.url, &request.path_args);
        if !request.query().is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(request.query());
        }
        let mut response = ResponseState::default();
        match response.redirect(&url, self.permanent, None) {
            Ok(()) => response.into_response(&request.method, None),
            Err(error) => {
                tracing::error!(url, "RedirectHandler cannot redirect: {error}");
                error_response(500, &request.method)
            }
        }
    }
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
    fn init_args_need_a_url_and_default_to_permanent() {
        let redirect = Redirect::from_init_args(&serde_json::json!({"url": "/"})).unwrap();
        assert!(redirect.permanent);
        assert!(Redirect::from_init_args(&serde_json::json!({})).is_err());
        assert!(
            Redirect::from_init_args(&serde_json::json!({"url": "/", "permanent": "no"})).is_err()
        );
    }
}
