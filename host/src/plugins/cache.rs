//! The compiled-code cache: Cranelift's output on disk, keyed by the plugin's content hash and
//! the engine's compatibility, so a restart or a swap back to a known version skips
//! compilation.
//!
//! An entry is two files: the artifact as wasmtime wrote it (`HASH-ENGINE.cwasm`) and its
//! SHA-256 beside it (`.sha256`). The checksum is verified first, reading the artifact
//! through a small buffer (deserializing runs native code that wasmtime trusts, so a flipped
//! bit must never reach it); then wasmtime maps the file itself and checks the engine
//! compatibility. Mapped rather than read, a plugin's code is resident only where it runs: a
//! Python plugin's 40 MB artifact read into memory was 40 MB of RSS for every server. An
//! entry that fails either check is ignored, logged and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::http::hex;

/// The hex SHA-256 of `bytes`: a plugin's version, and the cache's key.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled with Cranelift (and stored, when there is a cache).
    Compiled,
    /// Read from the cache.
    Cached,
}

impl Origin {
    /// `compiled` or `cache`.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Compiled => "compiled",
            Origin::Cached => "cache",
        }
    }
}

/// A directory of compiled components for one engine configuration.
#[derive(Debug, Clone)]
pub struct CodeCache {
    dir: PathBuf,
    engine_key: String,
}

impl CodeCache {
    /// A cache in `dir` for artifacts of `engine`, the directory created (0700) when
    /// missing. Its entries are native code the host runs, so a directory another user
    /// owns, or that its group or others may write, is refused (logged): plugins are then
    /// compiled on every load.
    pub fn open(dir: PathBuf, engine: &Engine) -> Option<Self> {
        if let Err(why) = owned_privately(&dir) {
            tracing::warn!(
                "not using the compiled-code cache {}: {why}; every plugin is compiled on \
                 load (use a directory of your own with mode 0700, or --no-cache)",
                dir.display()
            );
            return None;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Some(Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        })
    }

    /// Where the artifact of the component whose content hash is `hash` lives.
    fn entry(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}-{}.cwasm", self.engine_key))
    }

    /// Where the artifact's SHA-256 lives.
    fn checksum(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}-{}.sha256", self.engine_key))
    }

    /// The cached component for `hash`, or `None` when there is no usable entry (a corrupt
    /// or stale one is logged and removed).
    pub fn get(&self, engine: &Engine, hash: &str) -> Option<Component> {
        let (path, sum) = (self.entry(hash), self.checksum(hash));
        let expected = std::fs::read(&sum).ok()?;
        if file_digest(&path).ok()?.as_slice() != expected {
            tracing::warn!(
                "ignoring the corrupt compiled-code cache entry {} (checksum mismatch); recompiling",
                path.display()
            );
        } else {
            // SAFETY: the file is byte for byte what `Component::serialize` wrote for this
            // engine configuration (the checksum proves it, and the directory is this user's
            // alone, so it is not replaced meanwhile), and wasmtime checks the engine
            // compatibility header itself.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Some(component),
                Err(error) => tracing::warn!(
                    "ignoring the stale compiled-code cache entry {}: {error}; recompiling",
                    path.display()
                ),
            }
        }
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&sum);
        None
    }

    /// Stores `component` under `hash`, atomically; a failure only costs a later compile.
    pub fn put(&self, hash: &str, component: &Component) {
        if let Err(error) = self.try_put(hash, component) {
            tracing::warn!(
                "cannot write the compiled-code cache in {}: {error:#}",
                self.dir.display()
            );
        }
    }

    /// Writes the artifact, then its checksum, each atomically: an entry is usable only once
    /// both are there.
    fn try_put(&self, hash: &str, component: &Component) -> anyhow::Result<()> {
        let artifact = component.serialize()?;
        let checksum = Sha256::digest(&artifact);
        for (path, bytes) in [
            (self.entry(hash), &artifact[..]),
            (self.checksum(hash), &checksum[..]),
        ] {
            let partial = tempfile::NamedTempFile::new_in(&self.dir)?;
            std::fs::write(partial.path(), bytes)?;
            partial.persist(&path)?;
        }
        Ok(())
    }
}

/// Creates `dir` (mode 0700) when missing, then checks that this process's user owns it and
/// that no one else may write to it.
pub(crate) fn owned_privately(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|error| format!("cannot create it: {error}"))?;
    let meta = std::fs::metadata(dir).map_err(|error| format!("cannot read it: {error}"))?;
    // Linux: /proc/self belongs to the process's effective user.
    let me = std::fs::metadata("/proc/self").map_or(meta.uid(), |own| own.uid());
    if meta.uid() != me {
        return Err(format!("it belongs to user {}, not to {me}", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "its group or others may write to it (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// The artifact of a cache entry whose checksum holds.
fn file_digest(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher.finalize().to_vec())
}

/// Compiles `bytes` (whose content hash is `hash`), through `cache` when there is one.
pub fn compile(
    engine: &Engine,
    cache: Option<&CodeCache>,
    hash: &str,
    bytes: &[u8],
) -> wasmtime::Result<(Component, Origin)> {
    if let Some(component) = cache.and_then(|cache| cache.get(engine, hash)) {
        return Ok((component, Origin::Cached));
    }
    keep_arenas_trimmed();
    let mut component = Component::from_binary(engine, bytes)?;
    if let Some(cache) = cache {
        cache.put(hash, &component);
        // Mapped from the file, as a later start will have it, rather than resident whole.
        if let Some(mapped) = cache.get(engine, hash) {
            component = mapped;
        }
    }
    // Cranelift's working memory is free now, but the allocator keeps it: give it back.
    release_free_memory();
    Ok((component, Origin::Compiled))
}

/// Returns the allocator's free memory to the system (glibc keeps what a thread freed in its
/// arena: compiling a 20 MB Python plugin left 280 MB resident).
pub(crate) fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only releases free memory; it has no precondition.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Makes every arena shrink as it frees, before the first compile. `malloc_trim` gives back
/// free pages inside every arena but shrinks only the main one's top; a compile thread's
/// arena kept its top, up to glibc's dynamic trim threshold (64 MiB), which left a server
/// that had compiled the Python tutorial at 157 MiB where one that read it from the cache
/// held 56 MiB. A fixed threshold (glibc's initial 128 KiB) ends that.
fn keep_arenas_trimmed() {
    #[cfg(target_env = "gnu")]
    {
        static FIXED: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only tunes the allocator; it has no precondition.
        FIXED.call_once(|| unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_directory_others_may_write_is_refused_and_a_new_one_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/cache");
        assert_eq!(owned_privately(&fresh), Ok(()));
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = owned_privately(&fresh).unwrap_err();
        assert!(refused.contains("others may write"), "{refused}");
        let theirs = root.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        // Only root can give a directory away (as here and in CI); others skip this part.
        if std::os::unix::fs::chown(&theirs, Some(65534), None).is_ok() {
            let refused = owned_privately(&theirs).unwrap_err();
            assert!(refused.contains("belongs to user 65534"), "{refused}");
        }
    }

    #[test]
    fn an_entry_that_fails_its_checksum_or_wasmtime_is_not_loaded_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = CodeCache::open(dir.path().join("cache"), &engine).unwrap();
        let artifact = b"not compiled code".to_vec();
        for checksum in [vec![0; 32], Sha256::digest(&artifact).to_vec()] {
            std::fs::write(cache.entry("h"), &artifact).unwrap();
            std::fs::write(cache.checksum("h"), &checksum).unwrap();
            assert!(cache.get(&engine, "h").is_none());
            assert!(!cache.entry("h").exists() && !cache.checksum("h").exists());
        }
        // An artifact without its checksum is not an entry (it was being written).
        std::fs::write(cache.entry("h"), &artifact).unwrap();
        assert!(cache.get(&engine, "h").is_none());
        assert_eq!(
            file_digest(&cache.entry("h")).unwrap(),
            Sha256::digest(&artifact).to_vec()
        );
    }
}
