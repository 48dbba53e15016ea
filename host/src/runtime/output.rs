//! A plugin's stdout and stderr, turned into host log lines tagged with the plugin, at most
//! [`LINES_PER_SECOND`] per plugin (with a burst of [`BURST`]): a chatty or hostile plugin
//! cannot flood the log. What is dropped is counted and reported when lines flow again.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Lines per second a plugin may log through its output, sustained.
pub const LINES_PER_SECOND: f64 = 50.0;
/// Lines a plugin may log at once after a quiet spell.
pub const BURST: f64 = 200.0;
/// A line longer than this is cut (a plugin could otherwise write one endless line).
pub const MAX_LINE: usize = 4096;

/// Which of the two streams.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// The plugin's stdout: info lines.
    Stdout,
    /// The plugin's stderr (panic messages land here): warning lines.
    Stderr,
}

/// One of a plugin's output streams, as handed to its WASI context.
pub struct PluginOutput {
    plugin: Arc<str>,
    stream: Stream,
}

impl PluginOutput {
    /// The `stream` of `plugin`.
    pub fn new(plugin: Arc<str>, stream: Stream) -> Self {
        Self { plugin, stream }
    }
}

impl IsTerminal for PluginOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl PluginOutput {
    fn writer(&self) -> LineWriter {
        LineWriter {
            plugin: self.plugin.clone(),
            stream: self.stream,
            line: Vec::new(),
        }
    }
}

impl StdoutStream for PluginOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.writer())
    }

    /// Written synchronously: WASI's default adapter hands each write to a task of the
    /// loop, so a panicking handler would wait for its message to be written behind every
    /// other task, spinning ones included, and could miss its deadline.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.writer())
    }
}

/// Collects bytes into lines and logs each complete one; a last partial line is logged when
/// the stream is dropped (the instance ends).
struct LineWriter {
    plugin: Arc<str>,
    stream: Stream,
    line: Vec<u8>,
}

impl LineWriter {
    /// Takes `bytes`, logging each line they complete.
    fn take(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                self.emit();
            } else if self.line.len() < MAX_LINE {
                self.line.push(byte);
            }
        }
    }

    fn emit(&mut self) {
        let text = String::from_utf8_lossy(&self.line);
        let text = escape_controls(text.trim_end_matches('\r'));
        if rate_limit(&self.plugin) {
            match self.stream {
                Stream::Stdout => tracing::info!(plugin = &*self.plugin, "stdout: {text}"),
                Stream::Stderr => tracing::warn!(plugin = &*self.plugin, "stderr: {text}"),
            }
        }
        self.line.clear();
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().take(bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.take(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.emit();
        }
    }
}

/// A plugin's token bucket, and the lines it dropped since it last logged.
struct Bucket {
    tokens: f64,
    refilled: Instant,
    dropped: u64,
}

/// A plugin's line made safe to log: at most [`MAX_LINE`] bytes, and every control character
/// escaped as Rust writes it (`\n` as `\\n`), so one line stays one line and a plugin cannot
/// forge the server's own lines or a terminal's escape sequences.
pub fn plugin_line(text: &str) -> String {
    let mut end = text.len().min(MAX_LINE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    escape_controls(&text[..end])
}

fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() {
            true => escaped.extend(c.escape_default()),
            false => escaped.push(c),
        }
    }
    escaped
}

/// Takes a token from `plugin`'s bucket: whether its line may be logged. The first line
/// after a drop reports how many were dropped.
pub fn rate_limit(plugin: &Arc<str>) -> bool {
    static BUCKETS: LazyLock<Mutex<HashMap<Arc<str>, Bucket>>> = LazyLock::new(Default::default);
    let mut buckets = BUCKETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = Instant::now();
    let bucket = buckets.entry(plugin.clone()).or_insert(Bucket {
        tokens: BURST,
        refilled: now,
        dropped: 0,
    });
    let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * LINES_PER_SECOND).min(BURST);
    bucket.refilled = now;
    if bucket.tokens < 1.0 {
        bucket.dropped += 1;
        return false;
    }
    bucket.tokens -= 1.0;
    if bucket.dropped > 0 {
        tracing::warn!(
            plugin = &**plugin,
            "{} output lines dropped: more than {LINES_PER_SECOND} a second",
            std::mem::take(&mut bucket.dropped)
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::plugin_line;

    #[test]
    fn a_plugin_line_escapes_control_characters_and_is_cut() {
        assert_eq!(
            plugin_line("ok\n200 GET /admin (127.0.0.1) 0.1ms\r\x1b[2J"),
            "ok\\n200 GET /admin (127.0.0.1) 0.1ms\\r\\u{1b}[2J"
        );
        assert_eq!(plugin_line(&"é".repeat(5000)).len(), 4096);
    }
}
