//! Handlers the host provides: Tornado's `RedirectHandler` and `StaticFileHandler` (for a
//! plugin's routes, and for `--static` at `/static/`).

mod redirect;
pub mod static_files;

pub use redirect::Redirect;
