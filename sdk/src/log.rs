//! Log lines from a plugin; the host tags each with the plugin's name.
//!
//! ```no_run
//! # use gale_sdk::*;
//! # fn handler(req: &mut Request) -> Result {
//! gale_sdk::log::info(&format!("{} signed up", req.get_argument("name")?));
//! # Ok(())
//! # }
//! ```

use crate::bindings::gale::web::log::{Level, log};

/// Logs a debug line.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// gale_sdk::log::debug(&format!("headers: {:?}", req.headers()));
/// # Ok(())
/// # }
/// ```
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Logs an info line.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// gale_sdk::log::info(&format!("order placed by {}", req.remote_ip()));
/// # Ok(())
/// # }
/// ```
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Logs a warning.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// gale_sdk::log::warn("the legacy /v1 API was called");
/// # Ok(())
/// # }
/// ```
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Logs an error.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// gale_sdk::log::error("the price list is empty");
/// # Ok(())
/// # }
/// ```
pub fn error(message: &str) {
    log(Level::Error, message);
}
