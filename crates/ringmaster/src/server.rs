//! Starting, running and stopping the HTTP server.
//!
//! [`start`] connects the store, fills the feed cache and the OS-update snapshot, binds the
//! listener and returns a handle that knows its address (so tests bind port 0 and read the real
//! one). A background task keeps both current with writes made elsewhere; another, when
//! configured, polls release feeds; another sends queued webhook events. Shutdown is graceful: on SIGTERM or Ctrl-C the server stops
//! accepting, finishes requests in flight, and closes the database. Connections are served by
//! [`crate::connections`], which enforces the timeouts and the connection cap; the open-file limit
//! is raised at start.
//!
//! With `--tls-cert`/`--tls-key` the listen address speaks HTTPS ([`crate::tls`]; the files are
//! re-read every few seconds and a renewed certificate served without a restart), and
//! `--plain-listen` adds a plain-HTTP listener beside it; both listeners share the connection
//! cap and the timeouts. Without `--ddm-secret` the server refuses to start unless
//! `--ddm-open` says the DDM check-ins are meant to be open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ringmaster_store::store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::clock::Clock;
use crate::connections::{self, descriptors};
use crate::http::{self, AppState, HttpConfig};
use crate::os_updates::catalog_poll::{self, CatalogPollConfig};
use crate::os_updates::notifier::{self, NotifierConfig};
use crate::os_updates::service::OsUpdates;
use crate::patch_source::service::PatchSource;
use crate::webhooks::delivery::{self as webhook_delivery, WebhookDeliveryConfig};

/// Everything needed to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub http: HttpConfig,
    pub cache_refresh: Duration,
    /// Keep the OS release catalog current from feeds; `None` leaves polling off.
    pub catalog_poll: Option<CatalogPollConfig>,
    /// Where the device-facing side reads "now" (the system clock but in tests).
    pub clock: Clock,
    /// Ask the MDM to make devices sync when their declarations change; `None` leaves it off.
    pub notifier: Option<NotifierConfig>,
    /// How queued webhook events are sent (always on; with no webhook it only looks).
    pub webhooks: WebhookDeliveryConfig,
    /// How long audit entries are kept, and how often the old ones are pruned.
    pub audit: crate::audit::prune::AuditPruneConfig,
}

/// How often a health-gate evaluation round runs (on one server of the cluster at a time).
const GATE_EVALUATION_EVERY: Duration = Duration::from_secs(60);

/// A running server.
#[derive(Debug)]
pub struct RunningServer {
    /// The listen address (HTTPS with TLS configured).
    pub address: SocketAddr,
    /// The plain-HTTP listener beside HTTPS (`--plain-listen`), if any.
    pub plain_address: Option<SocketAddr>,
    pub patch_source: PatchSource,
    pub os_updates: OsUpdates,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// Asks the server to stop and waits until it has.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task failed")?
    }

    /// Waits until the server stops by itself (after a signal).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task failed")?
    }
}

/// Connects, loads, binds and starts serving in the background.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    let store = Store::connect(&config.database_url, &StoreOptions::default())
        .await
        .with_context(|| format!("opening database {}", redact(&config.database_url)))?;
    start_with_store(config, store).await
}

/// Starts serving over an already connected store.
pub async fn start_with_store(config: ServerConfig, store: Store) -> anyhow::Result<RunningServer> {
    crate::config::checks::ddm_prefix(&config.http.ddm_prefix)
        .map_err(|problem| anyhow::anyhow!("invalid DDM prefix: {problem}"))?;
    let patch_source = PatchSource::new(store.clone(), config.clock.clone());
    patch_source
        .cache
        .refresh(&patch_source.store)
        .await
        .context("loading titles")?;
    let os_updates = OsUpdates::with_clock(store, config.clock.clone());
    check_ddm_secret(&config.http)?;
    os_updates
        .refresh()
        .await
        .context("loading the OS-update configuration")?;
    descriptors::prepare_for(config.http.connections.max_connections);
    let tls = config
        .http
        .tls
        .as_ref()
        .map(crate::tls::acceptor)
        .transpose()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let plain_listener = match config.http.tls.as_ref().and_then(|tls| tls.plain_listen) {
        Some(plain) => Some(
            TcpListener::bind(plain)
                .await
                .with_context(|| format!("listening on {plain} (--plain-listen)"))?,
        ),
        None => None,
    };
    let plain_address = plain_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()
        .context("reading the bound address")?;
    let state = AppState {
        store: patch_source.store.clone(),
        patch_source: patch_source.clone(),
        os_updates: os_updates.clone(),
        config: config.http.clone(),
        clock: config.clock.clone(),
        limiters: http::rate_limit::Limiters::new(
            config.http.auth_failure_limit,
            config.http.admin_rate_limit,
        ),
        feed_tokens: Default::default(),
        admin_tokens: Default::default(),
    };
    state
        .admin_tokens
        .refresh(&state.store, true)
        .await
        .context("loading the admin tokens")?;
    let (shutdown, shutdown_requested) = watch::channel(false);
    let refresher = spawn_cache_refresher(
        patch_source.clone(),
        os_updates.clone(),
        state.admin_tokens.clone(),
        config.cache_refresh,
        shutdown.subscribe(),
    );
    let notifier = config
        .notifier
        .clone()
        .map(|notify| notifier::spawn(os_updates.clone(), notify, shutdown.subscribe()));
    let poller = config
        .catalog_poll
        .clone()
        .map(|poll| catalog_poll::spawn(os_updates.clone(), poll, shutdown.subscribe()));
    let webhooks = webhook_delivery::spawn(
        patch_source.store.clone(),
        config.clock.clone(),
        config.webhooks.clone(),
        shutdown.subscribe(),
    );
    let reloader = match (&tls, &config.http.tls) {
        (Some((_, resolver)), Some(files)) => Some(crate::tls::spawn_reloader(
            files.clone(),
            Arc::clone(resolver),
            shutdown.subscribe(),
        )),
        _ => None,
    };
    let compliance = crate::os_updates::compliance_cache::spawn_keeper(
        os_updates.clone(),
        config.cache_refresh,
        shutdown.subscribe(),
    );
    let gate_rounds = crate::os_updates::gates::spawn(
        os_updates.clone(),
        GATE_EVALUATION_EVERY,
        shutdown.subscribe(),
    );
    let audit_prune = crate::audit::prune::spawn(
        patch_source.store.clone(),
        config.clock.clone(),
        config.audit,
        shutdown.subscribe(),
    );
    let limits = config.http.connections;
    let app = http::router(state);
    let served_source = patch_source.clone();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let plain = plain_listener.map(|plain| {
        tokio::spawn(connections::serve(
            plain,
            app.clone(),
            limits,
            None,
            Arc::clone(&slots),
            shutdown.subscribe(),
        ))
    });
    let acceptor = tls.map(|(acceptor, _)| acceptor);
    let https = acceptor.is_some();
    let task = tokio::spawn(async move {
        connections::serve(listener, app, limits, acceptor, slots, shutdown_requested).await;
        if let Some(plain) = plain {
            let _ = plain.await;
        }
        refresher.abort();
        webhooks.abort();
        compliance.abort();
        gate_rounds.abort();
        for task in [poller, notifier, reloader, audit_prune]
            .into_iter()
            .flatten()
        {
            task.abort();
        }
        served_source.store.close().await;
        Ok(())
    });
    tracing::info!(
        %address,
        https,
        plain_address = plain_address.map(tracing::field::display),
        header_timeout_secs = limits.header_timeout.as_secs(),
        body_timeout_secs = limits.body_timeout.as_secs(),
        idle_timeout_secs = limits.idle_timeout.as_secs(),
        max_connections = limits.max_connections,
        "ringmaster is listening"
    );
    Ok(RunningServer {
        address,
        plain_address,
        patch_source,
        os_updates,
        shutdown,
        task,
    })
}

/// Without a DDM secret, starting is refused unless `--ddm-open` asked for open check-ins.
fn check_ddm_secret(http: &HttpConfig) -> anyhow::Result<()> {
    match (&http.ddm_secret, http.ddm_open) {
        (Some(_), _) => Ok(()),
        (None, true) => {
            tracing::warn!(
                "--ddm-open: the DDM check-in endpoints accept any caller (anyone can create devices and report their status)"
            );
            Ok(())
        }
        (None, false) => anyhow::bail!(
            "no DDM secret: set --ddm-secret-file (or RINGMASTER_DDM_SECRET) to the secret your MDM sends, \
             or pass --ddm-open to serve the DDM check-in endpoints to anyone (then anyone who reaches them \
             can create devices and report their status)"
        ),
    }
}

fn spawn_cache_refresher(
    patch_source: PatchSource,
    os_updates: OsUpdates,
    admin_tokens: crate::token_cache::TokenCache,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    guarded("cache refresh", patch_source.refresh_cache()).await;
                    if let Some(Err(error)) = guarded("OS-update refresh", os_updates.refresh()).await {
                        tracing::warn!(%error, "OS-update refresh failed; serving the previous snapshot");
                    }
                    if let Some(Err(error)) = guarded("token refresh", admin_tokens.refresh(&patch_source.store, false)).await {
                        tracing::warn!(%error, "admin token refresh failed; checking the tokens in memory");
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    })
}

/// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn run_until_signal(config: ServerConfig) -> anyhow::Result<()> {
    let server = start(config).await?;
    let shutdown = server.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = shutdown.send(true);
    });
    server.wait().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A database URL with any password replaced by `***`, for logs and errors. A URL that does
/// not parse but might hold credentials (it has an `@`) is not shown at all.
pub fn redact(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            if parsed.set_password(Some("***")).is_ok() {
                parsed.to_string()
            } else {
                "(a database URL with a password)".to_owned()
            }
        }
        Ok(_) => database_url.to_owned(),
        Err(_) if database_url.contains('@') => {
            "(a database URL that does not parse, not shown as it may hold a password)".to_owned()
        }
        Err(_) => database_url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_password_never_reaches_a_log() {
        assert_eq!(
            redact("postgres://ringmaster:s3cret@db.example:5432/fleet"),
            "postgres://ringmaster:***@db.example:5432/fleet"
        );
        // A password with characters a hand-written split would cut at.
        let redacted = redact("postgres://user:p%40ss%3Aw0rd@db/fleet?sslmode=require");
        assert!(!redacted.contains("p%40ss"), "{redacted}");
        assert!(
            redacted.contains("user:***@db/fleet?sslmode=require"),
            "{redacted}"
        );
        let unparsable = redact("postgres://user:pa ss@[db/fleet");
        assert!(!unparsable.contains("pa ss"), "{unparsable}");
    }

    #[test]
    fn urls_without_a_password_are_shown_as_given() {
        for url in [
            "sqlite:ringmaster.db",
            "sqlite:///var/lib/ringmaster/ringmaster.db?mode=rwc",
            "postgres://ringmaster@db.example/fleet",
        ] {
            assert_eq!(redact(url), url);
        }
    }
}
