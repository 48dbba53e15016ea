//! Tornado's `StaticFileHandler` for `--static DIR` at `/static/` and for plugins' routes:
//! `Etag` from the content's SHA-512, `Last-Modified`, `If-None-Match` /
//! `If-Modified-Since` → 304, one `Range` → 206 or 416, ten-year caching for a `?v=` URL,
//! paths outside the directory refused (`http/static_dir.rs` opens them), and the file
//! streamed in chunks.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header;
use hyper::{HeaderMap, Method};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::http::body::ResponseBody;
use crate::http::response::ResponseState;
use crate::http::response::error_response;
use crate::http::static_dir::{CHUNK, OpenFile};
pub use crate::http::static_dir::{PREFIX, StaticFiles};
use crate::http::{date, ranges};

/// Tornado's `CACHE_MAX_AGE`: ten years, for versioned URLs.
const CACHE_MAX_AGE: u64 = 86400 * 365 * 10;

impl StaticFiles {
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
        opened: OpenFile,
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
