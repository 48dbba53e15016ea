//! The `application` interface: what the host knows of the application beyond the request,
//! its route table (`reverse_url`) and its static files (`static_url`).

use std::time::Instant;

use super::HostResult;
use crate::http::request::RequestData;
use crate::router::ReverseError;
use crate::runtime::bindings::gale::web::application::{
    self, ReverseError as WitReverseError, StaticUrlError,
};
use crate::runtime::ctx::Sandbox;

/// What the `application` interface sees of the store: the request, which holds the route
/// table it was routed with and the site's settings.
pub(super) struct ApplicationView<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) request: &'a RequestData,
    /// Where the handler's time limit counts from (`static_url` may wait on a file's hash).
    pub(super) running_since: Instant,
}

impl From<ReverseError> for WitReverseError {
    fn from(error: ReverseError) -> Self {
        match error {
            ReverseError::Unnamed(name) => Self::UnknownName(name),
            other => Self::CannotReverse(other.to_string()),
        }
    }
}

impl application::Host for ApplicationView<'_> {
    fn reverse_url(
        &mut self,
        name: String,
        args: Vec<String>,
    ) -> HostResult<String, WitReverseError> {
        let reversed = self.request.routes.reverse_url(&name, &args);
        Ok(reversed.map_err(Into::into))
    }

    async fn static_url(&mut self, path: String) -> HostResult<String, StaticUrlError> {
        let Some(files) = &self.request.site.static_files else {
            return Ok(Err(StaticUrlError::NoStaticDirectory));
        };
        let hashed = files.url(&path);
        let url = self
            .sandbox
            .in_time(self.running_since, "static_url", hashed);
        Ok(url
            .await?
            .map_err(|error| StaticUrlError::NoFile(error.to_string())))
    }
}
