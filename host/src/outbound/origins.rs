//! Who a plugin may call: `--allow-outbound PLUGIN=ORIGIN[,ORIGIN...]`, origins written as
//! Spin writes them (`https://api.example.com`, `http://127.0.0.1:8081`,
//! `https://*.example.com`, and `self`, this server). Nothing is reachable without one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

/// One allowed origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A scheme, a host (or `*.` a domain's subdomains) and a port.
    Site {
        /// `http` or `https`.
        scheme: String,
        /// The host name or address, lower case; a leading `*.` matches any subdomain.
        host: String,
        /// The port (the scheme's when not written).
        port: u16,
    },
    /// This server itself (`self`): its own listening address over plain HTTP.
    This,
}

impl Origin {
    /// Whether `url` is of this origin, `here` being this server's address.
    fn admits(&self, url: &Url, here: Option<SocketAddr>) -> bool {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        match self {
            Self::This => here.is_some_and(|here| {
                url.scheme() == "http" && port == here.port() && names_this(&host, here.ip())
            }),
            Self::Site {
                scheme,
                host: allowed,
                port: allowed_port,
            } => {
                let host_matches = match allowed.strip_prefix("*.") {
                    Some(domain) => host.ends_with(&format!(".{domain}")),
                    None => host == *allowed,
                };
                url.scheme() == scheme && port == *allowed_port && host_matches
            }
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::This => f.write_str("self"),
            Self::Site { scheme, host, port } => write!(f, "{scheme}://{host}:{port}"),
        }
    }
}

/// Whether `host` (a URL's, lower case) names this server listening on `ip`: that address,
/// or, when it listens on loopback or on every address, `localhost` or a loopback address.
fn names_this(host: &str, ip: IpAddr) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let named: Option<IpAddr> = bare.parse().ok();
    if named == Some(ip) {
        return true;
    }
    let local = ip.is_loopback() || ip.is_unspecified();
    local && (bare == "localhost" || named.is_some_and(|named| named.is_loopback()))
}

/// Parses one origin: `self`, or `SCHEME://HOST[:PORT]` (`http` or `https`; no path).
pub fn parse_origin(text: &str) -> Result<Origin, String> {
    let text = text.trim();
    if text == "self" {
        return Ok(Origin::This);
    }
    let shape = "an origin: write self, or e.g. https://api.example.com, http://127.0.0.1:8081, \
                 https://*.example.com";
    let wildcard = text.contains("://*.");
    let parsed = Url::parse(&text.replacen("://*.", "://wildcard.", 1))
        .map_err(|_| format!("{text:?} is not {shape}"))?;
    let scheme = parsed.scheme();
    let path_free = matches!(parsed.path(), "" | "/") && parsed.query().is_none();
    if !matches!(scheme, "http" | "https") || !path_free || !parsed.username().is_empty() {
        return Err(format!("{text:?} is not {shape}"));
    }
    let host = match parsed.host() {
        Some(Host::Domain(domain)) if wildcard => domain.replacen("wildcard.", "*.", 1),
        Some(Host::Domain(domain)) => domain.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        None => return Err(format!("{text:?} is not {shape}")),
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    Ok(Origin::Site {
        scheme: scheme.to_owned(),
        host,
        port,
    })
}

/// Parses `PLUGIN=ORIGIN[,ORIGIN...]`.
pub fn parse_allowance(text: &str) -> Result<(String, Vec<Origin>), String> {
    let (plugin, origins) = text
        .split_once('=')
        .filter(|(plugin, origins)| !plugin.trim().is_empty() && !origins.trim().is_empty())
        .ok_or_else(|| {
            format!("{text:?} is not PLUGIN=ORIGIN[,ORIGIN...]: write e.g. gateway=self")
        })?;
    let origins = origins
        .split(',')
        .map(parse_origin)
        .collect::<Result<_, _>>()?;
    Ok((plugin.trim().to_owned(), origins))
}

/// Every plugin's allowed origins.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    by_plugin: HashMap<String, Vec<Origin>>,
    /// This server's address, for `self`.
    here: Option<SocketAddr>,
}

impl AllowList {
    /// The list `--allow-outbound` gave, its entries for one plugin merged.
    pub fn new(allowances: &[(String, Vec<Origin>)]) -> Self {
        let mut by_plugin: HashMap<String, Vec<Origin>> = HashMap::new();
        for (plugin, origins) in allowances {
            by_plugin
                .entry(plugin.clone())
                .or_default()
                .extend(origins.iter().cloned());
        }
        Self {
            by_plugin,
            here: None,
        }
    }

    /// `self` is `here` from now on (the server's bound address, known once it listens).
    pub fn serving_at(&mut self, here: SocketAddr) {
        self.here = Some(here);
    }

    /// Whether `plugin` may fetch `url`.
    pub fn admits(&self, plugin: &str, url: &Url) -> bool {
        let origins = self
            .by_plugin
            .get(plugin)
            .map(Vec::as_slice)
            .unwrap_or_default();
        origins.iter().any(|origin| origin.admits(url, self.here))
    }
}

/// `url`'s origin as an allowance names it, for the error and the log.
pub fn origin_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn origins_parse_as_spin_writes_them_and_refuse_anything_else() {
        let site = |scheme: &str, host: &str, port| Origin::Site {
            scheme: scheme.into(),
            host: host.into(),
            port,
        };
        assert_eq!(parse_origin("self"), Ok(Origin::This));
        assert_eq!(
            parse_origin("https://API.example.com"),
            Ok(site("https", "api.example.com", 443))
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8081"),
            Ok(site("http", "127.0.0.1", 8081))
        );
        assert_eq!(
            parse_origin("https://*.example.com"),
            Ok(site("https", "*.example.com", 443))
        );
        for bad in [
            "ftp://x.example",
            "https://x.example/path",
            "x.example",
            "https://u@x.example",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        assert!(parse_allowance("gateway").is_err());
        let (plugin, origins) = parse_allowance("gateway=self,https://a.example").unwrap();
        assert_eq!((plugin.as_str(), origins.len()), ("gateway", 2));
    }

    #[test]
    fn a_plugin_reaches_only_its_own_origins() {
        let allowances =
            [
                parse_allowance("gateway=https://*.example.com,http://127.0.0.1:8081,self")
                    .unwrap(),
            ];
        let mut list = AllowList::new(&allowances);
        list.serving_at("127.0.0.1:9000".parse().unwrap());
        assert!(list.admits("gateway", &url("https://api.example.com/v1")));
        assert!(
            !list.admits("gateway", &url("https://example.com/")),
            "no subdomain"
        );
        assert!(
            !list.admits("gateway", &url("http://api.example.com/")),
            "another scheme"
        );
        assert!(list.admits("gateway", &url("http://127.0.0.1:8081/x")));
        assert!(
            !list.admits("gateway", &url("http://127.0.0.1:8082/x")),
            "another port"
        );
        assert!(
            list.admits("gateway", &url("http://127.0.0.1:9000/time/1/2/3")),
            "self"
        );
        assert!(
            list.admits("gateway", &url("http://localhost:9000/")),
            "self by name"
        );
        assert!(
            !list.admits("gateway", &url("https://127.0.0.1:9000/")),
            "self is plain HTTP"
        );
        let mut everywhere = AllowList::new(&allowances);
        everywhere.serving_at("0.0.0.0:9000".parse().unwrap());
        assert!(
            everywhere.admits("gateway", &url("http://127.0.0.1:9000/")),
            "any address"
        );
        assert!(
            !everywhere.admits("gateway", &url("http://10.1.2.3:9000/")),
            "not another host"
        );
        assert!(
            !list.admits("other", &url("https://api.example.com/")),
            "another plugin"
        );
    }
}
