//! Hex text, as Python's `binascii` writes and reads it. Free of gale's types.

/// Lower-case hex of `bytes`. By table, not `format!` per byte: every response's Etag
/// goes through it.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    text
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

#[cfg(test)]
mod tests {
    #[test]
    fn hex_encodes_lower_case_and_decodes_back() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(super::encode(&bytes), "000fa5ff");
        assert_eq!(super::decode("000fa5ff", true).unwrap(), bytes);
        assert_eq!(super::decode("000FA5FF", true), None);
        assert_eq!(super::decode("000FA5FF", false).unwrap(), bytes);
    }
}
