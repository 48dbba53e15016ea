//! Tornado's signed values, version 2 (`create_signed_value` / `decode_signed_value`):
//! `2|1:0|10:1700000000|4:name|8:dmFsdWU=|` followed by the HMAC-SHA256 of all that, in hex.
//! A Tornado app and gale that share a cookie secret read each other's signed cookies.
//! Free of gale's types, so the fuzz targets include it as it is.

use super::hex;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `value` signed for cookie `name` at `now` (seconds since the epoch), key version 0.
pub fn create(secret: &[u8], name: &str, value: &[u8], now: u64) -> String {
    let mut signed = String::from("2|");
    for field in ["0", &now.to_string(), name, &STANDARD.encode(value)] {
        signed += &format!("{}:{field}|", field.chars().count());
    }
    let signature = hex::encode(&signature(secret, signed.as_bytes()));
    signed + &signature
}

/// The value of a version-2 signed value for cookie `name`, if the signature is valid, the
/// name matches and it was signed no more than `max_age_days` before `now`; else `None`.
pub fn decode(
    secret: &[u8],
    name: &str,
    signed: &str,
    max_age_days: f64,
    now: u64,
) -> Option<Vec<u8>> {
    let rest = signed.strip_prefix("2|")?;
    let (_key_version, rest) = field(rest)?;
    let (timestamp, rest) = field(rest)?;
    let (name_field, rest) = field(rest)?;
    let (value, passed) = field(rest)?;
    let signed_part = &signed[..signed.len() - passed.len()];
    // Verified in constant time, as Tornado's hmac.compare_digest; the hex must be
    // lower-case, as Tornado writes and compares it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(signed_part.as_bytes());
    mac.verify_slice(&hex::decode(passed, true)?).ok()?;
    if name_field != name {
        return None;
    }
    let timestamp: u64 = timestamp.parse().ok()?;
    if (timestamp as f64) < now as f64 - max_age_days * 86400.0 {
        return None;
    }
    STANDARD.decode(value).ok()
}

/// One `LENGTH:TEXT|` field and what follows it.
fn field(text: &str) -> Option<(&str, &str)> {
    let (length, rest) = text.split_once(':')?;
    if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let length: usize = length.parse().ok()?;
    let value = rest.get(..length)?;
    let rest = rest.get(length..)?.strip_prefix('|')?;
    Some((value, rest))
}

/// A secret of its own for `label` (a plugin's name): HMAC-SHA256 of the label under
/// `secret`, hex-encoded, so a Tornado app given the same derivation can share it.
pub fn derive_secret(secret: &[u8], label: &str) -> Vec<u8> {
    super::hex::encode(&signature(secret, label.as_bytes())).into_bytes()
}

fn signature(secret: &[u8], text: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(text);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Tornado 6.6.1:
    // python3 -c "from tornado.web import create_signed_value as c; print(c('secret', 'name', 'value', clock=lambda: 1700000000).decode())"
    const TORNADO: &str = "2|1:0|10:1700000000|4:name|8:dmFsdWU=|a10442fe9dfd04c38d66405499eca973aa061c03364bdc2e4d993487049011fd";

    #[test]
    fn round_trips_and_refuses_tampering() {
        let signed = create(b"secret", "name", b"value", 1_700_000_000);
        assert_eq!(
            decode(b"secret", "name", &signed, 31.0, 1_700_000_100).as_deref(),
            Some(&b"value"[..])
        );
        assert_eq!(decode(b"other", "name", &signed, 31.0, 1_700_000_100), None);
        assert_eq!(
            decode(b"secret", "other", &signed, 31.0, 1_700_000_100),
            None
        );
        assert_eq!(
            decode(b"secret", "name", &signed, 31.0, 1_700_000_000 + 32 * 86400),
            None
        );
        let tampered = signed.replace("dmFsdWU=", "dmFsdWY=");
        assert_eq!(
            decode(b"secret", "name", &tampered, 31.0, 1_700_000_100),
            None
        );
    }

    #[test]
    fn matches_tornado_byte_for_byte() {
        assert_eq!(create(b"secret", "name", b"value", 1_700_000_000), TORNADO);
    }
}
