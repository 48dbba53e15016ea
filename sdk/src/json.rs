//! JSON as Tornado writes it: Python's `json.dumps` (`", "` and `": "` separators, non-ASCII
//! escaped) with `</` escaped so a JSON body cannot close a script tag.
//!
//! ```no_run
//! # use gale_sdk::*;
//! # fn handler(req: &mut Request) -> Result {
//! let data = gale_sdk::json::encode(&json!({"user": "</script>"}));
//! req.write(format!("<script>const data = {data};</script>"));
//! # Ok(())
//! # }
//! ```

use std::io;

use serde_json::ser::{Formatter, Serializer};

use crate::Value;

/// Encodes `value` byte for byte as Tornado's `json_encode`.
///
/// ```
/// # use gale_sdk::*;
/// assert_eq!(gale_sdk::json::encode(&json!({"a": [1, 2], "b": "é"})), r#"{"a": [1, 2], "b": "\u00e9"}"#);
/// ```
pub fn encode(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer = Serializer::with_formatter(&mut out, PythonFormatter);
    serde::Serialize::serialize(value, &mut serializer)
        .expect("writing JSON to memory cannot fail");
    // The formatter writes only ASCII.
    String::from_utf8(out)
        .expect("the JSON is ASCII")
        .replace("</", "<\\/")
}

/// Python's default `json.dumps` layout.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() && c != '\x7f' {
                writer.write_all(&[c as u8])?;
            } else {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// Python's item separator, before every item but the first.
fn separator<W: ?Sized + io::Write>(writer: &mut W, first: bool) -> io::Result<()> {
    if first {
        Ok(())
    } else {
        writer.write_all(b", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_as_python_json_dumps() {
        let value = json!({"a": [1, "é"], "b": {"c": null}, "d": "</script>", "e": "😀"});
        assert_eq!(
            encode(&value),
            r#"{"a": [1, "\u00e9"], "b": {"c": null}, "d": "<\/script>", "e": "\ud83d\ude00"}"#
        );
    }
}
