//! The route table in force, published as an immutable snapshot behind one atomic pointer:
//! a request takes the snapshot once and keeps it, so replacing the table never disturbs a
//! request in flight.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::Plugin;
use crate::builtin::Redirect;
use crate::http::static_dir::StaticFiles;
use crate::router::{self, Pattern};
use crate::runtime::bindings::exports::gale::web::app;

/// What a route runs.
#[derive(Clone)]
pub enum Target {
    /// Handler `handler` of a loaded plugin.
    Plugin {
        /// The plugin that declared the route.
        plugin: Arc<Plugin>,
        /// The handler's index in the plugin's table.
        handler: u32,
    },
    /// Tornado's `RedirectHandler`.
    Redirect(Redirect),
    /// Tornado's `StaticFileHandler`, serving the file its first capture names.
    Static(Arc<StaticFiles>),
}

/// A route of gale's table.
pub type Route = router::Route<Target>;

/// gale's route table.
pub type RouteTable = router::RouteTable<Target>;

/// The published route table.
#[derive(Default)]
pub struct Registry {
    table: ArcSwap<RouteTable>,
}

impl Registry {
    /// The table in force now.
    pub fn snapshot(&self) -> Arc<RouteTable> {
        self.table.load_full()
    }

    /// Publishes `routes`, in the order they are tried.
    pub fn publish(&self, routes: Vec<Route>) {
        self.table.store(Arc::new(RouteTable::new(routes)));
    }
}

/// A plugin's routes, compiled and checked; the error names the route and what is wrong.
/// A `StaticFileHandler`'s `path` is a directory inside `plugin_dir`, the plugin's own
/// directory: a sandboxed plugin cannot serve the rest of the host's files.
pub fn compile_routes(plugin: &Arc<Plugin>, plugin_dir: &Path) -> Result<Vec<Route>, String> {
    plugin
        .routes
        .iter()
        .map(|declared| {
            let context = |what: String| format!("route {:?}: {what}", declared.pattern);
            let pattern = Pattern::new(&declared.pattern)
                .map_err(|error| context(format!("bad regex: {error}")))?;
            let init_args: serde_json::Value = serde_json::from_str(&declared.init_args)
                .map_err(|error| context(format!("init args are not JSON: {error}")))?;
            let target = match declared.target {
                app::Target::Handler(handler) if (handler as usize) < plugin.routes.len() => {
                    Target::Plugin {
                        plugin: plugin.clone(),
                        handler,
                    }
                }
                app::Target::Handler(handler) => {
                    return Err(context(format!("handler {handler} does not exist")));
                }
                app::Target::Builtin(app::Builtin::Redirect) => {
                    Target::Redirect(Redirect::from_init_args(&init_args).map_err(context)?)
                }
                app::Target::Builtin(app::Builtin::StaticFiles) => Target::Static(Arc::new(
                    StaticFiles::from_init_args(&init_args, plugin_dir).map_err(context)?,
                )),
            };
            Ok(Route {
                pattern,
                target,
                name: declared.name.clone(),
            })
        })
        .collect()
}
