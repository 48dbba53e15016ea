//! The accounts app: the course's register-and-login exercise on the host's account store.
//! Its pages are templates (`templates/`, compiled with the plugin): HTML forms with an xsrf
//! field; the host hashes passwords and keeps the sessions.

use gale_sdk::{
    AccountError, ArgSource, HttpError, Namespace, PathArgs, Request, RequestHandler, Result,
    Template, User, json,
};

/// The one answer for an unknown account and a wrong password alike.
const BAD_CREDENTIALS: &str = "Wrong account or password.";

/// Where a login goes when it was not sent from a page that needs it.
const HOME: &str = "/me";

/// The account-and-password form, posting to `action`, with a message above it and, for a
/// login, where to go next.
#[derive(Template)]
#[template(path = "form.html")]
struct Form<'a> {
    title: &'a str,
    action: &'a str,
    message: &'a str,
    next: Option<&'a str>,
    ns: Namespace,
}

/// A new account's page.
#[derive(Template)]
#[template(path = "registered.html")]
struct Registered<'a> {
    title: &'a str,
    account: &'a str,
    ns: Namespace,
}

/// The logged-in account's page.
#[derive(Template)]
#[template(path = "me.html")]
struct Me<'a> {
    title: &'a str,
    user: &'a User,
    ns: Namespace,
}

/// Renders the form.
fn form(req: &mut Request, title: &str, action: &str, message: &str) -> Result {
    let ns = req.namespace();
    let next = None;
    req.render(&Form {
        title,
        action,
        message,
        next,
        ns,
    })
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
        form(req, "Register", "/register", "")
    }

    fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let (account, password) = credentials(req)?;
        match req.register(&account, &password) {
            Ok(user) => {
                req.set_status(201)?;
                let (account, ns) = (&user.account, req.namespace());
                req.render(&Registered {
                    title: "Registered",
                    account,
                    ns,
                })
            }
            Err(error @ (AccountError::Taken | AccountError::Invalid(_))) => {
                req.set_status(error.status())?;
                let message = match &error {
                    AccountError::Taken => "That account name is taken.".to_owned(),
                    other => format!("{}.", capitalized(&other.to_string())),
                };
                form(req, "Register", "/register", &message)
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
        let (title, action, ns) = ("Log in", "/login", req.namespace());
        let next = Some(next.as_str());
        req.render(&Form {
            title,
            action,
            message,
            next,
            ns,
        })
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
        let ns = req.namespace();
        req.render(&Me {
            title: "Me",
            user: &user,
            ns,
        })
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
