//! Tornado's cookie methods on [`Request`]: plain, signed and xsrf. The host keeps the
//! secret; a plugin only asks it to sign and to check.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::bindings::gale::web::cookies::{self as host_cookies, CookieOptions as WitOptions};
use crate::{Request, Result};

/// The keyword arguments of Tornado's `set_cookie`; `CookieOptions::default()` is Tornado's
/// defaults (`path="/"`, nothing else).
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// let options = CookieOptions {
///     max_age: Some(3600),
///     httponly: true,
///     samesite: Some("Strict".into()),
///     ..CookieOptions::default()
/// };
/// req.set_cookie_with("theme", "dark", &options)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CookieOptions {
    /// `Domain`.
    pub domain: Option<String>,
    /// `expires`, absolute; wins over `expires_days`.
    pub expires: Option<SystemTime>,
    /// `Path`.
    pub path: Option<String>,
    /// `expires` as days from now.
    pub expires_days: Option<f64>,
    /// `Max-Age` in seconds.
    pub max_age: Option<u64>,
    /// `HttpOnly`.
    pub httponly: bool,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`: `"Lax"`, `"Strict"` or `"None"`.
    pub samesite: Option<String>,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            domain: None,
            expires: None,
            path: Some("/".into()),
            expires_days: None,
            max_age: None,
            httponly: false,
            secure: false,
            samesite: None,
        }
    }
}

impl From<&CookieOptions> for WitOptions {
    fn from(options: &CookieOptions) -> Self {
        Self {
            domain: options.domain.clone(),
            expires: options.expires.map(|at| {
                at.duration_since(UNIX_EPOCH)
                    .map_or(0.0, |since| since.as_secs_f64())
            }),
            path: options.path.clone(),
            expires_days: options.expires_days,
            max_age: options.max_age,
            httponly: options.httponly,
            secure: options.secure,
            samesite: options.samesite.clone(),
        }
    }
}

impl Request {
    /// The value of a request cookie.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// if let Some(theme) = req.get_cookie("theme") {
    ///     req.write(format!("theme: {theme}"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_cookie(&self, name: &str) -> Option<String> {
        host_cookies::cookie(name)
    }

    /// The value of a request cookie, or `default`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let theme = req.get_cookie_or("theme", "light");
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_cookie_or(&self, name: &str, default: &str) -> String {
        self.get_cookie(name).unwrap_or_else(|| default.to_owned())
    }

    /// Every request cookie, as `request.cookies`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let names: Vec<String> = req.cookies().into_iter().map(|(name, _)| name).collect();
    /// # Ok(())
    /// # }
    /// ```
    pub fn cookies(&self) -> Vec<(String, String)> {
        host_cookies::cookies()
    }

    /// Sets a cookie with Tornado's defaults (`path="/"`).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_cookie("theme", "dark")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_cookie(&mut self, name: &str, value: &str) -> Result {
        self.set_cookie_with(name, value, &CookieOptions::default())
    }

    /// Sets a cookie with every `set_cookie` argument.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let week = CookieOptions { expires_days: Some(7.0), ..CookieOptions::default() };
    /// req.set_cookie_with("seen_banner", "yes", &week)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_cookie_with(&mut self, name: &str, value: &str, options: &CookieOptions) -> Result {
        host_cookies::set_cookie(name, value, &options.into()).map_err(crate::refused::refused)
    }

    /// Deletes a cookie set with path `/` and no domain.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.clear_cookie("theme")?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear_cookie(&mut self, name: &str) -> Result {
        self.clear_cookie_with(name, Some("/"), None)
    }

    /// Deletes a cookie set with this path and domain.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.clear_cookie_with("cart", Some("/shop"), Some("example.com"))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear_cookie_with(
        &mut self,
        name: &str,
        path: Option<&str>,
        domain: Option<&str>,
    ) -> Result {
        host_cookies::clear_cookie(name, path, domain).map_err(crate::refused::refused)
    }

    /// Deletes every cookie the request carried (path `/`).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.clear_all_cookies()?; // "forget me"
    /// # Ok(())
    /// # }
    /// ```
    pub fn clear_all_cookies(&mut self) -> Result {
        host_cookies::clear_all_cookies(Some("/"), None).map_err(crate::refused::refused)
    }

    /// Sets a cookie signed by the host, for 30 days (Tornado's `set_signed_cookie`).
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.set_signed_cookie("visits", "3")?; // the client cannot change it unnoticed
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_signed_cookie(&mut self, name: &str, value: &str) -> Result {
        let options = CookieOptions {
            expires_days: Some(30.0),
            ..CookieOptions::default()
        };
        self.set_signed_cookie_with(name, value.as_bytes(), &options)
    }

    /// Sets a signed cookie with every `set_cookie` argument.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let session_only = CookieOptions { httponly: true, ..CookieOptions::default() };
    /// req.set_signed_cookie_with("cart", b"apple,pear", &session_only)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_signed_cookie_with(
        &mut self,
        name: &str,
        value: &[u8],
        options: &CookieOptions,
    ) -> Result {
        host_cookies::set_signed_cookie(name, value, &options.into())
            .map_err(crate::refused::refused)
    }

    /// A signed cookie's value if valid and at most 31 days old; `None` when absent,
    /// tampered with, signed with another secret, expired or not UTF-8.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let visits: u32 = req.get_signed_cookie("visits").and_then(|v| v.parse().ok()).unwrap_or(0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_signed_cookie(&self, name: &str) -> Option<String> {
        self.get_signed_cookie_with(name, 31.0)
            .and_then(|value| String::from_utf8(value).ok())
    }

    /// A signed cookie's bytes if valid and at most `max_age_days` old.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let fresh = req.get_signed_cookie_with("cart", 1.0); // at most a day old
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_signed_cookie_with(&self, name: &str, max_age_days: f64) -> Option<Vec<u8>> {
        host_cookies::signed_cookie(name, max_age_days)
    }

    /// Tornado's `xsrf_token`; sets the `_xsrf` cookie when the request had none.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let token = req.xsrf_token(); // for a JavaScript client's X-XSRFToken header
    /// req.write(json!({"xsrf": token}));
    /// # Ok(())
    /// # }
    /// ```
    pub fn xsrf_token(&mut self) -> String {
        host_cookies::xsrf_token()
    }

    /// A hidden `_xsrf` form field, as Tornado's `xsrf_form_html()`.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let field = req.xsrf_form_html();
    /// req.write(format!(r#"<form method="post">{field}<button>Send</button></form>"#));
    /// # Ok(())
    /// # }
    /// ```
    pub fn xsrf_form_html(&mut self) -> String {
        let token = crate::escape::xhtml_escape(&self.xsrf_token());
        format!(r#"<input type="hidden" name="_xsrf" value="{token}"/>"#)
    }

    /// Tornado's `check_xsrf_cookie`: 403 unless the `_xsrf` argument or the
    /// `X-XSRFToken` / `X-CSRFToken` header carries the cookie's token.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// // without the `xsrf_cookies` setting, check the routes that need it by hand
    /// req.check_xsrf_cookie()?; // 403 on a forged request
    /// # Ok(())
    /// # }
    /// ```
    pub fn check_xsrf_cookie(&self) -> Result {
        host_cookies::check_xsrf_cookie().map_err(crate::refused::refused)
    }
}
