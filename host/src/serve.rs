//! The running server's wiring: load the plugins, bind, start the workers, then swap plugins
//! as the directory changes (or on SIGHUP) until Ctrl-C or SIGTERM, and stop gracefully.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Semaphore, watch};

use crate::accounts::Database;
use crate::config::ServeOptions;
use crate::http::site::Site;
use crate::http::xheaders::Scheme;
use crate::plugins::cache::CodeCache;
use crate::plugins::functions::FunctionCache;
use crate::plugins::registry::Registry;
use crate::plugins::reloader::Reloader;
use crate::plugins::set::PluginSet;
use crate::plugins::watcher::DirWatcher;
use crate::runtime::Runtime;
use crate::server::{self, Listening};
use crate::tls::{Certificates, FileWatcher};
use crate::worker::Shared;

/// Loads the plugins of `dir`, binds, runs the workers, and then swaps plugins as the
/// directory changes (or on SIGHUP) until Ctrl-C or SIGTERM.
pub fn serve(dir: PathBuf, options: ServeOptions) -> anyhow::Result<()> {
    options.check()?;
    warn_of_risky_settings(&options);
    // Before the plugins compile: a wrong file is said at once.
    let certificates = match (&options.tls.tls_cert, &options.tls.tls_key) {
        (Some(cert), Some(key)) => Some(Certificates::load(cert, key)?),
        _ => None,
    };
    let main_loop = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if options.admin.is_some() {
        crate::metrics::enable();
    }
    let cache_dir = options.cache_dir();
    let functions = cache_dir.as_deref().and_then(FunctionCache::open);
    let runtime = Runtime::new(options.handler_limits(), functions.map(|f| f as _))?;
    let registry = Arc::new(Registry::default());
    let set = Arc::new(Mutex::new(PluginSet::new(registry.clone())));
    let cache = cache_dir.and_then(|cache_dir| CodeCache::open(cache_dir, &runtime.engine));
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
    if let Some(static_dir) = &options.static_dir {
        crate::http::static_dir::check_apart(static_dir, &dir)?;
    }
    let site = Site::new(&options.site_settings())?;
    if let Some(url) = &options.pubsub {
        let relay = crate::topics::relay::start(url, runtime.topics.clone(), &site.pubsub_key());
        main_loop.spawn(relay?);
    }
    let database = Database::new(&options.database_settings())?;
    tracing::info!("account store: {}", database.shown());
    let listening = Listening::bind(&options, certificates.as_ref())?;
    let connection = options.connection_settings();
    let mut outbound = options
        .waiting
        .outbound_settings(options.max_response_buffer);
    // `self` is this server over plain HTTP (a fetch of its HTTPS address would need its
    // certificate trusted).
    if let Some(addr) = listening.first(Scheme::Http) {
        outbound.allowed.serving_at(addr);
    }
    let outbound = Arc::new(outbound);
    // Each worker makes its own; a CA file that cannot be read is said now, once.
    crate::outbound::Outbound::new(outbound.clone())?;
    let shared = Arc::new(Shared {
        outbound,
        site: Arc::new(site),
        database: Arc::new(database),
        runtime,
        registry,
        connections: Arc::new(Semaphore::new(connection.max_connections)),
        open_connections: Arc::default(),
        intake: options.intake_settings(),
        connection,
        databases: Arc::new(options.databases_settings()),
        workers_databases: Default::default(),
    });
    if let Some(addr) = options.admin {
        let listener = main_loop
            .block_on(tokio::net::TcpListener::bind(addr))
            .with_context(|| format!("cannot serve the admin endpoint on {addr}"))?;
        let bound = listener.local_addr()?;
        main_loop.spawn(crate::admin::serve(
            listener,
            set.clone(),
            shared.clone(),
            shared.connection.header_timeout,
        ));
        tracing::info!("admin endpoint on http://{bound}/ (metrics at /metrics)");
    }
    main_loop.spawn(crate::worker::trim_after_bursts(
        shared.open_connections.clone(),
    ));
    let (stop, stopped) = watch::channel(false);
    let shown = listening.shown();
    let workers: Vec<_> = listening
        .per_worker
        .into_iter()
        .enumerate()
        .map(|(index, endpoints)| {
            let (shared, stopped) = (shared.clone(), stopped.clone());
            std::thread::Builder::new()
                .name(format!("gale-worker-{index}"))
                .spawn(move || server::run_worker(shared, endpoints, stopped))
        })
        .collect::<Result<_, _>>()?;
    println!(
        "gale: listening on {shown} ({} worker(s), plugins from {})",
        workers.len(),
        dir.display()
    );
    let certificates = certificates.map(|certificates| {
        let watcher = certificates.watch();
        (certificates, watcher)
    });
    main_loop.block_on(supervise(&reloader, watcher, certificates, signals));
    tracing::info!("shutting down: finishing the requests in flight");
    let _ = stop.send(true);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
    }
    Ok(())
}

/// Says at start what a setting leaves open, so the operator reads it before an attacker
/// finds it.
fn warn_of_risky_settings(options: &ServeOptions) {
    if options.xheaders && options.trusted_proxies.is_empty() {
        tracing::warn!(
            "--xheaders without --trusted-proxies: any client can name its own address in \
             X-Real-IP (past the login throttle and the per-address WebSocket cap); list \
             your proxies' addresses with --trusted-proxies"
        );
    }
    let secret = options.cookie_secret.is_some() || options.cookie_secret_file.is_some();
    if options.pubsub.is_some() && !secret {
        tracing::warn!(
            "--pubsub without --cookie-secret: this server signs its topic messages with a \
             random secret, so other servers refuse them and it refuses theirs; give every \
             server the same --cookie-secret"
        );
    }
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

/// Applies directory changes, certificate renewals and SIGHUP reloads until a shutdown
/// signal.
async fn supervise(
    reloader: &Reloader,
    mut watcher: Option<DirWatcher>,
    mut certificates: Option<(Arc<Certificates>, Option<FileWatcher>)>,
    mut signals: Signals,
) {
    loop {
        tokio::select! {
            _ = signals.interrupt.recv() => return,
            _ = signals.terminate.recv() => return,
            _ = signals.hangup.recv() => {
                tracing::info!("SIGHUP: reloading {}", reloader.dir().display());
                if let Some((certificates, _)) = &certificates {
                    certificates.reload();
                }
                if let Err(error) = reloader.reload_dir().await {
                    tracing::error!("reloading failed: {error:#}; the plugins in force keep serving");
                }
            }
            file = next_change(&mut watcher) => reloader.reload_file(&file).await,
            () = certificate_change(&mut certificates) => {
                if let Some((certificates, _)) = &certificates {
                    certificates.reload();
                }
            }
        }
    }
}

async fn certificate_change(certificates: &mut Option<(Arc<Certificates>, Option<FileWatcher>)>) {
    match certificates {
        Some((_, Some(watcher))) => watcher.changed().await,
        _ => std::future::pending().await,
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
