//! HTTPS: the certificate and key from `--tls-cert` and `--tls-key` (PEM), reloaded when the
//! files change, so a renewed certificate is served without a restart.
//!
//! [`CertificateResolver`] holds the served [`CertifiedKey`] behind an [`ArcSwap`]: every
//! handshake reads the current one, and [`spawn_reloader`] swaps in a new one when the files'
//! contents change (checked every [`TlsConfig::reload_every`], in rounds run through
//! [`guarded`]). A new pair that does not load (a half-written file, a key that does not match
//! the certificate) is logged and the old pair kept; the next round tries again. At start a pair
//! that does not load is an error, so a server never starts without its certificate.

use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::background::guarded;

/// The default interval between two looks at the certificate files.
pub const DEFAULT_RELOAD_EVERY: Duration = Duration::from_secs(5);

/// The largest certificate or key file read (a chain of a few certificates is a few KB).
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Where the certificate and key are, and how often to look at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain, PEM, the server's certificate first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often the files are read again to see whether they changed.
    pub reload_every: Duration,
    /// Also serve plain HTTP on this address (beside HTTPS on `--listen`).
    pub plain_listen: Option<SocketAddr>,
}

/// The two files' contents as last read, to tell whether they changed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PemFiles {
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// A served pair: the key handshakes use, and the files it was loaded from.
#[derive(Debug)]
struct Served {
    key: Arc<CertifiedKey>,
    files: PemFiles,
}

/// Hands every handshake the current certificate.
#[derive(Debug)]
pub struct CertificateResolver {
    current: ArcSwap<Served>,
}

impl ResolvesServerCert for CertificateResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.current.load().key))
    }
}

/// The acceptor for `config`'s files and the resolver behind it (for [`spawn_reloader`]).
pub fn acceptor(config: &TlsConfig) -> anyhow::Result<(TlsAcceptor, Arc<CertificateResolver>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let files = read_files(config)?;
    let key = Arc::new(certified_key(&files, &provider)?);
    let resolver = Arc::new(CertificateResolver {
        current: ArcSwap::from_pointee(Served { key, files }),
    });
    let mut server = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(Arc::clone(&resolver) as Arc<dyn ResolvesServerCert>);
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(server)), resolver))
}

/// Looks at the files every `config.reload_every` and serves a new pair once it loads.
pub fn spawn_reloader(
    config: TlsConfig,
    resolver: Arc<CertificateResolver>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let provider = rustls::crypto::ring::default_provider();
        // What the files held when last read (a pair that failed to load included, so that
        // it is reported once); at first, what the served pair was loaded from.
        let mut seen = Some(resolver.current.load().files.clone());
        let mut ticker = tokio::time::interval(config.reload_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let previous = seen.clone();
                    let round = reload_round(&config, &resolver, &provider, seen.take());
                    seen = guarded("TLS certificate reload", round).await.flatten().or(previous);
                }
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// One look at the files: swaps in a changed pair that loads; the contents now seen.
async fn reload_round(
    config: &TlsConfig,
    resolver: &CertificateResolver,
    provider: &CryptoProvider,
    seen: Option<PemFiles>,
) -> Option<PemFiles> {
    let config = config.clone();
    let read = tokio::task::spawn_blocking(move || read_files(&config)).await;
    let files = match read {
        Ok(Ok(files)) => files,
        Ok(Err(error)) => {
            tracing::warn!(error = %format!("{error:#}"), "could not read the TLS files; serving the previous certificate");
            return seen;
        }
        Err(error) => {
            tracing::warn!(%error, "reading the TLS files failed");
            return seen;
        }
    };
    if seen.as_ref() == Some(&files) {
        return seen;
    }
    match certified_key(&files, provider) {
        Ok(key) => {
            resolver.current.store(Arc::new(Served {
                key: Arc::new(key),
                files: files.clone(),
            }));
            tracing::info!("TLS certificate reloaded");
            Some(files)
        }
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "the new TLS certificate or key does not load; serving the previous one");
            // Remember what failed, so the same bad pair is not reported every round.
            Some(files)
        }
    }
}

fn read_files(config: &TlsConfig) -> anyhow::Result<PemFiles> {
    Ok(PemFiles {
        cert: read_bounded(&config.cert).context("--tls-cert")?,
        key: read_bounded(&config.key).context("--tls-key")?,
    })
}

fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut contents = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut contents)
        .with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        contents.len() as u64 <= MAX_PEM_BYTES,
        "{} is larger than {MAX_PEM_BYTES} bytes",
        path.display()
    );
    Ok(contents)
}

/// The certificate chain and key of `files`, checked to belong together.
fn certified_key(files: &PemFiles, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_slice_iter(&files.cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| anyhow::anyhow!("the certificate file is not PEM: {error}"))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "the certificate file holds no CERTIFICATE block"
    );
    let key = PrivateKeyDer::from_pem_slice(&files.key)
        .map_err(|error| anyhow::anyhow!("the key file holds no private key: {error}"))?;
    CertifiedKey::from_der(chain, key, provider)
        .map_err(|error| anyhow::anyhow!("the key does not fit the certificate: {error}"))
}
