//! Failed logins, counted per account and client address and per account across
//! addresses, as OWASP advises against password guessing: after [`FAILURES`] failures of a
//! pair within [`WINDOW`] (or [`ACCOUNT_FAILURES`] of an account from anywhere), its logins
//! are refused (429) for [`WINDOW`] from the last failure, without a password being
//! checked. A login in flight counts as a failure until it is known, so a hundred guesses
//! sent at once are not all checked before the first fails. Per process: servers behind
//! one proxy each keep their own counts.
//!
//! What is kept is bounded whatever a client sends: an account is kept as a keyed 64-bit
//! hash, never its text, and past [`TRACKED`] entries the least recently used goes, so a
//! flood of new names ages out old entries instead of switching the throttle off.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::AccountError;

/// Failures that close a pair's logins.
pub const FAILURES: u32 = 5;

/// Failures, from any address, that close an account's logins.
pub const ACCOUNT_FAILURES: u32 = 50;

/// How long failures count, and how long a closed pair stays closed.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Entries kept per table at most (about 48 bytes each).
const TRACKED: usize = 100_000;

/// One key's failures in the current window.
#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    /// Logins begun and not yet known to fail or succeed.
    in_flight: u32,
    /// The first failure of the window.
    since: Instant,
    /// The latest failure.
    last: Instant,
    /// When it was last used, in the table's order.
    stamp: u64,
}

/// Failures by key, forgetting the least recently used past [`TRACKED`].
struct Counts<K> {
    entries: HashMap<K, Failures>,
    /// Keys in the order they were used, each with the stamp of that use; an entry used
    /// again has a newer one, and the older is skipped when it comes up.
    order: VecDeque<(K, u64)>,
    next_stamp: u64,
}

impl<K: Hash + Eq + Copy> Counts<K> {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_stamp: 0,
        }
    }

    /// `key`'s entry, made (and the oldest forgotten) if it has none; its window restarted
    /// when the last one has passed.
    fn touch(&mut self, key: K, now: Instant) -> &mut Failures {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.order.push_back((key, stamp));
        if !self.entries.contains_key(&key) {
            self.forget_oldest();
        }
        let failures = self.entries.entry(key).or_insert(Failures {
            count: 0,
            in_flight: 0,
            since: now,
            last: now,
            stamp,
        });
        failures.stamp = stamp;
        if now.duration_since(failures.last) >= WINDOW {
            (failures.count, failures.since) = (0, now);
        }
        failures
    }

    /// Makes room for one more entry: the least recently used without a login in flight
    /// goes; the order queue is kept within a few times the table.
    fn forget_oldest(&mut self) {
        while self.entries.len() >= TRACKED {
            let Some((key, stamp)) = self.order.pop_front() else {
                break;
            };
            if let Some(failures) = self.entries.get(&key)
                && failures.stamp == stamp
            {
                match failures.in_flight {
                    0 => drop(self.entries.remove(&key)),
                    // Busy now: used again at the back of the queue.
                    _ => self.order.push_back((key, stamp)),
                }
            }
        }
        if self.order.len() > 4 * TRACKED {
            let entries = &self.entries;
            self.order
                .retain(|(key, stamp)| entries.get(key).is_some_and(|f| f.stamp == *stamp));
        }
    }

    /// Whether `key` has `limit` failures (those in flight included) within the window.
    fn closed(&self, key: &K, limit: u32, now: Instant) -> bool {
        self.entries.get(key).is_some_and(|failures| {
            failures.count + failures.in_flight >= limit
                && now.duration_since(failures.last) < WINDOW
        })
    }
}

type Pair = (u64, IpAddr);

/// The failures of pairs and of accounts.
pub struct Throttle {
    pairs: Counts<Pair>,
    accounts: Counts<u64>,
}

/// The process's throttle.
static THROTTLE: LazyLock<Mutex<Throttle>> = LazyLock::new(|| Mutex::new(Throttle::new()));

/// The key an account is kept by: a hash keyed at random per process, so no client can
/// choose names that collide.
fn account_key(account: &str) -> u64 {
    static KEY: LazyLock<RandomState> = LazyLock::new(RandomState::new);
    KEY.hash_one(account)
}

fn lock(throttle: &Mutex<Throttle>) -> MutexGuard<'_, Throttle> {
    throttle
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A login being checked: it counts as a failure until it is known.
pub struct Attempt {
    throttle: &'static Mutex<Throttle>,
    pair: Pair,
    account: u64,
    known: bool,
}

/// Begins a login of `account` from `client` on the process's throttle.
pub fn begin(account: &str, client: IpAddr) -> Result<Attempt, AccountError> {
    Throttle::begin(&THROTTLE, account, client)
}

impl Throttle {
    fn new() -> Self {
        Self {
            pairs: Counts::new(),
            accounts: Counts::new(),
        }
    }

    /// Begins a login of `account` from `client`: refused while their pair, or the
    /// account, is closed.
    fn begin(
        throttle: &'static Mutex<Self>,
        account: &str,
        client: IpAddr,
    ) -> Result<Attempt, AccountError> {
        let (account, now) = (account_key(account), Instant::now());
        let pair = (account, client);
        let mut this = lock(throttle);
        if this.pairs.closed(&pair, FAILURES, now)
            || this.accounts.closed(&account, ACCOUNT_FAILURES, now)
        {
            return Err(AccountError::Throttled);
        }
        this.pairs.touch(pair, now).in_flight += 1;
        this.accounts.touch(account, now).in_flight += 1;
        Ok(Attempt {
            throttle,
            pair,
            account,
            known: false,
        })
    }
}

impl Attempt {
    /// The password was wrong (or the account unknown).
    pub fn failed(mut self) {
        self.end(true);
    }

    /// The login succeeded: the pair's failures are forgotten (not the account's, which
    /// other addresses may have made).
    pub fn succeeded(mut self) {
        self.end(false);
        lock(self.throttle).pairs.entries.remove(&self.pair);
    }

    fn end(&mut self, failed: bool) {
        self.known = true;
        let now = Instant::now();
        let mut throttle = lock(self.throttle);
        let Throttle { pairs, accounts } = &mut *throttle;
        let pair = pairs.entries.get_mut(&self.pair);
        let account = accounts.entries.get_mut(&self.account);
        for failures in [pair, account].into_iter().flatten() {
            failures.in_flight = failures.in_flight.saturating_sub(1);
            if failed {
                failures.count += 1;
                failures.last = now;
            }
        }
    }
}

impl Drop for Attempt {
    /// A login abandoned before its answer (the store unreachable, the handler stopped)
    /// counts as neither.
    fn drop(&mut self) {
        if !self.known {
            self.end(false);
        }
    }
}

#[cfg(test)]
mod tests;
