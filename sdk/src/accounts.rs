//! Tornado's `current_user`, `@authenticated` and `login_url`, backed by the host's account
//! store: register, log in and out without ever handling a password hash or a session.

use std::fmt;

use crate::bindings::gale::web::accounts::{self as host_accounts, AccountError as HostError};
use crate::escape::url_escape;
use crate::{HttpError, Request, Result};

///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// if let Some(user) = req.current_user()? {
///     req.write(format!("{} (since {})", user.account, user.created));
/// }
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::accounts::User;

/// Why an account call failed. `?` turns it into the matching HTTP error: 409, 400, 401
/// or 503.
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// let (name, password) = (req.get_argument("name")?, req.get_argument("password")?);
/// match req.register(&name, &password) {
///     Ok(_) => req.redirect("/welcome")?,
///     Err(AccountError::Taken) => req.write("that name is taken; try another"),
///     Err(other) => return Err(other.into()),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// The account name is registered already (409).
    Taken,
    /// The account name or password is not acceptable; the text says why (400).
    Invalid(String),
    /// No such account, or the wrong password: one answer for both (401).
    BadCredentials,
    /// The account store cannot be reached (503); the host has logged why.
    Unavailable,
}

impl AccountError {
    /// The HTTP status this failure answers with.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// assert_eq!(AccountError::Taken.status(), 409);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Self::Taken => 409,
            Self::Invalid(_) => 400,
            Self::BadCredentials => 401,
            Self::Unavailable => 503,
        }
    }
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Taken => f.write_str("that account name is taken"),
            Self::Invalid(why) => f.write_str(why),
            Self::BadCredentials => f.write_str("wrong account or password"),
            Self::Unavailable => f.write_str("the account store is unavailable"),
        }
    }
}

impl From<HostError> for AccountError {
    fn from(error: HostError) -> Self {
        match error {
            HostError::Taken => Self::Taken,
            HostError::Invalid(why) => Self::Invalid(why),
            HostError::BadCredentials => Self::BadCredentials,
            HostError::Unavailable => Self::Unavailable,
        }
    }
}

impl From<AccountError> for HttpError {
    fn from(error: AccountError) -> Self {
        HttpError::new(error.status()).with_message(error.to_string())
    }
}

impl Request {
    /// Registers an account; the host hashes the password with argon2id.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let user = req.register("ada", "correct horse battery staple")?; // 409 if taken
    /// req.write(format!("welcome, {}", user.account));
    /// # Ok(())
    /// # }
    /// ```
    pub fn register(
        &mut self,
        account: &str,
        password: &str,
    ) -> std::result::Result<User, AccountError> {
        host_accounts::register(account, password).map_err(Into::into)
    }

    /// Checks the password and logs the user in: a session in the store, and its signed,
    /// HttpOnly, SameSite=Lax cookie on the response.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let (name, password) = (req.get_argument("name")?, req.get_argument("password")?);
    /// req.login(&name, &password)?; // 401 on a wrong password
    /// req.redirect("/")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn login(
        &mut self,
        account: &str,
        password: &str,
    ) -> std::result::Result<User, AccountError> {
        host_accounts::login(account, password).map_err(Into::into)
    }

    /// Ends the session in the store and clears its cookie.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.logout()?;
    /// req.redirect("/")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn logout(&mut self) -> Result {
        host_accounts::logout().map_err(|error| AccountError::from(error).into())
    }

    /// Tornado's `current_user`: the user of the request's live session, if any (looked
    /// up once per request). The store being down is HTTP 503.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let greeting = match req.current_user()? {
    ///     Some(user) => format!("hello {}", user.account),
    ///     None => "hello stranger".to_owned(),
    /// };
    /// # Ok(())
    /// # }
    /// ```
    pub fn current_user(&mut self) -> Result<Option<User>> {
        host_accounts::current_user().map_err(|error| AccountError::from(error).into())
    }

    /// Tornado's `get_login_url()`: the `login_url` setting; without it, HTTP 500, as
    /// Tornado's `require_setting`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let login = req.login_url()?; // the `login_url` setting
    /// # Ok(())
    /// # }
    /// ```
    pub fn login_url(&self) -> Result<String> {
        match self.settings()["login_url"].as_str() {
            Some(url) => Ok(url.to_owned()),
            None => Err(HttpError::new(500).with_message(
                "You must define the 'login_url' setting in your application to use \
                 @tornado.web.authenticated",
            )),
        }
    }

    /// Tornado's `@authenticated`: the current user, or, when there is none, a redirect to
    /// `login_url?next=...` for GET and HEAD (the method should then return: this gives
    /// `Ok(None)`) and HTTP 403 for other methods.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let Some(user) = req.authenticated()? else { return Ok(()) };
    /// req.write(format!("your page, {}", user.account));
    /// # Ok(())
    /// # }
    /// ```
    pub fn authenticated(&mut self) -> Result<Option<User>> {
        if let Some(user) = self.current_user()? {
            return Ok(Some(user));
        }
        if !matches!(self.method().as_str(), "GET" | "HEAD") {
            return Err(HttpError::new(403));
        }
        let mut url = self.login_url()?;
        if !url.contains('?') {
            let next = if url.contains("://") {
                format!("{}://{}{}", self.protocol(), self.host(), self.uri())
            } else {
                self.uri()
            };
            url = format!("{url}?next={}", url_escape(&next));
        }
        self.redirect(&url)?;
        Ok(None)
    }
}
