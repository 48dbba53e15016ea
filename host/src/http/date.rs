//! The `Date` header, formatted once a second per thread rather than once a request.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::header::HeaderValue;

thread_local! {
    static CACHED: RefCell<(u64, HeaderValue)> = const { RefCell::new((u64::MAX, HeaderValue::from_static(""))) };
}

/// The current time as an HTTP date.
pub fn now() -> HeaderValue {
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != second {
            let formatted = httpdate::fmt_http_date(now);
            *cached = (
                second,
                HeaderValue::from_str(&formatted).expect("an HTTP date is a valid header value"),
            );
        }
        cached.1.clone()
    })
}
