//! End-to-end tests: the real `gale` binary, real plugins built from source, real HTTP over
//! loopback sockets.

mod isolation;
mod lifecycle;
mod loading;
mod requests;
mod support;
mod swap;
mod tutorial;
mod wire;
