//! The `log` interface: a plugin's lines in the host's log, tagged with its name,
//! rate-limited per plugin, cut and escaped (`runtime/output.rs`).

use std::sync::Arc;

use wasmtime::Result;

use crate::runtime::bindings::gale::web::log;
use crate::runtime::output;

/// What the `log` interface sees of the store: the plugin's name.
pub(super) struct LogView<'a> {
    pub(super) plugin: &'a Arc<str>,
}

impl log::Host for LogView<'_> {
    fn log(&mut self, level: log::Level, message: String) -> Result<()> {
        if !output::rate_limit(self.plugin) {
            return Ok(());
        }
        let message = output::plugin_line(&message);
        let plugin = &**self.plugin;
        match level {
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}
