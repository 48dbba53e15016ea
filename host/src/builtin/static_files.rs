//! Tornado's `StaticFileHandler` for `--static DIR` at `/static/`: `Etag` from the content's
//! SHA-512, `Last-Modified`, `If-None-Match` / `If-Modified-Since` → 304, one `Range` →
//! 206 or 416, ten-year caching for a `?v=` URL, paths outside the directory refused (the
//! file is opened beneath it, see `beneath`), and the file streamed in chunks.
//! `static_url` adds the same hash as `?v=`.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header;
use hyper::{HeaderMap, Method};
use sha2::{Digest, Sha512};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::http::beneath::{self, Refused};
use crate::http::body::ResponseBody;
use crate::http::response::{ResponseState, error_response};
use crate::http::{date, ranges};

/// URL prefix of the `--static` directory, as Tornado's `static_url_prefix`.
pub const PREFIX: &str = "/static/";

/// Tornado's `CACHE_MAX_AGE`: ten years, for versioned URLs.
const CACHE_MAX_AGE: u64 = 86400 * 365 * 10;

/// Bytes read per chunk when streaming a file.
const CHUNK: usize = 64 * 1024;

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

/// A file opened for a request: its descriptor, metadata, and the path it was asked by.
struct Opened {
    file: File,
    meta: Metadata,
    path: String,
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

    /// The `StaticFileHandler` of a route's init args `{"path": DIR}`: DIR relative to
    /// `plugin_dir`, with no `..` and not absolute, and it must exist.
    pub fn from_init_args(args: &serde_json::Value, plugin_dir: &Path) -> Result<Self, String> {
        let path = args
            .get("path")
            .and_then(|path| path.as_str())
            .ok_or("StaticFileHandler needs {\"path\": \"DIR\"}, a directory beside the plugin")?;
        let relative = Path::new(path);
        let inside = relative.components().all(|part| {
            matches!(
                part,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if !inside {
            return Err(format!(
                "StaticFileHandler's path {path:?} must be a directory inside the plugin directory \
                 (relative, without ..)"
            ));
        }
        if relative
            .components()
            .all(|part| part == std::path::Component::CurDir)
        {
            return Err(format!(
                "StaticFileHandler's path {path:?} is the plugin directory itself, which holds \
                 every plugin's .wasm: use a directory inside it"
            ));
        }
        let dir = plugin_dir.join(relative);
        if !dir.is_dir() {
            tracing::warn!(
                "StaticFileHandler's directory {} does not exist: its files are 404 until it does",
                dir.display()
            );
        }
        let plugin_dir = std::path::absolute(plugin_dir).unwrap_or_else(|_| plugin_dir.to_owned());
        Ok(Self::at(Root::BesidePlugin {
            plugin_dir,
            relative: relative.to_owned(),
        }))
    }

    /// Opens the file `path` names, on the blocking pool, or says the status that refuses
    /// it: 403 outside the directory (`..`, a symlink out) or for a directory, 404 when
    /// missing.
    async fn open(&self, path: &str) -> Result<Opened, u16> {
        let root = self.root.clone();
        let relative = path.to_owned();
        let opened = tokio::task::spawn_blocking(move || {
            let dir = root.open()?;
            beneath::open_file(&dir, &relative)
        })
        .await
        .map_err(|_| 500u16)?;
        match opened {
            Ok((file, meta)) => Ok(Opened {
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
    async fn version(&self, opened: &Opened) -> std::io::Result<String> {
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
    pub async fn url(&self, path: &str) -> Result<String, String> {
        let opened = self
            .open(path)
            .await
            .map_err(|_| format!("static_url: no file {path:?} in the static directory"))?;
        let version = self
            .version(&opened)
            .await
            .map_err(|error| format!("static_url: cannot read {path:?}: {error}"))?;
        Ok(format!("{PREFIX}{path}?v={version}"))
    }

    /// Answers GET or HEAD for `path` (the part after the prefix, URL-unescaped).
    pub async fn respond(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: &str,
        path: &str,
    ) -> hyper::Response<ResponseBody> {
        if !matches!(*method, Method::GET | Method::HEAD) {
            return error_response(405, method);
        }
        let opened = match self.open(path).await {
            Ok(opened) => opened,
            Err(status) => return error_response(status, method),
        };
        let shown = opened.path.clone();
        match self.serve(method, headers, query, opened).await {
            Ok(response) => response,
            Err(error) => {
                tracing::error!("cannot serve {shown}: {error}");
                error_response(500, method)
            }
        }
    }

    async fn serve(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: &str,
        opened: Opened,
    ) -> std::io::Result<hyper::Response<ResponseBody>> {
        let size = opened.meta.len();
        // HTTP dates have whole seconds, as Tornado's `modified.replace(microsecond=0)`.
        let modified = httpdate::parse_http_date(&date::format(opened.meta.modified()?))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let etag = format!("\"{}\"", self.version(&opened).await?);
        let mut response = ResponseState::default();
        let set = |response: &mut ResponseState, name: &str, value: &str| {
            // Every value here is made of safe characters.
            let _ = response.set_header(name, value);
        };
        set(&mut response, "Accept-Ranges", "bytes");
        set(&mut response, "Etag", &etag);
        set(&mut response, "Last-Modified", &date::format(modified));
        set(
            &mut response,
            "Content-Type",
            &content_type(Path::new(&opened.path)),
        );
        if query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("v"))
        {
            let expires = SystemTime::now() + Duration::from_secs(CACHE_MAX_AGE);
            set(&mut response, "Expires", &date::format(expires));
            set(
                &mut response,
                "Cache-Control",
                &format!("max-age={CACHE_MAX_AGE}"),
            );
        }
        if ranges::not_modified(headers, &etag, modified) {
            let _ = response.set_status(304, None);
            return Ok(response.into_response(method, None));
        }
        let range = headers
            .get(header::RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(ranges::parse_range);
        let (start, end) = match range.map(|range| ranges::satisfiable(range, size)) {
            None => (0, size),
            Some(Err(())) => {
                let _ = response.set_status(416, None);
                set(&mut response, "Content-Type", "text/plain");
                set(&mut response, "Content-Range", &format!("bytes */{size}"));
                return Ok(response.into_response(method, None));
            }
            Some(Ok((start, end))) => {
                if end - start != size {
                    let _ = response.set_status(206, None);
                    let range = format!("bytes {start}-{}/{size}", end - 1);
                    set(&mut response, "Content-Range", &range);
                }
                (start, end)
            }
        };
        response.set_content_length(end - start);
        if *method == Method::HEAD {
            return Ok(response.into_response(method, None));
        }
        let (head, sender) = response.start_stream();
        let mut reader = tokio::fs::File::from_std(opened.file);
        reader.seek(std::io::SeekFrom::Start(start)).await?;
        tokio::task::spawn_local(async move {
            let mut left = end - start;
            while left > 0 {
                let mut chunk = vec![0; CHUNK.min(left as usize)];
                match reader.read(&mut chunk).await {
                    Ok(0) | Err(_) => return sender.abort(),
                    Ok(read) => {
                        chunk.truncate(read);
                        left -= read as u64;
                        if sender.send(Bytes::from(chunk)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(head)
    }
}

/// Tornado's `get_content_type`: by extension, `application/octet-stream` when unknown.
fn content_type(file: &Path) -> String {
    mime_guess::from_path(file)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
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
    fn a_routes_static_directory_must_stay_inside_the_plugin_directory() {
        let dir = Path::new("/plugins");
        for path in ["../etc", "/etc", "assets/../../x"] {
            let args = serde_json::json!({ "path": path });
            assert!(StaticFiles::from_init_args(&args, dir).is_err(), "{path}");
        }
        let args = serde_json::json!({"path": "assets"});
        let files = StaticFiles::from_init_args(&args, dir).unwrap();
        let expected = Root::BesidePlugin {
            plugin_dir: dir.to_owned(),
            relative: "assets".into(),
        };
        assert_eq!(files.root, expected);
        assert!(StaticFiles::from_init_args(&serde_json::json!({}), dir).is_err());
        for itself in [".", "./.", "./"] {
            let args = serde_json::json!({ "path": itself });
            let Err(refused) = StaticFiles::from_init_args(&args, dir) else {
                panic!("{itself} is served");
            };
            assert!(refused.contains("the plugin directory itself"), "{itself}");
        }
    }
}
