//! Tornado's `xheaders=True`: behind a reverse proxy, the client's address and scheme come
//! from the proxy's headers instead of the socket; with `--trusted-proxies` (Tornado's
//! `trusted_downstream`, as networks) only from a trusted peer, and the forwarded chain is
//! walked past the trusted proxies in it.

use std::net::IpAddr;

use hyper::HeaderMap;
use ipnet::IpNet;

/// The proxies whose headers speak for the client (`--trusted-proxies`): none listed means
/// any peer, as Tornado's `xheaders=True`.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// The proxies in `networks`.
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Whether `peer` may speak for the client.
    fn admits(&self, peer: IpAddr) -> bool {
        self.0.is_empty() || self.lists(peer)
    }

    /// Whether `ip` is a listed proxy.
    fn lists(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&ip))
    }
}

/// A `--trusted-proxies` entry: a network (`10.0.0.0/8`) or one address.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an address nor a network (e.g. 10.0.0.0/8)"))
}

/// How a connection reached the server: plain HTTP, or HTTPS that gale terminates itself
/// (`--tls-cert`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// TLS, terminated by gale.
    Https,
}

impl Scheme {
    /// `http` or `https`, as `request.protocol` and URLs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Who the client is, as `request.remote_ip` and `request.protocol` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address.
    pub ip: IpAddr,
    /// `http` or `https`.
    pub protocol: &'static str,
}

impl Client {
    /// The peer itself, on a connection of `scheme`.
    pub fn direct(peer: IpAddr, scheme: Scheme) -> Self {
        Self {
            ip: peer,
            protocol: scheme.as_str(),
        }
    }

    /// As Tornado's `_apply_xheaders`: the `X-Forwarded-For` entries walked from the last,
    /// past the trusted proxies, overridden by `X-Real-Ip`, kept only if it is a valid
    /// address; the scheme from `X-Scheme`, else `X-Forwarded-Proto` (its last entry), kept
    /// only if it is `http` or `https`, else the connection's `scheme`. A peer that is not a
    /// trusted proxy (when some are listed) is the client, whatever its headers say.
    pub fn behind_proxy(
        peer: IpAddr,
        scheme: Scheme,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> Self {
        let mut client = Self::direct(peer, scheme);
        if !trusted.admits(peer) {
            return client;
        }
        let forwarded = joined(headers, "x-forwarded-for");
        let ip = forwarded.as_deref().and_then(|list| {
            // From the right, the first entry that is no proxy of ours (the leftmost when
            // all are, as Tornado's loop leaves it).
            let mut chosen = None;
            for entry in list.rsplit(',').map(str::trim) {
                chosen = Some(entry);
                if !entry.parse().is_ok_and(|ip| trusted.lists(ip)) {
                    break;
                }
            }
            chosen
        });
        let ip = joined(headers, "x-real-ip").or(ip.map(str::to_owned));
        if let Some(ip) = ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok()) {
            client.ip = ip.to_canonical();
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
        Client::behind_proxy(
            [10, 0, 0, 1].into(),
            Scheme::Http,
            &headers,
            &TrustedProxies::default(),
        )
    }

    fn trusting(proxies: &[&str], peer: [u8; 4], forwarded: &str) -> String {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        let networks = proxies.iter().map(|text| parse_network(text).unwrap());
        let trusted = TrustedProxies::new(networks.collect());
        Client::behind_proxy(peer.into(), Scheme::Http, &headers, &trusted)
            .ip
            .to_string()
    }

    #[test]
    fn trusted_proxies_are_walked_past_and_an_untrusted_peer_is_the_client() {
        let proxies = ["10.0.0.0/8", "192.0.2.7"];
        // nginx (10.0.0.1) behind a balancer (192.0.2.7): the client is the first before them.
        assert_eq!(
            trusting(
                &proxies,
                [10, 0, 0, 1],
                "203.0.113.9, 198.51.100.1, 192.0.2.7"
            ),
            "198.51.100.1"
        );
        assert_eq!(
            trusting(&proxies, [10, 0, 0, 1], "203.0.113.9, 10.1.1.1"),
            "203.0.113.9"
        );
        // All proxies: the leftmost, as Tornado's loop leaves it.
        assert_eq!(
            trusting(&proxies, [10, 0, 0, 1], "10.2.2.2, 10.3.3.3"),
            "10.2.2.2"
        );
        // A peer that is no proxy of ours: its headers are ignored.
        assert_eq!(
            trusting(&proxies, [198, 51, 100, 4], "203.0.113.9"),
            "198.51.100.4"
        );
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("not-an-address").is_err());
        assert_eq!(parse_network(" ::1 ").unwrap().to_string(), "::1/128");
    }

    #[test]
    fn the_last_forwarded_address_wins_and_x_real_ip_overrides_it() {
        assert_eq!(
            client(&[]),
            Client::direct([10, 0, 0, 1].into(), Scheme::Http)
        );
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

    #[test]
    fn a_tls_connection_is_https_unless_a_trusted_proxy_says_otherwise() {
        let peer = [10, 0, 0, 1].into();
        assert_eq!(Client::direct(peer, Scheme::Https).protocol, "https");
        let mut headers = HeaderMap::new();
        headers.insert("x-scheme", "gopher".parse().unwrap());
        let trusted = TrustedProxies::default();
        let kept = Client::behind_proxy(peer, Scheme::Https, &headers, &trusted);
        assert_eq!(
            kept.protocol, "https",
            "an invalid scheme keeps the connection's"
        );
        headers.insert("x-scheme", "http".parse().unwrap());
        let told = Client::behind_proxy(peer, Scheme::Https, &headers, &trusted);
        assert_eq!(told.protocol, "http");
    }
}
