//! Probe routes for cookies, `clear`, `flush` and `static_url`.

use gale_sdk::{CookieOptions, HttpError, PathArgs, Request, RequestHandler, Result};

/// `/cookie/full`: `set_cookie` with every Tornado argument, for comparison with Tornado's
/// `set_cookie("full", "v", domain="ex.com", expires_days=1, max_age=10, httponly=True,
/// secure=True, samesite="Lax", path="/p")`; then the same name again, which replaces it
/// only if `?twice`.
#[derive(Default)]
pub struct FullCookie;

impl RequestHandler for FullCookie {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let options = CookieOptions {
            domain: Some("ex.com".into()),
            expires_days: Some(1.0),
            max_age: Some(10),
            httponly: true,
            secure: true,
            samesite: Some("Lax".into()),
            path: Some("/p".into()),
            ..CookieOptions::default()
        };
        req.set_cookie_with("full", "v", &options)?;
        req.set_cookie("quoted", "a,b;c")?;
        if req.get_argument_or("twice", "")? == "1" {
            req.set_cookie("full", "second")?;
        }
        Ok(())
    }
}

/// `/cookie/bad?name=N&value=V`: a cookie Tornado refuses (a 500, as its ValueError).
#[derive(Default)]
pub struct BadCookie;

impl RequestHandler for BadCookie {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let (name, value) = (
            req.get_argument("name")?,
            req.argument(gale_sdk::ArgSource::All, "value", None, false)?,
        );
        req.set_cookie(&name, &value)
    }
}

/// `/cookie/clear?name=N` clears one cookie; without a name, all the request's cookies.
#[derive(Default)]
pub struct ClearCookies;

impl RequestHandler for ClearCookies {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        match req.get_argument_or("name", "")?.as_str() {
            "" => req.clear_all_cookies(),
            name => req.clear_cookie(name),
        }
    }
}

/// `/cookie/read`: the request's cookies as `name=value` lines.
#[derive(Default)]
pub struct ReadCookies;

impl RequestHandler for ReadCookies {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let lines: Vec<String> = req
            .cookies()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        req.write(lines.join("\n"));
        Ok(())
    }
}

/// `/signed/get?name=N&days=D`: `get_signed_cookie(N, max_age_days=D)` or `none`.
#[derive(Default)]
pub struct SignedGet;

impl RequestHandler for SignedGet {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let name = req.get_argument("name")?;
        let days: f64 = req
            .get_argument_or("days", "31")?
            .parse()
            .map_err(|_| HttpError::new(400))?;
        let value = req.get_signed_cookie_with(&name, days);
        let text = value.map_or_else(
            || "none".into(),
            |v| String::from_utf8_lossy(&v).into_owned(),
        );
        req.write(text);
        Ok(())
    }
}

/// `/clear`: writes, sets a header and a status, then `clear()`s and writes again.
#[derive(Default)]
pub struct Clear;

impl RequestHandler for Clear {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("gone");
        req.set_header("X-Gone", "1")?;
        req.set_status(404)?;
        req.clear();
        req.write("after clear");
        Ok(())
    }
}

/// `/flush/fail`: flushes a first chunk, then fails: the head is out, so the body is cut.
#[derive(Default)]
pub struct FlushThenFail;

impl RequestHandler for FlushThenFail {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("first chunk");
        req.flush();
        Err(HttpError::new(500).with_message("failing after a flush"))
    }
}

/// `/flush/head`: HEAD writes and flushes twice; only the head goes out.
#[derive(Default)]
pub struct FlushHead;

impl RequestHandler for FlushHead {
    fn head(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        for _ in 0..2 {
            req.write("not sent");
            req.flush();
        }
        Ok(())
    }
}

/// `/static-url?path=P`: `static_url(P)`.
#[derive(Default)]
pub struct StaticUrl;

impl RequestHandler for StaticUrl {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = req.static_url(&req.get_argument("path")?)?;
        req.write(url);
        Ok(())
    }
}
