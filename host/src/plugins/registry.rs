//! The route table in force, published as an immutable snapshot behind one atomic pointer:
//! a request takes the snapshot once and keeps it, so replacing the table never disturbs a
//! request in flight.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::watch;

use super::Plugin;
use crate::builtin::{InitArgsError, Redirect, static_files_of_init_args};
use crate::http::static_dir::StaticFiles;
use crate::router::{self, Pattern, ReverseError, ReverseUrl};
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
pub struct Registry {
    table: ArcSwap<RouteTable>,
    /// Bumped at every publish: what a long-lived connection watches to follow swaps.
    changes: watch::Sender<u64>,
}

impl Default for Registry {
    /// No routes yet.
    fn default() -> Self {
        Self {
            table: ArcSwap::default(),
            changes: watch::channel(0).0,
        }
    }
}

impl Registry {
    /// Resolves each time a new table is published.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Where a long-lived connection opened on `path` (by `plugin`'s handler) runs its
    /// events now: the handler the path routes to in the table in force, while that is
    /// still `plugin`'s; `None` once the plugin no longer serves it.
    pub fn follow(self: &Arc<Self>, path: String, plugin: Arc<str>) -> crate::runtime::Follow {
        let registry = self.clone();
        let resolve = move || {
            let table = registry.snapshot();
            let (route, captured) = table.find(&path)?;
            captured.ok()?;
            match &route.target {
                Target::Plugin {
                    plugin: serving,
                    handler,
                } if serving.name == plugin => Some((serving.clone(), *handler)),
                _ => None,
            }
        };
        crate::runtime::Follow {
            resolve: Box::new(resolve),
            changes: self.changes(),
        }
    }

    /// The table in force now.
    pub fn snapshot(&self) -> Arc<RouteTable> {
        self.table.load_full()
    }

    /// The table in force at each `reverse_url`, for a request that may outlive swaps (a
    /// WebSocket's upgrade request, which every event of the connection sees): it pins no
    /// version of any plugin, where a snapshot would keep every plugin of its day loaded.
    pub fn live_routes(self: &Arc<Self>) -> Arc<dyn ReverseUrl> {
        Arc::new(LiveRoutes(self.clone()))
    }

    /// Publishes `routes`, in the order they are tried.
    pub fn publish(&self, routes: Vec<Route>) {
        self.table.store(Arc::new(RouteTable::new(routes)));
        self.changes.send_modify(|generation| *generation += 1);
    }
}

/// The route table in force, read at each call (see [`Registry::live_routes`]).
struct LiveRoutes(Arc<Registry>);

impl ReverseUrl for LiveRoutes {
    fn reverse_url(&self, name: &str, args: &[String]) -> Result<String, ReverseError> {
        self.0.snapshot().reverse_url(name, args)
    }
}

/// Why a plugin's declared route cannot be served: the plugin is refused with it.
#[derive(Debug)]
pub struct RouteError {
    /// The route's pattern as declared.
    pattern: String,
    /// What is wrong with it.
    problem: RouteProblem,
}

/// What is wrong with a declared route.
#[derive(Debug)]
enum RouteProblem {
    /// The pattern is not a regex the router accepts.
    BadRegex(regex::Error),
    /// The init arguments are not a JSON value.
    InitArgsNotJson(serde_json::Error),
    /// The route names a handler the plugin does not have.
    NoSuchHandler(u32),
    /// A built-in handler's init arguments cannot configure it.
    InitArgs(InitArgsError),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "route {:?}: ", self.pattern)?;
        match &self.problem {
            RouteProblem::BadRegex(error) => write!(f, "bad regex: {error}"),
            RouteProblem::InitArgsNotJson(error) => write!(f, "init args are not JSON: {error}"),
            RouteProblem::NoSuchHandler(handler) => write!(f, "handler {handler} does not exist"),
            RouteProblem::InitArgs(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RouteError {}

/// A plugin's routes, compiled and checked. A `StaticFileHandler`'s `path` is a directory
/// inside `plugin_dir`, the plugin's own directory: a sandboxed plugin cannot serve the rest
/// of the host's files.
pub fn compile_routes(plugin: &Arc<Plugin>, plugin_dir: &Path) -> Result<Vec<Route>, RouteError> {
    plugin
        .routes
        .iter()
        .map(|declared| {
            let refuse = |problem| RouteError {
                pattern: declared.pattern.clone(),
                problem,
            };
            let pattern =
                Pattern::new(&declared.pattern).map_err(|e| refuse(RouteProblem::BadRegex(e)))?;
            let init_args: serde_json::Value = serde_json::from_str(&declared.init_args)
                .map_err(|e| refuse(RouteProblem::InitArgsNotJson(e)))?;
            let init = |e| refuse(RouteProblem::InitArgs(e));
            let target = match declared.target {
                app::Target::Handler(handler) if (handler as usize) < plugin.routes.len() => {
                    Target::Plugin {
                        plugin: plugin.clone(),
                        handler,
                    }
                }
                app::Target::Handler(handler) => {
                    return Err(refuse(RouteProblem::NoSuchHandler(handler)));
                }
                app::Target::Builtin(app::Builtin::Redirect) => {
                    Target::Redirect(Redirect::from_init_args(&init_args).map_err(init)?)
                }
                app::Target::Builtin(app::Builtin::StaticFiles) => Target::Static(Arc::new(
                    static_files_of_init_args(&init_args, plugin_dir).map_err(init)?,
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
