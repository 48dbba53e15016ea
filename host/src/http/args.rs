//! Request arguments as Tornado reads them: `parse_qs_bytes(..., keep_blank_values=True)`,
//! values kept as bytes until a handler asks for one.

use percent_encoding::percent_decode;

/// Argument names, each with its values in order; names in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arguments(Vec<(String, Vec<Vec<u8>>)>);

impl Arguments {
    /// Parses a query string or a form-encoded body. As Python's `parse_qs`: pairs split on
    /// `&`, `+` is a space, a name without `=` has an empty value, and empty pairs are skipped.
    pub fn parse(encoded: &[u8]) -> Self {
        let mut arguments = Self::default();
        for pair in encoded
            .split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
        {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let name = String::from_utf8_lossy(&form_decode(name)).into_owned();
            arguments.push(name, form_decode(value));
        }
        arguments
    }

    /// Adds a value to `name`.
    pub fn push(&mut self, name: String, value: Vec<u8>) {
        match self.0.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, values)) => values.push(value),
            None => self.0.push((name, vec![value])),
        }
    }

    /// The raw values of `name`.
    pub fn get(&self, name: &str) -> &[Vec<u8>] {
        self.0
            .iter()
            .find(|(existing, _)| existing == name)
            .map_or(&[], |(_, values)| values)
    }

    /// Every name with its raw values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Vec<u8>])> {
        self.0
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

/// Percent-decodes a form field, `+` standing for a space.
fn form_decode(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// Tornado's `_get_arguments` for one value: UTF-8 decoded (else an error naming the
/// argument), control characters other than whitespace replaced by a space, and trimmed
/// when `strip`.
pub fn decode_value(name: &str, raw: &[u8], strip: bool) -> Result<String, String> {
    let text = std::str::from_utf8(raw).map_err(|_| {
        let shown = &raw[..raw.len().min(40)];
        format!(
            "Invalid unicode in {name}: {:?}",
            String::from_utf8_lossy(shown)
        )
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
                .contains("Invalid unicode in n")
        );
    }

    #[test]
    fn merged_arguments_keep_query_values_before_body_values() {
        let all = Arguments::parse(b"a=q").merged(&Arguments::parse(b"a=b&z=1"));
        assert_eq!(all.get("a"), [b"q".to_vec(), b"b".to_vec()]);
        assert_eq!(all.get("z"), [b"1".to_vec()]);
    }
}
