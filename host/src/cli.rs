//! The `gale` command line: `serve`, `dev`, `build` and `check`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::config::{PluginDir, ServeOptions};
use crate::plugins::registry::Registry;
use crate::plugins::{Plugin, build, loader};
use crate::router::Route;
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
}

/// Where `gale dev` and `gale build` keep cargo's output for the wasm target.
const WASM_TARGET_DIR: &str = "target/gale/wasm";

/// Runs the command line; the error, if any, is for the user.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Serve { dir, options } => serve(dir.plugins, options),
        Command::Dev { crates, options } => {
            let out = PathBuf::from("target/gale/dev-plugins");
            let built = build::build_plugins(
                &build::find_crates(&crates)?,
                WASM_TARGET_DIR.as_ref(),
                &out,
            )?;
            build::remove_others(&out, &built)?;
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

/// Loads the plugins of `dir`, binds, runs the workers and waits for Ctrl-C or SIGTERM.
fn serve(dir: PathBuf, options: ServeOptions) -> anyhow::Result<()> {
    let main_loop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let runtime = Runtime::new(options.handler_limits())?;
    let registry = Arc::new(Registry::default());
    let loaded = main_loop.block_on(load_dir(&runtime, &dir))?;
    registry.publish(&loaded);
    let signals = ShutdownSignals::install(&main_loop)?;
    let listeners = server::bind(options.listen, options.workers)?;
    let addr = listeners[0].local_addr()?;
    let shared = Arc::new(Shared {
        runtime,
        registry,
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
    main_loop.block_on(signals.received());
    tracing::info!("shutting down: finishing the requests in flight");
    let _ = stop.send(true);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    Ok(())
}

/// Loads every plugin of `dir`; a plugin that cannot be loaded is refused with a log line
/// and the others serve.
async fn load_dir(
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<(Arc<Plugin>, Vec<Route>)>> {
    let mut loaded = Vec::new();
    for path in loader::plugin_files(dir)? {
        let name = loader::plugin_name(&path);
        match loader::load(runtime, &path).await {
            Ok((plugin, routes)) => {
                tracing::info!(
                    plugin = name,
                    routes = routes.len(),
                    "loaded {}",
                    path.display()
                );
                loaded.push((plugin, routes));
            }
            Err(error) => tracing::error!(plugin = name, "refused {}: {error:#}", path.display()),
        }
    }
    if loaded.is_empty() {
        tracing::warn!(
            "no plugin loaded from {}: every request will be 404",
            dir.display()
        );
    }
    Ok(loaded)
}

/// Ctrl-C and SIGTERM, caught from the moment this is built: build it before announcing
/// that the server listens, or a prompt SIGTERM kills the process instead of stopping it.
struct ShutdownSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl ShutdownSignals {
    /// Installs the handlers; needs the runtime that will wait for them.
    fn install(runtime: &tokio::runtime::Runtime) -> anyhow::Result<Self> {
        let _context = runtime.enter();
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on the first of them.
    async fn received(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
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
    let (plugin, routes) = main_loop
        .block_on(loader::load(&runtime, &file))
        .with_context(|| format!("{} is refused", file.display()))?;
    println!(
        "{}: a valid gale plugin with {} route(s)",
        file.display(),
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
