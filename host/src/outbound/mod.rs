//! Outbound HTTP for handlers, as Tornado's `AsyncHTTPClient`, safer than the peers' by
//! default: nothing is reachable unless the operator allows its origin for the plugin
//! (`origins.rs`), a name reaches only public addresses unless its origin names the address
//! itself (`addresses.rs`), every hop of a redirect is checked again, and Tornado's 20 s
//! timeouts hold. Each worker keeps its own connections (`connect.rs`); one fetch is
//! `exchange.rs`.

mod addresses;
mod connect;
mod exchange;
mod origins;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use url::Url;

pub use origins::{AllowList, Origin, origin_of, parse_allowance};

/// What to fetch (the WIT's `http-request`, its timeouts as durations).
#[derive(Debug, Clone)]
pub struct Request {
    /// An absolute `http` or `https` URL.
    pub url: String,
    /// The method.
    pub method: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// To connect.
    pub connect_timeout: Duration,
    /// For the whole exchange.
    pub request_timeout: Duration,
    /// Whether redirects are followed.
    pub follow_redirects: bool,
    /// How many at most.
    pub max_redirects: u32,
    /// Whether a gzip body is decompressed.
    pub decompress: bool,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
    /// The headers, in order, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The URL answered last.
    pub effective_url: String,
    /// From the fetch's start to its end.
    pub request_time: Duration,
}

/// Why a fetch has no response (the WIT's `fetch-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The origin is not allowed for the plugin.
    Denied(String),
    /// A name resolved to an address its origin may not reach.
    ForbiddenAddress(String),
    /// A timeout passed.
    Timeout(String),
    /// The connection was refused.
    Refused(String),
    /// DNS, a broken connection, a malformed answer.
    Connection(String),
    /// Not a fetch that can be made.
    InvalidRequest(String),
    /// A body past the handler's budget.
    TooLarge(String),
    /// Past the handler's limits.
    TooMany(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Denied(why)
            | Self::ForbiddenAddress(why)
            | Self::Timeout(why)
            | Self::Refused(why)
            | Self::Connection(why)
            | Self::InvalidRequest(why)
            | Self::TooLarge(why)
            | Self::TooMany(why) => f.write_str(why),
        }
    }
}

/// What every worker's outbound HTTP runs under.
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    /// Who may call what (`--allow-outbound`).
    pub allowed: AllowList,
    /// A CA to trust besides the system's (`--outbound-ca`).
    pub ca: Option<PathBuf>,
    /// Names answered without DNS (`--outbound-resolve`).
    pub resolve: HashMap<String, IpAddr>,
    /// Connections a worker holds at once (`--outbound-connections`).
    pub connections: usize,
    /// The largest body a fetch may bring back: what a handler may hold.
    pub max_body: usize,
}

/// A worker's outbound HTTP: its settings, its connections, and when each denied origin
/// was last logged.
pub struct Outbound {
    settings: Arc<OutboundSettings>,
    pool: connect::Pool,
    denied_logged: Mutex<HashMap<(String, String), Instant>>,
}

/// A denied origin is logged at most this often per plugin.
const DENIED_LOG_EVERY: Duration = Duration::from_secs(60);

impl Outbound {
    /// A worker's outbound HTTP under `settings`, with TLS on the system's roots and
    /// `--outbound-ca`; the error names what cannot be read.
    pub fn new(settings: Arc<OutboundSettings>) -> anyhow::Result<Self> {
        let tls = Arc::new(tls_config(settings.ca.as_deref())?);
        let pool = connect::Pool::new(settings.connections, tls, settings.resolve.clone());
        Ok(Self {
            settings,
            pool,
            denied_logged: Mutex::default(),
        })
    }

    /// Whether `plugin` may fetch `url`: the error names the origin and the flag to add
    /// (logged once a minute per plugin and origin).
    pub fn check(&self, plugin: &str, url: &Url) -> Result<(), FetchError> {
        if self.settings.allowed.admits(plugin, url) {
            return Ok(());
        }
        let origin = origin_of(url);
        let why = format!(
            "{origin} is not allowed for plugin {plugin}: start gale with \
             --allow-outbound {plugin}={origin}"
        );
        let key = (plugin.to_owned(), origin);
        let mut logged = self.denied_logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged
            .get(&key)
            .is_none_or(|at| at.elapsed() >= DENIED_LOG_EVERY)
        {
            tracing::warn!(plugin, "a fetch was denied: {why}");
            logged.insert(key, Instant::now());
        }
        Err(FetchError::Denied(why))
    }

    /// Fetches `request` for `plugin`, recording it in the metrics.
    pub async fn fetch(&self, plugin: &Arc<str>, request: Request) -> Result<Response, FetchError> {
        let origin = Url::parse(&request.url)
            .map(|url| origin_of(&url))
            .unwrap_or_default();
        let started = Instant::now();
        let outcome = exchange::fetch(self, plugin, request).await;
        let code = outcome.as_ref().map_or(599, |response| response.code);
        crate::metrics::record(|metrics| {
            metrics.outbound_request(plugin, &origin, code, started.elapsed())
        });
        outcome
    }
}

/// rustls for fetches: the system's roots (and `SSL_CERT_FILE`'s), `ca` besides, TLS 1.2
/// and 1.3, ALPN `h2` then `http/1.1`.
fn tls_config(ca: Option<&std::path::Path>) -> anyhow::Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(ca) = ca {
        let text = std::fs::read(ca).map_err(|error| {
            anyhow::anyhow!("cannot read --outbound-ca {}: {error}", ca.display())
        })?;
        let mut found = 0;
        for cert in rustls_pemfile_certs(&text) {
            roots
                .add(cert)
                .map_err(|error| anyhow::anyhow!("--outbound-ca {}: {error}", ca.display()))?;
            found += 1;
        }
        anyhow::ensure!(
            found > 0,
            "--outbound-ca {} holds no PEM certificate",
            ca.display()
        );
    }
    let mut config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of a PEM file.
fn rustls_pemfile_certs(
    text: &[u8],
) -> Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(text)
        .filter_map(Result::ok)
        .collect()
}
