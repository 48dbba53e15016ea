//! Handlers the host provides: Tornado's `RedirectHandler`.

mod redirect;

pub use redirect::Redirect;
