//! Handlers the host provides: Tornado's `RedirectHandler` and `StaticFileHandler` (for a
//! plugin's routes, and for `--static` at `/static/`).

mod init_args;
mod redirect;
pub mod static_files;

pub use init_args::{InitArgsError, static_files as static_files_of_init_args};
pub use redirect::Redirect;
