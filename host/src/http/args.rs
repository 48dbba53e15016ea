//! Request arguments as Tornado reads them: `parse_qs_bytes(..., keep_blank_values=True)`,
//! values kept as bytes until a handler asks for one.

use indexmap::IndexMap;
use percent_encoding::percent_decode;

/// Argument names, each with its values in order; names in order of first appearance. A
/// map keeps parsing linear, as Tornado's dict does: looking each new name up among those
/// already seen made a body of a million names take minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arguments {
    values: IndexMap<String, Vec<Vec<u8>>>,
}

/// More arguments than a request may carry (`--max-arguments`): HTTP 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyArguments(pub usize);

impl std::fmt::Display for TooManyArguments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {} arguments (query and body together; --max-arguments)",
            self.0
        )
    }
}

impl Arguments {
    /// Parses a query string or a form-encoded body. As Python's `parse_qs`: pairs split on
    /// `&`, `+` is a space, a name without `=` has an empty value, and empty pairs are skipped.
    pub fn parse(encoded: &[u8]) -> Self {
        // No memory holds usize::MAX pairs: the limit is never reached.
        Self::parse_at_most(encoded, usize::MAX).unwrap_or_default()
    }

    /// [`Arguments::parse`], refusing more than `limit` values (pairs) before decoding them.
    pub fn parse_at_most(encoded: &[u8], limit: usize) -> Result<Self, TooManyArguments> {
        let mut arguments = Self::default();
        for (count, pair) in pairs(encoded).enumerate() {
            if count == limit {
                return Err(TooManyArguments(limit));
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let name = String::from_utf8(form_decode(name))
                .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
            arguments.push(name, form_decode(value));
        }
        Ok(arguments)
    }

    /// Adds a value to `name`.
    pub fn push(&mut self, name: String, value: Vec<u8>) {
        self.values.entry(name).or_default().push(value);
    }

    /// The raw values of `name`.
    pub fn get(&self, name: &str) -> &[Vec<u8>] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every name with its raw values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Vec<u8>])> {
        self.values
            .iter()
            .map(|(name, values)| (name.as_str(), values.as_slice()))
    }

    /// Both sets, `self` first, as Tornado's `request.arguments` (query then body).
    pub fn merged(&self, other: &Arguments) -> Arguments {
        let mut all = self.clone();
        for (name, values) in other.iter() {
            for value in values {
                all.push(name.to_owned(), value.clone());
            }
        }
        all
    }
}

/// The non-empty `&`-separated pairs of a query string or form body.
fn pairs(encoded: &[u8]) -> impl Iterator<Item = &[u8]> {
    encoded
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
}

/// How many pairs [`Arguments::parse`] would find, without decoding them.
pub fn count_pairs(encoded: &[u8]) -> usize {
    pairs(encoded).count()
}

/// Percent-decodes a form field, `+` standing for a space.
fn form_decode(raw: &[u8]) -> Vec<u8> {
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return raw.to_vec();
    }
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// An argument value that is not UTF-8: HTTP 400, as Tornado's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUnicode {
    /// The argument's name.
    pub name: String,
    /// The value's first 40 bytes, as they are.
    pub shown: Vec<u8>,
}

impl std::fmt::Display for InvalidUnicode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = String::from_utf8_lossy(&self.shown);
        write!(f, "Invalid unicode in {}: {shown:?}", self.name)
    }
}

/// Tornado's `_get_arguments` for one value: UTF-8 decoded (else an error naming the
/// argument), control characters other than whitespace replaced by a space, and trimmed
/// when `strip`.
pub fn decode_value(name: &str, raw: &[u8], strip: bool) -> Result<String, InvalidUnicode> {
    let text = std::str::from_utf8(raw).map_err(|_| InvalidUnicode {
        name: name.to_owned(),
        shown: raw[..raw.len().min(40)].to_vec(),
    })?;
    let cleaned: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\x00'..='\x08' | '\x0e'..='\x1f') {
                ' '
            } else {
                c
            }
        })
        .collect();
    Ok(if strip {
        cleaned.trim().to_owned()
    } else {
        cleaned
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_python_parse_qs_with_blank_values() {
        let args = Arguments::parse(b"a=1&b=&c&a=2&&d=x+y%20z&e=%3D%26");
        assert_eq!(args.get("a"), [b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(args.get("b"), [Vec::<u8>::new()]);
        assert_eq!(args.get("c"), [Vec::<u8>::new()]);
        assert_eq!(args.get("d"), [b"x y z".to_vec()]);
        assert_eq!(args.get("e"), [b"=&".to_vec()]);
        assert!(args.get("missing").is_empty());
        let names: Vec<&str> = args.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn decoding_strips_and_replaces_control_characters() {
        assert_eq!(
            decode_value("n", b"  a\x01b\tc \n", true).unwrap(),
            "a b\tc"
        );
        assert_eq!(decode_value("n", b"  a ", false).unwrap(), "  a ");
        assert!(
            decode_value("n", b"\xff", true)
                .unwrap_err()
                .to_string()
                .contains("Invalid unicode in n")
        );
    }

    #[test]
    fn more_pairs_than_the_limit_are_refused_and_up_to_it_accepted() {
        let three = Arguments::parse_at_most(b"a&b&a", 3).unwrap();
        assert_eq!(three.get("a").len() + three.get("b").len(), 3);
        assert_eq!(
            Arguments::parse_at_most(b"a&b&a&c", 3),
            Err(TooManyArguments(3))
        );
        assert_eq!(count_pairs(b"a&&b=1&"), 2);
    }

    #[test]
    fn merged_arguments_keep_query_values_before_body_values() {
        let all = Arguments::parse(b"a=q").merged(&Arguments::parse(b"a=b&z=1"));
        assert_eq!(all.get("a"), [b"q".to_vec(), b"b".to_vec()]);
        assert_eq!(all.get("z"), [b"1".to_vec()]);
    }
}
