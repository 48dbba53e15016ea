//! The `http-client` interface, Tornado's `AsyncHTTPClient`: a fetch is checked against the
//! plugin's allowed origins at once (a denied one is the handler's error, naming the flag to
//! add), then runs on the worker's loop while the handler goes on; its handle is done when
//! the exchange is, and its outcome is taken once.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::HostResult;
use crate::outbound::{self, FetchError, Outbound};
use crate::runtime::bindings::gale::web::http_client::{
    self, FetchError as WitFetchError, HttpRequest, HttpResponse,
};
use crate::runtime::ctx::Sandbox;
use crate::runtime::pending::Pending;

/// Tornado's timeouts, for a value that is none (0, negative, not a number).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// What the `http-client` interface sees of the store.
pub(super) struct HttpClientView<'a> {
    pub(super) sandbox: &'a Sandbox,
    /// The worker's outbound HTTP: absent while a plugin's routes are read at load.
    pub(super) outbound: Option<&'a Arc<Outbound>>,
    pub(super) pending: &'a mut Pending,
}

/// Seconds as a timeout: Tornado's 20 for none, and never past the handler's wall time.
fn timeout(seconds: f64, wall: Duration) -> Duration {
    let given = Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero());
    given.unwrap_or(DEFAULT_TIMEOUT).min(wall)
}

impl From<FetchError> for WitFetchError {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::Denied(why) => Self::Denied(why),
            FetchError::ForbiddenAddress(why) => Self::ForbiddenAddress(why),
            FetchError::Timeout(why) => Self::Timeout(why),
            FetchError::Refused(why) => Self::Refused(why),
            FetchError::Connection(why) => Self::Connection(why),
            FetchError::InvalidRequest(why) => Self::InvalidRequest(why),
            FetchError::TooLarge(why) => Self::TooLarge(why),
            FetchError::TooMany(why) => Self::TooMany(why),
        }
    }
}

impl From<outbound::Response> for HttpResponse {
    fn from(response: outbound::Response) -> Self {
        Self {
            code: response.code,
            reason: response.reason,
            headers: response.headers,
            body: response.body.to_vec(),
            effective_url: response.effective_url,
            request_time: response.request_time.as_secs_f64(),
        }
    }
}

impl http_client::Host for HttpClientView<'_> {
    fn fetch(&mut self, request: HttpRequest) -> HostResult<u32, WitFetchError> {
        let Some(outbound) = self.outbound.cloned() else {
            let why = "a fetch needs a request: none can start while a plugin loads";
            return Ok(Err(WitFetchError::InvalidRequest(why.into())));
        };
        let limits = &self.sandbox.pending_limits;
        if let Err(too_many) = self.pending.may_fetch(limits) {
            return Ok(Err(WitFetchError::TooMany(too_many.0)));
        }
        let url = match Url::parse(&request.url) {
            Ok(url) => url,
            Err(error) => {
                let why = format!("{:?} is not a URL: {error}", request.url);
                return Ok(Err(WitFetchError::InvalidRequest(why)));
            }
        };
        if let Err(denied) = outbound.check(&self.sandbox.plugin, &url) {
            return Ok(Err(denied.into()));
        }
        let wall = self.sandbox.wall_timeout;
        let request = outbound::Request {
            url: request.url,
            method: request.method.to_ascii_uppercase(),
            headers: request.headers,
            body: request.body,
            connect_timeout: timeout(request.connect_timeout, wall),
            request_timeout: timeout(request.request_timeout, wall),
            follow_redirects: request.follow_redirects,
            max_redirects: request.max_redirects,
            decompress: request.decompress_response,
        };
        let plugin = self.sandbox.plugin.clone();
        let fetch = tokio::task::spawn_local(async move { outbound.fetch(&plugin, request).await });
        Ok(Ok(self.pending.fetching(fetch)))
    }

    fn outcome(
        &mut self,
        handle: u32,
    ) -> wasmtime::Result<Option<Result<HttpResponse, WitFetchError>>> {
        let outcome = self.pending.outcome(handle);
        Ok(outcome.map(|outcome| outcome.map(Into::into).map_err(Into::into)))
    }
}
