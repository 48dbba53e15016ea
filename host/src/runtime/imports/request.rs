//! The `request` interface: the request as Tornado's `HTTPServerRequest` shows it, read
//! only, with the host's session cookie cut from what a plugin sees.

use wasmtime::Result;

use super::HostResult;
use super::cookies::hide_session_cookie;
use crate::http::args::decode_value;
use crate::http::request::{ArgSource, RequestData};
use crate::runtime::bindings::gale::web::request;

/// What the `request` interface sees of the store: the request (borrowed mutably only
/// because its lazily parsed parts are not `Sync`).
pub(super) struct RequestView<'a> {
    pub(super) request: &'a RequestData,
}

impl From<request::ArgSource> for ArgSource {
    fn from(source: request::ArgSource) -> Self {
        match source {
            request::ArgSource::Query => ArgSource::Query,
            request::ArgSource::Body => ArgSource::Body,
            request::ArgSource::All => ArgSource::All,
        }
    }
}

impl request::Host for RequestView<'_> {
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
    ) -> HostResult<Vec<String>, request::RequestError> {
        Ok(self
            .request
            .argument(source.into(), &name)
            .map(|raw| decode_value(&name, raw, strip))
            .collect::<Result<_, _>>()
            .map_err(|_| request::RequestError::InvalidUnicode(name)))
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

#[cfg(test)]
mod tests {
    #[test]
    fn header_names_are_shown_in_canonical_case() {
        assert_eq!(super::canonical_case("content-type"), "Content-Type");
        assert_eq!(super::canonical_case("x-xsrftoken"), "X-Xsrftoken");
        assert_eq!(super::canonical_case("te"), "Te");
    }
}
