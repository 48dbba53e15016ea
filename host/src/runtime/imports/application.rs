//! The `application` interface: what the host knows of the application beyond the request,
//! its route table (`reverse_url`) and its static files (`static_url`).

use std::time::Instant;

use wasmtime::Result;

use crate::http::request::RequestData;
use crate::runtime::bindings::gale::web::application;
use crate::runtime::ctx::Sandbox;

/// What the `application` interface sees of the store: the request, which holds the route
/// table it was routed with and the site's settings.
pub(super) struct Application<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) request: &'a RequestData,
    /// Where the handler's time limit counts from (`static_url` may wait on a file's hash).
    pub(super) running_since: Instant,
}

impl application::Host for Application<'_> {
    fn reverse_url(&mut self, name: String, args: Vec<String>) -> Result<Result<String, String>> {
        let reversed = self.request.routes.reverse_url(&name, &args);
        Ok(reversed.map_err(|error| error.to_string()))
    }

    async fn static_url(&mut self, path: String) -> Result<Result<String, String>> {
        let Some(files) = &self.request.site.static_files else {
            return Ok(Err(
                "static_url needs a static directory: start gale with --static DIR".into(),
            ));
        };
        let hashed = files.url(&path);
        let url = self
            .sandbox
            .in_time(self.running_since, "static_url", hashed);
        Ok(url.await?.map_err(|error| error.to_string()))
    }
}
