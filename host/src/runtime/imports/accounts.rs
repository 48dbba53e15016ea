//! The `accounts` import: the account store, and the session cookie that carries a login
//! from one request to the next. The cookie holds a random session id, signed with the
//! host's secret, HttpOnly and SameSite=Lax; the store decides whether it is still live, so
//! logging out or expiring ends it for every host that shares the database.

use std::sync::Arc;
use std::time::Instant;

use super::HostResult;
use super::cookies::CookieView;
use crate::accounts::{AccountError, AccountStore, SESSION_SECONDS, User};
use crate::http::cookies::CookieOptions;
use crate::runtime::bindings::gale::web::accounts::{
    self, AccountError as WitError, User as WitUser,
};
use crate::runtime::ctx::CurrentUser;
use crate::runtime::refusal::Refusal;

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
            // The host answers these itself (`Refusal`); the plugin sees them as unavailable.
            AccountError::Unavailable | AccountError::Busy | AccountError::Throttled => {
                Self::Unavailable
            }
        }
    }
}

/// What the `accounts` interface sees of the store: the cookie jar (for the session
/// cookie), the worker's store and what the request has learned of its user.
pub(super) struct AccountsView<'a> {
    pub(super) jar: CookieView<'a>,
    /// Absent while a plugin's routes are read at load.
    pub(super) store: Option<&'a Arc<AccountStore>>,
    /// Tornado's `current_user`, once looked up.
    pub(super) current_user: &'a mut Option<CurrentUser>,
    /// A refusal the host answers instead of the handler's response.
    pub(super) refusal: &'a mut Option<Refusal>,
    /// Where the handler's time limit counts from.
    pub(super) running_since: Instant,
}

impl AccountsView<'_> {
    /// An account error as the plugin sees it, noting the refusal the host will answer.
    fn refused(&mut self, error: AccountError) -> WitError {
        let refusal = match error {
            AccountError::Busy => Some(Refusal::busy()),
            AccountError::Throttled => Some(Refusal::throttled(crate::accounts::THROTTLE_WINDOW)),
            _ => None,
        };
        if refusal.is_some() {
            *self.refusal = refusal;
        }
        error.into()
    }

    /// The session id of the request's cookie, when its signature is ours.
    fn session_id(&self) -> Option<String> {
        let id = self.jar.session_cookie(COOKIE_MAX_AGE_DAYS)?;
        String::from_utf8(id).ok()
    }

    /// Sends the session cookie, good for the session's lifetime from now.
    fn send_session_cookie(&mut self, id: &str) {
        let options = CookieOptions {
            path: Some("/".into()),
            max_age: Some(SESSION_SECONDS as u64),
            httponly: true,
            secure: self.jar.request.client.protocol == "https",
            samesite: Some("Lax".into()),
            ..CookieOptions::default()
        };
        self.jar.set_session_cookie(id, &options);
    }

    /// Awaits a call on the store within the handler's time limit, counting its outcome
    /// (`timeout` when the handler's time ran out first).
    async fn in_time<T>(
        &self,
        call: &'static str,
        wait: impl std::future::Future<Output = std::result::Result<T, AccountError>>,
    ) -> HostResult<T, AccountError> {
        let outcome = self
            .jar
            .sandbox
            .in_time(self.running_since, call, wait)
            .await;
        let label = match &outcome {
            Ok(Ok(_)) => "ok",
            Ok(Err(error)) => error.label(),
            Err(_) => "timeout",
        };
        crate::metrics::record(|metrics| metrics.account_operation(call, label));
        outcome
    }
}

impl accounts::Host for AccountsView<'_> {
    async fn register(
        &mut self,
        account: String,
        password: String,
    ) -> HostResult<WitUser, WitError> {
        let Some(store) = self.store.cloned() else {
            return Ok(Err(WitError::Unavailable));
        };
        let registered = self
            .in_time("register", store.register(&account, &password))
            .await?;
        Ok(registered
            .map(Into::into)
            .map_err(|error| self.refused(error)))
    }

    async fn login(&mut self, account: String, password: String) -> HostResult<WitUser, WitError> {
        let Some(store) = self.store.cloned() else {
            return Ok(Err(WitError::Unavailable));
        };
        let client = self.jar.request.client.ip;
        let login = store.login(&account, &password, client);
        Ok(match self.in_time("login", login).await? {
            Ok((user, session)) => {
                self.send_session_cookie(&session);
                *self.current_user = Some(Some(user.clone()));
                Ok(user.into())
            }
            Err(error) => Err(self.refused(error)),
        })
    }

    async fn current_user(&mut self) -> HostResult<Option<WitUser>, WitError> {
        if let Some(known) = &*self.current_user {
            return Ok(Ok(known.clone().map(Into::into)));
        }
        let Some(store) = self.store.cloned() else {
            return Ok(Err(WitError::Unavailable));
        };
        let Some(id) = self.session_id() else {
            *self.current_user = Some(None);
            return Ok(Ok(None));
        };
        let user = match self
            .in_time("current_user", store.session_user(&id))
            .await?
        {
            Ok(Some((user, slid))) => {
                if slid {
                    self.send_session_cookie(&id);
                }
                Some(user)
            }
            Ok(None) => None,
            Err(error) => return Ok(Err(error.into())),
        };
        *self.current_user = Some(user.clone());
        Ok(Ok(user.map(Into::into)))
    }

    async fn logout(&mut self) -> HostResult<(), WitError> {
        if let Some(id) = self.session_id() {
            let Some(store) = self.store.cloned() else {
                return Ok(Err(WitError::Unavailable));
            };
            if let Err(error) = self.in_time("logout", store.logout(&id)).await? {
                return Ok(Err(error.into()));
            }
        }
        *self.current_user = Some(None);
        // A cookie name and `/`: always valid.
        self.jar.clear_session_cookie();
        Ok(Ok(()))
    }
}
