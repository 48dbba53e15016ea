//! Plugins: loading a component (through the compiled-code cache) and reading its routes,
//! the set in force and the registry that publishes it as immutable route-table snapshots,
//! and the watcher and reloader that swap plugins while the server runs.

pub mod build;
pub mod cache;
pub mod loader;
pub mod registry;
pub mod reloader;
pub mod set;
pub mod watcher;

use crate::runtime::bindings::PluginPre;
use crate::runtime::bindings::exports::gale::web::app;
use crate::runtime::ctx::Ctx;
use crate::runtime::reuse::IdleInstances;

/// A compiled, pre-linked plugin and the routes it declared.
pub struct Plugin {
    /// The file name without `.wasm`.
    pub name: std::sync::Arc<str>,
    /// The hex SHA-256 of its file: its version.
    pub hash: std::sync::Arc<str>,
    /// Pre-linked: a fresh instance per request costs no linking.
    pub pre: PluginPre<Ctx>,
    /// Its route table, as it declared it.
    pub routes: Vec<app::Route>,
    /// Instances waiting for their next request (with `--reuse-instances`).
    pub idle: IdleInstances,
}
