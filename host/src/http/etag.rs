//! Tornado's `check_etag_header`: whether an `If-None-Match` header matches a response's
//! `Etag`, for handlers' responses and static files alike.

/// Tornado's `check_etag_header`: the first listed tag is `*`, or any listed tag equals ours
/// ignoring `W/`.
pub fn matches(if_none_match: &[u8], etag: &[u8]) -> bool {
    let weakless = |tag: &'_ [u8]| -> Vec<u8> { tag.strip_prefix(b"W/").unwrap_or(tag).to_vec() };
    let tags = tags(if_none_match);
    match tags.first() {
        None => false,
        Some(first) if *first == b"*" => true,
        Some(_) => tags.iter().any(|tag| weakless(tag) == weakless(etag)),
    }
}

/// The tags of an `If-None-Match` header, found as Tornado's `\*|(?:W/)?"[^"]*"`.
fn tags(header: &[u8]) -> Vec<&[u8]> {
    let mut tags = Vec::new();
    let mut at = 0;
    while at < header.len() {
        let rest = &header[at..];
        let open = if rest.starts_with(b"W/\"") { 2 } else { 0 };
        if rest[0] == b'*' {
            tags.push(&rest[..1]);
        } else if rest[open] == b'"'
            && let Some(len) = rest[open + 1..].iter().position(|&b| b == b'"')
        {
            let end = open + len + 2;
            tags.push(&rest[..end]);
            at += end;
            continue;
        }
        at += 1;
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_matching_follows_tornado() {
        let ours = br#""abc""#;
        assert!(matches(br#""abc""#, ours));
        assert!(matches(br#"W/"abc""#, ours));
        assert!(matches(br#""x", "abc""#, ours));
        assert!(matches(b"*", ours));
        assert!(!matches(br#""abd""#, ours));
        assert!(!matches(b"", ours));
    }
}
