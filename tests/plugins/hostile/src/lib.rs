//! Handlers that attack the host on purpose, one route per attack: each tries to make the
//! host hold memory past every limit, to split a response, to forge log lines, or to read
//! or mint the host's session cookie, to wait without end, or to
//! reach past its own database. Test-only; never shipped in `plugins/`.

use std::time::{Duration, SystemTime};

use gale_sdk::{CookieOptions, PathArgs, Request, RequestHandler, Result};

mod long_lived;
mod sql;
mod waits;

/// A mebibyte of header-safe text.
fn mebibyte() -> String {
    "x".repeat(1 << 20)
}

/// `/headers/huge`: adds a 1 MiB header value until something stops it.
#[derive(Default)]
struct HugeHeaders;

impl RequestHandler for HugeHeaders {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = mebibyte();
        for _ in 0..4096 {
            req.add_header("X-Huge", &value)?;
        }
        req.write("4 GiB of headers held");
        Ok(())
    }
}

/// `/headers/many`: adds 40,000 distinct header names (the host's map panics past 32,768).
#[derive(Default)]
struct ManyHeaders;

impl RequestHandler for ManyHeaders {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        for at in 0..40_000 {
            req.set_header(&format!("X-Many-{at}"), "1")?;
        }
        req.write("40,000 headers held");
        Ok(())
    }
}

/// `/cookies/many`: sets 5,000 cookies of 16 KiB each (80 MiB of `Set-Cookie`).
#[derive(Default)]
struct ManyCookies;

impl RequestHandler for ManyCookies {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let value = "c".repeat(16 << 10);
        for at in 0..5_000 {
            req.set_cookie(&format!("c{at}"), &value)?;
        }
        req.write("5,000 cookies held");
        Ok(())
    }
}

/// `/reason`: a status whose reason phrase is 128 MiB.
#[derive(Default)]
struct HugeReason;

impl RequestHandler for HugeReason {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.set_status_reason(299, &"r".repeat(128 << 20))?;
        req.write("a 128 MiB reason held");
        Ok(())
    }
}

/// `/log/forge`: a log message that carries a line of its own, shaped as an access-log line.
#[derive(Default)]
struct ForgeLog;

impl RequestHandler for ForgeLog {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        gale_sdk::log::info("innocent\n200 GET /forged-by-hostile (127.0.0.1) 0.10ms");
        req.write("logged");
        Ok(())
    }
}

/// `/log/flood`: 10,000 log calls in one request.
#[derive(Default)]
struct FloodLog;

impl RequestHandler for FloodLog {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        for line in 0..10_000 {
            gale_sdk::log::info(&format!("flood line {line}"));
        }
        req.write("logged");
        Ok(())
    }
}

/// `/split`: claims `Content-Length: 0`, then writes a body shaped as a second response; a
/// proxy reusing the connection would hand that "response" to the next user.
#[derive(Default)]
struct Split;

impl RequestHandler for Split {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let mut refused = Vec::new();
        for (name, value) in [
            ("Content-Length", "0"),
            ("Transfer-Encoding", "chunked"),
            ("Connection", "keep-alive"),
        ] {
            if let Err(error) = req.set_header(name, value) {
                refused.push(format!("{name}: {error}"));
            }
        }
        req.set_header("X-Refused", refused.len())?;
        req.write("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
        Ok(())
    }
}

/// `/session/read`: everything a plugin can learn of the request's cookies, one per line.
#[derive(Default)]
struct ReadSession;

impl RequestHandler for ReadSession {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let signed = req.get_signed_cookie_with("gale_session", 31.0);
        let lines = [
            format!("cookie: {:?}", req.get_cookie("gale_session")),
            format!("signed: {:?}", signed.map(String::from_utf8)),
            format!("cookies: {:?}", req.cookies()),
            format!("header: {:?}", req.header("Cookie")),
            format!("headers: {:?}", req.headers()),
        ];
        req.write(lines.join("\n"));
        Ok(())
    }
}

/// `/session/mint`: every way to set or clear the session cookie; writes how many the host
/// refused.
#[derive(Default)]
struct MintSession;

impl RequestHandler for MintSession {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let attempts = [
            req.set_signed_cookie("gale_session", "minted").is_err(),
            req.set_cookie("gale_session", "forged").is_err(),
            req.clear_cookie("gale_session").is_err(),
            req.add_header("Set-Cookie", "gale_session=forged; Path=/")
                .is_err(),
            req.set_header("set-cookie", "gale_session=forged").is_err(),
        ];
        let refused = attempts.iter().filter(|refused| **refused).count();
        req.clear_all_cookies()?;
        req.write(format!("refused {refused} of {}", attempts.len()));
        Ok(())
    }
}

/// `/cookie/far?days=N`: a cookie that expires N days from now (any float).
#[derive(Default)]
struct FarCookie;

impl RequestHandler for FarCookie {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let days: f64 = req.get_argument("days")?.parse()?;
        let options = CookieOptions {
            expires_days: Some(days),
            ..CookieOptions::default()
        };
        req.set_cookie_with("far", "1", &options)?;
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        let absolute = CookieOptions {
            expires: Some(at),
            max_age: Some(u64::MAX),
            ..CookieOptions::default()
        };
        req.set_cookie_with("farther", "1", &absolute)?;
        req.write("set");
        Ok(())
    }
}

/// A route whose pattern is markup: the admin page must show it as text, never run it.
#[derive(Default)]
struct Markup;

impl RequestHandler for Markup {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("the pattern of this route is a script tag");
        Ok(())
    }
}

gale_sdk::routes![
    (r"/headers/huge", HugeHeaders),
    (r"/headers/many", ManyHeaders),
    (r"/cookies/many", ManyCookies),
    (r"/reason", HugeReason),
    (r"/log/forge", ForgeLog),
    (r"/log/flood", FloodLog),
    (r"/split", Split),
    (r"/session/read", ReadSession),
    (r"/session/mint", MintSession),
    (r"/cookie/far", FarCookie),
    (r"/markup/<script>window.pwned=1</script>", Markup),
    (r"/ws/attack", long_lived::Attack),
    (r"/topics/fill", long_lived::FillTopics),
    (r"/poll/repark", long_lived::Repark),
    (r"/cookie/(nameless|carrying)", long_lived::SmuggledSession),
    (r"/waits/fetch", async waits::FetchAny),
    (r"/waits/many", async waits::ManyFetches),
    (r"/waits/timers", async waits::ManyTimers),
    (r"/waits/sleep", async waits::Sleeper),
    (r"/waits/cases", async waits::Cases),
    (r"/sql", sql::AnySql),
    (r"/sql/many", sql::ManyStatements),
];
