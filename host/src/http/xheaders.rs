//! Tornado's `xheaders=True`: behind a reverse proxy, the client's address and scheme come
//! from the proxy's headers instead of the socket.

use std::net::IpAddr;

use hyper::HeaderMap;

/// Who the client is, as `request.remote_ip` and `request.protocol` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address.
    pub ip: IpAddr,
    /// `http` or `https`.
    pub protocol: &'static str,
}

impl Client {
    /// The peer itself, over plain HTTP (gale does not terminate TLS).
    pub fn direct(peer: IpAddr) -> Self {
        Self {
            ip: peer,
            protocol: "http",
        }
    }

    /// As Tornado's `_apply_xheaders`: the last `X-Forwarded-For` entry (no downstream is
    /// trusted), overridden by `X-Real-Ip`, kept only if it is a valid address; the scheme
    /// from `X-Scheme`, else `X-Forwarded-Proto` (its last entry), kept only if it is `http`
    /// or `https`.
    pub fn behind_proxy(peer: IpAddr, headers: &HeaderMap) -> Self {
        let mut client = Self::direct(peer);
        let forwarded = joined(headers, "x-forwarded-for");
        let ip = forwarded
            .as_deref()
            .and_then(|list| list.rsplit(',').next())
            .map(str::trim);
        let ip = joined(headers, "x-real-ip").or(ip.map(str::to_owned));
        if let Some(ip) = ip.and_then(|ip| ip.trim().parse().ok()) {
            client.ip = ip;
        }
        let scheme = joined(headers, "x-scheme").or_else(|| joined(headers, "x-forwarded-proto"));
        match scheme
            .as_deref()
            .and_then(|s| s.rsplit(',').next())
            .map(str::trim)
        {
            Some("https") => client.protocol = "https",
            Some("http") => client.protocol = "http",
            _ => {}
        }
        client
    }
}

/// A header's values joined with `,`, as Tornado's `HTTPHeaders.get` returns them.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(pairs: &[(&str, &str)]) -> Client {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        Client::behind_proxy([10, 0, 0, 1].into(), &headers)
    }

    #[test]
    fn the_last_forwarded_address_wins_and_x_real_ip_overrides_it() {
        assert_eq!(client(&[]), Client::direct([10, 0, 0, 1].into()));
        let forwarded = client(&[("X-Forwarded-For", "1.1.1.1, 2.2.2.2")]);
        assert_eq!(forwarded.ip.to_string(), "2.2.2.2");
        let repeated = client(&[
            ("X-Forwarded-For", "1.1.1.1"),
            ("X-Forwarded-For", "3.3.3.3"),
        ]);
        assert_eq!(repeated.ip.to_string(), "3.3.3.3");
        let real = client(&[("X-Forwarded-For", "2.2.2.2"), ("X-Real-Ip", "4.4.4.4")]);
        assert_eq!(real.ip.to_string(), "4.4.4.4");
        let invalid = client(&[("X-Real-Ip", "not an address")]);
        assert_eq!(invalid.ip.to_string(), "10.0.0.1");
        let v6 = client(&[("X-Real-Ip", "::1")]);
        assert_eq!(v6.ip.to_string(), "::1");
    }

    #[test]
    fn the_scheme_comes_from_x_scheme_then_x_forwarded_proto() {
        assert_eq!(client(&[("X-Forwarded-Proto", "https")]).protocol, "https");
        assert_eq!(
            client(&[("X-Forwarded-Proto", "http, https")]).protocol,
            "https"
        );
        assert_eq!(
            client(&[("X-Scheme", "http"), ("X-Forwarded-Proto", "https")]).protocol,
            "http"
        );
        assert_eq!(client(&[("X-Scheme", "gopher")]).protocol, "http");
    }
}
