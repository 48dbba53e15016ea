//! The imports a plugin calls: `request`, `response` and `log`, served from the store's
//! [`Ctx`]. A misuse that Tornado raises for (a write after finish) traps the handler.

use wasmtime::Result;

use super::bindings::gale::web::{log, request, response};
use super::cookie_jar::{hide_session_cookie, refuse_session_header};
use super::ctx::Ctx;
use super::output;
use crate::http::args::decode_value;
use crate::http::request::ArgSource;
use crate::http::response::ResponseError;

impl From<request::ArgSource> for ArgSource {
    fn from(source: request::ArgSource) -> Self {
        match source {
            request::ArgSource::Query => ArgSource::Query,
            request::ArgSource::Body => ArgSource::Body,
            request::ArgSource::All => ArgSource::All,
        }
    }
}

impl request::Host for Ctx {
    fn method(&mut self) -> Result<String> {
        Ok(self.request.method.to_string())
    }

    fn uri(&mut self) -> Result<String> {
        Ok(self.request.uri.to_string())
    }

    fn path(&mut self) -> Result<String> {
        Ok(self.request.path().to_owned())
    }

    fn query(&mut self) -> Result<String> {
        Ok(self.request.query().to_owned())
    }

    fn version(&mut self) -> Result<String> {
        Ok(self.request.version_str().to_owned())
    }

    fn host(&mut self) -> Result<String> {
        Ok(self.request.host())
    }

    fn protocol(&mut self) -> Result<String> {
        Ok(self.request.client.protocol.to_owned())
    }

    fn remote_ip(&mut self) -> Result<String> {
        Ok(self.request.client.ip.to_string())
    }

    fn header(&mut self, name: String) -> Result<Option<String>> {
        let value = self.request.header(&name);
        Ok(match name.eq_ignore_ascii_case("cookie") {
            true => value.map(|cookies| hide_session_cookie(&cookies)),
            false => value,
        })
    }

    fn headers(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self
            .request
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                let value = match *name == hyper::header::COOKIE {
                    true => hide_session_cookie(&value),
                    false => value.into_owned(),
                };
                (canonical_case(name.as_str()), value)
            })
            .collect())
    }

    fn argument(
        &mut self,
        source: request::ArgSource,
        name: String,
        strip: bool,
    ) -> Result<Result<Vec<String>, String>> {
        Ok(self
            .request
            .argument(source.into(), &name)
            .map(|raw| decode_value(&name, raw, strip).map_err(|error| error.to_string()))
            .collect())
    }

    fn arguments(&mut self, source: request::ArgSource) -> Result<Vec<(String, Vec<String>)>> {
        let arguments = self.request.arguments(source.into());
        Ok(arguments
            .iter()
            .map(|(name, values)| {
                let values = values
                    .iter()
                    .map(|raw| String::from_utf8_lossy(raw).into_owned())
                    .collect();
                (name.to_owned(), values)
            })
            .collect())
    }

    fn path_args(&mut self) -> Result<Vec<Option<String>>> {
        Ok(self.request.path_args.args.clone())
    }

    fn path_kwargs(&mut self) -> Result<Vec<(String, Option<String>)>> {
        Ok(self.request.path_args.kwargs.clone())
    }

    fn body(&mut self) -> Result<Vec<u8>> {
        Ok(self.request.body.to_vec())
    }

    fn files(&mut self) -> Result<Vec<(String, Vec<request::UploadedFile>)>> {
        Ok(self
            .request
            .files()
            .iter()
            .map(|(field, files)| {
                let files = files
                    .iter()
                    .map(|file| request::UploadedFile {
                        filename: file.filename.clone(),
                        content_type: file.content_type.clone(),
                        body: file.body.to_vec(),
                    })
                    .collect();
                (field.clone(), files)
            })
            .collect())
    }

    fn cookie(&mut self, name: String) -> Result<Option<String>> {
        Ok(self.visible_cookie(&name).map(str::to_owned))
    }

    fn cookies(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.visible_cookies().cloned().collect())
    }

    fn signed_cookie(&mut self, name: String, max_age_days: f64) -> Result<Option<Vec<u8>>> {
        Ok(Ctx::signed_cookie(self, &name, max_age_days))
    }

    fn check_xsrf_cookie(&mut self) -> Result<Result<(), String>> {
        Ok(Ctx::check_xsrf_cookie(self).map_err(|error| error.to_string()))
    }
}

/// `content-type` as `Content-Type`, the case Tornado's `HTTPHeaders` shows names in.
fn canonical_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl Ctx {
    /// A change's outcome as the plugin sees it: an invalid value is its error; a cap passed,
    /// or the response grown past the handler's budget, stops the handler.
    fn answer(
        &self,
        outcome: std::result::Result<(), ResponseError>,
    ) -> Result<Result<(), String>> {
        match outcome {
            Ok(()) => self.within_budget().map(Ok),
            Err(ResponseError::Invalid(why)) => Ok(Err(why)),
            Err(ResponseError::OverCap(why)) => Err(wasmtime::Error::msg(why)),
        }
    }

    /// Traps when the response holds more of the host's memory (body, headers, cookies,
    /// reason) than `--max-response-buffer`.
    fn within_budget(&self) -> Result<()> {
        let limit = self.sandbox.response_buffer;
        if self.response.held() > limit {
            return Err(wasmtime::Error::msg(format!(
                "the response exceeds the {limit}-byte buffer limit (--max-response-buffer)"
            )));
        }
        Ok(())
    }
}

impl response::Host for Ctx {
    fn set_status(&mut self, code: u16, reason: Option<String>) -> Result<Result<(), String>> {
        let outcome = self.response.set_status(code, reason.as_deref());
        self.answer(outcome)
    }

    fn get_status(&mut self) -> Result<u16> {
        Ok(self.response.status())
    }

    fn get_reason(&mut self) -> Result<String> {
        Ok(self.response.reason().to_owned())
    }

    fn set_header(&mut self, name: String, value: String) -> Result<Result<(), String>> {
        let outcome = refuse_session_header(&name, &value)
            .and_then(|()| self.response.set_header(&name, &value));
        self.answer(outcome)
    }

    fn add_header(&mut self, name: String, value: String) -> Result<Result<(), String>> {
        let outcome = refuse_session_header(&name, &value)
            .and_then(|()| self.response.add_header(&name, &value));
        self.answer(outcome)
    }

    fn clear_header(&mut self, name: String) -> Result<()> {
        self.response.clear_header(&name);
        Ok(())
    }

    fn write(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.response.write(&chunk)?;
        self.within_budget()
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
    ) -> Result<Result<(), String>> {
        let outcome = self.response.redirect(&url, permanent, status);
        self.answer(outcome)
    }

    fn reverse_url(&mut self, name: String, args: Vec<String>) -> Result<Result<String, String>> {
        let reversed = self.request.routes.reverse_url(&name, &args);
        Ok(reversed.map_err(|error| error.to_string()))
    }

    fn set_cookie(
        &mut self,
        name: String,
        value: String,
        options: response::CookieOptions,
    ) -> Result<Result<(), String>> {
        let outcome = Ctx::set_cookie(self, &name, &value, &options.into());
        self.answer(outcome)
    }

    fn clear_cookie(
        &mut self,
        name: String,
        path: Option<String>,
        domain: Option<String>,
    ) -> Result<Result<(), String>> {
        let outcome = self.clear_cookies(Some(&name), path.as_deref(), domain.as_deref());
        self.answer(outcome)
    }

    fn clear_all_cookies(
        &mut self,
        path: Option<String>,
        domain: Option<String>,
    ) -> Result<Result<(), String>> {
        let outcome = self.clear_cookies(None, path.as_deref(), domain.as_deref());
        self.answer(outcome)
    }

    fn set_signed_cookie(
        &mut self,
        name: String,
        value: Vec<u8>,
        options: response::CookieOptions,
    ) -> Result<Result<(), String>> {
        let outcome = Ctx::set_signed_cookie(self, &name, &value, &options.into());
        self.answer(outcome)
    }

    fn xsrf_token(&mut self) -> Result<String> {
        let token =
            Ctx::xsrf_token(self).map_err(|error| wasmtime::Error::msg(error.to_string()))?;
        self.within_budget()?;
        Ok(token)
    }

    async fn flush(&mut self) -> Result<()> {
        if self.response.finished() {
            return Err(wasmtime::Error::msg("Cannot flush() after finish()"));
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
        if self.request.method == hyper::Method::HEAD {
            // hyper sends no body for HEAD and drops its receiver once the head is out:
            // the chunk goes nowhere, and that is no reason to stop the handler.
            return Ok(());
        }
        let progress = !chunk.is_empty();
        let sent = match &self.delivery.stream {
            Some(stream) => self.in_time("flush", stream.send(chunk)).await?,
            None => Ok(()),
        };
        if progress {
            self.delivery.running_since = std::time::Instant::now();
        }
        sent.map_err(|_| wasmtime::Error::msg("the client closed the connection during flush()"))
    }

    fn clear(&mut self) -> Result<()> {
        self.response.clear();
        Ok(())
    }

    async fn static_url(&mut self, path: String) -> Result<Result<String, String>> {
        let Some(files) = &self.request.site.static_files else {
            return Ok(Err(
                "static_url needs a static directory: start gale with --static DIR".into(),
            ));
        };
        self.in_time("static_url", files.url(&path)).await
    }

    fn on_finish_unused(&mut self) -> Result<()> {
        self.memo.on_finish_unused = true;
        Ok(())
    }
}

impl log::Host for Ctx {
    fn log(&mut self, level: log::Level, message: String) -> Result<()> {
        if !output::rate_limit(&self.sandbox.plugin) {
            return Ok(());
        }
        let message = output::plugin_line(&message);
        let plugin = &*self.sandbox.plugin;
        match level {
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_names_are_shown_in_canonical_case() {
        assert_eq!(super::canonical_case("content-type"), "Content-Type");
        assert_eq!(super::canonical_case("x-xsrftoken"), "X-Xsrftoken");
        assert_eq!(super::canonical_case("te"), "Te");
    }
}
