//! A browser-like client of the accounts plugin: a cookie jar of one session, forms posted
//! with the xsrf token.

use std::net::SocketAddr;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Connection, Response, Server};

/// An xsrf token of Tornado's version 1 (the raw token), sent as cookie and form field.
pub const XSRF: &str = "00112233445566778899aabbccddeeff";

/// A client with a cookie jar of one session, posting forms with the xsrf token.
pub struct Visitor {
    /// The server it talks to.
    pub addr: SocketAddr,
    /// The signed `gale_session` value it holds, if any.
    pub session: Option<String>,
    /// `X-Real-Ip`, for a server with `--xheaders`: the address the visitor comes from.
    real_ip: Option<String>,
}

impl Visitor {
    /// A visitor of `server` with no session yet.
    pub fn new(server: &Server) -> Visitor {
        Visitor::at(server.addr)
    }

    /// A visitor of whatever serves at `addr` (a proxy in front of gale), with no session yet.
    pub fn at(addr: SocketAddr) -> Visitor {
        Visitor {
            addr,
            session: None,
            real_ip: None,
        }
    }

    /// The same visitor, said (through `X-Real-Ip`) to come from `ip`.
    pub fn coming_from(mut self, ip: &str) -> Visitor {
        self.real_ip = Some(ip.to_owned());
        self
    }

    /// The `Cookie` header it sends.
    pub fn cookies(&self) -> String {
        match &self.session {
            Some(session) => format!("_xsrf={XSRF}; gale_session={session}"),
            None => format!("_xsrf={XSRF}"),
        }
    }

    /// Sends a request with its cookies, keeping the session cookie it gets back.
    pub fn send(&mut self, method: &str, path: &str, body: &str) -> Response {
        let mut connection = Connection::open(self.addr);
        let real_ip = match &self.real_ip {
            Some(ip) => format!("X-Real-Ip: {ip}\r\n"),
            None => String::new(),
        };
        let response = connection.send(&format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{real_ip}\
             Cookie: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.cookies(),
            body.len()
        ));
        if let Some(cookie) = response.header_all("set-cookie").into_iter().find_map(|c| {
            c.strip_prefix("gale_session=")
                .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        }) {
            self.session = Some(cookie).filter(|value| !value.is_empty() && value != "\"\"");
        }
        response
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, "")
    }

    /// POSTs `fields` (and the xsrf token) as a form.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut body = format!("_xsrf={XSRF}");
        for (name, value) in fields {
            body.push_str(&format!(
                "&{name}={}",
                utf8_percent_encode(value, NON_ALPHANUMERIC)
            ));
        }
        self.send("POST", path, &body)
    }

    pub fn register(&mut self, account: &str, password: &str) -> Response {
        self.post("/register", &[("account", account), ("password", password)])
    }

    pub fn login(&mut self, account: &str, password: &str) -> Response {
        self.post("/login", &[("account", account), ("password", password)])
    }
}
