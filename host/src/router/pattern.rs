//! A Tornado URL pattern: Python-style regex anchoring, captures unescaped into path
//! arguments, and `reverse_url`'s template. Depends on nothing of gale's, so the fuzz targets
//! compile it on its own.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use regex::Regex;
use std::sync::Arc;

/// A compiled URL pattern with Tornado's matching and reversing rules.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as declared.
    source: Arc<str>,
    regex: Regex,
    /// The names of the capture groups, `None` for unnamed ones, in group order.
    group_names: Vec<Option<String>>,
    /// `reverse_url`'s template: literal pieces between the groups, or `None` when the
    /// pattern is too complex to reverse (as Tornado's `_find_groups`).
    reverse: Option<Vec<String>>,
}

impl Pattern {
    /// Compiles `source` as Tornado does: `$` appended unless present, matched from the start.
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        let anchored = if source.ends_with('$') {
            source.to_owned()
        } else {
            format!("{source}$")
        };
        let regex = Regex::new(&format!("^(?:{anchored})"))?;
        let group_names = regex
            .capture_names()
            .skip(1)
            .map(|name| name.map(str::to_owned))
            .collect();
        let reverse = reverse_template(&anchored, regex.captures_len() - 1);
        Ok(Self {
            source: source.into(),
            regex,
            group_names,
            reverse,
        })
    }

    /// The pattern as declared.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern as declared, shared: a metric's label clones it without copying.
    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// Matches `path`; the captures are URL-unescaped, and a capture that is not UTF-8 is an
    /// error naming it.
    pub fn captures(&self, path: &str) -> Option<Result<PathArgs, CaptureError>> {
        let captures = self.regex.captures(path)?;
        let named = self.group_names.iter().any(Option::is_some);
        let mut args = PathArgs::default();
        for (index, name) in self.group_names.iter().enumerate() {
            let value = match captures
                .get(index + 1)
                .map(|m| unescape(m.as_str()))
                .transpose()
            {
                Ok(value) => value,
                Err(error) => return Some(Err(error)),
            };
            // As Tornado: with named groups, only they are passed (as kwargs).
            match (named, name) {
                (true, Some(name)) => args.kwargs.push((name.clone(), value)),
                (true, None) => {}
                (false, _) => args.args.push(value),
            }
        }
        Some(Ok(args))
    }

    /// Tornado's `URLSpec.reverse`: the groups replaced by the URL-escaped `args`.
    pub fn reverse(&self, args: &[String]) -> Result<String, ReverseError> {
        let pieces = self
            .reverse
            .as_ref()
            .ok_or_else(|| ReverseError::NotReversible(self.source.to_string()))?;
        let groups = pieces.len() - 1;
        if args.len() != groups {
            return Err(ReverseError::Arguments {
                pattern: self.source.to_string(),
                takes: groups,
                given: args.len(),
            });
        }
        let mut url = pieces[0].clone();
        for (arg, piece) in args.iter().zip(&pieces[1..]) {
            url.extend(utf8_percent_encode(arg, URL_ESCAPE));
            url.push_str(piece);
        }
        Ok(url)
    }
}

/// What Python's `urllib.parse.quote(s, safe="/")` leaves alone.
const URL_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Tornado's `url_unescape(s, encoding=None, plus=False)` followed by a UTF-8 decode.
fn unescape(raw: &str) -> Result<String, CaptureError> {
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    String::from_utf8(bytes).map_err(|_| CaptureError(raw.to_owned()))
}

/// A capture that is not UTF-8 once unescaped: HTTP 400, as Tornado's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError(pub String);

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Invalid unicode in url: {:?}", self.0)
    }
}

/// Why `reverse_url` cannot build a path, in Tornado's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReverseError {
    /// No route has that name.
    Unnamed(String),
    /// The pattern has groups `reverse` cannot fill (as Tornado's `_find_groups`).
    NotReversible(String),
    /// Another number of arguments than the pattern's groups.
    Arguments {
        /// The pattern.
        pattern: String,
        /// How many groups it has.
        takes: usize,
        /// How many arguments came.
        given: usize,
    },
}

impl std::fmt::Display for ReverseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unnamed(name) => write!(f, "{name} not found in named urls"),
            Self::NotReversible(pattern) => write!(f, "Cannot reverse url regex {pattern}"),
            Self::Arguments {
                pattern,
                takes,
                given,
            } => write!(
                f,
                "required number of arguments not found: {pattern} takes {takes}, got {given}"
            ),
        }
    }
}

/// Tornado's `_find_groups`: the literal text around each top-level group, when every `(`
/// opens a capture group and every literal can be unescaped.
fn reverse_template(anchored: &str, groups: usize) -> Option<Vec<String>> {
    let pattern = anchored.strip_prefix('^').unwrap_or(anchored);
    let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
    if pattern.matches('(').count() != groups {
        return None;
    }
    let mut fragments = pattern.split('(');
    let mut pieces = vec![re_unescape(fragments.next().unwrap_or(""))?];
    for fragment in fragments {
        let close = fragment.find(')')?;
        pieces.push(re_unescape(&fragment[close + 1..])?);
    }
    Some(pieces)
}

/// Tornado's `re_unescape`: `\x` becomes `x`, except escapes of letters and digits, which
/// stand for classes and cannot be reversed.
fn re_unescape(fragment: &str) -> Option<String> {
    let mut out = String::with_capacity(fragment.len());
    let mut chars = fragment.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let escaped = chars.next()?;
            if escaped.is_alphanumeric() {
                return None;
            }
            out.push(escaped);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A route's captures: Tornado's `path_args` and `path_kwargs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathArgs {
    /// Unnamed captures, in order; `None` for a group that did not take part.
    pub args: Vec<Option<String>>,
    /// Named captures, in pattern order.
    pub kwargs: Vec<(String, Option<String>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pattern: &str, path: &str) -> Option<PathArgs> {
        Pattern::new(pattern)
            .unwrap()
            .captures(path)
            .map(Result::unwrap)
    }

    fn strings(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some(v.to_string())).collect()
    }

    #[test]
    fn patterns_are_anchored_at_both_ends() {
        assert!(args(r"/a", "/a").is_some());
        assert!(args(r"/a", "/a/b").is_none());
        assert!(args(r"/a", "/x/a").is_none());
        assert!(args(r"/a$", "/a").is_some());
    }

    #[test]
    fn alternation_matches_as_tornado_re_match_does() {
        // Tornado appends `$` to the whole pattern and re.match anchors only the start.
        assert!(args(r"/a|/b", "/a/anything").is_some());
        assert!(args(r"/a|/b", "/b/x").is_none());
    }

    #[test]
    fn positional_captures_are_unescaped() {
        let found = args(r"/p/([^/]+)/(\d+)", "/p/a%20b%2Fc+d/42").unwrap();
        assert_eq!(found.args, strings(&["a b/c+d", "42"]));
        assert!(found.kwargs.is_empty());
    }

    #[test]
    fn named_groups_become_kwargs_only() {
        let found = args(r"/d/(?P<month>\d+)/(\d+)/(?P<day>\d+)", "/d/11/2026/27").unwrap();
        assert!(found.args.is_empty());
        assert_eq!(
            found.kwargs,
            vec![
                ("month".into(), Some("11".into())),
                ("day".into(), Some("27".into()))
            ]
        );
    }

    #[test]
    fn an_optional_group_that_did_not_match_is_none() {
        let found = args(r"/o(/x)?", "/o").unwrap();
        assert_eq!(found.args, vec![None]);
    }

    #[test]
    fn a_capture_that_is_not_utf8_is_an_error() {
        let result = Pattern::new(r"/u/(.*)").unwrap().captures("/u/%FF");
        assert!(result.unwrap().is_err());
    }

    #[test]
    fn reverse_fills_groups_and_escapes_arguments() {
        let pattern = Pattern::new(r"/time/(\d+)/(\d+)/(\d+)").unwrap();
        let args: Vec<String> = ["2026", "11", "27"].map(String::from).into();
        assert_eq!(pattern.reverse(&args).unwrap(), "/time/2026/11/27");
        let pattern = Pattern::new(r"/f/([^/]+)\.txt").unwrap();
        assert_eq!(
            pattern.reverse(&["a b/ü?".to_string()]).unwrap(),
            "/f/a%20b/%C3%BC%3F.txt"
        );
    }

    #[test]
    fn reverse_refuses_what_tornado_refuses() {
        assert!(
            Pattern::new(r"/a(?:b)(\d)")
                .unwrap()
                .reverse(&["1".into()])
                .is_err()
        );
        assert!(
            Pattern::new(r"/a\d(\d)")
                .unwrap()
                .reverse(&["1".into()])
                .is_err()
        );
        assert!(Pattern::new(r"/a/(\d)").unwrap().reverse(&[]).is_err());
    }

    #[test]
    fn reverse_of_a_pattern_without_groups_is_its_text() {
        assert_eq!(
            Pattern::new(r"/a\.b").unwrap().reverse(&[]).unwrap(),
            "/a.b"
        );
    }
}
