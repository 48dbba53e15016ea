//! The handlers the host runs itself, routed like a plugin's own: Tornado's
//! `RedirectHandler` and `StaticFileHandler`.

use crate::bindings::exports::gale::web::app::Builtin;
use crate::runtime::{Routable, Target};

/// Tornado's `RedirectHandler`, run by the host: init args `{"url": ..., "permanent": true}`,
/// with `{0}`, `{1}`… replaced by the captures.
///
/// ```no_run,standalone_crate
/// use gale_sdk::{RedirectHandler, json};
///
/// gale_sdk::routes![
///     (r"/docs/(.*)", RedirectHandler, json!({"url": "/manual/{0}", "permanent": false})),
/// ];
/// ```
pub struct RedirectHandler;

impl Routable for RedirectHandler {
    const TARGET: Target = Target::Builtin(Builtin::Redirect);
}

/// Tornado's `StaticFileHandler`, run by the host: init args `{"path": DIR}`, a directory
/// beside the plugin's file in the plugin directory; the route's first capture names the
/// file. It answers `ETag`, `Last-Modified`, ranges and `HEAD` as Tornado's does.
///
/// ```no_run,standalone_crate
/// use gale_sdk::{StaticFileHandler, json};
///
/// // `plugins/site.wasm` serves `plugins/assets/logo.png` at `/assets/logo.png`.
/// gale_sdk::routes![(r"/assets/(.*)", StaticFileHandler, json!({"path": "assets"}))];
/// ```
pub struct StaticFileHandler;

impl Routable for StaticFileHandler {
    const TARGET: Target = Target::Builtin(Builtin::StaticFiles);
}
