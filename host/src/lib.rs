//! gale: Tornado's programming model on a Rust host, with handlers as sandboxed WebAssembly
//! components.
//!
//! A request flows: `server` (accept) → `connection` (TLS, HTTP/1.1 or 2) → `intake` (refuse, route, read the body) →
//! `router` (the snapshot's route table) → a `builtin` handler, or a plugin handler run by
//! `runtime::driver` in a fresh instance, which reads the request and builds the response
//! through the host imports of `runtime` over `http`'s types. `plugins` loads components
//! and publishes route tables; `accounts` is the account store. The modules are private:
//! the binary runs [`run`], and the tests and benchmarks reach what they exercise through
//! [`__private`].

#![warn(missing_docs)]

mod accounts;
mod admin;
mod builtin;
mod cli;
mod config;
mod connection;
mod databases;
mod dev;
mod http;
mod intake;
mod metrics;
mod outbound;
mod plugins;
mod router;
mod runtime;
mod scaffold;
mod serve;
mod server;
mod tls;
mod topics;
mod worker;

/// Runs the `gale` command line; the error, if any, is for the user.
pub use cli::main as run;

/// What the end-to-end tests, property tests and benchmarks exercise directly (the fuzz
/// targets compile the parsers' files themselves). Not an API: it changes with the code.
#[doc(hidden)]
pub mod __private {
    pub use crate::builtin::Redirect;
    pub use crate::cli::serve_in_process;
    pub use crate::config::{ServeOptions, parse_duration, parse_size};
    pub use crate::databases::migrations;
    pub use crate::http::request::RequestData;
    pub use crate::http::{args, cookies, date, signed};
    pub use crate::plugins::{Route, RouteTable, Target};
    pub use crate::plugins::{build, loader, python};
    pub use crate::router::Pattern;
    pub use crate::runtime::Runtime;
    pub use crate::runtime::bindings::WIT_VERSION;
}
