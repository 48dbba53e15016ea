//! What stops an instance, told apart for the metrics: the memory cap, which remembers
//! refusing a growth (a Rust plugin then aborts, and its trap looks like any panic), the
//! host's own typed traps, and wasmtime's.

use wasmtime::{ResourceLimiter, StoreLimits, Trap};

use crate::http::body::ClientGone;
use crate::metrics::TrapKind;

/// `StoreLimits`, remembering whether it refused a memory growth.
pub struct MemoryCap {
    limits: StoreLimits,
    /// Whether a growth was refused since the instance last started a request.
    pub refused: bool,
}

impl MemoryCap {
    /// A cap of `limits` that has refused nothing yet.
    pub fn new(limits: StoreLimits) -> Self {
        Self {
            limits,
            refused: false,
        }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// The host stops a handler whose response (or an event's messages, or its kept state)
/// passed a cap or `--max-response-buffer`.
#[derive(Debug)]
pub struct OverBudget(pub String);

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OverBudget {}

/// A request cannot go on in its shared instance: another request's stage trapped there
/// (counted once, as that request's trap).
#[derive(Debug)]
pub struct Poisoned;

impl std::fmt::Display for Poisoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("its shared instance trapped in another request's stage")
    }
}

impl std::error::Error for Poisoned {}

/// What a trap is counted as, given whether the memory cap refused a growth first; `None`
/// when it was not the handler's doing (its client left).
pub fn kind_of(trap: &wasmtime::Error, memory_refused: bool) -> Option<TrapKind> {
    if trap.downcast_ref::<ClientGone>().is_some() || trap.downcast_ref::<Poisoned>().is_some() {
        return None;
    }
    if trap.downcast_ref::<OverBudget>().is_some() {
        return Some(TrapKind::Budget);
    }
    Some(match trap.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => TrapKind::Timeout,
        // Wasm's own stack, or the stack a Rust plugin keeps in linear memory: it starts at
        // address 0, so overflowing it wraps out of bounds (safe Rust makes no other such
        // access).
        Some(Trap::StackOverflow | Trap::MemoryOutOfBounds) => TrapKind::Stack,
        _ if memory_refused => TrapKind::Memory,
        _ => TrapKind::Panic,
    })
}

/// Counts a trap of an instance of `plugin` in the metrics, given whether its memory cap
/// refused a growth first.
pub fn count(plugin: &std::sync::Arc<str>, memory_refused: bool, trap: &wasmtime::Error) {
    if let Some(kind) = kind_of(trap, memory_refused) {
        crate::metrics::record(|metrics| metrics.trapped(plugin, kind));
    }
}
