//! The flags of serving HTTPS without a proxy: the certificate and its key, what each
//! `--listen` address speaks, plain HTTP sent on to HTTPS, and Strict-Transport-Security.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::http::xheaders::Scheme;

/// A `--listen` value: an address, and what it speaks when the value says so
/// (`http://ADDR`, `https://ADDR`); a bare address speaks HTTPS when there is a
/// certificate, else HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// The address, port 0 picking a free one.
    pub addr: SocketAddr,
    /// What the value said, if it said.
    pub scheme: Option<Scheme>,
}

/// Parses `ADDR`, `http://ADDR` or `https://ADDR`.
pub fn parse_listen(text: &str) -> Result<Listen, String> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some(("http", rest)) => (Some(Scheme::Http), rest),
        Some(("https", rest)) => (Some(Scheme::Https), rest),
        Some((other, _)) => {
            return Err(format!(
                "{other}:// is not served: write http://ADDR, https://ADDR or ADDR"
            ));
        }
        None => (None, text),
    };
    let addr = rest.trim_end_matches('/').parse().map_err(|_| {
        format!(
            "{text:?} is not an address to listen on: write e.g. 0.0.0.0:8443 or https://[::]:443"
        )
    })?;
    Ok(Listen { addr, scheme })
}

/// How gale serves HTTPS itself.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsOptions {
    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this certificate chain, PEM, the server's
    /// certificate first. Read again on SIGHUP and when the file changes: new connections
    /// take the new one, open ones keep theirs, and a broken pair is refused with a log line.
    #[arg(long, env = "GALE_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "GALE_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Answer every request on the plain-HTTP addresses (`--listen http://ADDR`) with 308 to
    /// the same URL on the HTTPS address.
    #[arg(long, env = "GALE_REDIRECT_HTTP", requires = "tls_cert")]
    pub redirect_http: bool,

    /// Send `Strict-Transport-Security: max-age=SECONDS` with every HTTPS response. Off by
    /// default: a browser that has seen it refuses plain HTTP to this host for that long.
    #[arg(long, env = "GALE_HSTS", value_name = "SECONDS", requires = "tls_cert")]
    pub hsts: Option<u64>,
}

impl TlsOptions {
    /// Each address with what it speaks, or why the combination cannot serve.
    pub fn endpoints(&self, listen: &[Listen]) -> anyhow::Result<Vec<(SocketAddr, Scheme)>> {
        let has_cert = self.tls_cert.is_some();
        let bare = if has_cert {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let endpoints: Vec<_> = listen
            .iter()
            .map(|listen| (listen.addr, listen.scheme.unwrap_or(bare)))
            .collect();
        let speaks = |scheme| endpoints.iter().any(|(_, s)| *s == scheme);
        if speaks(Scheme::Https) && !has_cert {
            anyhow::bail!(
                "--listen https://… serves HTTPS: give --tls-cert FILE and --tls-key FILE"
            );
        }
        if has_cert && !speaks(Scheme::Https) {
            anyhow::bail!(
                "--tls-cert is given but every --listen says http://: add one that serves \
                 HTTPS (https://ADDR, or a bare ADDR)"
            );
        }
        if self.redirect_http && !speaks(Scheme::Http) {
            anyhow::bail!(
                "--redirect-http sends plain HTTP on to HTTPS, but no --listen serves plain \
                 HTTP: add --listen http://ADDR"
            );
        }
        Ok(endpoints)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(values: &[&str]) -> Vec<Listen> {
        values.iter().map(|v| parse_listen(v).unwrap()).collect()
    }

    #[test]
    fn a_listen_value_names_its_scheme_or_takes_the_servers() {
        let plain = TlsOptions::default();
        let both = listen(&["127.0.0.1:8000", "https://127.0.0.1:8443"]);
        assert!(
            plain.endpoints(&both).is_err(),
            "https:// without a certificate"
        );
        let tls = TlsOptions {
            tls_cert: Some("c.pem".into()),
            tls_key: Some("k.pem".into()),
            ..TlsOptions::default()
        };
        let endpoints = tls
            .endpoints(&listen(&["http://127.0.0.1:80", "[::1]:443"]))
            .unwrap();
        assert_eq!(endpoints[0].1, Scheme::Http);
        assert_eq!(endpoints[1].1, Scheme::Https);
        let error = tls
            .endpoints(&listen(&["http://127.0.0.1:80"]))
            .unwrap_err();
        assert!(error.to_string().contains("every --listen says http://"));
        let redirect = TlsOptions {
            redirect_http: true,
            ..tls
        };
        let error = redirect.endpoints(&listen(&["127.0.0.1:443"])).unwrap_err();
        assert!(
            error.to_string().contains("--listen http://ADDR"),
            "{error}"
        );
    }

    #[test]
    fn a_listen_value_of_another_scheme_or_no_address_is_refused_saying_what_to_write() {
        assert!(
            parse_listen("ftp://127.0.0.1:21")
                .unwrap_err()
                .contains("https://ADDR")
        );
        assert!(
            parse_listen("localhost:80")
                .unwrap_err()
                .contains("0.0.0.0:8443")
        );
        assert_eq!(
            parse_listen("https://[::]:443/").unwrap().addr,
            "[::]:443".parse().unwrap()
        );
    }
}
