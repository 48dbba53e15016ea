//! The `cookies` interface, the cookie side of a handler's `self`: plain, signed and xsrf
//! cookies, with the request's cookies in and `Set-Cookie` out. The secret stays on the host, and so does the
//! session cookie: a plugin can neither read it (it could steal a session for routes another
//! plugin owns) nor set, clear or sign it (it could mint one).

use std::time::SystemTime;

use wasmtime::Result;

use super::HostResult;
use crate::http::args::decode_value;
use crate::http::cookies::CookieError;
use crate::http::cookies::{CookieOptions, clear_cookie_header, set_cookie_header};
use crate::http::date::unix_now;
use crate::http::request::{ArgSource, RequestData};
use crate::http::response::ResponseState;
use crate::http::response_error::Refused;
use crate::http::response_error::ResponseError;
use crate::http::{signed, xsrf};
use crate::runtime::bindings::gale::web::cookies::{
    self, CookieError as WitCookieError, CookieOptions as WitCookieOptions,
};
use crate::runtime::ctx::{Sandbox, XsrfState};

/// The cookie that carries the session id: the host's, never a plugin's.
pub(crate) const SESSION_COOKIE: &str = "gale_session";

/// The cookie Tornado keeps the xsrf token in.
const XSRF_COOKIE: &str = "_xsrf";

impl From<WitCookieOptions> for CookieOptions {
    fn from(options: WitCookieOptions) -> Self {
        Self {
            domain: options.domain,
            // Clamped to the dates HTTP can say: a plugin may pass any number.
            expires: options.expires.and_then(crate::http::date::from_unix),
            path: options.path,
            expires_days: options.expires_days.filter(|days| !days.is_nan()),
            max_age: options.max_age,
            httponly: options.httponly,
            secure: options.secure,
            samesite: options.samesite,
        }
    }
}

/// What the `cookies` interface sees of the store; the accounts interface uses it for the
/// session cookie.
pub(super) struct CookieView<'a> {
    pub(super) sandbox: &'a Sandbox,
    pub(super) request: &'a RequestData,
    pub(super) response: &'a mut ResponseState,
    /// The request's xsrf token, once read or made.
    pub(super) xsrf: &'a mut Option<XsrfState>,
}

impl CookieView<'_> {
    /// One `Set-Cookie` for `name`, whatever the name: the host's own cookies come here.
    fn put_cookie(
        &mut self,
        name: &str,
        value: &str,
        options: &CookieOptions,
    ) -> Result<(), ResponseError> {
        let header = set_cookie_header(name, value, options, SystemTime::now())?;
        self.response.set_cookie(name, header)
    }

    /// `set_cookie`: one `Set-Cookie` for `name`, never the host's session cookie.
    fn set_cookie(
        &mut self,
        name: &str,
        value: &str,
        options: &CookieOptions,
    ) -> Result<(), ResponseError> {
        refuse_session_name(name)?;
        self.put_cookie(name, value, options)
    }

    /// `clear_cookie`, and with no name every cookie of the request a plugin can see
    /// (`clear_all_cookies`).
    fn clear_cookies(
        &mut self,
        name: Option<&str>,
        path: Option<&str>,
        domain: Option<&str>,
    ) -> Result<(), ResponseError> {
        let names: Vec<String> = match name {
            Some(name) => {
                refuse_session_name(name)?;
                vec![name.to_owned()]
            }
            None => self
                .visible_cookies()
                .map(|(name, _)| name.clone())
                .collect(),
        };
        names
            .iter()
            .try_for_each(|name| self.clear_cookie(name, path, domain))
    }

    /// One cookie cleared as Tornado's `clear_cookie` does.
    fn clear_cookie(
        &mut self,
        name: &str,
        path: Option<&str>,
        domain: Option<&str>,
    ) -> Result<(), ResponseError> {
        let header = clear_cookie_header(name, path, domain, SystemTime::now())?;
        self.response.set_cookie(name, header)
    }

    /// The request's cookies as a plugin sees them: all but the host's session cookie.
    fn visible_cookies(&self) -> impl Iterator<Item = &(String, String)> {
        self.request
            .cookies()
            .iter()
            .filter(|(name, _)| name != SESSION_COOKIE)
    }

    /// One cookie as a plugin sees it.
    fn visible_cookie(&self, name: &str) -> Option<&str> {
        (name != SESSION_COOKIE)
            .then(|| self.request.cookie(name))
            .flatten()
    }

    /// The key this plugin's signed cookies use: the cookie secret, or with
    /// `--cookie-secret-per-plugin` one derived from it and the plugin's name.
    fn plugin_secret(&self) -> std::borrow::Cow<'_, [u8]> {
        self.request.site.plugin_secret(&self.sandbox.plugin)
    }

    /// `get_signed_cookie`: the value when the signature is ours and it is fresh enough.
    fn signed_cookie(&self, name: &str, max_age_days: f64) -> Option<Vec<u8>> {
        let value = self.visible_cookie(name)?;
        signed::decode(&self.plugin_secret(), name, value, max_age_days, unix_now())
    }

    /// `set_signed_cookie`: the value signed in Tornado's version-2 format.
    fn set_signed_cookie(
        &mut self,
        name: &str,
        value: &[u8],
        options: &CookieOptions,
    ) -> Result<(), ResponseError> {
        refuse_session_name(name)?;
        let signed = signed::create(&self.plugin_secret(), name, value, unix_now());
        self.put_cookie(name, &signed, options)
    }

    /// The session id of the request's session cookie, when the host's secret signed it.
    pub(super) fn session_cookie(&self, max_age_days: f64) -> Option<Vec<u8>> {
        let value = self.request.cookie(SESSION_COOKIE)?;
        let secret = &self.request.site.cookie_secret;
        signed::decode(secret, SESSION_COOKIE, value, max_age_days, unix_now())
    }

    /// Sends the session cookie carrying `id`, signed with the host's secret.
    pub(super) fn set_session_cookie(&mut self, id: &str, options: &CookieOptions) {
        let signed = signed::create(
            &self.request.site.cookie_secret,
            SESSION_COOKIE,
            id.as_bytes(),
            unix_now(),
        );
        // A hex id and the host's fixed attributes: always a valid cookie. It is counted as
        // any cookie, and the handler's next call finds out if that passed a cap.
        let _ = self.put_cookie(SESSION_COOKIE, &signed, options);
    }

    /// Deletes the session cookie.
    pub(super) fn clear_session_cookie(&mut self) {
        let _ = self.clear_cookie(SESSION_COOKIE, Some("/"), None);
    }

    /// The raw token from the request's `_xsrf` cookie, or a new random one.
    fn raw_xsrf(&mut self) -> &mut XsrfState {
        if self.xsrf.is_none() {
            let from_cookie = self
                .request
                .cookie(XSRF_COOKIE)
                .filter(|cookie| !cookie.is_empty())
                .and_then(|cookie| xsrf::decode(cookie, unix_now()));
            *self.xsrf = Some(match from_cookie {
                Some(raw) => XsrfState {
                    raw,
                    from_cookie: true,
                    masked: None,
                },
                None => {
                    let mut token = vec![0u8; 16];
                    getrandom::fill(&mut token).expect("the OS random source");
                    let raw = xsrf::RawToken {
                        version: 2,
                        token,
                        timestamp: unix_now(),
                    };
                    XsrfState {
                        raw,
                        from_cookie: false,
                        masked: None,
                    }
                }
            });
        }
        self.xsrf.as_mut().expect("just set")
    }

    /// `xsrf_token`: masked afresh once per request; a new token also sets the cookie (an
    /// error only when that passes the cookie cap).
    fn xsrf_token(&mut self) -> Result<String, ResponseError> {
        let state = self.raw_xsrf();
        if let Some(masked) = &state.masked {
            return Ok(masked.clone());
        }
        let mut mask = [0u8; 4];
        getrandom::fill(&mut mask).expect("the OS random source");
        let token = xsrf::encode(&state.raw.token, mask, state.raw.timestamp);
        state.masked = Some(token.clone());
        if !state.from_cookie {
            let options = CookieOptions {
                path: Some("/".into()),
                ..CookieOptions::default()
            };
            self.put_cookie(XSRF_COOKIE, &token, &options)?;
        }
        Ok(token)
    }

    /// `check_xsrf_cookie`: the submitted token must carry the cookie's.
    fn check_xsrf_cookie(&mut self) -> Result<(), xsrf::XsrfError> {
        let argument = self
            .request
            .argument(ArgSource::All, XSRF_COOKIE)
            .last()
            .and_then(|raw| decode_value(XSRF_COOKIE, raw, true).ok())
            .filter(|value| !value.is_empty());
        let submitted = argument
            .or_else(|| self.request.header("X-Xsrftoken"))
            .or_else(|| self.request.header("X-Csrftoken"));
        let now = unix_now();
        let raw = &self.raw_xsrf().raw;
        xsrf::check(submitted.as_deref(), raw, now)
    }
}

impl From<Refused> for WitCookieError {
    fn from(refused: Refused) -> Self {
        let text = refused.to_string();
        match refused {
            Refused::HostOwned(_) => Self::HostOwned,
            Refused::Cookie(CookieError::Name(_)) => Self::InvalidName(text),
            Refused::Cookie(CookieError::Attribute { .. }) => Self::InvalidAttribute(text),
            _ => Self::InvalidValue(text),
        }
    }
}

impl cookies::Host for CookieView<'_> {
    fn cookie(&mut self, name: String) -> Result<Option<String>> {
        Ok(self.visible_cookie(&name).map(str::to_owned))
    }

    fn cookies(&mut self) -> Result<Vec<(String, String)>> {
        Ok(self.visible_cookies().cloned().collect())
    }

    fn set_cookie(
        &mut self,
        name: String,
        value: String,
        options: WitCookieOptions,
    ) -> HostResult<(), WitCookieError> {
        let outcome = CookieView::set_cookie(self, &name, &value, &options.into());
        self.sandbox.answer(self.response, outcome)
    }

    fn clear_cookie(
        &mut self,
        name: String,
        path: Option<String>,
        domain: Option<String>,
    ) -> HostResult<(), WitCookieError> {
        let outcome = self.clear_cookies(Some(&name), path.as_deref(), domain.as_deref());
        self.sandbox.answer(self.response, outcome)
    }

    fn clear_all_cookies(
        &mut self,
        path: Option<String>,
        domain: Option<String>,
    ) -> HostResult<(), WitCookieError> {
        let outcome = self.clear_cookies(None, path.as_deref(), domain.as_deref());
        self.sandbox.answer(self.response, outcome)
    }

    fn signed_cookie(&mut self, name: String, max_age_days: f64) -> Result<Option<Vec<u8>>> {
        Ok(CookieView::signed_cookie(self, &name, max_age_days))
    }

    fn set_signed_cookie(
        &mut self,
        name: String,
        value: Vec<u8>,
        options: WitCookieOptions,
    ) -> HostResult<(), WitCookieError> {
        let outcome = CookieView::set_signed_cookie(self, &name, &value, &options.into());
        self.sandbox.answer(self.response, outcome)
    }

    fn xsrf_token(&mut self) -> Result<String> {
        let outcome = CookieView::xsrf_token(self);
        let token = outcome.as_ref().ok().cloned().unwrap_or_default();
        // Its cookie counts against the caps and the budget as any other.
        match self
            .sandbox
            .answer::<Refused>(self.response, outcome.map(drop))?
        {
            Ok(()) => Ok(token),
            // A fresh `_xsrf` cookie is always valid: only a cap refuses it, above.
            Err(refused) => Err(wasmtime::Error::msg(refused.to_string())),
        }
    }

    fn check_xsrf_cookie(&mut self) -> HostResult<(), cookies::XsrfError> {
        Ok(
            CookieView::check_xsrf_cookie(self).map_err(|error| match error {
                xsrf::XsrfError::Missing => cookies::XsrfError::Missing,
                xsrf::XsrfError::Malformed => cookies::XsrfError::Malformed,
                xsrf::XsrfError::Mismatch => cookies::XsrfError::Mismatch,
            }),
        )
    }
}

/// Refuses a plugin's use of the session cookie's name.
fn refuse_session_name(name: &str) -> Result<(), Refused> {
    if name == SESSION_COOKIE {
        return Err(Refused::HostOwned(format!(
            "the {SESSION_COOKIE} cookie is the host's: use login and logout"
        )));
    }
    Ok(())
}

/// Refuses a `Set-Cookie` header a plugin writes by hand that a browser could take for the
/// session cookie: that name, no name at all (a browser stores `=gale_session=x` as a
/// cookie named `gale_session`), or the name anywhere in the value (a header a browser
/// might split).
pub(super) fn refuse_session_header(name: &str, value: &str) -> Result<(), Refused> {
    if !name.eq_ignore_ascii_case("set-cookie") {
        return Ok(());
    }
    let cookie = value.split_once('=').map_or(value, |(name, _)| name).trim();
    if cookie.is_empty() {
        return Err(Refused::InvalidValue(
            "a Set-Cookie header needs a cookie name before its '='".into(),
        ));
    }
    let smuggled = format!("{SESSION_COOKIE}=");
    if value.to_ascii_lowercase().contains(&smuggled) {
        return Err(Refused::HostOwned(format!(
            "a Set-Cookie header may not carry the {SESSION_COOKIE} cookie: it is the host's"
        )));
    }
    refuse_session_name(cookie)
}

/// A `Cookie` header without the session cookie, for a plugin's eyes.
pub(super) fn hide_session_cookie(header: &str) -> String {
    header
        .split(';')
        .filter(|chunk| {
            let name = chunk.split_once('=').map_or("", |(name, _)| name);
            name.trim() != SESSION_COOKIE
        })
        .collect::<Vec<_>>()
        .join(";")
        .trim_start()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_cut_from_the_cookie_header_a_plugin_reads() {
        let header = "a=1; gale_session=secret|x; b=2";
        assert_eq!(hide_session_cookie(header), "a=1; b=2");
        assert_eq!(hide_session_cookie("gale_session=x; a=1"), "a=1");
        assert_eq!(hide_session_cookie("gale_session=x"), "");
    }

    #[test]
    fn a_set_cookie_header_for_the_session_cookie_is_refused() {
        assert!(refuse_session_header("Set-Cookie", " gale_session=x; Path=/").is_err());
        assert!(refuse_session_header("Set-Cookie", "=gale_session=x; Path=/").is_err());
        assert!(refuse_session_header("Set-Cookie", "=x").is_err());
        assert!(refuse_session_header("Set-Cookie", "a=1, GALE_SESSION=x").is_err());
        assert!(refuse_session_header("set-cookie", "other=x").is_ok());
        assert!(refuse_session_header("X-Note", "gale_session=x").is_ok());
    }
}
