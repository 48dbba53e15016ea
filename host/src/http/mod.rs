//! The HTTP side of a request: arguments, the request as handlers see it, the response as
//! Tornado builds it, the body that reports when it has been sent, cookies (plain, signed,
//! xsrf), form bodies, static files, `--xheaders`, and the framing watch that catches
//! requests a proxy could read differently.

pub mod args;
pub mod beneath;
pub mod body;
pub mod connection;
pub mod cookies;
pub mod date;
pub mod error_page;
pub mod etag;
pub mod form;
pub mod framing;
pub mod hex;
pub mod params;
pub mod ranges;
pub mod request;
pub mod response;
pub mod response_error;
pub mod set_cookies;
pub mod signed;
pub mod site;
pub mod static_dir;
pub mod status;
pub mod xheaders;
pub mod xsrf;
