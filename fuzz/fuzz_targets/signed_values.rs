//! Signed values and xsrf tokens: any text decodes to a value or to nothing without
//! panicking, and a value signed with one secret reads back with it and with no other.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/hex.rs"]
mod hex;
#[allow(dead_code)]
#[path = "../../host/src/http/signed.rs"]
mod signed;
#[allow(dead_code)]
#[path = "../../host/src/http/xsrf.rs"]
mod xsrf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = signed::decode(b"secret", "name", &text, 31.0, 1_700_000_000);
    if let Some(raw) = xsrf::decode(&text, 1_700_000_000) {
        let _ = xsrf::check(Some(&text), &raw, 1_700_000_000);
    }
    let made = signed::create(b"secret", "name", data, 1_700_000_000);
    assert_eq!(
        signed::decode(b"secret", "name", &made, 31.0, 1_700_000_000).as_deref(),
        Some(data)
    );
    assert_eq!(signed::decode(b"other", "name", &made, 31.0, 1_700_000_000), None);
});
