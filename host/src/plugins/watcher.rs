//! Watching the plugin directory: which `*.wasm` files changed, reported once each has
//! settled.
//!
//! A file renamed into place, or closed after writing, is complete: it is reported at once
//! (after a few milliseconds that coalesce a burst). A file that is only seen being written
//! (a writer that never closes it, or a platform without close events) is reported after it
//! has been quiet for [`SETTLE`]. Removed and renamed-away files are reported at once; the
//! caller finds them gone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::loader::is_plugin_file;

/// How long a file seen being written must stay quiet before it is reported.
pub const SETTLE: Duration = Duration::from_secs(2);

/// Coalesces the events of one rename or close.
const COALESCE: Duration = Duration::from_millis(10);

/// Changed plugin files of one directory.
pub struct DirWatcher {
    _watcher: RecommendedWatcher,
    events: mpsc::UnboundedReceiver<notify::Result<Event>>,
    due: HashMap<PathBuf, Instant>,
}

impl DirWatcher {
    /// Starts watching `dir` (not its subdirectories).
    pub fn new(dir: &Path) -> notify::Result<Self> {
        let (sender, events) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })?;
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
        Ok(Self {
            _watcher: watcher,
            events,
            due: HashMap::new(),
        })
    }

    /// The next plugin file that changed and has settled. Cancel-safe: events already
    /// received are kept for the next call.
    pub async fn next(&mut self) -> PathBuf {
        loop {
            let earliest = self.due.iter().min_by_key(|(_, at)| **at);
            let wake = earliest.map(|(path, at)| (path.clone(), *at));
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(Ok(event)) => self.record(event),
                    Some(Err(error)) => tracing::warn!("watching the plugin directory: {error}"),
                    // The watcher lives in `self`, so its sender never goes away.
                    None => std::future::pending::<()>().await,
                },
                _ = sleep_until(wake.as_ref().map(|(_, at)| *at)) => {
                    let (path, _) = wake.expect("only armed with a due file");
                    self.due.remove(&path);
                    return path;
                }
            }
        }
    }

    fn record(&mut self, event: Event) {
        let Some(delay) = settle_time(&event.kind) else {
            return;
        };
        let at = Instant::now() + delay;
        for path in event.paths.into_iter().filter(|path| is_plugin_file(path)) {
            self.due.insert(path, at);
        }
    }
}

/// How long after `kind` a file is reported, or `None` for events that change nothing
/// (opening and reading, our own included).
fn settle_time(kind: &EventKind) -> Option<Duration> {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write))
        | EventKind::Modify(ModifyKind::Name(_))
        | EventKind::Remove(_) => Some(COALESCE),
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any | EventKind::Other => {
            Some(SETTLE)
        }
        EventKind::Access(_) => None,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
