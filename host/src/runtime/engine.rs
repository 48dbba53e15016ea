//! The wasmtime engine: component model, async calls, pooling allocator, epoch interruption.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use wasmtime::component::Linker;
use wasmtime::{
    CacheStore, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimitsBuilder, UpdateDeadline,
};

use super::bindings::exports::gale::web::app::InstanceMode;
use super::ctx::{Ctx, Sandbox};
use super::pending::PendingLimits;
use super::slots::WebSocketSlots;
use crate::http::request::RequestData;
use crate::topics::{TopicLimits, Topics};

/// How often the epoch advances: a busy handler yields the loop at least this often.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Limits that apply to every handler instance, made from the command line's flags
/// (`config.rs` holds their defaults).
#[derive(Debug, Clone)]
pub struct HandlerLimits {
    /// Linear memory per instance, in bytes.
    pub memory: usize,
    /// Wall-clock time a handler stage may run before it is trapped.
    pub timeout: Duration,
    /// Plugins with a time limit of their own.
    pub plugin_timeouts: Vec<(String, Duration)>,
    /// Instances that may be alive at once, across all workers.
    pub instances: u32,
    /// Unflushed response bytes an instance may buffer.
    pub response_buffer: usize,
    /// Linear memory kept mapped in each instance slot between requests (`--resident-memory`).
    pub resident_memory: usize,
    /// Plugins whose instances serve several requests each (`--reuse-instances`).
    pub reuse: Vec<(String, u32)>,
    /// Plugins whose instances are fresh or shared whatever they ask (`--instances`).
    pub modes: Vec<(String, InstanceMode)>,
    /// What every WebSocket runs under.
    pub websocket: WebSocketSettings,
    /// What every plugin's topics run under.
    pub topics: TopicLimits,
    /// What a handler may wait on at once.
    pub pending: PendingLimits,
    /// How long a request's handler may take in all, waits included.
    pub wall_timeout: Duration,
    /// Python plugins `gale dev` serves from their sources: each instance sees its plugin's
    /// directory, read-only, where its build saw it, so templates are read as they are now.
    pub live_sources: Vec<(String, std::path::PathBuf)>,
    /// Where plugins' databases are, migrated at load (`--data-dir`, `--plugin-database`);
    /// none where loading only checks a plugin (`gale check`), which must not change its data.
    pub databases: Option<std::sync::Arc<crate::databases::DatabasesSettings>>,
}

/// Tornado's `websocket_*` settings, as flags.
#[derive(Debug, Clone, Copy)]
pub struct WebSocketSettings {
    /// The largest message a client may send (`--websocket-max-message-size`).
    pub max_message: usize,
    /// How often the host pings each WebSocket; none when zero.
    pub ping_interval: Duration,
    /// How long a ping may go unanswered before the connection is closed (at most the
    /// interval, as Tornado 6.5+).
    pub ping_timeout: Duration,
    /// The bytes that may wait for a client that reads slowly before the connection is
    /// closed with 1008 (`--websocket-send-buffer`).
    pub send_buffer: usize,
    /// WebSockets open at once, across workers (`--max-websockets`).
    pub max_open: usize,
    /// WebSockets open at once from one client address (`--max-websockets-per-ip`).
    pub max_per_address: usize,
    /// Control frames (pings, pongs) a client may send a second (`--websocket-max-control-rate`).
    pub max_control_rate: u32,
}

impl HandlerLimits {
    /// The sources `gale dev` serves `plugin` from, when it does.
    pub fn live_sources_of(&self, plugin: &str) -> Option<&std::path::Path> {
        self.live_sources
            .iter()
            .find(|(name, _)| name == plugin)
            .map(|(_, dir)| dir.as_path())
    }

    /// The time limit of `plugin`'s handlers.
    pub fn timeout_for(&self, plugin: &str) -> Duration {
        per_plugin(&self.plugin_timeouts, plugin).unwrap_or(self.timeout)
    }

    /// Whether `plugin`'s instances are fresh or shared: the operator's word, else the
    /// plugin's.
    pub fn mode_for(&self, plugin: &super::Plugin) -> InstanceMode {
        per_plugin(&self.modes, &plugin.name).unwrap_or(plugin.mode)
    }

    /// How many requests one instance of `plugin` serves (1: a fresh one each time).
    pub fn reuse_for(&self, plugin: &str) -> u32 {
        per_plugin(&self.reuse, plugin).unwrap_or(1)
    }

    /// How many requests a shared instance of `plugin` admits before the next request
    /// makes a new one (`--reuse-instances`, else [`SHARED_LIFETIME`]).
    pub fn shared_lifetime(&self, plugin: &str) -> u32 {
        per_plugin(&self.reuse, plugin).unwrap_or(SHARED_LIFETIME)
    }
}

/// Requests a shared instance serves before it is replaced. componentize-py's glue keeps
/// about 48 bytes of linear memory per call that nothing frees (measured on the Python
/// tutorial, 2026-12-04): 100,000 requests hold it under 5 MiB, far below
/// `--handler-memory`, for one instantiation (about 2 ms) per 100,000 requests.
pub const SHARED_LIFETIME: u32 = 100_000;

/// `plugin`'s value in a `PLUGIN=VALUE` list.
fn per_plugin<T: Copy>(list: &[(String, T)], plugin: &str) -> Option<T> {
    list.iter()
        .find(|(name, _)| name == plugin)
        .map(|(_, value)| *value)
}

use super::reuse::IDLE_PER_PLUGIN;

/// Bytes of each instance's tables kept mapped between requests (reset by memset).
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Pool slots beyond `--max-instances`, for the instance that reads a plugin's routes
/// while it loads: a load never waits behind requests.
const LOAD_HEADROOM: u32 = 8;

/// The engine and the linker every plugin is pre-linked with; shared by all workers.
pub struct Runtime {
    /// The engine.
    pub engine: Engine,
    /// The host's imports: gale's interfaces and a capability-free WASI.
    pub linker: Linker<Ctx>,
    /// The per-instance limits.
    pub limits: HandlerLimits,
    /// One permit per handler instance (`--max-instances`): a request beyond them waits for
    /// one instead of failing, as Tornado queues work on its loop.
    pub slots: Arc<Semaphore>,
    /// Every plugin's topics, shared by all workers.
    pub topics: Arc<Topics>,
    /// The places for open WebSockets, across workers.
    pub websockets: Arc<WebSocketSlots>,
}

impl Runtime {
    /// Builds the engine (compiling through `functions`, Cranelift's incremental cache, when
    /// given) and the linker, and starts the epoch ticker.
    pub fn new(
        limits: HandlerLimits,
        functions: Option<Arc<dyn CacheStore>>,
    ) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(
            limits.resident_memory <= limits.memory,
            "--resident-memory ({} bytes) cannot exceed --handler-memory ({} bytes)",
            limits.resident_memory,
            limits.memory
        );
        // Idle reused instances hold pool slots but no permit; a swap may briefly keep the
        // old version's idle ones beside the new one's.
        let idle = (2 * IDLE_PER_PLUGIN * limits.reuse.len()) as u32;
        let pool = limits.instances + LOAD_HEADROOM + idle;
        let mut pooling = PoolingAllocationConfig::new();
        pooling
            .total_component_instances(pool)
            .total_core_instances(pool * 4)
            .total_memories(pool * 2)
            .total_tables(pool * 4)
            .total_stacks(pool)
            .max_memory_size(limits.memory)
            // Reset the start of memory by memset rather than unmapping it: with the stack
            // `gale build` links and 256KiB, a request takes no page faults (5 and an
            // `madvise` otherwise: `perf stat`, docs/performance-log.md).
            .linear_memory_keep_resident(limits.resident_memory)
            // A plugin's function tables are a page or two: reset them by memset too, which
            // spares two `madvise` calls (and their TLB shootdowns) per request.
            .table_keep_resident(TABLE_KEEP_RESIDENT)
            // Where the kernel can say which pages a request touched (PAGEMAP_SCAN, Linux
            // 6.7+), only those are reset (hello: 35.1k -> 40.5k req/s in the 2026-11-28
            // round of docs/performance-log.md).
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        if let Some(functions) = functions {
            config.enable_incremental_compilation(functions)?;
        }
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        super::imports::add_to_linker(&mut linker)?;
        start_epoch_ticker(&engine);
        Ok(Arc::new(Self {
            engine,
            linker,
            slots: Arc::new(Semaphore::new(limits.instances as usize)),
            topics: Arc::new(Topics::new(limits.topics)),
            websockets: Arc::new(WebSocketSlots::new(
                limits.websocket.max_open,
                limits.websocket.max_per_address,
            )),
            limits,
        }))
    }

    /// Handler instances running now (each holds a `--max-instances` slot).
    pub fn instances_in_use(&self) -> usize {
        (self.limits.instances as usize).saturating_sub(self.slots.available_permits())
    }

    /// A store for one request: memory capped, and a deadline checked at every epoch tick,
    /// where a running handler also yields to the loop.
    pub fn new_store(&self, plugin: Arc<str>, request: Arc<RequestData>) -> Store<Ctx> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory)
            .build();
        let timeout = self.limits.timeout_for(&plugin);
        let sandbox = Sandbox {
            plugin,
            limits: super::traps::MemoryCap::new(limits),
            memory: self.limits.memory,
            response_buffer: self.limits.response_buffer,
            timeout,
            topics: self.topics.clone(),
            websocket_send_buffer: self.limits.websocket.send_buffer,
            websockets: self.websockets.clone(),
            pending_limits: self.limits.pending,
            wall_timeout: self.limits.wall_timeout,
            running: Default::default(),
        };
        let sources = self.limits.live_sources_of(&sandbox.plugin);
        let mut store = Store::new(&self.engine, Ctx::new(sandbox, request, sources));
        store.limiter(|ctx| &mut ctx.sandbox.limits);
        store.epoch_deadline_callback(move |store| {
            let ran = store.data().delivery.running_since.elapsed();
            if ran >= timeout {
                return Ok(UpdateDeadline::Interrupt);
            }
            if ran >= super::running::BUSY_AFTER {
                store.data().sandbox.running.leave();
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store.set_epoch_deadline(1);
        store
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for the life of the process.
fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("gale-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
