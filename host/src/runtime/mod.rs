//! The WebAssembly side: the engine, the bindings, the store data, the host imports and the
//! lifecycle driver.

pub mod bindings;
pub mod ctx;
pub mod driver;
mod engine;
mod events;
mod failures;
mod imports;
mod instances;
mod lease;
mod long_poll;
pub mod output;
mod pending;
mod plugin;
mod refusal;
pub mod reuse;
mod running;
mod shared;
mod slots;
mod traps;
mod websocket;

pub use bindings::exports::gale::web::app::InstanceMode;
pub use ctx::Services;
pub use engine::{HandlerLimits, Runtime, WebSocketSettings};
pub use pending::PendingLimits;
pub use plugin::{Plugin, versions_held};
pub use websocket::Follow;
