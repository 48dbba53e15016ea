//! A directory of static files: where it is (`--static DIR`, or a route's directory beside
//! its plugin), its files opened beneath it (see `beneath`), and their content hashes, which
//! `static_url` puts in `?v=` and `StaticFileHandler` (`builtin/static_files.rs`) sends as
//! the `Etag`.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha512};

use super::beneath::{self, Refused};

/// URL prefix of the `--static` directory, as Tornado's `static_url_prefix`.
pub const PREFIX: &str = "/static/";

/// Bytes read per chunk when hashing or streaming a file.
pub const CHUNK: usize = 64 * 1024;

/// A static directory and the content hashes computed so far (checked against each file's
/// size and mtime, so an edited file gets a new hash).
pub struct StaticFiles {
    root: Root,
    versions: Mutex<HashMap<String, (SystemTime, u64, String)>>,
}

/// Where a static directory is; opened afresh per request, since it may appear, or be
/// replaced, while serving.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    /// `--static DIR`, made absolute.
    Path(PathBuf),
    /// A route's `{"path": DIR}`: beneath its plugin's directory, and never that directory
    /// itself (which holds every plugin's `.wasm`).
    BesidePlugin {
        plugin_dir: PathBuf,
        relative: PathBuf,
    },
}

impl Root {
    /// Opens the directory (blocking).
    fn open(&self) -> Result<File, Refused> {
        match self {
            Root::Path(path) => match File::open(path) {
                Ok(dir) if dir.metadata().is_ok_and(|meta| meta.is_dir()) => Ok(dir),
                _ => Err(Refused::Missing),
            },
            Root::BesidePlugin {
                plugin_dir,
                relative,
            } => {
                let plugins = File::open(plugin_dir).map_err(|_| Refused::Missing)?;
                let dir = beneath::open_dir(&plugins, relative)?;
                if beneath::same_file(&dir, &plugins) {
                    tracing::warn!(
                        "403: the static directory {} is the plugin directory (a link?): \
                         its plugins are not served",
                        relative.display()
                    );
                    return Err(Refused::Forbidden);
                }
                Ok(dir)
            }
        }
    }
}

/// Why `static_url` has no URL for a path: the handler's error.
#[derive(Debug)]
pub enum StaticUrlError {
    /// No such file in the directory (or not one it may serve).
    NoFile(String),
    /// The file could not be read to hash it.
    Unreadable(String, std::io::Error),
}

impl std::fmt::Display for StaticUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoFile(path) => write!(f, "static_url: no file {path:?} in the static directory"),
            Self::Unreadable(path, error) => write!(f, "static_url: cannot read {path:?}: {error}"),
        }
    }
}

impl std::error::Error for StaticUrlError {}

/// A file opened for a request: its descriptor, metadata, and the path it was asked by.
pub struct OpenFile {
    /// Its descriptor.
    pub file: File,
    /// Its metadata, read from the descriptor.
    pub meta: Metadata,
    /// The path it was asked by, without a leading `/`.
    pub path: String,
}

impl StaticFiles {
    /// Serves `dir`, which must exist.
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        anyhow::ensure!(
            dir.is_dir(),
            "cannot serve static files from {}: not a directory",
            dir.display()
        );
        let root = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        Ok(Self::at(Root::Path(root)))
    }

    fn at(root: Root) -> Self {
        Self {
            root,
            versions: Mutex::default(),
        }
    }

    /// A route's directory, `relative` to the plugin's own directory (which it must not be:
    /// `builtin::InitArgs` checks); a missing one is 404 until it appears.
    pub fn beside_plugin(plugin_dir: &Path, relative: &Path) -> Self {
        let dir = plugin_dir.join(relative);
        if !dir.is_dir() {
            tracing::warn!(
                "StaticFileHandler's directory {} does not exist: its files are 404 until it does",
                dir.display()
            );
        }
        let plugin_dir = std::path::absolute(plugin_dir).unwrap_or_else(|_| plugin_dir.to_owned());
        Self::at(Root::BesidePlugin {
            plugin_dir,
            relative: relative.to_owned(),
        })
    }

    /// A route's directory, relative to its plugin's (none for `--static`).
    pub fn relative(&self) -> Option<&Path> {
        match &self.root {
            Root::BesidePlugin { relative, .. } => Some(relative),
            Root::Path(_) => None,
        }
    }

    /// Opens the file `path` names, on the blocking pool, or says the status that refuses
    /// it: 403 outside the directory (`..`, a symlink out) or for a directory, 404 when
    /// missing.
    pub async fn open(&self, path: &str) -> Result<OpenFile, u16> {
        let root = self.root.clone();
        let relative = path.to_owned();
        let opened = tokio::task::spawn_blocking(move || {
            let dir = root.open()?;
            beneath::open_file(&dir, &relative)
        })
        .await
        .map_err(|_| 500u16)?;
        match opened {
            Ok((file, meta)) => Ok(OpenFile {
                file,
                meta,
                path: path.trim_start_matches('/').to_owned(),
            }),
            Err(Refused::Missing) => Err(404),
            Err(Refused::Forbidden) => {
                tracing::warn!("403: {path:?} is outside the static directory or not a file");
                Err(403)
            }
        }
    }

    /// The content's SHA-512 in hex, as Tornado's `get_content_version`.
    pub async fn version(&self, opened: &OpenFile) -> std::io::Result<String> {
        let stamp = (opened.meta.modified()?, opened.meta.len());
        if let Some((modified, len, hash)) = self.versions.lock().unwrap().get(&opened.path)
            && (*modified, *len) == stamp
        {
            return Ok(hash.clone());
        }
        let file = opened.file.try_clone()?;
        // Hashing reads the whole file: off the loop, by offset (the descriptor's own
        // position is the response's).
        let hash = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let (mut hasher, mut chunk, mut at) = (Sha512::new(), vec![0; CHUNK], 0);
            loop {
                let read = file.read_at(&mut chunk, at)?;
                if read == 0 {
                    return Ok(format!("{:x}", hasher.finalize()));
                }
                hasher.update(&chunk[..read]);
                at += read as u64;
            }
        })
        .await
        .map_err(std::io::Error::other)??;
        self.versions
            .lock()
            .unwrap()
            .insert(opened.path.clone(), (stamp.0, stamp.1, hash.clone()));
        Ok(hash)
    }

    /// Tornado's `static_url(path)`: `/static/PATH?v=HASH`; an error when the file is not
    /// there to hash.
    pub async fn url(&self, path: &str) -> Result<String, StaticUrlError> {
        let opened = self
            .open(path)
            .await
            .map_err(|_| StaticUrlError::NoFile(path.to_owned()))?;
        let version = self
            .version(&opened)
            .await
            .map_err(|error| StaticUrlError::Unreadable(path.to_owned(), error))?;
        Ok(format!("{PREFIX}{path}?v={version}"))
    }
}

/// Refuses a `--static` directory that is, or contains, the plugin directory: it would
/// serve every plugin's `.wasm`.
pub fn check_apart(static_dir: &Path, plugin_dir: &Path) -> anyhow::Result<()> {
    let (Ok(served), Ok(plugins)) = (static_dir.canonicalize(), plugin_dir.canonicalize()) else {
        return Ok(());
    };
    anyhow::ensure!(
        !plugins.starts_with(&served),
        "--static {} contains the plugin directory {}: it would serve every plugin's .wasm; \
         serve a directory of static files alone",
        static_dir.display(),
        plugin_dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routes_directory_is_kept_relative_to_its_plugins() {
        let files = StaticFiles::beside_plugin(Path::new("/plugins"), Path::new("assets"));
        let expected = Root::BesidePlugin {
            plugin_dir: "/plugins".into(),
            relative: "assets".into(),
        };
        assert_eq!(files.root, expected);
    }
}
