//! Hex text, as Python's `binascii` writes and reads it. Free of gale's types.

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of an even number of hex digits; with `lower_only`, upper-case digits are
/// refused (a signature must match Tornado's lower-case text exactly).
pub fn decode(text: &str, lower_only: bool) -> Option<Vec<u8>> {
    let digit = |b: u8| {
        b.is_ascii_digit() || matches!(b, b'a'..=b'f') || (!lower_only && matches!(b, b'A'..=b'F'))
    };
    if !text.len().is_multiple_of(2) || !text.bytes().all(digit) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}
