//! The HTTP side of a request: arguments, the request as handlers see it, the response as
//! Tornado builds it, the body that reports when it has been sent, and `--xheaders`.

pub mod args;
pub mod body;
pub mod date;
pub mod request;
pub mod response;
pub mod status;
pub mod xheaders;
