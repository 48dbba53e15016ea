//! The `gale` command line: `serve`, `dev`, `build`, `check`, `new`, `plugins` and `top`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{LogFormat, PluginDir, ServeOptions};
use crate::plugins::build::{self, WASM_TARGET_DIR};
use crate::plugins::set::short;
use crate::plugins::{loader, python};
use crate::runtime::{HandlerLimits, Runtime};
use crate::scaffold::Template;
use crate::serve::serve;

/// `gale --version`: the host's version, the contract it hosts and the SDK that matches it.
fn version() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let host = env!("CARGO_PKG_VERSION");
        let wit = crate::runtime::bindings::WIT_VERSION;
        // The SDK is versioned with the workspace, so this host's is its own version.
        format!("{host} (serves plugins of gale:web@{wit}, written with gale-sdk {host})")
    })
}

/// gale: Tornado-style handlers as hot-swappable WebAssembly components.
#[derive(Parser, Debug)]
#[command(name = "gale", version = version(), about)]
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
    /// Build plugins (default: those under ./plugins) and serve them, rebuilding each on a
    /// change.
    Dev {
        /// Plugin crates or Python plugin directories (an app.py), or directories of them.
        #[arg(default_value = "plugins")]
        crates: Vec<PathBuf>,
        #[command(flatten)]
        options: ServeOptions,
    },
    /// Build plugins into a directory of components.
    Build {
        /// Plugin crates or Python plugin directories (an app.py), or directories of them.
        #[arg(default_value = "plugins")]
        crates: Vec<PathBuf>,
        /// Where the components go.
        #[arg(long, default_value = "target/gale/plugins")]
        out: PathBuf,
    },
    /// Make a new plugin crate in ./NAME to start from.
    New {
        /// The crate's (and the plugin's) name.
        name: String,
        /// What it starts as.
        #[arg(long, value_enum, default_value_t = Template::Hello)]
        template: Template,
        /// The gale-sdk crate to depend on (default: the checkout this gale was built from).
        #[arg(long, value_name = "PATH")]
        sdk: Option<PathBuf>,
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
    /// Print a running server's routes each second: requests a second, p50, p99 and the
    /// share of 5xx (asks its `--admin` endpoint).
    Top {
        /// The server's admin address.
        #[arg(long, env = "GALE_ADMIN", value_parser = crate::config::parse_loopback)]
        admin: SocketAddr,
        /// Print this many tables, then stop (default: until interrupted).
        #[arg(long, short = 'n')]
        count: Option<u64>,
    },
}

/// Serves as `gale serve ARGS…` does, in this process and without logging, until the
/// process ends: for tests that count what the server itself allocates.
pub fn serve_in_process(args: &[&str]) -> anyhow::Result<()> {
    let line = ["gale", "serve"].iter().chain(args);
    match Cli::try_parse_from(line)?.command {
        Command::Serve { dir, options } => serve(dir.plugins, options),
        _ => unreachable!("the line starts with `serve`"),
    }
}

/// Runs the command line; the error, if any, is for the user.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _flushed_at_exit = init_logging(match &cli.command {
        Command::Serve { options, .. } | Command::Dev { options, .. } => options.log_format,
        _ => LogFormat::Text,
    });
    match cli.command {
        Command::Serve { dir, options } => serve(dir.plugins, options),
        Command::Dev {
            crates,
            mut options,
        } => {
            let out = PathBuf::from("target/gale/dev-plugins");
            let crates = build::find_crates(&crates)?;
            let built = build::build_plugins(&crates, WASM_TARGET_DIR.as_ref(), &out)?;
            build::remove_others(&out, &built)?;
            options.waiting.allow_self(&built);
            options.live_sources = python::sources_by_name(&crates);
            crate::dev::rebuild_on_change(crates, WASM_TARGET_DIR.into(), out.clone())?;
            serve(out, options)
        }
        Command::Build { crates, out } => {
            let crates = build::find_crates(&crates)?;
            let built = build::build_plugins(&crates, WASM_TARGET_DIR.as_ref(), &out)?;
            // What a server would refuse is refused here, with what to do. A Python plugin's
            // static directories are found in its sources, and copied beside it.
            let sources = python::sources_by_name(&crates);
            for loaded in check(&built, false, sources.clone())? {
                if let Some((_, dir)) = sources
                    .iter()
                    .find(|(name, _)| **name == *loaded.plugin.name)
                {
                    build::copy_static_dirs(&loaded.routes, dir, &out)?;
                }
            }
            Ok(())
        }
        Command::Check { file } => check(&[file], true, Vec::new()).map(drop),
        Command::New {
            name,
            template,
            sdk,
        } => {
            let dir = crate::scaffold::new_plugin(Path::new("."), &name, template, sdk)?;
            println!(
                "made {}: `cd {name} && gale dev .` serves it on http://127.0.0.1:8000/",
                dir.display()
            );
            Ok(())
        }
        Command::Plugins { admin } => crate::admin::print_plugins(admin),
        Command::Top { admin, count } => crate::admin::print_top(admin, count),
    }
}

/// Log lines to stderr at `GALE_LOG`'s levels (default info), as text or JSON. A thread of
/// their own writes them, so a slow reader of stderr (a terminal, a pipe to a log shipper)
/// does not stall an event loop until 128k lines wait; then lines wait for it rather than
/// being lost. The guard flushes what waits when `main` returns.
fn init_logging(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("GALE_LOG").unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("gale-log")
        // The thread writes what has queued as one write, then flushes when none is left.
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => subscriber.with_ansi(ansi).init(),
        LogFormat::Json => subscriber.json().flatten_event(true).init(),
    }
    guard
}

/// `gale check` (and the end of `gale build`): loads each component as `serve` would (those
/// of `live_sources` as `gale dev` would) and prints its version and (with `routes`) its
/// routes.
fn check(
    files: &[PathBuf],
    routes: bool,
    live_sources: Vec<(String, PathBuf)>,
) -> anyhow::Result<Vec<loader::Loaded>> {
    let limits = HandlerLimits {
        instances: 4,
        live_sources,
        databases: None,
        ..ServeOptions::defaults().handler_limits()
    };
    let runtime = Runtime::new(limits, None)?;
    let main_loop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut checked = Vec::new();
    for file in files {
        let loaded = main_loop
            .block_on(loader::load(&runtime, None, file))
            .with_context(|| format!("{} is refused", file.display()))?;
        print_plugin(file, &loaded, routes);
        checked.push(loaded);
    }
    Ok(checked)
}

fn print_plugin(file: &Path, loaded: &loader::Loaded, routes: bool) {
    let (plugin, table) = (&loaded.plugin, &loaded.routes);
    println!(
        "{}: a valid gale plugin, version {}, with {} route(s)",
        file.display(),
        short(&plugin.hash),
        table.len()
    );
    if !routes {
        return;
    }
    for (route, declared) in table.iter().zip(&plugin.routes) {
        let name = route
            .name
            .as_deref()
            .map(|name| format!(" (name {name:?})"))
            .unwrap_or_default();
        println!("  {}  {}{name}", route.pattern.as_str(), declared.init_args);
    }
}
