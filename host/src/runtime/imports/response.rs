//! The `response` interface: Tornado's output methods on the response being built, and
//! `flush`, which hands the head to hyper and streams the body.

use wasmtime::Result;

use super::HostResult;
use super::cookies::refuse_session_header;
use crate::http::response::ResponseState;
use crate::http::response_error::{Misuse, Refused};
use crate::runtime::bindings::gale::web::response::{self, ResponseError};
use crate::runtime::ctx::{Delivery, Sandbox};

/// What the `response` interface sees of the store.
pub(super) struct ResponseView<'a> {
    pub(super) sandbox: &'a Sandbox,
    /// Whether the request is a `HEAD`, whose streamed chunks go nowhere.
    pub(super) head_only: bool,
    pub(super) response: &'a mut ResponseState,
    pub(super) delivery: &'a mut Delivery,
    pub(super) on_finish_unused: &'a mut bool,
}

impl From<Refused> for ResponseError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::UnknownStatus(code) => Self::UnknownStatus(code),
            Refused::HostOwned(why) => Self::HostOwned(why),
            refused @ (Refused::InvalidValue(_) | Refused::Cookie(_)) => {
                Self::InvalidValue(refused.to_string())
            }
        }
    }
}

impl response::Host for ResponseView<'_> {
    fn set_status(&mut self, code: u16, reason: Option<String>) -> HostResult<(), ResponseError> {
        let outcome = self.response.set_status(code, reason.as_deref());
        self.sandbox.answer(self.response, outcome)
    }

    fn get_status(&mut self) -> Result<u16> {
        Ok(self.response.status())
    }

    fn get_reason(&mut self) -> Result<String> {
        Ok(self.response.reason().to_owned())
    }

    fn set_header(&mut self, name: String, value: String) -> HostResult<(), ResponseError> {
        let outcome = refuse_session_header(&name, &value)
            .map_err(Into::into)
            .and_then(|()| self.response.set_header(&name, &value));
        self.sandbox.answer(self.response, outcome)
    }

    fn add_header(&mut self, name: String, value: String) -> HostResult<(), ResponseError> {
        let outcome = refuse_session_header(&name, &value)
            .map_err(Into::into)
            .and_then(|()| self.response.add_header(&name, &value));
        self.sandbox.answer(self.response, outcome)
    }

    fn clear_header(&mut self, name: String) -> Result<()> {
        self.response.clear_header(&name);
        Ok(())
    }

    fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.response.write(&chunk)?;
        self.sandbox.within_budget(self.response)
    }

    fn finish(&mut self) -> Result<()> {
        Ok(self.response.finish()?)
    }

    fn finish_with_error_page(&mut self) -> Result<()> {
        Ok(self.response.finish_with_error_page()?)
    }

    fn finished(&mut self) -> Result<bool> {
        Ok(self.response.finished())
    }

    fn redirect(
        &mut self,
        url: String,
        permanent: bool,
        status: Option<u16>,
    ) -> HostResult<(), ResponseError> {
        let outcome = self.response.redirect(&url, permanent, status);
        self.sandbox.answer(self.response, outcome)
    }

    async fn flush(&mut self) -> Result<()> {
        if self.response.finished() {
            return Err(wasmtime::Error::new(Misuse::FlushAfterFinish));
        }
        let chunk = self.response.take_body();
        if self.delivery.stream.is_none() {
            let (mut head, sender) = self.response.start_stream();
            self.delivery.sent = Some(head.body_mut().on_sent());
            if let Some(waiting) = self.delivery.head.take() {
                // hyper has stopped waiting only if the connection is gone.
                let _ = waiting.send(head);
            }
            self.delivery.stream = Some(sender);
        }
        if self.head_only {
            // hyper sends no body for HEAD and drops its receiver once the head is out:
            // the chunk goes nowhere, and that is no reason to stop the handler.
            return Ok(());
        }
        let progress = !chunk.is_empty();
        let sent = match &self.delivery.stream {
            Some(stream) => {
                let running_since = self.delivery.running_since;
                let flushed = stream.send(chunk);
                self.sandbox
                    .in_time(running_since, "flush", flushed)
                    .await?
            }
            None => Ok(()),
        };
        if progress {
            self.delivery.running_since = std::time::Instant::now();
        }
        Ok(sent?)
    }

    fn clear(&mut self) -> Result<()> {
        self.response.clear();
        Ok(())
    }

    fn on_finish_unused(&mut self) -> Result<()> {
        *self.on_finish_unused = true;
        Ok(())
    }
}
