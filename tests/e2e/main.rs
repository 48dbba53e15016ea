//! End-to-end tests: the real `gale` binary, real plugins built from source, real HTTP over
//! loopback sockets.

mod accounts;
mod bodies;
mod browser;
mod cookies;
mod isolation;
mod lifecycle;
mod loading;
mod requests;
mod static_files;
mod streaming;
mod support;
mod swap;
mod tutorial;
mod wire;
mod xsrf;
