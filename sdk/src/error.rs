//! Tornado's `HTTPError`, as a value.

use std::fmt;

/// What a handler method returns: `Ok(())`, or the error that becomes the response.
///
/// ```no_run
/// # use gale_sdk::*;
/// # #[derive(Default)]
/// # struct Handler;
/// # impl RequestHandler for Handler {
/// fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
///     let id: u64 = args[0].parse()?; // not a number: 500, as an uncaught ValueError
///     req.write(format!("item {id}"));
///     Ok(())
/// }
/// # }
/// ```
pub type Result<T = ()> = std::result::Result<T, HttpError>;

/// An HTTP error, as Tornado's `HTTPError(status_code, log_message, reason=...)`.
///
/// Returning it from a handler method clears the response and calls `write_error`. Any
/// `std::error::Error` converts into a 500 with its text as the log message, so `?` works
/// on ordinary errors as an uncaught exception does in Tornado.
///
/// ```no_run
/// # use gale_sdk::*;
/// # #[derive(Default)]
/// # struct Handler;
/// # impl RequestHandler for Handler {
/// fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
///     if req.get_cookie("beta").is_none() {
///         return Err(HttpError::new(403).with_message("not in the beta"));
///     }
///     req.write("welcome to the beta");
///     Ok(())
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The response status.
    pub status: u16,
    /// A reason phrase to use instead of the standard one.
    pub reason: Option<String>,
    /// A message for the log, never sent to the client.
    pub message: String,
}

impl HttpError {
    /// An error with this status, the standard reason and no log message.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return Err(HttpError::new(404));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(status: u16) -> Self {
        Self {
            status,
            reason: None,
            message: String::new(),
        }
    }

    /// The same error with a custom reason phrase.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return Err(HttpError::new(429).with_reason("Slow Down"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The same error with a message for the log.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// return Err(HttpError::new(400).with_message("page must be a number")); // logged only
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl<E: std::error::Error> From<E> for HttpError {
    fn from(error: E) -> Self {
        Self::new(500).with_message(error.to_string())
    }
}
