//! Tornado's output methods on [`Request`]: the status, the headers, the body, redirects,
//! and streaming with `flush`.

use std::borrow::Cow;

use crate::bindings::gale::web::response as host_response;
use crate::{Request, Result, Value};

/// Something `write` accepts: text, bytes, or a JSON object (which also sets
/// `Content-Type: application/json; charset=UTF-8`, as Tornado's `write(dict)`).
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// req.write("text, ");
/// req.write(vec![0xe2, 0x9c, 0x93]);
/// req.write(json!({"ok": true})); // and the JSON content type
/// # Ok(())
/// # }
/// ```
pub enum Chunk<'a> {
    /// Raw bytes or UTF-8 text.
    Bytes(Cow<'a, [u8]>),
    /// A JSON value; only objects are accepted, as in Tornado.
    Json(Value),
}

impl<'a> From<&'a str> for Chunk<'a> {
    fn from(text: &'a str) -> Self {
        Chunk::Bytes(Cow::Borrowed(text.as_bytes()))
    }
}

impl<'a> From<&'a String> for Chunk<'a> {
    fn from(text: &'a String) -> Self {
        Chunk::Bytes(Cow::Borrowed(text.as_bytes()))
    }
}

impl From<String> for Chunk<'_> {
    fn from(text: String) -> Self {
        Chunk::Bytes(Cow::Owned(text.into_bytes()))
    }
}

impl<'a> From<&'a [u8]> for Chunk<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Chunk::Bytes(Cow::Borrowed(bytes))
    }
}

impl From<Vec<u8>> for Chunk<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Chunk::Bytes(Cow::Owned(bytes))
    }
}

impl From<Value> for Chunk<'_> {
    fn from(value: Value) -> Self {
        Chunk::Json(value)
    }
}

impl Request {
    /// Appends to the response body. A JSON object is encoded as Tornado's `write(dict)`
    /// does; any other JSON value is refused, as Tornado refuses it.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.write("<h1>Results</h1>");
    /// req.write(format!("<p>{} found</p>", 3));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write<'a>(&mut self, chunk: impl Into<Chunk<'a>>) {
        match chunk.into() {
            Chunk::Bytes(bytes) => host_response::write(&bytes),
            Chunk::Json(value) => {
                assert!(
                    value.is_object(),
                    "write() only accepts JSON objects, as Tornado (wrap a list in an object)"
                );
                // The content type is valid, so this cannot fail.
                let _ =
                    host_response::set_header("Content-Type", "application/json; charset=UTF-8");
                host_response::write(crate::json::encode(&value).as_bytes());
            }
        }
    }

    /// Sends what has been written so far, the head first (then the body is chunked and
    /// gets no `Etag`); waits while the client is slow to read, so memory stays bounded.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// for line in 0..100_000 {
    ///     req.write(format!("{line}\n"));
    ///     if line % 1_000 == 0 {
    ///         req.flush(); // goes out now; memory stays small
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn flush(&mut self) {
        host_response::flush();
    }

    /// Tornado's `clear()`: status 200, the default headers, an empty body.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.write("half a page");
    /// req.clear(); // start again
    /// req.write("the whole page");
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear(&mut self) {
        host_response::clear();
    }

    /// Ends the response.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_status(204)?;
    /// req.finish(); // nothing more is written
    /// # Ok(())
    /// # }
    /// ```
    pub fn finish(&mut self) {
        host_response::finish();
    }

    /// Writes `chunk`, then ends the response.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.finish_with("done");
    /// # Ok(())
    /// # }
    /// ```
    pub fn finish_with<'a>(&mut self, chunk: impl Into<Chunk<'a>>) {
        self.write(chunk);
        self.finish();
    }

    /// Writes Tornado's default error page for the current status and finishes.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_status(503)?;
    /// req.finish_with_error_page(); // Tornado's "503: Service Unavailable" page
    /// # Ok(())
    /// # }
    /// ```
    pub fn finish_with_error_page(&mut self) {
        host_response::finish_with_error_page();
    }

    /// Whether the response has been finished.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// if !req.finished() {
    ///     req.write("still open");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn finished(&self) -> bool {
        host_response::finished()
    }

    /// Sets the status with its standard reason phrase; a code without one needs
    /// [`Request::set_status_reason`].
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_status(201)?;
    /// req.write(json!({"id": 7}));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_status(&mut self, code: u16) -> Result {
        host_response::set_status(code, None).map_err(crate::refused::refused)
    }

    /// Sets the status and the reason phrase.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_status_reason(299, "Mostly Fine")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_status_reason(&mut self, code: u16, reason: &str) -> Result {
        host_response::set_status(code, Some(reason)).map_err(crate::refused::refused)
    }

    /// The status set so far.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let failed = req.get_status() >= 400;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_status(&self) -> u16 {
        host_response::get_status()
    }

    /// The reason phrase that goes with the status.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let line = format!("{} {}", req.get_status(), req.reason()); // "200 OK"
    /// # Ok(())
    /// # }
    /// ```
    pub fn reason(&self) -> String {
        host_response::get_reason()
    }

    /// Replaces a response header. An invalid name or value (a control character), and the
    /// headers the host keeps (`Content-Length`, `Transfer-Encoding`, `Connection`,
    /// `Upgrade`, a `Set-Cookie` for `gale_session`), are an error (500); more than 1,000
    /// values, or a response past `--max-response-buffer`, stop the handler.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_header("Content-Type", "text/plain; charset=UTF-8")?;
    /// req.set_header("X-Items", 3)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_header(&mut self, name: &str, value: impl ToString) -> Result {
        host_response::set_header(name, &value.to_string()).map_err(crate::refused::refused)
    }

    /// Adds another value for a response header; refused as [`Request::set_header`] is.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.add_header("Vary", "Accept")?;
    /// req.add_header("Vary", "Cookie")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_header(&mut self, name: &str, value: impl ToString) -> Result {
        host_response::add_header(name, &value.to_string()).map_err(crate::refused::refused)
    }

    /// Removes a response header.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.clear_header("Server");
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear_header(&mut self, name: &str) {
        host_response::clear_header(name);
    }

    /// Redirects with 302 and finishes.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return req.redirect("/login");
    /// # Ok(())
    /// # }
    /// ```
    pub fn redirect(&mut self, url: &str) -> Result {
        self.redirect_with(url, false, None)
    }

    /// Redirects with 301 and finishes.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return req.redirect_permanent("/new/home");
    /// # Ok(())
    /// # }
    /// ```
    pub fn redirect_permanent(&mut self, url: &str) -> Result {
        self.redirect_with(url, true, None)
    }

    /// Tornado's `redirect(url, permanent, status)`: `status` (a 3xx) wins over `permanent`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return req.redirect_with("/receipt", false, Some(303)); // See Other, after a POST
    /// # Ok(())
    /// # }
    /// ```
    pub fn redirect_with(&mut self, url: &str, permanent: bool, status: Option<u16>) -> Result {
        host_response::redirect(url, permanent, status).map_err(crate::refused::refused)
    }
}
