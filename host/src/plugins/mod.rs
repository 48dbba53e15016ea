//! Plugins: loading a component (through the compiled-code cache) and reading its routes,
//! the set in force and the registry that publishes it as immutable route-table snapshots,
//! and the watcher and reloader that swap plugins while the server runs.

pub mod build;
pub mod cache;
pub mod functions;
pub mod loader;
pub mod python;
pub mod registry;
pub mod reloader;
pub mod set;
pub mod watcher;

pub use crate::runtime::Plugin;
pub use registry::{Route, RouteTable, Target};
