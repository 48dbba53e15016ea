//! Conditional and range requests as Tornado's `StaticFileHandler` answers them:
//! `If-None-Match` / `If-Modified-Since` → 304, one `Range` → 206 or 416.

use std::time::SystemTime;

use hyper::{HeaderMap, header};

/// Tornado's `should_return_304`: a matching `If-None-Match`, else an `If-Modified-Since`
/// no older than the file.
pub fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(wanted) = headers.get(header::IF_NONE_MATCH) {
        return super::etag::matches(wanted.as_bytes(), etag.as_bytes());
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok())
        .is_some_and(|since| since >= modified)
}

/// A parsed `Range: bytes=...` as Tornado's `_parse_request_range`: `(start, end)` with
/// `end` exclusive; a negative start counts from the end. `None` for anything else (several
/// ranges, other units, garbage), which serves the whole file.
pub fn parse_range(header: &str) -> Option<(Option<i64>, Option<u64>)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let number = |text: &str| -> Option<Option<i64>> {
        let text = text.trim();
        if text.is_empty() {
            Some(None)
        } else if text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok().map(Some)
        } else {
            None
        }
    };
    let (start, end) = (number(start)?, number(end)?);
    match (start, end) {
        (None, None) => None,
        // `bytes=-0` asks for nothing: unsatisfiable.
        (None, Some(0)) => Some((None, Some(0))),
        // `bytes=-N`: the last N bytes.
        (None, Some(last)) => Some((Some(-last), None)),
        (Some(start), end) => Some((Some(start), end.map(|end| end as u64 + 1))),
    }
}

/// The byte span of a range in a file of `size` bytes, or `Err` when it cannot be served
/// (416), with Tornado's rules.
pub(crate) fn satisfiable(range: (Option<i64>, Option<u64>), size: u64) -> Result<(u64, u64), ()> {
    let (start, end) = range;
    let start = start.map(|start| {
        if start < 0 {
            (size as i64 + start).max(0) as u64
        } else {
            start as u64
        }
    });
    let unsatisfiable = start
        .is_some_and(|start| start >= size || end.is_some_and(|end| start >= end))
        || end == Some(0);
    if unsatisfiable {
        return Err(());
    }
    Ok((start.unwrap_or(0), end.map_or(size, |end| end.min(size))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_as_tornado() {
        assert_eq!(parse_range("bytes=0-499"), Some((Some(0), Some(500))));
        assert_eq!(parse_range("bytes=500-"), Some((Some(500), None)));
        assert_eq!(parse_range("bytes=-500"), Some((Some(-500), None)));
        assert_eq!(parse_range("bytes=0-1,3-4"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=-"), None);
        assert_eq!(parse_range("bytes=-0"), Some((None, Some(0))));
    }

    #[test]
    fn satisfiable_spans_follow_tornado() {
        assert_eq!(satisfiable((Some(0), Some(500)), 1000), Ok((0, 500)));
        assert_eq!(satisfiable((Some(-100), None), 1000), Ok((900, 1000)));
        assert_eq!(satisfiable((Some(-5000), None), 1000), Ok((0, 1000)));
        assert_eq!(satisfiable((Some(900), Some(5000)), 1000), Ok((900, 1000)));
        assert_eq!(satisfiable((Some(1000), None), 1000), Err(()));
        assert_eq!(satisfiable((Some(5), Some(0)), 1000), Err(()));
    }
}
