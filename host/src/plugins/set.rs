//! The plugins in force, by name, and the last error of each: what a load, a swap, a refusal
//! or a removal changes, and what the admin endpoint reports. Every change that succeeds
//! publishes a new route-table snapshot.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::Plugin;
use super::Route;
use super::cache::Origin;
use super::loader::Loaded;
use super::registry::Registry;
use crate::metrics::{self, LoadOutcome};

/// The changes the set remembers for the admin page, the oldest forgotten first.
const HISTORY: usize = 50;

/// A load, swap, refusal or removal, as the admin page lists it.
struct Change {
    at: SystemTime,
    plugin: Arc<str>,
    outcome: LoadOutcome,
    /// The version it concerned, when its file could be read.
    version: Option<String>,
}

/// A plugin serving now.
struct Serving {
    plugin: Arc<Plugin>,
    routes: Vec<Route>,
    origin: Origin,
    since: SystemTime,
}

/// Why a plugin's last load failed.
struct LoadError {
    hash: Option<String>,
    message: String,
    at: SystemTime,
}

/// A plugin refused because one of its patterns is, letter for letter, another plugin's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConflict {
    /// The pattern both declare.
    pub pattern: String,
    /// The plugin that has it already.
    pub owner: String,
}

impl std::fmt::Display for RouteConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (pattern, owner) = (&self.pattern, &self.owner);
        write!(f, "route {pattern:?} is already claimed by plugin {owner}")
    }
}

/// The plugins in force, in the order their routes are tried: by plugin name (the file name
/// without `.wasm`), then each plugin's routes in declaration order.
pub struct PluginSet {
    registry: Arc<Registry>,
    serving: BTreeMap<Arc<str>, Serving>,
    refused: BTreeMap<Arc<str>, LoadError>,
    history: VecDeque<Change>,
}

impl PluginSet {
    /// An empty set publishing to `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            serving: BTreeMap::new(),
            refused: BTreeMap::new(),
            history: VecDeque::new(),
        }
    }

    /// The content hash of the version of `name` serving now.
    pub fn hash_of(&self, name: &str) -> Option<Arc<str>> {
        self.serving
            .get(name)
            .map(|serving| serving.plugin.hash.clone())
    }

    /// The names of the plugins serving now.
    pub fn names(&self) -> Vec<Arc<str>> {
        self.serving.keys().cloned().collect()
    }

    /// Whether no plugin serves.
    pub fn is_empty(&self) -> bool {
        self.serving.is_empty()
    }

    /// Puts `loaded` in force (replacing an older version of the same plugin) unless one of
    /// its patterns is identical to another plugin's; the error says which.
    pub fn install(&mut self, loaded: Loaded) -> Result<(), RouteConflict> {
        let name = loaded.plugin.name.clone();
        self.claimed_elsewhere(&name, &loaded.routes)?;
        let routes = describe_routes(&loaded.routes);
        let previous = self.serving.insert(
            name.clone(),
            Serving {
                plugin: loaded.plugin,
                routes: loaded.routes,
                origin: loaded.origin,
                since: SystemTime::now(),
            },
        );
        self.refused.remove(&name);
        let swap = self.publish();
        if let Some(old) = &previous {
            // Requests in flight finish on the old version; new ones never take its idle
            // instances, whose pool slots the new version needs.
            old.plugin.let_go_of_instances();
        }
        let hash = self.serving[&name].plugin.hash.clone();
        let outcome = match previous {
            Some(_) => LoadOutcome::Swapped,
            None => LoadOutcome::Loaded,
        };
        self.note(&name, outcome, Some(&hash));
        let hash = short(&hash);
        let (load, origin) = (loaded.elapsed, origin_text(loaded.origin));
        match previous {
            Some(old) => tracing::info!(
                plugin = &*name,
                "swapped {name} {} -> {hash}: routes {routes}; {origin} in {load:.1?}, swap {swap:.1?}",
                short(&old.plugin.hash)
            ),
            None => tracing::info!(
                plugin = &*name,
                "loaded {name} {hash}: routes {routes}; {origin} in {load:.1?}, swap {swap:.1?}"
            ),
        }
        Ok(())
    }

    /// Records that the latest version of `name` (content hash `hash`, when it could be
    /// read) was refused; the version serving, if any, keeps serving.
    pub fn refuse(&mut self, name: &str, file: &str, hash: Option<&str>, message: String) {
        let version = hash
            .map(|hash| format!(" ({})", short(hash)))
            .unwrap_or_default();
        let keeps = match self.serving.get(name) {
            Some(serving) => format!("; {} keeps serving", short(&serving.plugin.hash)),
            None => String::new(),
        };
        tracing::error!(plugin = name, "refused {file}{version}: {message}{keeps}");
        self.note(name, LoadOutcome::Refused, hash);
        self.refused.insert(
            name.into(),
            LoadError {
                hash: hash.map(str::to_owned),
                message,
                at: SystemTime::now(),
            },
        );
    }

    /// Takes `name` out of service: new requests no longer see its routes, requests in
    /// flight finish on it. Whether it was serving.
    pub fn remove(&mut self, name: &str) -> bool {
        self.refused.remove(name);
        let Some(old) = self.serving.remove(name) else {
            return false;
        };
        self.note(name, LoadOutcome::Removed, Some(&old.plugin.hash));
        let swap = self.publish();
        old.plugin.let_go_of_instances();
        tracing::info!(
            plugin = name,
            "removed {name} {}: its routes are gone (swap {swap:.1?})",
            short(&old.plugin.hash)
        );
        true
    }

    /// Instances of the plugins serving now that are parked between requests
    /// (`--reuse-instances`).
    pub fn idle_instances(&self) -> usize {
        self.serving
            .values()
            .map(|serving| serving.plugin.idle.len())
            .sum()
    }

    /// The plugins serving and refused, as the admin endpoint shows them.
    pub fn status(&self) -> Value {
        let names: std::collections::BTreeSet<&Arc<str>> =
            self.serving.keys().chain(self.refused.keys()).collect();
        let plugins: Vec<Value> = names
            .into_iter()
            .map(|name| {
                let serving = self.serving.get(name).map(|serving| {
                    json!({
                        "hash": &*serving.plugin.hash,
                        "since": httpdate::fmt_http_date(serving.since),
                        "origin": serving.origin.label(),
                        "routes": serving.routes.iter().map(|route| json!({
                            "pattern": route.pattern.as_str(),
                            "name": route.name,
                        })).collect::<Vec<_>>(),
                    })
                });
                let last_error = self.refused.get(name).map(|refusal| {
                    json!({
                        "hash": refusal.hash,
                        "message": refusal.message,
                        "at": httpdate::fmt_http_date(refusal.at),
                    })
                });
                json!({"name": &**name, "serving": serving, "last_error": last_error})
            })
            .collect();
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|change| {
                json!({
                    "at": httpdate::fmt_http_date(change.at),
                    "plugin": &*change.plugin,
                    "outcome": change.outcome.as_str(),
                    "version": change.version,
                })
            })
            .collect();
        json!({ "plugins": plugins, "history": history })
    }

    /// Counts a change in the metrics and remembers it for the admin page.
    fn note(&mut self, plugin: &str, outcome: LoadOutcome, version: Option<&str>) {
        metrics::record(|metrics| metrics.plugin_loaded(plugin, outcome));
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(Change {
            at: SystemTime::now(),
            plugin: plugin.into(),
            outcome,
            version: version.map(str::to_owned),
        });
    }

    /// The plugins in force and their versions, as the metrics' `gale_plugin_info`.
    pub fn versions(&self) -> Vec<(Arc<str>, Arc<str>)> {
        self.serving
            .iter()
            .map(|(name, serving)| (name.clone(), serving.plugin.hash.clone()))
            .collect()
    }

    /// Refuses a route whose pattern another plugin already claims: which of the two a
    /// request meant is not for file names to decide.
    fn claimed_elsewhere(&self, name: &str, routes: &[Route]) -> Result<(), RouteConflict> {
        for route in routes {
            let pattern = route.pattern.as_str();
            let owner = self.serving.iter().find(|(other, serving)| {
                &***other != name
                    && serving
                        .routes
                        .iter()
                        .any(|theirs| theirs.pattern.as_str() == pattern)
            });
            if let Some((other, _)) = owner {
                return Err(RouteConflict {
                    pattern: pattern.to_owned(),
                    owner: other.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Publishes the routes of every plugin serving; returns how long building and
    /// swapping the table took.
    fn publish(&self) -> Duration {
        let started = Instant::now();
        self.registry.publish(
            self.serving
                .values()
                .flat_map(|serving| serving.routes.iter().cloned())
                .collect(),
        );
        started.elapsed()
    }
}

/// The first twelve hex digits of a content hash: enough to tell versions apart in a log.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

fn origin_text(origin: Origin) -> &'static str {
    match origin {
        Origin::Compiled => "compiled",
        Origin::Cached => "from the compiled-code cache",
    }
}

fn describe_routes(routes: &[Route]) -> String {
    let patterns: Vec<&str> = routes.iter().map(|route| route.pattern.as_str()).collect();
    format!("[{}]", patterns.join(", "))
}
