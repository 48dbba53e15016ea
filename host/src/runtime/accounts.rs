//! The `accounts` import: the account store, and the session cookie that carries a login
//! from one request to the next. The cookie holds a random session id, signed with the
//! host's secret, HttpOnly and SameSite=Lax; the store decides whether it is still live, so
//! logging out or expiring ends it for every host that shares the database.

use wasmtime::Result;

use super::bindings::gale::web::accounts::{self, AccountError as WitError, User as WitUser};
use super::ctx::Ctx;
use crate::accounts::{AccountError, SESSION_SECONDS, User};
use crate::http::cookies::CookieOptions;

/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "gale_session";

/// How old a session cookie's signature may be; the store's expiry is the real limit.
const COOKIE_MAX_AGE_DAYS: f64 = 31.0;

impl From<User> for WitUser {
    fn from(user: User) -> Self {
        Self {
            uuid: user.uuid,
            account: user.account,
            created: user.created,
        }
    }
}

impl From<AccountError> for WitError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Taken => Self::Taken,
            AccountError::Invalid(why) => Self::Invalid(why),
            AccountError::BadCredentials => Self::BadCredentials,
            AccountError::Unavailable => Self::Unavailable,
        }
    }
}

/// What an account call answers the plugin.
type Answer<T> = Result<std::result::Result<T, WitError>>;

impl Ctx {
    /// The session id of the request's cookie, when its signature is ours.
    fn session_id(&self) -> Option<String> {
        let id = self.signed_cookie(SESSION_COOKIE, COOKIE_MAX_AGE_DAYS)?;
        String::from_utf8(id).ok()
    }

    /// Sends the session cookie, good for the session's lifetime from now.
    fn send_session_cookie(&mut self, id: &str) {
        let options = CookieOptions {
            path: Some("/".into()),
            max_age: Some(SESSION_SECONDS as u64),
            httponly: true,
            secure: self.request.client.protocol == "https",
            samesite: Some("Lax".into()),
            ..CookieOptions::default()
        };
        // A hex id and fixed attributes: always a valid cookie.
        let _ = self.set_signed_cookie(SESSION_COOKIE, id.as_bytes(), &options);
    }
}

impl accounts::Host for Ctx {
    async fn register(&mut self, account: String, password: String) -> Answer<WitUser> {
        let Some(store) = self.accounts.clone() else {
            return Ok(Err(WitError::Unavailable));
        };
        Ok(store
            .register(&account, &password)
            .await
            .map(Into::into)
            .map_err(Into::into))
    }

    async fn login(&mut self, account: String, password: String) -> Answer<WitUser> {
        let Some(store) = self.accounts.clone() else {
            return Ok(Err(WitError::Unavailable));
        };
        Ok(match store.login(&account, &password).await {
            Ok((user, session)) => {
                self.send_session_cookie(&session);
                self.current_user = Some(Some(user.clone()));
                Ok(user.into())
            }
            Err(error) => Err(error.into()),
        })
    }

    async fn current_user(&mut self) -> Answer<Option<WitUser>> {
        if let Some(known) = &self.current_user {
            return Ok(Ok(known.clone().map(Into::into)));
        }
        let Some(store) = self.accounts.clone() else {
            return Ok(Err(WitError::Unavailable));
        };
        let Some(id) = self.session_id() else {
            self.current_user = Some(None);
            return Ok(Ok(None));
        };
        let user = match store.session_user(&id).await {
            Ok(Some((user, slid))) => {
                if slid {
                    self.send_session_cookie(&id);
                }
                Some(user)
            }
            Ok(None) => None,
            Err(error) => return Ok(Err(error.into())),
        };
        self.current_user = Some(user.clone());
        Ok(Ok(user.map(Into::into)))
    }

    async fn logout(&mut self) -> Answer<()> {
        if let Some(id) = self.session_id() {
            let Some(store) = self.accounts.clone() else {
                return Ok(Err(WitError::Unavailable));
            };
            if let Err(error) = store.logout(&id).await {
                return Ok(Err(error.into()));
            }
        }
        self.current_user = Some(None);
        // A cookie name and `/`: always valid.
        let _ = self.clear_cookies(Some(SESSION_COOKIE), Some("/"), None);
        Ok(Ok(()))
    }
}
