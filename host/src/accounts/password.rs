//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), off the
//! event loop: a hash takes tens of milliseconds, and a loop that waited for it would stall
//! every other request. At most one hash per core runs at once, so a burst of logins queues
//! instead of taking 19 MiB per request, and at most [`QUEUED_PER_CORE`] per core wait:
//! beyond that a login or registration is refused at once ([`Busy`], 503), so a flood of
//! logins cannot hold every instance slot waiting here.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Hashes waiting per core, beyond those running: at about 30 a second per core, 8 are a
/// quarter of a second's work.
pub const QUEUED_PER_CORE: usize = 8;

/// The cores, read once: `available_parallelism` reads cgroup files each time.
static CORES: LazyLock<usize> =
    LazyLock::new(|| std::thread::available_parallelism().map_or(1, usize::from));

/// Hashes running at once, across workers.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(*CORES));

/// Hashes running or waiting, across workers.
static ADMITTED: AtomicUsize = AtomicUsize::new(0);

/// The hashing queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// A place in the hashing queue, given back when dropped (the request may be abandoned).
struct Admitted;

impl Admitted {
    fn try_new() -> Result<Self, Busy> {
        let bound = *CORES * (1 + QUEUED_PER_CORE);
        ADMITTED
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |admitted| {
                (admitted < bound).then_some(admitted + 1)
            })
            .map(|_| Admitted)
            .map_err(|_| Busy)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        ADMITTED.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What an unknown account's login is checked against, so that it takes as long as a wrong
/// password and the timing does not tell which accounts exist.
static DECOY: LazyLock<String> = LazyLock::new(|| hash_now("a password nobody has"));

/// argon2id, version 0x13, m = 19 MiB, t = 2, p = 1: OWASP's first recommendation.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
fn hash_now(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source");
    let salt = SaltString::encode_b64(&salt).expect("a 16-byte salt encodes");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password of bounded length")
        .to_string()
}

/// Whether `password` matches the PHC string `hash`; a malformed hash matches nothing.
fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Runs `work` on the blocking pool once a hashing permit is free, if the queue has room.
async fn off_loop<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let _admitted = Admitted::try_new()?;
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    Ok(tokio::task::spawn_blocking(work)
        .await
        .expect("password hashing does not panic"))
}

/// Hashes a new password.
pub async fn hash(password: String) -> Result<String, Busy> {
    off_loop(move || hash_now(&password)).await
}

/// Checks `password` against a stored hash, or against a decoy when there is none.
pub async fn verify(password: String, hash: Option<String>) -> Result<bool, Busy> {
    off_loop(move || match hash {
        Some(hash) => verify_now(&password, &hash),
        None => {
            verify_now(&password, &DECOY);
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let hash = super::hash_now("correct horse");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(!hash.contains("correct horse"));
        assert!(super::verify_now("correct horse", &hash));
        assert!(!super::verify_now("correct horsE", &hash));
        assert!(!super::verify_now("correct horse", "not a hash"));
        assert_ne!(hash, super::hash_now("correct horse"), "salted");
    }
}
