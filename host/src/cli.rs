//! The `gale` command line: `serve`, `dev`, `build`, `check` and `plugins`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Semaphore, watch};

use crate::accounts::Database;
use crate::config::{PluginDir, ServeOptions};
use crate::http::site::Site;
use crate::plugins::build::{self, WASM_TARGET_DIR};
use crate::plugins::cache::CodeCache;
use crate::plugins::loader;
use crate::plugins::registry::Registry;
use crate::plugins::reloader::Reloader;
use crate::plugins::set::{PluginSet, short};
use crate::plugins::watcher::DirWatcher;
use crate::runtime::{HandlerLimits, Runtime};
use crate::server::{self, Shared};

/// gale: Tornado-style handlers as hot-swappable WebAssembly components.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the compiled plugins (`*.wasm`) of a directory.
    Serve {
        #[command(flatten)]
        dir: PluginDir,
        #[command(flatten)]
        options: ServeOptions,
    },
    /// Build plugin crates (default: the crates under ./plugins) and serve them.
    Dev {
        /// Plugin crates, or directories of them.
        #[arg(default_value = "plugins")]
        crates: Vec<PathBuf>,
        #[command(flatten)]
        options: ServeOptions,
    },
    /// Build plugin crates into a directory of components.
    Build {
        /// Plugin crates, or directories of them.
        #[arg(default_value = "plugins")]
        crates: Vec<PathBuf>,
        /// Where the components go.
        #[arg(long, default_value = "target/gale/plugins")]
        out: PathBuf,
    },
    /// Check that a component is a valid gale plugin and print its routes.
    Check {
        /// The component.
        file: PathBuf,
    },
    /// List the plugins a running server has loaded, with versions, routes and last errors
    /// (asks its `--admin` endpoint).
    Plugins {
        /// The server's admin address.
        #[arg(long, env = "GALE_ADMIN", value_parser = crate::config::parse_loopback)]
        admin: SocketAddr,
    },
}

/// Runs the command line; the error, if any, is for the user.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Serve { dir, options } => serve(dir.plugins, options),
        Command::Dev { crates, options } => {
            let out = PathBuf::from("target/gale/dev-plugins");
            let crates = build::find_crates(&crates)?;
            let built = build::build_plugins(&crates, WASM_TARGET_DIR.as_ref(), &out)?;
            build::remove_others(&out, &built)?;
            crate::dev::rebuild_on_change(crates, WASM_TARGET_DIR.into(), out.clone())?;
            serve(out, options)
        }
        Command::Build { crates, out } => {
            for file in build::build_plugins(
                &build::find_crates(&crates)?,
                WASM_TARGET_DIR.as_ref(),
                &out,
            )? {
                println!("{}", file.display());
            }
            Ok(())
        }
        Command::Check { file } => check(file),
        Command::Plugins { admin } => crate::admin::print_plugins(admin),
    }
}

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("GALE_LOG").unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

/// Loads the plugins of `dir`, binds, runs the workers, and then swaps plugins as the
/// directory changes (or on SIGHUP) until Ctrl-C or SIGTERM.
fn serve(dir: PathBuf, options: ServeOptions) -> anyhow::Result<()> {
    let main_loop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let runtime = Runtime::new(options.handler_limits())?;
    let registry = Arc::new(Registry::default());
    let set = Arc::new(Mutex::new(PluginSet::new(registry.clone())));
    let cache = options
        .cache_dir()
        .and_then(|cache_dir| CodeCache::open(cache_dir, &runtime.engine));
    let reloader = Reloader::new(runtime.clone(), cache, dir.clone(), set.clone());
    main_loop.block_on(reloader.reload_dir())?;
    if set.lock().is_ok_and(|set| set.is_empty()) {
        tracing::warn!(
            "no plugin loaded from {}: every request will be 404 until one is",
            dir.display()
        );
    }
    let signals = Signals::install(&main_loop)?;
    let watcher = watch(&options, &dir);
    if let Some(addr) = options.admin {
        let listener = main_loop
            .block_on(tokio::net::TcpListener::bind(addr))
            .with_context(|| format!("cannot serve the admin endpoint on {addr}"))?;
        let bound = listener.local_addr()?;
        main_loop.spawn(crate::admin::serve(
            listener,
            set.clone(),
            options.header_timeout,
        ));
        tracing::info!("admin endpoint on http://{bound}/plugins");
    }
    if let Some(static_dir) = &options.static_dir {
        crate::http::static_files::check_apart(static_dir, &dir)?;
    }
    let site = Site::new(
        options.xheaders,
        options.cookie_secret.as_deref(),
        options.cookie_secret_file.as_ref(),
        options.cookie_secret_per_plugin,
        options.static_dir.as_ref(),
    )?;
    let database = Database::new(
        options.database.as_deref(),
        &options.data_dir(),
        options.database_connections,
        options.database_timeout,
    )?;
    tracing::info!("account store: {}", database.shown());
    let listeners = server::bind(options.listen, options.workers)?;
    let addr = listeners[0].local_addr()?;
    let shared = Arc::new(Shared {
        site: Arc::new(site),
        database: Arc::new(database),
        runtime,
        registry,
        connections: Arc::new(Semaphore::new(options.max_connections as usize)),
        options,
    });
    let (stop, stopped) = watch::channel(false);
    let workers: Vec<_> = listeners
        .into_iter()
        .enumerate()
        .map(|(index, listener)| {
            let (shared, stopped) = (shared.clone(), stopped.clone());
            std::thread::Builder::new()
                .name(format!("gale-worker-{index}"))
                .spawn(move || server::run_worker(shared, listener, stopped))
        })
        .collect::<Result<_, _>>()?;
    println!(
        "gale: listening on http://{addr} ({} worker(s), plugins from {})",
        workers.len(),
        dir.display()
    );
    main_loop.block_on(supervise(&reloader, watcher, signals));
    tracing::info!("shutting down: finishing the requests in flight");
    let _ = stop.send(true);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    Ok(())
}

/// The directory watcher, unless `--no-watch` (or the platform refuses, which is logged).
fn watch(options: &ServeOptions, dir: &Path) -> Option<DirWatcher> {
    if options.no_watch {
        return None;
    }
    DirWatcher::new(dir)
        .inspect_err(|error| {
            tracing::error!(
                "cannot watch {}: {error}; plugins are reloaded on SIGHUP only",
                dir.display()
            )
        })
        .ok()
}

/// Applies directory changes and SIGHUP reloads until a shutdown signal.
async fn supervise(reloader: &Reloader, mut watcher: Option<DirWatcher>, mut signals: Signals) {
    loop {
        tokio::select! {
            _ = signals.interrupt.recv() => return,
            _ = signals.terminate.recv() => return,
            _ = signals.hangup.recv() => {
                tracing::info!("SIGHUP: reloading {}", reloader.dir().display());
                if let Err(error) = reloader.reload_dir().await {
                    tracing::error!("reloading failed: {error:#}; the plugins in force keep serving");
                }
            }
            file = next_change(&mut watcher) => reloader.reload_file(&file).await,
        }
    }
}

async fn next_change(watcher: &mut Option<DirWatcher>) -> PathBuf {
    match watcher {
        Some(watcher) => watcher.next().await,
        None => std::future::pending().await,
    }
}

/// Ctrl-C, SIGTERM and SIGHUP, caught from the moment this is built: build it before
/// announcing that the server listens, or a prompt signal kills the process instead.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    /// Installs the handlers; needs the runtime that will wait for them.
    fn install(runtime: &tokio::runtime::Runtime) -> anyhow::Result<Self> {
        let _context = runtime.enter();
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }
}

/// `gale check`: loads the component as `serve` would and prints its routes.
fn check(file: PathBuf) -> anyhow::Result<()> {
    let runtime = Runtime::new(HandlerLimits {
        instances: 4,
        ..HandlerLimits::default()
    })?;
    let main_loop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let loaded = main_loop
        .block_on(loader::load(&runtime, None, &file))
        .with_context(|| format!("{} is refused", file.display()))?;
    let (plugin, routes) = (loaded.plugin, loaded.routes);
    println!(
        "{}: a valid gale plugin, version {}, with {} route(s)",
        file.display(),
        short(&plugin.hash),
        routes.len()
    );
    for (route, declared) in routes.iter().zip(&plugin.routes) {
        let name = route
            .name
            .as_deref()
            .map(|name| format!(" (name {name:?})"))
            .unwrap_or_default();
        println!("  {}  {}{name}", route.pattern.as_str(), declared.init_args);
    }
    Ok(())
}
