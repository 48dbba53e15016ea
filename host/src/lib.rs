//! gale: Tornado's programming model on a Rust host, with handlers as sandboxed WebAssembly
//! components.
//!
//! A request flows: [`server`] (accept, parse) → [`router`] (the snapshot's route table) →
//! a [`builtin`] handler or a plugin handler run by [`runtime::driver`] in a fresh instance,
//! which reads the request and builds the response through the host imports of [`runtime`]
//! over [`http`]'s types. [`plugins`] loads components and publishes route tables.

#![warn(missing_docs)]

pub mod accounts;
pub mod admin;
pub mod builtin;
pub mod cli;
pub mod config;
pub mod dev;
pub mod http;
mod intake;
pub mod plugins;
pub mod router;
pub mod runtime;
mod serve;
pub mod server;
