//! The HTTP side of a request: arguments, the request as handlers see it, the response as
//! Tornado builds it, the body that reports when it has been sent, cookies (plain, signed,
//! xsrf), form bodies, static files and `--xheaders`.

pub mod args;
pub mod body;
pub mod cookies;
pub mod date;
pub mod form;
pub mod hex;
pub mod params;
pub mod request;
pub mod response;
pub mod signed;
pub mod site;
pub mod static_files;
pub mod status;
pub mod xheaders;
pub mod xsrf;
