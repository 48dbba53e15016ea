//! The cookie side of a handler's `self`: plain, signed and xsrf cookies, with the
//! request's cookies in and `Set-Cookie` out. The secret stays on the host.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::bindings::gale::web::response::CookieOptions as WitCookieOptions;
use super::ctx::Ctx;
use crate::http::args::decode_value;
use crate::http::cookies::{CookieOptions, clear_cookie_header, set_cookie_header};
use crate::http::request::ArgSource;
use crate::http::{signed, xsrf};

/// The cookie Tornado keeps the xsrf token in.
const XSRF_COOKIE: &str = "_xsrf";

impl From<WitCookieOptions> for CookieOptions {
    fn from(options: WitCookieOptions) -> Self {
        Self {
            domain: options.domain,
            expires: options
                .expires
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .map(|seconds| UNIX_EPOCH + Duration::from_secs_f64(seconds)),
            path: options.path,
            expires_days: options.expires_days.filter(|days| days.is_finite()),
            max_age: options.max_age,
            httponly: options.httponly,
            secure: options.secure,
            samesite: options.samesite,
        }
    }
}

/// Seconds since the epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Ctx {
    /// `set_cookie`: one `Set-Cookie` for `name`.
    pub fn set_cookie(
        &mut self,
        name: &str,
        value: &str,
        options: &CookieOptions,
    ) -> Result<(), String> {
        let header = set_cookie_header(name, value, options, SystemTime::now())?;
        self.response.set_cookie(name, header);
        Ok(())
    }

    /// `clear_cookie`, and with no name every cookie of the request (`clear_all_cookies`).
    pub fn clear_cookies(
        &mut self,
        name: Option<&str>,
        path: Option<&str>,
        domain: Option<&str>,
    ) -> Result<(), String> {
        let names: Vec<String> = match name {
            Some(name) => vec![name.to_owned()],
            None => self
                .request
                .cookies()
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
        };
        for name in names {
            let header = clear_cookie_header(&name, path, domain, SystemTime::now())?;
            self.response.set_cookie(&name, header);
        }
        Ok(())
    }

    /// `get_signed_cookie`: the value when the signature is ours and it is fresh enough.
    pub fn signed_cookie(&self, name: &str, max_age_days: f64) -> Option<Vec<u8>> {
        let value = self.request.cookie(name)?;
        let secret = &self.request.site.cookie_secret;
        signed::decode(secret, name, value, max_age_days, unix_now())
    }

    /// `set_signed_cookie`: the value signed in Tornado's version-2 format.
    pub fn set_signed_cookie(
        &mut self,
        name: &str,
        value: &[u8],
        options: &CookieOptions,
    ) -> Result<(), String> {
        let signed = signed::create(&self.request.site.cookie_secret, name, value, unix_now());
        self.set_cookie(name, &signed, options)
    }

    /// The raw token from the request's `_xsrf` cookie, or a new random one.
    fn raw_xsrf(&mut self) -> &mut (xsrf::RawToken, bool, Option<String>) {
        if self.xsrf.is_none() {
            let from_cookie = self
                .request
                .cookie(XSRF_COOKIE)
                .filter(|cookie| !cookie.is_empty())
                .and_then(|cookie| xsrf::decode(cookie, unix_now()));
            self.xsrf = Some(match from_cookie {
                Some(raw) => (raw, true, None),
                None => {
                    let mut token = vec![0u8; 16];
                    getrandom::fill(&mut token).expect("the OS random source");
                    let raw = xsrf::RawToken {
                        version: 2,
                        token,
                        timestamp: unix_now(),
                    };
                    (raw, false, None)
                }
            });
        }
        self.xsrf.as_mut().expect("just set")
    }

    /// `xsrf_token`: masked afresh once per request; a new token also sets the cookie.
    pub fn xsrf_token(&mut self) -> String {
        let (raw, from_cookie, masked) = self.raw_xsrf();
        if let Some(masked) = masked {
            return masked.clone();
        }
        let mut mask = [0u8; 4];
        getrandom::fill(&mut mask).expect("the OS random source");
        let token = xsrf::encode(&raw.token, mask, raw.timestamp);
        *masked = Some(token.clone());
        if !*from_cookie {
            let options = CookieOptions {
                path: Some("/".into()),
                ..CookieOptions::default()
            };
            // A masked token is hex, digits and `|`: always a valid value.
            let _ = self.set_cookie(XSRF_COOKIE, &token, &options);
        }
        token
    }

    /// `check_xsrf_cookie`: the submitted token must carry the cookie's.
    pub fn check_xsrf_cookie(&mut self) -> Result<(), String> {
        let argument = self
            .request
            .arguments(ArgSource::All)
            .get(XSRF_COOKIE)
            .last()
            .and_then(|raw| decode_value(XSRF_COOKIE, raw, true).ok())
            .filter(|value| !value.is_empty());
        let submitted = argument
            .or_else(|| self.request.header("X-Xsrftoken"))
            .or_else(|| self.request.header("X-Csrftoken"));
        let now = unix_now();
        let (raw, _, _) = self.raw_xsrf();
        xsrf::check(submitted.as_deref(), raw, now).map_err(str::to_owned)
    }
}
