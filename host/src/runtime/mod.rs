//! The WebAssembly side: the engine, the bindings, the store data, the host imports and the
//! lifecycle driver.

mod accounts;
pub mod bindings;
mod cookie_jar;
pub mod ctx;
pub mod driver;
mod engine;
mod host;
pub mod output;
pub mod reuse;

pub use engine::{HandlerLimits, Runtime};
