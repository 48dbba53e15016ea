//! The accounts app: the course's register-and-login exercise on the host's account store.
//! Plain HTML forms with an xsrf field; the host hashes passwords and keeps the sessions.

use gale_sdk::escape::xhtml_escape;
use gale_sdk::{
    AccountError, ArgSource, HttpError, PathArgs, Request, RequestHandler, Result, json,
};

/// The one answer for an unknown account and a wrong password alike.
const BAD_CREDENTIALS: &str = "Wrong account or password.";

/// Where a login goes when it was not sent from a page that needs it.
const HOME: &str = "/me";

/// Writes a whole page.
fn page(req: &mut Request, title: &str, body: &str) {
    req.write(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>\n"
    ));
}

/// The account-and-password form, posting to `action`, with a message above it.
fn form(req: &mut Request, title: &str, action: &str, message: &str, hidden: &str) {
    let xsrf = req.xsrf_form_html();
    let message = if message.is_empty() {
        String::new()
    } else {
        format!("<p class=\"message\">{}</p>", xhtml_escape(message))
    };
    let body = format!(
        "{message}<form method=\"post\" action=\"{action}\">{xsrf}{hidden}\
         <label>Account <input name=\"account\" autocomplete=\"username\"></label>\
         <label>Password <input name=\"password\" type=\"password\"></label>\
         <button type=\"submit\">{title}</button></form>"
    );
    page(req, title, &body);
}

/// The posted account and password, exactly as typed (not stripped: the store refuses a
/// name with surrounding spaces rather than silently changing it).
fn credentials(req: &Request) -> Result<(String, String)> {
    let field = |name: &str| -> Result<String> {
        req.arguments_with(ArgSource::Body, name, false)?
            .pop()
            .ok_or_else(|| HttpError::new(400).with_message(format!("Missing argument {name}")))
    };
    Ok((field("account")?, field("password")?))
}

/// `/register`: GET the form; POST an account and password. 201 when registered, 409 when
/// the name is taken, 400 when it or the password is not acceptable.
#[derive(Default)]
struct RegisterHandler;

impl RequestHandler for RegisterHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        form(req, "Register", "/register", "", "");
        Ok(())
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let (account, password) = credentials(req)?;
        match req.register(&account, &password) {
            Ok(user) => {
                req.set_status(201)?;
                let body = format!(
                    "<p>Registered <span id=\"account\">{}</span>.</p>\
                     <p><a href=\"/login\">Log in</a></p>",
                    xhtml_escape(&user.account)
                );
                page(req, "Registered", &body);
                Ok(())
            }
            Err(error @ (AccountError::Taken | AccountError::Invalid(_))) => {
                req.set_status(error.status())?;
                let message = match &error {
                    AccountError::Taken => "That account name is taken.".to_owned(),
                    other => format!("{}.", capitalized(&other.to_string())),
                };
                form(req, "Register", "/register", &message, "");
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether `next` is a path on this site: an open redirect would make a phishing link. A
/// browser ignores tabs and line breaks anywhere in a URL (`/\t/evil.com` is `//evil.com`,
/// another site), and reads a backslash as `/`: a path with either, or starting `//`, is
/// not local.
fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `/login`: GET the form (keeping `next`); POST an account and password. A good pair
/// starts a session and goes to `next` (a path on this site) or `/me`; anything else is 401
/// with one message.
#[derive(Default)]
struct LoginHandler;

impl LoginHandler {
    fn show(req: &mut Request, message: &str) -> Result {
        let next = req.get_argument_or("next", HOME)?;
        let hidden = format!(
            "<input type=\"hidden\" name=\"next\" value=\"{}\">",
            xhtml_escape(&next)
        );
        form(req, "Log in", "/login", message, &hidden);
        Ok(())
    }
}

impl RequestHandler for LoginHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        Self::show(req, "")
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let (account, password) = credentials(req)?;
        match req.login(&account, &password) {
            Ok(_) => {
                let next = req.get_argument_or("next", HOME)?;
                req.redirect(if is_local_path(&next) { &next } else { HOME })
            }
            Err(AccountError::BadCredentials | AccountError::Invalid(_)) => {
                req.set_status(401)?;
                Self::show(req, BAD_CREDENTIALS)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// `/me`: the logged-in account and its uuid; `@authenticated`.
#[derive(Default)]
struct MeHandler;

impl RequestHandler for MeHandler {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let Some(user) = req.authenticated()? else {
            return Ok(());
        };
        let xsrf = req.xsrf_form_html();
        let body = format!(
            "<p>Account: <span id=\"account\">{}</span></p>\
             <p>UUID: <span id=\"uuid\">{}</span></p>\
             <form method=\"post\" action=\"/logout\">{xsrf}\
             <button type=\"submit\">Log out</button></form>",
            xhtml_escape(&user.account),
            user.uuid
        );
        page(req, "Me", &body);
        Ok(())
    }
}

/// `/logout` (POST): ends the session, then back to the login page.
#[derive(Default)]
struct LogoutHandler;

impl RequestHandler for LogoutHandler {
    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.logout()?;
        req.redirect("/login")
    }
}

/// `text` with its first letter upper-case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

gale_sdk::routes![
    settings = json!({"xsrf_cookies": true, "login_url": "/login"});
    url(r"/register", RegisterHandler, name = "register"),
    url(r"/login", LoginHandler, name = "login"),
    url(r"/me", MeHandler, name = "me"),
    url(r"/logout", LogoutHandler, name = "logout"),
];
