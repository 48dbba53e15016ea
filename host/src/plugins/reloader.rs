//! Turning the plugin directory into the plugins in force: at start, on every settled change
//! the watcher reports, and on `SIGHUP`. Loading runs on the main loop (compilation on a
//! blocking thread), never on a worker's, and a failed load leaves the old version serving.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::cache::{CodeCache, content_hash};
use super::loader::{self, plugin_name};
use super::set::PluginSet;
use crate::runtime::Runtime;

/// Loads, swaps and removes the plugins of one directory.
pub struct Reloader {
    runtime: Arc<Runtime>,
    cache: Option<CodeCache>,
    dir: PathBuf,
    set: Arc<Mutex<PluginSet>>,
}

impl Reloader {
    /// A reloader for `dir`, publishing through `set`.
    pub fn new(
        runtime: Arc<Runtime>,
        cache: Option<CodeCache>,
        dir: PathBuf,
        set: Arc<Mutex<PluginSet>>,
    ) -> Self {
        Self {
            runtime,
            cache,
            dir,
            set,
        }
    }

    /// The directory it serves.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings every plugin in line with the directory: new and changed files loaded,
    /// missing ones removed.
    pub async fn reload_dir(&self) -> anyhow::Result<()> {
        let files = loader::plugin_files(&self.dir)?;
        let present: Vec<String> = files.iter().map(|file| plugin_name(file)).collect();
        let gone: Vec<_> = self
            .set()
            .names()
            .into_iter()
            .filter(|name| !present.iter().any(|present| **present == **name))
            .collect();
        for name in gone {
            self.remove(&name);
        }
        for file in files {
            self.reload_file(&file).await;
        }
        Ok(())
    }

    /// Loads `file` if its content changed, or removes its plugin if it is gone.
    pub async fn reload_file(&self, file: &Path) {
        let name = plugin_name(file);
        if !file.is_file() {
            return self.remove(&name);
        }
        let file = file.display().to_string();
        let bytes = match loader::read_settled(file.as_ref()).await {
            Ok(bytes) => bytes,
            Err(error) => return self.set().refuse(&name, &file, None, format!("{error:#}")),
        };
        let hash = content_hash(&bytes);
        if self.set().hash_of(&name).as_deref() == Some(hash.as_str()) {
            tracing::debug!(plugin = name, "{file} is unchanged");
            return;
        }
        let loaded = loader::load_bytes(&self.runtime, self.cache.as_ref(), file.as_ref(), bytes);
        let outcome = match loaded.await {
            Ok(loaded) => {
                // Its topics first: its first request may publish.
                self.runtime.topics.register(&loaded.plugin.name);
                self.set()
                    .install(loaded)
                    .map_err(|conflict| conflict.to_string())
            }
            Err(error) => Err(format!("{error:#}")),
        };
        if let Err(message) = outcome {
            self.set().refuse(&name, &file, Some(&hash), message);
        }
    }

    /// Takes `name` out of service, and frees its topics.
    fn remove(&self, name: &str) {
        if self.set().remove(name) {
            self.runtime.topics.remove(name);
        }
    }

    fn set(&self) -> MutexGuard<'_, PluginSet> {
        // A panic while holding the lock cannot leave the set half-changed: every change is
        // one insert or remove followed by a publish.
        self.set
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
