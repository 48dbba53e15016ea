//! Making plugin files the way people deploy them: new versions by rewriting bytes of a built
//! component, installed atomically or written in place.

use std::path::Path;
use std::time::{Duration, Instant};

/// `bytes` with the one occurrence of `from` replaced by `to` (of the same length): a second
/// version of a component, or a broken one.
pub fn patched(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "a patch keeps every length");
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, window)| *window == from.as_bytes())
        .map(|(at, _)| at)
        .collect();
    assert_eq!(at.len(), 1, "{from:?} must occur exactly once");
    let mut out = bytes.to_vec();
    out[at[0]..at[0] + to.len()].copy_from_slice(to.as_bytes());
    out
}

/// Installs `bytes` as `dir/name` atomically: written under a hidden name, then renamed.
pub fn deploy(dir: &Path, name: &str, bytes: &[u8]) {
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes).expect("writing a plugin");
    std::fs::rename(&partial, dir.join(name)).expect("renaming a plugin into place");
}

/// Waits up to a minute (a rebuild under load is slow) for `condition`, then fails with `what`.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
