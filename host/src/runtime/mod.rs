//! The WebAssembly side: the engine, the bindings, the store data, the host imports and the
//! lifecycle driver.

pub mod bindings;
pub mod ctx;
pub mod driver;
mod engine;
mod events;
mod imports;
mod instances;
mod long_poll;
pub mod output;
mod plugin;
mod refusal;
pub mod reuse;
mod slots;
mod traps;
mod websocket;

pub use engine::{HandlerLimits, Runtime, WebSocketSettings};
pub use plugin::{Plugin, versions_held};
pub use websocket::Follow;
