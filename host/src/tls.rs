//! Serving HTTPS: the certificate and its key (PEM), read at start and again when they
//! change (SIGHUP, or a file of theirs rewritten), as hot swap treats a plugin: new
//! handshakes take the new pair, connections already made keep theirs, and a broken new
//! pair is refused with a log line while the old one serves on.
//!
//! rustls with the ring provider (already the outbound fetches' and Redis's: no second
//! crypto library, no C build beyond ring's), TLS 1.2 and 1.3 only, ALPN `h2` then
//! `http/1.1`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig};
use rustls::sign::CertifiedKey;
use tokio::sync::mpsc;

/// The ALPN protocols offered, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// How long the certificate's files must be quiet before they are read again: a renewal
/// writes the chain and the key one after the other.
const SETTLE: Duration = Duration::from_millis(300);

/// The certificate in force and where it is read from; the resolver of every handshake.
#[derive(Debug)]
pub struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
}

impl Certificates {
    /// Reads the pair, or says which file is wrong and how.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<Self>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pair = read_pair(cert, key, &provider)?;
        Ok(Arc::new(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            provider,
            current: ArcSwap::from_pointee(pair),
        }))
    }

    /// Reads the files again: the new pair serves new handshakes, or, if it is broken, the
    /// old one serves on and the log says why. Returns whether the pair changed.
    pub fn reload(&self) -> bool {
        match read_pair(&self.cert, &self.key, &self.provider) {
            Ok(pair) if pair.cert == self.current.load().cert => false,
            Ok(pair) => {
                self.current.store(Arc::new(pair));
                tracing::info!("TLS: new certificate from {} in force", self.cert.display());
                true
            }
            Err(error) => {
                tracing::error!("TLS: {error:#}; the certificate in force keeps serving");
                false
            }
        }
    }

    /// The TLS settings of every HTTPS listener: this store resolves their certificate.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .context("TLS 1.2 and 1.3 with ring")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = ALPN.iter().map(|protocol| protocol.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// Watches the directories of the two files; `None`, logged, if the platform refuses
    /// (then SIGHUP still reloads).
    pub fn watch(&self) -> Option<FileWatcher> {
        let dirs = [&self.cert, &self.key].map(|file| parent(file));
        FileWatcher::new(&dirs)
            .inspect_err(|error| {
                tracing::error!(
                    "cannot watch the certificate's directory: {error}; it is read again on \
                     SIGHUP only"
                )
            })
            .ok()
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The chain of `cert` with the key of `key`, checked to belong together.
fn read_pair(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read --tls-cert {}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "--tls-cert {} holds no certificate (a PEM `BEGIN CERTIFICATE` block)",
            cert.display()
        );
    }
    let private = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "cannot read a private key (PEM: PKCS#8, PKCS#1 or SEC1) from --tls-key {}",
            key.display()
        )
    })?;
    CertifiedKey::from_der(chain, private, provider).with_context(|| {
        format!(
            "--tls-key {} does not belong to the certificate of --tls-cert {}",
            key.display(),
            cert.display()
        )
    })
}

/// The directory holding `file` (`.` for a bare name).
fn parent(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Changes in the certificate's directories, reported once they have settled.
pub struct FileWatcher {
    _watcher: RecommendedWatcher,
    events: mpsc::UnboundedReceiver<()>,
}

impl FileWatcher {
    /// Watches `dirs` (not their subdirectories). Any change counts: a renewal may swap a
    /// symbolic link (certbot's `live/`) rather than write the file named.
    fn new(dirs: &[PathBuf]) -> notify::Result<Self> {
        let (sender, events) = mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if event.is_ok_and(|event| !event.kind.is_access()) {
                    let _ = sender.send(());
                }
            })?;
        for dir in dirs {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
        }
        Ok(Self {
            _watcher: watcher,
            events,
        })
    }

    /// Waits for a change, then for the files to be quiet for [`SETTLE`].
    pub async fn changed(&mut self) {
        if self.events.recv().await.is_none() {
            return std::future::pending().await;
        }
        while let Ok(Some(())) = tokio::time::timeout(SETTLE, self.events.recv()).await {}
    }
}
