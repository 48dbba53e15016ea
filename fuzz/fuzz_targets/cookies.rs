//! Cookies: any `Cookie` header parses; every parsed name is legal; a cookie set with any
//! value and attributes is either refused or written as a `Set-Cookie` whose value parses
//! back to what was set; parsing takes time linear in the header's size.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/cookies.rs"]
mod cookies;
#[allow(dead_code)]
#[path = "../../host/src/http/date.rs"]
mod date;

use std::time::{Duration, Instant, UNIX_EPOCH};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let started = Instant::now();
    let text = String::from_utf8_lossy(data);
    for (name, _) in cookies::parse_cookie(&text) {
        assert!(cookies::is_legal_name(&name));
    }
    let (name, rest) = text.split_once('\u{0}').unwrap_or(("n", &text));
    let (value, path) = rest.split_once('\u{0}').unwrap_or((rest, "/"));
    let options = cookies::CookieOptions {
        path: Some(path.to_owned()),
        max_age: Some(data.len() as u64),
        expires_days: data.first().map(|&byte| f64::from(byte).powi(4)),
        ..cookies::CookieOptions::default()
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if let Ok(header) = cookies::set_cookie_header(name, value, &options, now) {
        let parsed = cookies::parse_cookie(header.split("; ").next().unwrap());
        assert_eq!(parsed, [(name.to_owned(), value.to_owned())], "{header}");
    }
    // Generous for sanitizers, far below what a quadratic parser takes on a long input.
    let budget = Duration::from_millis(50) + Duration::from_micros(5) * data.len() as u32;
    assert!(started.elapsed() < budget, "{} bytes took {:?}", data.len(), started.elapsed());
});
