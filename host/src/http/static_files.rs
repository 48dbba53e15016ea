//! Tornado's `StaticFileHandler` for `--static DIR` at `/static/`: `Etag` from the content's
//! SHA-512, `Last-Modified`, `If-None-Match` / `If-Modified-Since` → 304, one `Range` →
//! 206 or 416, ten-year caching for a `?v=` URL, paths outside the directory refused, and
//! the file streamed in chunks. `static_url` adds the same hash as `?v=`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header;
use hyper::{HeaderMap, Method};
use sha2::{Digest, Sha512};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::body::ResponseBody;
use super::response::{ResponseState, error_response};

/// URL prefix of the `--static` directory, as Tornado's `static_url_prefix`.
pub const PREFIX: &str = "/static/";

/// Tornado's `CACHE_MAX_AGE`: ten years, for versioned URLs.
const CACHE_MAX_AGE: u64 = 86400 * 365 * 10;

/// Bytes read per chunk when streaming a file.
const CHUNK: usize = 64 * 1024;

/// A static directory and the content hashes computed so far (checked against each file's
/// size and mtime, so an edited file gets a new hash).
pub struct StaticFiles {
    root: PathBuf,
    versions: Mutex<HashMap<PathBuf, (SystemTime, u64, String)>>,
}

impl StaticFiles {
    /// Serves `dir`, which must exist.
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        anyhow::ensure!(
            dir.is_dir(),
            "cannot serve static files from {}: not a directory",
            dir.display()
        );
        Ok(Self::lenient(dir))
    }

    /// Serves `dir`, existing or not: until it does, its files are 404, as Tornado's.
    fn lenient(dir: &Path) -> Self {
        let root = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
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
        let dir = plugin_dir.join(relative);
        if !dir.is_dir() {
            tracing::warn!(
                "StaticFileHandler's directory {} does not exist: its files are 404 until it does",
                dir.display()
            );
        }
        Ok(Self::lenient(&dir))
    }

    /// The file `path` names, or the status that refuses it: 403 outside the directory
    /// (`..`, a symlink out) or for a directory, 404 when missing.
    fn resolve(&self, path: &str) -> Result<PathBuf, u16> {
        // Resolved per request: the directory may appear, or be replaced, while serving.
        let root = self.root.canonicalize().map_err(|_| 404u16)?;
        let file = root.join(path.trim_start_matches('/'));
        let file = file.canonicalize().map_err(|_| 404u16)?;
        if !file.starts_with(&root) {
            tracing::warn!("403: {path:?} is not in the static directory");
            return Err(403);
        }
        if !file.is_file() {
            tracing::warn!("403: {path:?} is not a file");
            return Err(403);
        }
        Ok(file)
    }

    /// The content's SHA-512 in hex, as Tornado's `get_content_version`.
    async fn version(&self, file: &Path) -> std::io::Result<String> {
        let meta = tokio::fs::metadata(file).await?;
        let stamp = (meta.modified()?, meta.len());
        if let Some((modified, len, hash)) = self.versions.lock().unwrap().get(file)
            && (*modified, *len) == stamp
        {
            return Ok(hash.clone());
        }
        let path = file.to_owned();
        // Hashing reads the whole file: off the loop.
        let hash = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut hasher = Sha512::new();
            std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
            Ok(format!("{:x}", hasher.finalize()))
        })
        .await
        .map_err(std::io::Error::other)??;
        self.versions
            .lock()
            .unwrap()
            .insert(file.to_owned(), (stamp.0, stamp.1, hash.clone()));
        Ok(hash)
    }

    /// Tornado's `static_url(path)`: `/static/PATH?v=HASH`; an error when the file is not
    /// there to hash.
    pub async fn url(&self, path: &str) -> Result<String, String> {
        let file = self
            .resolve(path)
            .map_err(|_| format!("static_url: no file {path:?} in the static directory"))?;
        let version = self
            .version(&file)
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
        let file = match self.resolve(path) {
            Ok(file) => file,
            Err(status) => return error_response(status, method),
        };
        match self.serve(method, headers, query, &file).await {
            Ok(response) => response,
            Err(error) => {
                tracing::error!("cannot serve {}: {error}", file.display());
                error_response(500, method)
            }
        }
    }

    async fn serve(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: &str,
        file: &Path,
    ) -> std::io::Result<hyper::Response<ResponseBody>> {
        let meta = tokio::fs::metadata(file).await?;
        let size = meta.len();
        // HTTP dates have whole seconds, as Tornado's `modified.replace(microsecond=0)`.
        let modified = httpdate::parse_http_date(&httpdate::fmt_http_date(meta.modified()?))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let etag = format!("\"{}\"", self.version(file).await?);
        let mut response = ResponseState::default();
        let set = |response: &mut ResponseState, name: &str, value: &str| {
            // Every value here is made of safe characters.
            let _ = response.set_header(name, value);
        };
        set(&mut response, "Accept-Ranges", "bytes");
        set(&mut response, "Etag", &etag);
        set(
            &mut response,
            "Last-Modified",
            &httpdate::fmt_http_date(modified),
        );
        set(&mut response, "Content-Type", &content_type(file));
        if query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("v"))
        {
            let expires = SystemTime::now() + Duration::from_secs(CACHE_MAX_AGE);
            set(&mut response, "Expires", &httpdate::fmt_http_date(expires));
            set(
                &mut response,
                "Cache-Control",
                &format!("max-age={CACHE_MAX_AGE}"),
            );
        }
        if not_modified(headers, &etag, modified) {
            let _ = response.set_status(304, None);
            return Ok(response.into_response(method, None));
        }
        let range = headers
            .get(header::RANGE)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_range);
        let (start, end) = match range.map(|range| satisfiable(range, size)) {
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
        set(&mut response, "Content-Length", &(end - start).to_string());
        if *method == Method::HEAD {
            return Ok(response.into_response(method, None));
        }
        let (head, sender) = response.start_stream();
        let mut reader = tokio::fs::File::open(file).await?;
        reader.seek(std::io::SeekFrom::Start(start)).await?;
        tokio::task::spawn_local(async move {
            let mut left = end - start;
            while left > 0 {
                let mut chunk = vec![0; CHUNK.min(left as usize)];
                match reader.read(&mut chunk).await {
                    Ok(0) | Err(_) => return sender.abort().await,
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

/// Tornado's `should_return_304`: a matching `If-None-Match`, else an `If-Modified-Since`
/// no older than the file.
fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(wanted) = headers.get(header::IF_NONE_MATCH) {
        return super::response::etag_matches(wanted.as_bytes(), etag.as_bytes());
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok())
        .is_some_and(|since| since >= modified)
}

/// A parsed `Range: bytes=...` as Tornado's `_parse_request_range`: `(start, end)` with
/// `end` exclusive; a negative start counts from the end. `None` for anything else (several
/// ranges, other units, garbage), which serves the whole file.
pub fn parse_range(header: &str) -> Option<(Option<i64>, Option<u64>)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    let number = |text: &str| -> Option<Option<i64>> {
        let text = text.trim();
        if text.is_empty() {
            Some(None)
        } else if text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok().map(Some)
        } else {
            None
        }
    };
    let (start, end) = (number(start)?, number(end)?);
    match (start, end) {
        (None, None) => None,
        // `bytes=-0` asks for nothing: unsatisfiable.
        (None, Some(0)) => Some((None, Some(0))),
        // `bytes=-N`: the last N bytes.
        (None, Some(last)) => Some((Some(-last), None)),
        (Some(start), end) => Some((Some(start), end.map(|end| end as u64 + 1))),
    }
}

/// The byte span of a range in a file of `size` bytes, or `Err` when it cannot be served
/// (416), with Tornado's rules.
fn satisfiable(range: (Option<i64>, Option<u64>), size: u64) -> Result<(u64, u64), ()> {
    let (start, end) = range;
    let start = start.map(|start| {
        if start < 0 {
            (size as i64 + start).max(0) as u64
        } else {
            start as u64
        }
    });
    let unsatisfiable = start
        .is_some_and(|start| start >= size || end.is_some_and(|end| start >= end))
        || end == Some(0);
    if unsatisfiable {
        return Err(());
    }
    Ok((start.unwrap_or(0), end.map_or(size, |end| end.min(size))))
}

/// Tornado's `get_content_type`: by extension, `application/octet-stream` when unknown.
fn content_type(file: &Path) -> String {
    mime_guess::from_path(file)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
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
        assert_eq!(files.root, Path::new("/plugins/assets"));
        assert!(StaticFiles::from_init_args(&serde_json::json!({}), dir).is_err());
    }

    #[test]
    fn ranges_parse_as_tornado() {
        assert_eq!(parse_range("bytes=0-499"), Some((Some(0), Some(500))));
        assert_eq!(parse_range("bytes=500-"), Some((Some(500), None)));
        assert_eq!(parse_range("bytes=-500"), Some((Some(-500), None)));
        assert_eq!(parse_range("bytes=0-1,3-4"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=-"), None);
        assert_eq!(parse_range("bytes=-0"), Some((None, Some(0))));
    }

    #[test]
    fn satisfiable_spans_follow_tornado() {
        assert_eq!(satisfiable((Some(0), Some(500)), 1000), Ok((0, 500)));
        assert_eq!(satisfiable((Some(-100), None), 1000), Ok((900, 1000)));
        assert_eq!(satisfiable((Some(-5000), None), 1000), Ok((0, 1000)));
        assert_eq!(satisfiable((Some(900), Some(5000)), 1000), Ok((900, 1000)));
        assert_eq!(satisfiable((Some(1000), None), 1000), Err(()));
        assert_eq!(satisfiable((Some(5), Some(0)), 1000), Err(()));
    }
}
