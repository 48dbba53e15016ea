//! Tornado's route table: Python-style regexes tried in order, captures as path arguments,
//! names for `reverse_url`.
//!
//! A [`RouteTable`] is immutable; the registry swaps whole tables, so a request keeps the
//! table it started with.

mod pattern;

use std::collections::HashMap;
use std::sync::Arc;

pub use pattern::{CaptureError, PathArgs, Pattern, ReverseError};

use crate::builtin::Redirect;
use crate::plugins::Plugin;

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
    Static(std::sync::Arc<crate::builtin::static_files::StaticFiles>),
}

/// One route of the table.
#[derive(Clone)]
pub struct Route {
    /// The URL pattern.
    pub pattern: Pattern,
    /// What it runs.
    pub target: Target,
    /// Its name for `reverse_url`.
    pub name: Option<String>,
}

/// An immutable, ordered route table: the first matching route wins.
#[derive(Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    names: HashMap<String, usize>,
}

impl RouteTable {
    /// A table of `routes` in order. A repeated name refers to the last route with it, as in
    /// Tornado (which warns, as this does).
    pub fn new(routes: Vec<Route>) -> Self {
        let mut names = HashMap::new();
        for (index, route) in routes.iter().enumerate() {
            if let Some(name) = &route.name
                && names.insert(name.clone(), index).is_some()
            {
                tracing::warn!(
                    name,
                    "several routes are named {name:?}; reverse_url uses the last"
                );
            }
        }
        Self { routes, names }
    }

    /// The first route whose pattern matches `path`, with its captures (or the error of a
    /// capture that is not UTF-8).
    pub fn find(&self, path: &str) -> Option<(&Route, Result<PathArgs, CaptureError>)> {
        self.routes
            .iter()
            .find_map(|route| Some((route, route.pattern.captures(path)?)))
    }

    /// Tornado's `reverse_url(name, *args)`.
    pub fn reverse_url(&self, name: &str, args: &[String]) -> Result<String, ReverseError> {
        let index = self
            .names
            .get(name)
            .ok_or_else(|| ReverseError::Unnamed(name.to_owned()))?;
        self.routes[*index].pattern.reverse(args)
    }
}
