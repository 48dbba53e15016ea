//! What the server's settings give every request: `--xheaders`, the cookie secret and the
//! static directory, as Tornado's `Application.settings`.

use std::borrow::Cow;
use std::path::PathBuf;

use super::static_dir::StaticFiles;
use super::xheaders::{Client, Scheme, TrustedProxies};

/// The settings a request may need, shared by all workers.
pub struct Site {
    /// Whether to believe a proxy's `X-Real-Ip` and `X-Scheme` headers.
    pub xheaders: bool,
    /// Whose headers to believe, with `xheaders` (`--trusted-proxies`; none: anyone's).
    pub trusted_proxies: TrustedProxies,
    /// Signs cookies and xsrf-free values; never handed to a plugin.
    pub cookie_secret: Vec<u8>,
    /// `--shared-cookie-secret`: every plugin signs with the secret itself (else each with
    /// one derived from its name).
    pub shared_secret: bool,
    /// `--static`: served at `/static/`, and where `static_url` looks.
    pub static_files: Option<StaticFiles>,
}

impl Default for Site {
    /// No xheaders, no static directory, and a random secret.
    fn default() -> Self {
        Self {
            xheaders: false,
            trusted_proxies: TrustedProxies::default(),
            cookie_secret: random_secret(),
            shared_secret: false,
            static_files: None,
        }
    }
}

/// What a [`Site`] is made from: `--xheaders`, `--cookie-secret(-file)`,
/// `--shared-cookie-secret` and `--static`.
#[derive(Debug, Clone, Default)]
pub struct SiteSettings {
    /// Believe a proxy's headers.
    pub xheaders: bool,
    /// Only these proxies' (none: anyone's).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The secret itself.
    pub cookie_secret: Option<String>,
    /// A file holding the secret.
    pub cookie_secret_file: Option<PathBuf>,
    /// One secret for every plugin, not one derived per plugin.
    pub shared_secret: bool,
    /// The static directory.
    pub static_dir: Option<PathBuf>,
}

impl Site {
    /// The site its settings describe; an error says which setting is wrong.
    pub fn new(settings: &SiteSettings) -> anyhow::Result<Self> {
        let cookie_secret = match (&settings.cookie_secret, &settings.cookie_secret_file) {
            (Some(secret), _) => secret.as_bytes().to_vec(),
            (None, Some(file)) => {
                let text = std::fs::read_to_string(file).map_err(|error| {
                    anyhow::anyhow!(
                        "cannot read the cookie secret from {}: {error}",
                        file.display()
                    )
                })?;
                text.trim_end_matches(['\r', '\n']).as_bytes().to_vec()
            }
            (None, None) => {
                tracing::warn!(
                    "no --cookie-secret: signed cookies and sessions use a random secret \
                     and do not survive a restart"
                );
                random_secret()
            }
        };
        if cookie_secret.is_empty() {
            anyhow::bail!("the cookie secret is empty: give --cookie-secret a value");
        }
        let static_files = settings
            .static_dir
            .as_deref()
            .map(StaticFiles::new)
            .transpose()?;
        Ok(Self {
            xheaders: settings.xheaders,
            trusted_proxies: TrustedProxies::new(settings.trusted_proxies.clone()),
            cookie_secret,
            shared_secret: settings.shared_secret,
            static_files,
        })
    }

    /// The client of a request from `peer` on a connection of `scheme`: the peer, or with
    /// `--xheaders` whom its proxy names.
    pub fn client(
        &self,
        peer: std::net::IpAddr,
        scheme: Scheme,
        headers: &hyper::HeaderMap,
    ) -> Client {
        // A dual-stack listener sees an IPv4 peer as `::ffff:a.b.c.d`: it is that IPv4
        // address, for the trusted list, the throttle and the handler alike.
        let peer = peer.to_canonical();
        match self.xheaders {
            true => Client::behind_proxy(peer, scheme, headers, &self.trusted_proxies),
            false => Client::direct(peer, scheme),
        }
    }

    /// The secret `plugin`'s signed cookies use: one derived from the cookie secret and the
    /// plugin's name, so no plugin can make a value another accepts, or with
    /// `--shared-cookie-secret` the cookie secret itself.
    pub fn plugin_secret(&self, plugin: &str) -> Cow<'_, [u8]> {
        match self.shared_secret {
            true => Cow::Borrowed(&self.cookie_secret),
            false => Cow::Owned(super::signed::derive_secret(&self.cookie_secret, plugin)),
        }
    }

    /// The key the servers of one deployment sign their `--pubsub` messages with: derived
    /// from the cookie secret they share, under a name no plugin can have.
    pub fn pubsub_key(&self) -> Vec<u8> {
        super::signed::derive_secret(&self.cookie_secret, "/pubsub")
    }
}

/// 32 random bytes, hex-encoded.
fn random_secret() -> Vec<u8> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    super::hex::encode(&bytes).into_bytes()
}
