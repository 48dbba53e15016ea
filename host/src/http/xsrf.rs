//! Tornado's XSRF tokens: the `_xsrf` cookie and the masked version-2 token
//! `2|MASK|MASKED_TOKEN|TIMESTAMP` (`xsrf_token`, `_decode_xsrf_token`,
//! `check_xsrf_cookie`). Free of gale's types, so the fuzz targets include it as it is.

use super::hex;

/// A raw token read from a cookie or an argument: its version (`None` when it could not be
/// read), the token bytes and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawToken {
    /// 1 or 2, the format it was read from.
    pub version: u8,
    /// The secret random bytes.
    pub token: Vec<u8>,
    /// Seconds since the epoch (now for version 1, which carries none).
    pub timestamp: u64,
}

/// Reads a token as Tornado's `_decode_xsrf_token`: `2|mask|masked|timestamp`, or a
/// version-1 hex token, or (version 1 too) any other text taken as the token itself.
/// `None` for an unknown version or a malformed version 2.
pub fn decode(text: &str, now: u64) -> Option<RawToken> {
    if let Some((version, rest)) = text.split_once('|')
        && is_version(version)
    {
        let [mask, masked, timestamp] = rest.split('|').collect::<Vec<_>>()[..] else {
            return None;
        };
        if version != "2" {
            return None;
        }
        let mask = hex::decode(mask, false).filter(|mask| mask.len() == 4)?;
        return Some(RawToken {
            version: 2,
            token: apply_mask(&mask, &hex::decode(masked, false)?),
            timestamp: timestamp.parse().ok()?,
        });
    }
    Some(RawToken {
        version: 1,
        token: hex::decode(text, false).unwrap_or_else(|| text.as_bytes().to_vec()),
        timestamp: now,
    })
}

/// The text of `_signed_value_version_re`'s version: `[1-9][0-9]*`.
fn is_version(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|b| (b'1'..=b'9').contains(&b))
        && text.bytes().all(|b| b.is_ascii_digit())
}

/// The masked form Tornado's `xsrf_token` hands out: a fresh 4-byte mask each time.
pub fn encode(token: &[u8], mask: [u8; 4], timestamp: u64) -> String {
    format!(
        "2|{}|{}|{timestamp}",
        hex::encode(&mask),
        hex::encode(&apply_mask(&mask, token))
    )
}

/// Tornado's `_websocket_mask`: XOR with the mask repeated.
fn apply_mask(mask: &[u8], data: &[u8]) -> Vec<u8> {
    data.iter()
        .zip(mask.iter().cycle())
        .map(|(byte, mask)| byte ^ mask)
        .collect()
}

/// Why a request fails Tornado's `check_xsrf_cookie`: HTTP 403, with Tornado's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XsrfError {
    /// No token in the `_xsrf` argument or the headers.
    Missing,
    /// A token that does not decode.
    Malformed,
    /// A token whose secret is not the cookie's.
    Mismatch,
}

impl std::fmt::Display for XsrfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "'_xsrf' argument missing from POST",
            Self::Malformed => "'_xsrf' argument has invalid format",
            Self::Mismatch => "XSRF cookie does not match POST argument",
        })
    }
}

/// Whether a submitted token carries the same secret as the cookie's, compared in constant
/// time.
pub fn check(submitted: Option<&str>, cookie: &RawToken, now: u64) -> Result<(), XsrfError> {
    let submitted = submitted
        .filter(|text| !text.is_empty())
        .ok_or(XsrfError::Missing)?;
    let token = decode(submitted, now)
        .map(|raw| raw.token)
        .filter(|token| !token.is_empty())
        .ok_or(XsrfError::Malformed)?;
    let same = token.len() == cookie.token.len()
        && token
            .iter()
            .zip(&cookie.token)
            .fold(0, |diff, (a, b)| diff | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(XsrfError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_decodes_to_the_same_secret() {
        let token = b"0123456789abcdef";
        let first = encode(token, [1, 2, 3, 4], 1_700_000_000);
        let second = encode(token, [9, 8, 7, 6], 1_700_000_000);
        assert_ne!(first, second);
        let raw = decode(&first, 0).unwrap();
        assert_eq!((raw.version, raw.timestamp), (2, 1_700_000_000));
        assert_eq!(raw.token, token);
        assert!(check(Some(&second), &raw, 0).is_ok());
        let other = encode(b"fedcba9876543210", [1, 2, 3, 4], 1);
        assert_eq!(check(Some(&other), &raw, 0), Err(XsrfError::Mismatch));
        assert_eq!(check(None, &raw, 0), Err(XsrfError::Missing));
        assert_eq!(check(Some("2|zz|00|1"), &raw, 0), Err(XsrfError::Malformed));
    }

    #[test]
    fn version_one_tokens_are_hex_or_the_text_itself() {
        assert_eq!(decode("00ff", 5).unwrap().token, [0, 255]);
        assert_eq!(decode("plain", 5).unwrap().token, b"plain");
        assert_eq!(decode("3|a|b|c", 5), None);
    }
}
