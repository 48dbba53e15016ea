//! Loading a plugin file: checks that say what is wrong, compilation off the event loop,
//! pre-linking, and reading the route table from a first instance.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use wasmtime::component::Component;

use super::Plugin;
use super::Route;
use super::cache::{self, CodeCache, Origin, content_hash};
use super::registry::compile_routes;
use crate::databases::migrations;
use crate::http::request::RequestData;
use crate::runtime::Runtime;
use crate::runtime::bindings::{PluginPre, WIT_VERSION};

/// A plugin ready to serve, and how it was obtained.
pub struct Loaded {
    /// The plugin.
    pub plugin: Arc<Plugin>,
    /// Its routes, compiled and checked.
    pub routes: Vec<Route>,
    /// Compiled now, or read from the compiled-code cache.
    pub origin: Origin,
    /// How long compiling (or reading the cache), pre-linking and reading the routes took.
    pub elapsed: Duration,
}

/// Loads `path`: reads it, checks it is a component built against this host's contract,
/// compiles it on a blocking thread (or takes it from `cache`), pre-links it, reads its
/// routes and compiles them, and applies its migrations to its database.
pub async fn load(
    runtime: &Arc<Runtime>,
    cache: Option<&CodeCache>,
    path: &Path,
) -> anyhow::Result<Loaded> {
    let bytes = read_settled(path).await?;
    load_bytes(runtime, cache, path, bytes).await
}

/// [`load`] for the contents of `path` already read.
pub async fn load_bytes(
    runtime: &Arc<Runtime>,
    cache: Option<&CodeCache>,
    path: &Path,
    bytes: Vec<u8>,
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let name: Arc<str> = plugin_name(path).into();
    check_is_component(&bytes)?;
    let migrations = migrations::embedded(&bytes)?;
    let hash: Arc<str> = content_hash(&bytes).into();
    let (engine, cache, key) = (runtime.engine.clone(), cache.cloned(), hash.clone());
    let compiled =
        tokio::task::spawn_blocking(move || cache::compile(&engine, cache.as_ref(), &key, &bytes))
            .await?;
    let (component, origin) = explain(compiled, "the component does not compile")?;
    check_contract(runtime, &component)?;
    let pre = explain(runtime.linker.instantiate_pre(&component), "cannot link")?;
    let pre = explain(PluginPre::new(pre), "it does not export gale:web/app")?;
    let mut store = runtime.new_store(name.clone(), RequestData::placeholder());
    let instance = explain(
        pre.instantiate_async(&mut store).await,
        "cannot instantiate",
    )?;
    let routes = instance.gale_web_app().call_routes(&mut store).await;
    let routes = explain(routes, "its routes() trapped")?;
    let mode = instance.gale_web_app().call_instances(&mut store).await;
    let mode = explain(mode, "its instances() trapped")?;
    let plugin = Arc::new(Plugin::new(name, hash, pre, routes, mode));
    // A plugin's static files are beside it; under `gale dev`, a Python plugin's are in its
    // sources, where it is edited.
    let beside = path.parent().unwrap_or(Path::new("."));
    let dir = runtime
        .limits
        .live_sources_of(&plugin.name)
        .unwrap_or(beside);
    let routes = compile_routes(&plugin, dir)?;
    if let (Some(databases), false) = (&runtime.limits.databases, migrations.is_empty()) {
        let applied = migrations::apply(databases, &plugin.name, &migrations).await;
        let applied = applied.context("its migration failed, and none of its set was applied")?;
        if !applied.is_empty() {
            let applied = applied.join(", ");
            tracing::info!(plugin = &*plugin.name, "applied {applied} to its database");
        }
    }
    Ok(Loaded {
        plugin,
        routes,
        origin,
        elapsed: started.elapsed(),
    })
}

/// The largest plugin file read: a component this size takes minutes to compile, and a
/// larger file in the directory (by mistake or not) must not be read into memory whole.
pub const MAX_PLUGIN_SIZE: u64 = 256 << 20;

/// Reads `path` once it has stopped changing: a file still being copied in place is read
/// again until two looks at its size and modification time agree.
pub async fn read_settled(path: &Path) -> anyhow::Result<Vec<u8>> {
    let stamp = |meta: std::fs::Metadata| (meta.len(), meta.modified().ok());
    let cannot_read = || format!("cannot read {}", path.display());
    for _ in 0..50 {
        let before = stamp(tokio::fs::metadata(path).await.with_context(cannot_read)?);
        if before.0 > MAX_PLUGIN_SIZE {
            bail!(
                "{} is {} MiB, more than the {} MiB a plugin may be",
                path.display(),
                before.0 >> 20,
                MAX_PLUGIN_SIZE >> 20
            );
        }
        let bytes = tokio::fs::read(path).await.with_context(cannot_read)?;
        let after = stamp(tokio::fs::metadata(path).await.with_context(cannot_read)?);
        if before == after && after.0 == bytes.len() as u64 {
            return Ok(bytes);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{} kept changing for five seconds", path.display())
}

/// A wasmtime error with its whole chain, under `what`.
fn explain<T>(result: wasmtime::Result<T>, what: &'static str) -> anyhow::Result<T> {
    result.map_err(|error| anyhow!("{what}: {error:#}"))
}

/// The `*.wasm` files of `dir`, sorted by name: the order their routes are tried in.
pub fn plugin_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the plugin directory {}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| is_plugin_file(path) && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `path` names a plugin: `*.wasm`, not hidden (editors' and copies' temporary files
/// are hidden or have another extension).
pub fn is_plugin_file(path: &Path) -> bool {
    let name = path.file_name().map(|name| name.to_string_lossy());
    name.is_some_and(|name| name.ends_with(".wasm") && !name.starts_with('.'))
}

/// A plugin's name: its file name without `.wasm`.
pub fn plugin_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

/// Refuses what is not a WebAssembly component, saying what it is instead.
fn check_is_component(bytes: &[u8]) -> anyhow::Result<()> {
    // The preamble: the magic `\0asm`, then the version and layer (component: 0x0d 0 1 0).
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 0x0d, 0, 1, 0]) => Ok(()),
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => {
            bail!(
                "it is a core WebAssembly module, not a component: build it with `--target wasm32-wasip2`"
            )
        }
        _ => bail!("it is not a WebAssembly component (no component header)"),
    }
}

/// Refuses a component built against another version of `gale:web`.
fn check_contract(runtime: &Runtime, component: &Component) -> anyhow::Result<()> {
    let ty = component.component_type();
    let names = ty
        .imports(&runtime.engine)
        .map(|(name, _)| name)
        .chain(ty.exports(&runtime.engine).map(|(name, _)| name));
    for name in names {
        let Some(interface) = name.strip_prefix("gale:web/") else {
            continue;
        };
        let version = interface
            .split_once('@')
            .map_or("none", |(_, version)| version);
        match compatible(version) {
            Contract::Served => {}
            Contract::Newer => bail!(
                "it was built against gale:web@{version}, newer than this host's \
                 gale:web@{WIT_VERSION}: rebuild it with gale-sdk {WIT_VERSION}, or run a newer gale"
            ),
            Contract::Other => bail!(
                "it was built against gale:web@{version} but this host provides \
                 gale:web@{WIT_VERSION}: rebuild it with gale-sdk {WIT_VERSION}"
            ),
        }
    }
    // Any version of `app` the loop above let through: an older patch is served.
    let exports_app =
        (ty.exports(&runtime.engine)).any(|(name, _)| name.starts_with("gale:web/app@"));
    if !exports_app {
        bail!(
            "it does not export gale:web/app@{WIT_VERSION}: it is not a gale plugin (a plugin \
             crate declares its routes with `gale_sdk::routes![...]`, which exports it)"
        );
    }
    Ok(())
}

/// What a plugin's contract version means to this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contract {
    /// Served: the same contract, as old as the host's or older (the contract only grows
    /// within it, so an older plugin's imports are all here).
    Served,
    /// The same contract, newer than the host's: it may import what this host lacks.
    Newer,
    /// Another contract (semver: another major, or before 1.0 another minor).
    Other,
}

/// The contract policy for this host's contract ([`WIT_VERSION`]).
fn compatible(version: &str) -> Contract {
    compatible_with(version, WIT_VERSION)
}

/// The contract policy, semver on the WIT package: a host of contract `host` serves plugins
/// of its own major (before 1.0, its own minor) up to its own version.
fn compatible_with(version: &str, host: &str) -> Contract {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let mut parts = v.split(['.', '-', '+']).map(str::parse::<u64>);
        Some((
            parts.next()?.ok()?,
            parts.next()?.ok()?,
            parts.next()?.ok()?,
        ))
    };
    let contract =
        |(major, minor, _): (u64, u64, u64)| if major == 0 { (0, minor) } else { (major, 0) };
    match (parse(version), parse(host)) {
        (Some(plugin), Some(host)) if contract(plugin) == contract(host) => match plugin <= host {
            true => Contract::Served,
            false => Contract::Newer,
        },
        _ => Contract::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::{Contract, compatible, compatible_with};

    #[test]
    fn a_host_serves_its_own_minor_up_to_its_own_version() {
        let cases = [
            ("0.3.0", "0.3.0", Contract::Served),
            ("0.3.0", "0.3.4", Contract::Served),
            ("0.3.7", "0.3.4", Contract::Newer),
            ("0.2.0", "0.3.0", Contract::Other),
            ("0.4.0", "0.3.0", Contract::Other),
            ("1.0.0", "1.4.2", Contract::Served),
            ("1.5.0", "1.4.2", Contract::Newer),
            ("2.0.0", "1.4.2", Contract::Other),
            ("1.1.0", "0.3.0", Contract::Other),
            ("none", "0.3.0", Contract::Other),
            ("0.3", "0.3.0", Contract::Other),
        ];
        for (plugin, host, expected) in cases {
            assert_eq!(
                compatible_with(plugin, host),
                expected,
                "{plugin} on {host}"
            );
        }
        let host = crate::runtime::bindings::WIT_VERSION;
        assert_eq!(compatible(host), Contract::Served, "its own");
    }
}
