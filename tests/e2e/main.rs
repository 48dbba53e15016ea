//! End-to-end tests: the real `gale` binary, real plugins built from source, real HTTP over
//! loopback sockets.

mod account_limits;
mod accounts;
mod attacks;
mod author;
mod bodies;
mod browser;
mod chat;
mod client_attacks;
mod cookies;
mod coroutines;
mod databases;
mod hostile;
mod https;
mod isolation;
mod lifecycle;
mod loading;
mod nginx;
mod observing;
mod outbound;
mod plugin_attacks;
mod plugin_mysql;
mod prometheus;
mod pubsub;
mod python;
mod requests;
mod static_files;
mod streaming;
mod support;
mod swap;
mod topics;
mod tutorial;
mod views;
mod websocket;
mod wire;
mod xsrf;
