//! Cookies: any `Cookie` header parses; every parsed name is legal; a cookie set with any
//! value and attributes is either refused or written as a `Set-Cookie` whose value parses
//! back to what was set.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/cookies.rs"]
mod cookies;

use std::time::{Duration, UNIX_EPOCH};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (name, _) in cookies::parse_cookie(&text) {
        assert!(cookies::is_legal_name(&name));
    }
    let (name, rest) = text.split_once('\u{0}').unwrap_or(("n", &text));
    let (value, path) = rest.split_once('\u{0}').unwrap_or((rest, "/"));
    let options = cookies::CookieOptions {
        path: Some(path.to_owned()),
        max_age: Some(data.len() as u64),
        ..cookies::CookieOptions::default()
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if let Ok(header) = cookies::set_cookie_header(name, value, &options, now) {
        let parsed = cookies::parse_cookie(header.split("; ").next().unwrap());
        assert_eq!(parsed, [(name.to_owned(), value.to_owned())], "{header}");
    }
});
