//! The `Date` header, formatted once a second per thread rather than once a request.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
            let formatted = format(now);
            *cached = (
                second,
                HeaderValue::from_str(&formatted).expect("an HTTP date is a valid header value"),
            );
        }
        cached.1.clone()
    })
}

/// Seconds since the epoch (0 on a clock set before it).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The last second an HTTP date can name: 9999-12-31 23:59:59 GMT.
const LAST_HTTP_DATE: u64 = 253_402_300_799;

/// `time` as an HTTP date, clamped to what one can say (1970 to 9999): `httpdate` panics
/// outside that range, and a plugin's `expires_days` or a file's date can be anywhere.
pub fn format(time: SystemTime) -> String {
    let last = UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE);
    httpdate::fmt_http_date(time.clamp(UNIX_EPOCH, last))
}

/// `days` from `now`, saturating at the last HTTP date (and at `now` for a negative count
/// or one that is not a number).
pub fn days_after(now: SystemTime, days: f64) -> SystemTime {
    // `clamp` keeps a NaN, which `Duration` refuses with a panic.
    let seconds = match days * 86400.0 {
        seconds if seconds.is_nan() => 0.0,
        seconds => seconds.clamp(0.0, LAST_HTTP_DATE as f64),
    };
    now.checked_add(Duration::from_secs_f64(seconds))
        .unwrap_or(UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE))
}

/// `seconds` since the epoch, clamped to the HTTP dates; `None` when not a number.
pub fn from_unix(seconds: f64) -> Option<SystemTime> {
    (!seconds.is_nan())
        .then(|| UNIX_EPOCH + Duration::from_secs_f64(seconds.clamp(0.0, LAST_HTTP_DATE as f64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_what_http_can_say_are_clamped_not_panics() {
        let before = UNIX_EPOCH - Duration::from_secs(86400);
        assert_eq!(format(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        let now = SystemTime::now();
        assert_eq!(
            format(days_after(now, 3e6)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(
            format(days_after(now, f64::INFINITY)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(days_after(now, -1.0), now);
        assert_eq!(days_after(now, f64::NAN), now);
        assert_eq!(
            from_unix(1e300).map(format).unwrap(),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert_eq!(from_unix(f64::NAN), None);
    }
}
