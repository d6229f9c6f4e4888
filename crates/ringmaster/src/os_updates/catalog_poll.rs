//! Keeping the catalog current: `serve --catalog-url URL` polls each configured feed at most
//! once per period (a day by default) across the whole cluster.
//!
//! The period is a lease per URL in the shared database (`catalog-poll:<url>`), taken with a
//! holder name unique to each attempt, so it is granted only once the previous poll's lease has
//! run out, whichever server made it. A failed poll gives its lease back and is tried again at the
//! next check (hourly). Requests are conditional (`If-None-Match`, `If-Modified-Since`) on what
//! this server last received, and an unchanged feed changes nothing in the catalog anyway. A poll
//! that fails or panics is logged and the next check runs as usual.

use std::collections::HashMap;
use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::background::guarded;
use crate::os_updates::feed_fetch::{Fetched, Validators, client, fetch_url};
use crate::os_updates::service::OsUpdates;

/// Polling settings.
#[derive(Debug, Clone)]
pub struct CatalogPollConfig {
    pub urls: Vec<String>,
    /// At most one poll per URL per period, cluster-wide.
    pub period: Duration,
    /// How often a server checks whether a poll is due.
    pub check_every: Duration,
}

/// Starts the poller; it stops when `shutdown` turns true.
pub fn spawn(
    os_updates: OsUpdates,
    config: CatalogPollConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "catalog polling is off");
                return;
            }
        };
        let server = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let mut validators: HashMap<String, Validators> = HashMap::new();
        let mut ticker = tokio::time::interval(config.check_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            for url in &config.urls {
                let round =
                    poll_if_due(&os_updates, &client, &server, url, &config, &mut validators);
                if guarded("catalog poll", round).await.is_none() {
                    // The lease runs out by itself; what the round half-updated is forgotten.
                    validators.remove(url);
                }
            }
        }
    })
}

async fn poll_if_due(
    os_updates: &OsUpdates,
    client: &reqwest::Client,
    server: &str,
    url: &str,
    config: &CatalogPollConfig,
    validators: &mut HashMap<String, Validators>,
) {
    let lease = format!("catalog-poll:{url}");
    let started = os_updates.clock.now();
    let holder = format!("{server}@{}", started.as_millisecond());
    let period = SignedDuration::try_from(config.period).unwrap_or(SignedDuration::MAX);
    match os_updates
        .store
        .try_acquire_lease(&lease, &holder, period, started)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(%error, url, "catalog poll: cannot read the lease");
            return;
        }
    }
    let previous = validators.get(url).cloned().unwrap_or_default();
    let result = match fetch_url(client, url, &previous).await {
        Ok(Fetched::NotModified) => {
            tracing::info!(url, "catalog poll: the feed has not changed");
            Ok(())
        }
        Ok(Fetched::Body {
            bytes,
            validators: fresh,
        }) => match os_updates.import_feed(&bytes, os_updates.clock.now()).await {
            Ok(report) => {
                validators.insert(url.to_owned(), fresh);
                tracing::info!(
                    url,
                    format = report.format,
                    added = report.added,
                    updated = report.updated,
                    "catalog poll: imported"
                );
                Ok(())
            }
            Err(error) => Err(error.to_string()),
        },
        Err(error) => Err(error),
    };
    if let Err(error) = result {
        tracing::warn!(url, %error, "catalog poll failed; it will be retried");
        if let Err(error) = os_updates.store.release_lease(&lease, &holder).await {
            tracing::warn!(%error, url, "catalog poll: cannot give the lease back");
        }
    }
}
