//! What the server's settings give every request: `--xheaders`, the cookie secret and the
//! static directory, as Tornado's `Application.settings`.

use std::path::PathBuf;

use super::static_files::StaticFiles;

/// The settings a request may need, shared by all workers.
pub struct Site {
    /// Whether to believe a proxy's `X-Real-Ip` and `X-Scheme` headers.
    pub xheaders: bool,
    /// Signs cookies and xsrf-free values; never handed to a plugin.
    pub cookie_secret: Vec<u8>,
    /// `--static`: served at `/static/`, and where `static_url` looks.
    pub static_files: Option<StaticFiles>,
}

impl Default for Site {
    /// No xheaders, no static directory, and a random secret.
    fn default() -> Self {
        Self {
            xheaders: false,
            cookie_secret: random_secret(),
            static_files: None,
        }
    }
}

impl Site {
    /// The site for `--xheaders`, `--cookie-secret(-file)` and `--static`.
    pub fn new(
        xheaders: bool,
        cookie_secret: Option<&str>,
        cookie_secret_file: Option<&PathBuf>,
        static_dir: Option<&PathBuf>,
    ) -> anyhow::Result<Self> {
        let cookie_secret = match (cookie_secret, cookie_secret_file) {
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
        let static_files = static_dir.map(|dir| StaticFiles::new(dir)).transpose()?;
        Ok(Self {
            xheaders,
            cookie_secret,
            static_files,
        })
    }
}

/// 32 random bytes, hex-encoded.
fn random_secret() -> Vec<u8> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    super::hex::encode(&bytes).into_bytes()
}
