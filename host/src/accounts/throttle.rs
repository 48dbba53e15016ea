//! Failed logins, counted per account and client address, as OWASP advises against password
//! guessing: after [`FAILURES`] failures within [`WINDOW`], that pair's logins are refused
//! (429) for [`WINDOW`] from the last failure, without a password being checked. Per
//! process: servers behind one proxy each keep their own counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::AccountError;

/// Failures that close a pair's logins.
pub const FAILURES: u32 = 5;

/// How long failures count, and how long a closed pair stays closed.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Pairs tracked at most; past it, those whose window has passed are forgotten first.
const TRACKED: usize = 100_000;

/// A pair's failures in the current window.
struct Failures {
    count: u32,
    /// The first failure of the window.
    since: Instant,
    /// The latest failure.
    last: Instant,
}

type Key = (String, IpAddr);

static FAILED: LazyLock<Mutex<HashMap<Key, Failures>>> = LazyLock::new(Default::default);

fn failed_logins() -> std::sync::MutexGuard<'static, HashMap<Key, Failures>> {
    FAILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Refuses a login of `account` from `client` while their pair is closed.
pub fn check(account: &str, client: IpAddr) -> Result<(), AccountError> {
    let failed = failed_logins();
    match failed.get(&(account.to_owned(), client)) {
        Some(failures) if failures.count >= FAILURES && failures.last.elapsed() < WINDOW => {
            Err(AccountError::Throttled)
        }
        _ => Ok(()),
    }
}

/// Counts a failed login.
pub fn failed(account: &str, client: IpAddr) {
    let mut failed = failed_logins();
    let now = Instant::now();
    if failed.len() >= TRACKED {
        failed.retain(|_, failures| failures.last.elapsed() < WINDOW);
    }
    if failed.len() >= TRACKED {
        // Every tracked pair is recent: a flood of addresses; keep counting the old ones.
        return;
    }
    let failures = failed
        .entry((account.to_owned(), client))
        .or_insert(Failures {
            count: 0,
            since: now,
            last: now,
        });
    if now.duration_since(failures.since) >= WINDOW && failures.count < FAILURES {
        (failures.count, failures.since) = (0, now);
    }
    failures.count += 1;
    failures.last = now;
}

/// Forgets a pair's failures after a login that succeeded.
pub fn succeeded(account: &str, client: IpAddr) {
    failed_logins().remove(&(account.to_owned(), client));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_closes_after_five_failures_and_others_stay_open() {
        let (me, other) = ("throttle-test".to_owned(), IpAddr::from([10, 9, 8, 7]));
        let here = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..FAILURES {
            assert_eq!(check(&me, here), Ok(()));
            failed(&me, here);
        }
        assert_eq!(check(&me, here), Err(AccountError::Throttled));
        assert_eq!(check(&me, other), Ok(()), "another address");
        assert_eq!(check("someone-else", here), Ok(()), "another account");
        succeeded(&me, here);
        assert_eq!(check(&me, here), Ok(()));
    }
}
