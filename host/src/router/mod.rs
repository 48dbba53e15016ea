//! Tornado's route table: Python-style regexes tried in order, captures as path arguments,
//! names for `reverse_url`.
//!
//! A [`RouteTable`] is immutable; the registry swaps whole tables, so a request keeps the
//! table it started with. What a route runs is a type parameter: the router knows nothing
//! of plugins (`plugins::Target` is gale's), so it sits below everything that uses it.

mod pattern;

use std::collections::HashMap;

pub use pattern::{CaptureError, PathArgs, Pattern, ReverseError};

/// One route of the table.
#[derive(Clone)]
pub struct Route<T> {
    /// The URL pattern.
    pub pattern: Pattern,
    /// What it runs.
    pub target: T,
    /// Its name for `reverse_url`.
    pub name: Option<String>,
}

/// An immutable, ordered route table: the first matching route wins.
pub struct RouteTable<T> {
    routes: Vec<Route<T>>,
    names: HashMap<String, usize>,
}

impl<T> Default for RouteTable<T> {
    /// No routes: everything is a 404.
    fn default() -> Self {
        Self {
            routes: Vec::new(),
            names: HashMap::new(),
        }
    }
}

impl<T> RouteTable<T> {
    /// A table of `routes` in order. A repeated name refers to the last route with it, as in
    /// Tornado (which warns, as this does).
    pub fn new(routes: Vec<Route<T>>) -> Self {
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
    pub fn find(&self, path: &str) -> Option<(&Route<T>, Result<PathArgs, CaptureError>)> {
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

/// What a request keeps of the table it was routed with: Tornado's `reverse_url`, whatever
/// the table's targets (so `http` can hold it without knowing them).
pub trait ReverseUrl: Send + Sync {
    /// The path of the route named `name` with `args` filled in.
    fn reverse_url(&self, name: &str, args: &[String]) -> Result<String, ReverseError>;
}

impl<T: Send + Sync> ReverseUrl for RouteTable<T> {
    fn reverse_url(&self, name: &str, args: &[String]) -> Result<String, ReverseError> {
        RouteTable::reverse_url(self, name, args)
    }
}
