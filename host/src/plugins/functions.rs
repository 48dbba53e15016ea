//! Cranelift's incremental compilation cache on disk: each function's machine code, keyed by
//! the function itself, so a new version of a plugin compiles only the functions that
//! changed. A Python plugin's component is CPython's code, the same from one edit of its
//! `app.py` or templates to the next, and a snapshot's data: without this every edit
//! compiled all of CPython again.
//!
//! An entry is a file named by the SHA-256 of its key (under a directory named by the
//! first two hex digits, so no directory holds tens of thousands), holding the SHA-256 of
//! the value and the value. A value whose checksum fails is a miss: the machine code it
//! holds would run unchecked, as the compiled-code cache's would.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::http::hex;

/// The functions' cache, in `functions/` of the compiled-code cache's directory.
#[derive(Debug)]
pub struct FunctionCache {
    dir: PathBuf,
}

impl FunctionCache {
    /// The cache under `cache_dir`, or `None` when that is not a private directory (the
    /// compiled-code cache's refusal says why) or its own cannot be made (a log line says).
    pub fn open(cache_dir: &Path) -> Option<Arc<Self>> {
        super::cache::owned_privately(cache_dir).ok()?;
        let dir = cache_dir.join("functions");
        match std::fs::create_dir_all(&dir) {
            Ok(()) => Some(Arc::new(Self { dir })),
            Err(error) => {
                tracing::warn!(
                    "not caching compiled functions in {}: {error}; each new version of a \
                     plugin is compiled whole",
                    dir.display()
                );
                None
            }
        }
    }

    /// Where the value of `key` lives.
    fn entry(&self, key: &[u8]) -> PathBuf {
        let name = hex::encode(&Sha256::digest(key));
        self.dir.join(&name[..2]).join(&name[2..])
    }
}

impl wasmtime::CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let mut bytes = std::fs::read(self.entry(key)).ok()?;
        let (sum, value) = bytes.split_at_checked(32)?;
        if Sha256::digest(value).as_slice() != sum {
            return None;
        }
        bytes.drain(..32);
        Some(Cow::Owned(bytes))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let path = self.entry(key);
        let Some(parent) = path.parent() else {
            return false;
        };
        // Written aside under a name of its own (compilation runs on several threads), then
        // renamed: a reader never sees half an entry, and two writers of one key write the
        // same bytes.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let write = WRITES.fetch_add(1, Ordering::Relaxed);
        let partial = parent.join(format!(".{}-{write}.partial", std::process::id()));
        let mut bytes = Sha256::digest(&value).to_vec();
        bytes.extend_from_slice(&value);
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::write(&partial, &bytes))
            .and_then(|()| std::fs::rename(&partial, &path))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::CacheStore;

    use super::*;

    #[test]
    fn a_value_comes_back_as_stored_and_a_corrupted_one_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FunctionCache::open(dir.path()).unwrap();
        assert!(cache.get(b"key").is_none());
        assert!(cache.insert(b"key", b"machine code".to_vec()));
        assert_eq!(cache.get(b"key").as_deref(), Some(&b"machine code"[..]));
        let path = cache.entry(b"key");
        let mut bytes = std::fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(
            cache.get(b"key").is_none(),
            "a flipped bit never reaches Cranelift"
        );
    }
}
