//! Plugins: loading a component and reading its routes, and the registry that publishes
//! route tables as immutable snapshots.

pub mod build;
pub mod loader;
pub mod registry;

use crate::runtime::bindings::PluginPre;
use crate::runtime::bindings::exports::gale::web::app;
use crate::runtime::ctx::Ctx;

/// A compiled, pre-linked plugin and the routes it declared.
pub struct Plugin {
    /// The file name without `.wasm`.
    pub name: std::sync::Arc<str>,
    /// Pre-linked: a fresh instance per request costs no linking.
    pub pre: PluginPre<Ctx>,
    /// Its route table, as it declared it.
    pub routes: Vec<app::Route>,
}
